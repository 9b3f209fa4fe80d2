#include "mlgate/data/model_command.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/process.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>

#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/log.hpp"
#include "mlgate/base/progress.hpp"
#include "mlgate/base/text.hpp"

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

namespace {

using Clock = std::chrono::steady_clock;

// How long output is still read after the model exits (or is killed): whatever it started and
// left holding its pipes gets this long, then is killed and no longer waited for.
constexpr auto kGrace = std::chrono::milliseconds(1500);

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Processes the model left behind that escaped its process group (a daemon calls setsid()): as
// the child subreaper they become our children when their parent dies; each is killed with its
// group and reaped. A few rounds, since a killed orphan's own children are reparented in turn.
void kill_orphans(pid_t self) {
  for (int round = 0; round < 5; ++round) {
    bool found = false;
    DIR* d = ::opendir("/proc");
    if (!d) return;
    while (dirent* e = ::readdir(d)) {
      char* end = nullptr;
      long pid = std::strtol(e->d_name, &end, 10);
      if (!end || *end || pid <= 0 || pid == self) continue;
      std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
      std::string text;
      std::getline(stat, text);
      auto rp = text.rfind(')');  // the command name may hold spaces and parentheses
      if (rp == std::string::npos) continue;
      char state = 0;
      long ppid = 0;
      if (std::sscanf(text.c_str() + rp + 1, " %c %ld", &state, &ppid) != 2 || ppid != self)
        continue;
      found = true;
      ::kill(static_cast<pid_t>(pid), SIGKILL);
    }
    ::closedir(d);
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (!found) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
}

}  // namespace

// One function of ~180 lines because the spawn, the feeding thread, the poll loop over the two
// output pipes and the kill-and-drain at the end share the child, its process group, its pipes
// and one deadline, and each step's failure must undo all of them in the same order.
std::string run_model_command(
    const ModelCommand& cmd,
    const std::function<void(const std::function<void(std::string_view)>&)>& feed) {
  if (!(cmd.timeout_s > 0 && cmd.timeout_s <= kMaxModelTimeout))
    throw Error("the model timeout must be more than 0 and at most " +
                    std::to_string(static_cast<long long>(kMaxModelTimeout)) + " seconds",
                "--model-timeout", "give a number of seconds, e.g. 600");
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
  // What the model leaves running is reparented to us, not to init, so it can be ended.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);

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
  const pid_t self = ::getpid();
  set_interrupt_child_group(static_cast<int>(group.native_handle()));

  // The features go in on a thread of their own, which gives up when told to stop (the model
  // ended, was killed, or stopped reading), so nothing here can block for ever.
  std::atomic<bool> stop{false};
  std::string write_error;
  std::thread writer([&] {
    int fd = in.native_sink();
    set_nonblocking(fd);
    struct Broken {};
    try {
      feed([&](std::string_view data) {
        std::size_t off = 0;
        while (off < data.size()) {
          if (stop) throw Broken{};
          ssize_t w = ::write(fd, data.data() + off, data.size() - off);
          if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, 50);
            continue;
          }
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

  log_verbose("%sstarted %s with %zu argument(s)%s, %lld feature rows to send",
              cmd.stderr_prefix.c_str(), exe.string().c_str(), argv.size() - 1,
              cmd.shell ? " (through /bin/sh)" : "", static_cast<long long>(cmd.expected_rows));
  Progress progress("model command", "rows",
                    cmd.expected_rows > 0 ? static_cast<std::uint64_t>(cmd.expected_rows) : 0);
  StderrTail tail;
  std::string result, err_line;
  std::int64_t out_lines = 0;
  std::string overflow;  // why reading stopped early, if it did
  auto err_bytes = [&](const char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (p[i] == '\n') {
        log_info("%s%s", cmd.stderr_prefix.c_str(), err_line.c_str());
        tail.add(err_line);
        err_line.clear();
      } else if (err_line.size() < 65536) {
        err_line += p[i];
      }
    }
  };
  auto out_bytes = [&](const char* p, std::size_t n) {
    if (!overflow.empty()) return;
    for (std::size_t i = 0; i < n; ++i) out_lines += p[i] == '\n';
    progress.set(static_cast<std::uint64_t>(out_lines));
    result.append(p, n);
    if (result.size() > cmd.max_output_bytes)
      overflow = "the model printed more than " + std::to_string(cmd.max_output_bytes) +
                 " bytes (line " + std::to_string(out_lines + 1) + " of its output)";
    else if (cmd.max_output_lines > 0 && out_lines > cmd.max_output_lines)
      overflow = "the model printed more lines than its input rows can need (line " +
                 std::to_string(cmd.max_output_lines + 1) + " of its output, for " +
                 std::to_string(cmd.expected_rows) + " feature rows)";
  };

  const int out_fd = out.native_source(), err_fd = err.native_source();
  set_nonblocking(out_fd);
  set_nonblocking(err_fd);
  bool out_open = true, err_open = true, exited = false, timed_out = false;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(cmd.timeout_s));
  Clock::time_point give_up = Clock::time_point::max();
  std::error_code ec;
  char chunk[1 << 16];
  for (;;) {
    const auto now = Clock::now();
    if (!exited && !timed_out && now >= deadline) {
      timed_out = true;
      group.terminate(ec);  // the model and everything it started
      give_up = now + kGrace;
    }
    if (!overflow.empty() && give_up == Clock::time_point::max()) {
      group.terminate(ec);
      give_up = now;
    }
    if (!exited && !child->running(ec)) {
      exited = true;
      give_up = std::min(give_up, now + kGrace);
    }
    if ((!out_open && !err_open && (exited || timed_out)) || now >= give_up) break;
    pollfd fds[2];
    nfds_t n = 0;
    if (out_open) fds[n++] = {out_fd, POLLIN, 0};
    if (err_open) fds[n++] = {err_fd, POLLIN, 0};
    if (n == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    ::poll(fds, n, 50);
    for (nfds_t k = 0; k < n; ++k) {
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const bool is_out = fds[k].fd == out_fd;
      for (;;) {
        ssize_t r = ::read(fds[k].fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) break;  // EAGAIN: drained for now
        if (r == 0) {
          (is_out ? out_open : err_open) = false;
          break;
        }
        if (is_out)
          out_bytes(chunk, static_cast<std::size_t>(r));
        else
          err_bytes(chunk, static_cast<std::size_t>(r));
      }
    }
  }
  stop = true;
  group.terminate(ec);  // whatever is left in the model's process group
  out.close();
  err.close();
  writer.join();
  if (!exited) child->wait(ec);
  kill_orphans(self);
  set_interrupt_child_group(0);
  if (!err_line.empty()) {
    log_info("%s%s", cmd.stderr_prefix.c_str(), err_line.c_str());
    tail.add(err_line);
  }

  std::string stderr_tail = tail.joined();
  std::string hint =
      stderr_tail.empty() ? "it printed nothing on stderr" : "its stderr ended: " + stderr_tail;
  if (!overflow.empty())
    throw Error(overflow, "model output",
                "print one prediction per input row; MLGATE_MEMORY_LIMIT bounds what is kept");
  if (timed_out)
    throw Error("the model command ran past its timeout of " + format_short(cmd.timeout_s, 6) +
                    " s and was killed",
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
