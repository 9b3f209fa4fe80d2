// mlgate: the one command over the single-purpose executables, as git and gh are: `mlgate eval
// ...` runs mlgate-eval with the rest of the arguments (exec, no shell), `mlgate help [TOOL]`,
// `mlgate --version` lists every tool's version. The tools are looked for beside this
// executable first, then on PATH.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "mlgate/base/error.hpp"
#include "mlgate/base/log.hpp"
#include "mlgate/base/text.hpp"

namespace {

struct Tool {
  const char* name;
  const char* summary;
};
constexpr Tool kTools[] = {
#include "mlgate_tools.inc"
};

namespace fs = std::filesystem;

// mlgate-NAME beside this executable, else on PATH; "" when neither has it.
std::string find_tool(const std::string& name) {
  const std::string file = "mlgate-" + name;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path beside = self.parent_path() / file;
    if (access(beside.c_str(), X_OK) == 0) return beside.string();
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string p = dir + "/" + file;
    if (access(p.c_str(), X_OK) == 0) return p;
    start = end + 1;
  }
  return "";
}

void usage(FILE* out) {
  std::fprintf(out,
               "mlgate: gates machine-learning models in CI; each command is also an executable "
               "of its own (mlgate eval = mlgate-eval).\n"
               "Usage: mlgate COMMAND [OPTIONS]\n"
               "       mlgate help [COMMAND]\n\n"
               "Commands:\n");
  for (const Tool& t : kTools) std::fprintf(out, "  %-10s %s\n", t.name, t.summary);
  std::fprintf(out,
               "\nOptions:\n"
               "  -h,--help   Print this help and exit\n"
               "  --version   Print the version of mlgate and of every command, and exit\n\n"
               "Examples:\n"
               "  mlgate eval --data preds.csv --policy policy.yaml -o eval.json\n"
               "  mlgate help compare\n\n"
               "Exit codes:\n"
               "  the command's own (0 passed, 1 the gate failed, 2 error); 2 for an unknown "
               "command\n\n"
               "See also: mlgate COMMAND --help, man mlgate-COMMAND\n");
}

// The first line a tool prints for --version ("" if it cannot be run).
std::string tool_version(const std::string& exe) {
  int fds[2];
  if (pipe(fds) != 0) return "";
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return "";
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    char* const argv[] = {const_cast<char*>(exe.c_str()), const_cast<char*>("--version"), nullptr};
    execv(exe.c_str(), argv);
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || out.size() > 4096) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "";
  return out.substr(0, out.find('\n'));
}

[[noreturn]] void run(const std::string& name, int argc, char** argv, int first) {
  const std::string exe = find_tool(name);
  if (exe.empty()) {
    mlgate::log_printf("mlgate: error: mlgate-%s is not installed beside mlgate or on PATH",
                       name.c_str());
    std::exit(2);
  }
  std::vector<char*> args;
  args.push_back(const_cast<char*>(exe.c_str()));
  for (int i = first; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execv(exe.c_str(), args.data());
  mlgate::log_printf("mlgate: error: cannot run %s: %s", exe.c_str(), std::strerror(errno));
  std::exit(2);
}

bool known(const std::string& name) {
  for (const Tool& t : kTools)
    if (name == t.name) return true;
  return false;
}

[[noreturn]] void unknown(const std::string& name) {
  std::vector<std::string> names;
  for (const Tool& t : kTools) names.emplace_back(t.name);
  mlgate::log_printf("mlgate: error: unknown command %s: %s (see mlgate help)",
                     mlgate::quote(name, 80).c_str(), mlgate::did_you_mean(name, names).c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help") {
    usage(stdout);
    return 0;
  }
  if (cmd == "help") {
    if (argc == 2) {
      usage(stdout);
      return 0;
    }
    const std::string sub = argv[2];
    if (!known(sub)) unknown(sub);
    char help[] = "--help";
    char* args[] = {argv[0], argv[2], help};
    run(sub, 3, args, 2);
  }
  if (cmd == "--version") {
    std::printf("mlgate %s\n", MLGATE_VERSION);
    int missing = 0;
    for (const Tool& t : kTools) {
      const std::string exe = find_tool(t.name);
      const std::string v = exe.empty() ? "" : tool_version(exe);
      if (v.empty()) ++missing;
      std::printf("  %-16s %s\n", (std::string("mlgate-") + t.name).c_str(),
                  v.empty() ? "(not found)" : v.substr(v.find(' ') + 1).c_str());
    }
    return missing ? 2 : 0;
  }
  if (!cmd.empty() && cmd[0] == '-') {
    mlgate::log_printf(
        "mlgate: error: unknown option %s: the options go after the command "
        "(mlgate COMMAND --help)",
        mlgate::quote(cmd, 80).c_str());
    return 2;
  }
  if (!known(cmd)) unknown(cmd);
  run(cmd, argc, argv, 2);
}
