#include "mlgate/model_command.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/process.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

#include "mlgate/error.hpp"
#include "mlgate/log.hpp"

namespace bp = boost::process;

namespace mlgate {

std::vector<std::string> split_command_line(const std::string& cmd) {
  std::vector<std::string> out;
  std::string cur;
  bool have = false;
  enum { kNone, kSingle, kDouble } q = kNone;
  for (std::size_t i = 0; i < cmd.size(); ++i) {
    char c = cmd[i];
    if (q == kSingle) {
      if (c == '\'')
        q = kNone;
      else
        cur += c;
      continue;
    }
    if (q == kDouble) {
      if (c == '"')
        q = kNone;
      else if (c == '\\' && i + 1 < cmd.size() &&
               std::string_view("\\\"$`\n").find(cmd[i + 1]) != std::string_view::npos)
        cur += cmd[++i];
      else
        cur += c;
      continue;
    }
    if (c == '\'') {
      q = kSingle;
      have = true;
    } else if (c == '"') {
      q = kDouble;
      have = true;
    } else if (c == '\\' && i + 1 < cmd.size()) {
      cur += cmd[++i];
      have = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (have) out.push_back(cur);
      cur.clear();
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (q != kNone)
    throw Error("unterminated quote in the model command", "--model-cmd", "close the quote");
  if (have) out.push_back(cur);
  return out;
}

namespace {

class StderrTail {
 public:
  void add(const std::string& line) {
    std::lock_guard lk(m_);
    lines_.push_back(line.size() > 500 ? line.substr(0, 500) + "..." : line);
    if (lines_.size() > 10) lines_.pop_front();
  }
  std::string joined() {
    std::lock_guard lk(m_);
    std::string s;
    for (const auto& l : lines_) s += (s.empty() ? "" : " | ") + l;
    return s;
  }

 private:
  std::mutex m_;
  std::deque<std::string> lines_;
};

}  // namespace

std::string run_model_command(
    const ModelCommand& cmd,
    const std::function<void(const std::function<void(std::string_view)>&)>& feed) {
  std::vector<std::string> argv;
  if (cmd.shell)
    argv = {"/bin/sh", "-c", cmd.command};
  else
    argv = split_command_line(cmd.command);
  if (argv.empty()) throw Error("the model command is empty", "--model-cmd");
  boost::filesystem::path exe = argv[0];
  if (argv[0].find('/') == std::string::npos) {
    exe = bp::search_path(argv[0]);
    if (exe.empty())
      throw Error("cannot run the model command: " + quote(argv[0]) + " is not on PATH",
                  "--model-cmd", "give the program's path, or install it");
  }
  ::signal(SIGPIPE, SIG_IGN);  // a model that stops reading early must not kill us

  bp::pipe in, out, err;
  bp::group group;
  std::unique_ptr<bp::child> child;
  try {
    child = std::make_unique<bp::child>(
        exe, bp::args(std::vector<std::string>(argv.begin() + 1, argv.end())),
        bp::std_in<in, bp::std_out> out, bp::std_err > err, group);
  } catch (const bp::process_error& e) {
    throw Error(std::string("cannot start the model command: ") + e.what(), "--model-cmd");
  }

  StderrTail tail;
  std::atomic<bool> timed_out{false};
  std::mutex done_m;
  std::condition_variable done_cv;
  bool done = false;

  std::thread watchdog([&] {
    std::unique_lock lk(done_m);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(cmd.timeout_s);
    if (!done_cv.wait_until(lk, deadline, [&] { return done; })) {
      timed_out = true;
      std::error_code ec;
      group.terminate(ec);  // the model and everything it started
    }
  });

  std::string write_error;
  std::thread writer([&] {
    int fd = in.native_sink();
    struct Broken {};
    try {
      feed([&](std::string_view data) {
        std::size_t off = 0;
        while (off < data.size()) {
          ssize_t w = ::write(fd, data.data() + off, data.size() - off);
          if (w < 0 && errno == EINTR) continue;
          if (w < 0) throw Broken{};  // the model closed its stdin; its exit status tells why
          off += static_cast<std::size_t>(w);
        }
      });
    } catch (const Broken&) {
    } catch (const Error& e) {
      write_error = e.message();
      std::error_code ec;
      group.terminate(ec);
    }
    in.close();
  });

  std::thread errors([&] {
    int fd = err.native_source();
    std::string buf, line;
    char chunk[4096];
    for (;;) {
      ssize_t r = ::read(fd, chunk, sizeof chunk);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      for (ssize_t i = 0; i < r; ++i) {
        if (chunk[i] == '\n') {
          log_printf("%s%s\n", cmd.stderr_prefix.c_str(), line.c_str());
          tail.add(line);
          line.clear();
        } else if (line.size() < 65536) {
          line += chunk[i];
        }
      }
    }
    if (!line.empty()) {
      log_printf("%s%s\n", cmd.stderr_prefix.c_str(), line.c_str());
      tail.add(line);
    }
  });

  std::string result;
  {
    int fd = out.native_source();
    char chunk[1 << 16];
    for (;;) {
      ssize_t r = ::read(fd, chunk, sizeof chunk);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      result.append(chunk, static_cast<std::size_t>(r));
    }
  }
  writer.join();
  errors.join();
  std::error_code ec;
  child->wait(ec);
  {
    std::lock_guard lk(done_m);
    done = true;
  }
  done_cv.notify_all();
  watchdog.join();

  std::string stderr_tail = tail.joined();
  std::string hint =
      stderr_tail.empty() ? "it printed nothing on stderr" : "its stderr ended: " + stderr_tail;
  if (timed_out)
    throw Error("the model command ran past its timeout of " +
                    std::to_string(static_cast<long long>(cmd.timeout_s)) + " s and was killed",
                "--model-cmd", "raise --model-timeout if it needs longer; " + hint);
  if (!write_error.empty())
    throw Error("cannot stream the features: " + write_error, "--model-cmd");
  int native = child->native_exit_code();
  if (WIFSIGNALED(native))
    throw Error("the model command was killed by signal " + std::to_string(WTERMSIG(native)),
                "--model-cmd", hint);
  int code = child->exit_code();
  if (code != 0)
    throw Error("the model command exited with status " + std::to_string(code), "--model-cmd",
                hint);
  return result;
}

}  // namespace mlgate
