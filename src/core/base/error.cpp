#include "mlgate/base/error.hpp"

#include <nlohmann/json.hpp>

namespace mlgate {

Error::Error(std::string what, std::string where, std::string hint)
    : std::runtime_error(what),
      what_(std::move(what)),
      where_(std::move(where)),
      hint_(std::move(hint)) {}

std::string Error::message() const {
  std::string m;
  if (!where_.empty()) m = where_ + ": ";
  m += what_;
  if (!hint_.empty()) m += " (" + hint_ + ")";
  return m;
}

std::string location(const std::string& file, std::int64_t line) {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line);
}

std::string location(const std::string& file, std::int64_t line, const std::string& column) {
  return location(file, line) + ": column " + quote(column);
}

std::string quote(const std::string& s, std::size_t max_len) {
  std::string cut = s.size() > max_len ? s.substr(0, max_len) : s;
  // Never cut inside a UTF-8 sequence.
  while (cut.size() < s.size() && !cut.empty() &&
         (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80)
    cut.pop_back();
  if (cut.size() < s.size() && !cut.empty() &&
      (static_cast<unsigned char>(cut.back()) & 0xC0) == 0xC0)
    cut.pop_back();
  std::string out =
      nlohmann::json(cut).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (cut.size() < s.size()) out.insert(out.size() - 1, "...");
  return out;
}

}  // namespace mlgate
