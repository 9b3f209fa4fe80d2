// Runs a model as a child process: rows in on its stdin, predictions out of its stdout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mlgate {

// The longest --model-timeout accepted: a week.
inline constexpr double kMaxModelTimeout = 7 * 24 * 3600;

struct ModelCommand {
  std::string command;     // e.g. "python3 score.py --batch 512"
  bool shell = false;      // run through /bin/sh -c (only when asked for)
  double timeout_s = 600;  // the whole run, after which the process group is killed
  std::string stderr_prefix = "[model] ";
  // Bounds on what the model may print: reading stops with an error past either.
  std::size_t max_output_bytes = std::size_t{1} << 30;
  std::int64_t max_output_lines = 0;  // 0: no bound on lines
  std::int64_t expected_rows = 0;     // for the message
};

// Splits a command line as a POSIX shell would (quotes, backslashes), expanding nothing.
// Throws Error on an unterminated quote.
std::vector<std::string> split_command_line(const std::string& cmd);

// Runs the command, calls feed(write) on a writer thread to stream its input, passes its stderr
// through (prefixed, escaped), and returns its stdout. Throws Error naming the command with the
// last lines of its stderr if it cannot start, exits non-zero, is killed, outlives the timeout,
// or prints past the output bounds. Once the model exits or is killed, output is read for a
// short grace period at most: what it left running (daemons holding its pipes) is killed, never
// waited for.
std::string run_model_command(
    const ModelCommand& cmd,
    const std::function<void(const std::function<void(std::string_view)>& write)>& feed);

}  // namespace mlgate
