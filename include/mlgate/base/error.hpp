// Anticipated failures (bad input, bad config, I/O, network) carry where they happened and a
// hint; one place (run_tool in cli.hpp) turns them into exit code 2 and a one-line message.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace mlgate {

enum ExitCode : int { kPass = 0, kGateFailed = 1, kError = 2 };

class Error : public std::runtime_error {
 public:
  // where: "file:line" or "file:line: column \"x\"" or a key path; hint: what to do about it.
  Error(std::string what, std::string where = {}, std::string hint = {});

  const std::string& what_text() const { return what_; }
  const std::string& where() const { return where_; }
  const std::string& hint() const { return hint_; }

  // "WHERE: WHAT (HINT)", the part after "mlgate-NAME: error: ".
  std::string message() const;

 private:
  std::string what_, where_, hint_;
};

// "file:line" with line omitted when it is 0.
std::string location(const std::string& file, std::int64_t line = 0);
// "file:line: column \"name\"".
std::string location(const std::string& file, std::int64_t line, const std::string& column);

// A JSON string literal of s, for quoting values from data in messages.
std::string quote(const std::string& s, std::size_t max_len = 60);

}  // namespace mlgate
