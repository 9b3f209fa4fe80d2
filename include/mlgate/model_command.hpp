// Runs a model as a child process: rows in on its stdin, predictions out of its stdout.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mlgate {

struct ModelCommand {
  std::string command;     // e.g. "python3 score.py --batch 512"
  bool shell = false;      // run through /bin/sh -c (only when asked for)
  double timeout_s = 600;  // the whole run, after which the process group is killed
  std::string stderr_prefix = "[model] ";
};

// Splits a command line as a POSIX shell would (quotes, backslashes), expanding nothing.
// Throws Error on an unterminated quote.
std::vector<std::string> split_command_line(const std::string& cmd);

// Runs the command, calls feed(write) on a writer thread to stream its input, passes its stderr
// through (prefixed), and returns its stdout. Throws Error naming the command with the last lines
// of its stderr if it cannot start, exits non-zero, is killed, or outlives the timeout.
std::string run_model_command(
    const ModelCommand& cmd,
    const std::function<void(const std::function<void(std::string_view)>& write)>& feed);

}  // namespace mlgate
