#include "mlgate/base/io.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include "mlgate/base/error.hpp"

namespace mlgate {

std::string hex_digest(const unsigned char* md, unsigned len) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < len; ++i) {
    s += digits[md[i] >> 4];
    s += digits[md[i] & 15];
  }
  return s;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw Error("cannot initialise SHA-256", "openssl");
  }
}
Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }
void Sha256::update(const void* data, std::size_t n) { EVP_DigestUpdate(ctx_, data, n); }
std::string Sha256::hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx_, md, &len);
  return hex_digest(md, len);
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 h;
  h.update(bytes.data(), bytes.size());
  return h.hex();
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len))
    throw Error("cannot compute HMAC-SHA256", "signature");
  return hex_digest(md, len);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string read_file(const std::string& path) {
  int fd = path == "-" ? 0 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw Error(std::string("cannot open: ") + std::strerror(errno), path, "check the path");
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      if (fd) ::close(fd);
      throw Error(std::string("cannot read: ") + std::strerror(e), path);
    }
    if (r == 0) break;
    out.append(buf, static_cast<std::size_t>(r));
  }
  if (fd) ::close(fd);
  return out;
}

std::string sha256_file(const std::string& path) { return sha256_hex(read_file(path)); }

namespace {

// Temporary files being written, for the signal handler to remove: fixed slots, since a handler
// may only touch what needs no allocation or lock.
constexpr int kTempSlots = 32;
struct TempSlot {
  std::atomic<bool> claimed{false}, armed{false};
  char path[4096];
};
TempSlot g_temp[kTempSlots];
std::atomic<pid_t> g_child_group{0};
char g_tool[64] = "mlgate";

int register_temp(const char* path) {
  if (std::strlen(path) >= sizeof g_temp[0].path) return -1;
  for (int i = 0; i < kTempSlots; ++i) {
    bool expected = false;
    if (!g_temp[i].claimed.compare_exchange_strong(expected, true)) continue;
    std::memcpy(g_temp[i].path, path, std::strlen(path) + 1);
    g_temp[i].armed.store(true, std::memory_order_release);  // the handler may now use it
    return i;
  }
  return -1;
}
void unregister_temp(int slot) {
  if (slot < 0) return;
  g_temp[slot].armed.store(false);
  g_temp[slot].claimed.store(false);
}

extern "C" void on_interrupt(int sig) {
  for (auto& t : g_temp)
    if (t.armed.load(std::memory_order_acquire)) ::unlink(t.path);
  if (pid_t g = g_child_group.load(); g > 0) ::kill(-g, SIGKILL);
  const char* what = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
  char msg[256];
  int n = std::snprintf(msg, sizeof msg,
                        "%s: error: interrupted by %s; no output was left half-written\n", g_tool,
                        what);
  if (n > 0) {
    ssize_t ignored = ::write(2, msg, static_cast<std::size_t>(std::min(n, 255)));
    (void)ignored;
  }
  ::_exit(2);
}

// The mode a new output gets: what an existing file has, else 0666 less the umask.
mode_t output_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return st.st_mode & 07777;
  static const mode_t mask = [] {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    char line[256];
    unsigned m = 022;
    bool found = false;
    while (f && std::fgets(line, sizeof line, f))
      if (std::sscanf(line, "Umask: %o", &m) == 1) {
        found = true;
        break;
      }
    if (f) std::fclose(f);
    if (!found) {
      mode_t old = ::umask(022);
      ::umask(old);
      m = old;
    }
    return static_cast<mode_t>(m);
  }();
  return 0666 & ~mask;
}

}  // namespace

void install_interrupt_cleanup(const char* tool) {
  std::snprintf(g_tool, sizeof g_tool, "%s", tool);
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

void set_interrupt_child_group(int group) { g_child_group.store(group); }

void write_file_atomic(const std::string& path, std::string_view content) {
  auto write_all = [&](int fd) -> int {
    std::size_t off = 0;
    while (off < content.size()) {
      ssize_t w = ::write(fd, content.data() + off, content.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return errno;
      off += static_cast<std::size_t>(w);
    }
    return 0;
  };
  if (path == "-") {
    if (int e = write_all(1))
      throw Error(std::string("cannot write: ") + std::strerror(e), "standard output");
    return;
  }
  // Only a regular file (or a new path) is replaced by rename; a device or a pipe such as
  // /dev/null or /dev/stdout is written in place, never replaced.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw Error(std::string("cannot open: ") + std::strerror(errno), path);
    int e = write_all(fd);
    ::close(fd);
    if (e) throw Error(std::string("cannot write: ") + std::strerror(e), path);
    return;
  }
  std::string tmpl = path + ".tmp.XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  const mode_t mode = output_mode(path);
  int fd = ::mkstemp(name.data());
  if (fd < 0)
    throw Error(std::string("cannot create: ") + std::strerror(errno), path,
                "check that the folder exists and is writable");
  const int slot = register_temp(name.data());
  int e = write_all(fd);
  if (!e && ::fsync(fd) != 0) e = errno;
  ::fchmod(fd, mode);
  if (::close(fd) != 0 && !e) e = errno;
  if (!e && ::rename(name.data(), path.c_str()) != 0) e = errno;
  unregister_temp(slot);
  if (e) {
    ::unlink(name.data());
    throw Error(std::string("cannot write: ") + std::strerror(e), path,
                e == ENOSPC ? "the disk is full; nothing was written" : "nothing was written");
  }
}

std::string capture_command(const std::vector<std::string>& argv, bool* ok, std::string* err) {
  *ok = false;
  int fds[2], efds[2] = {-1, -1};
  if (::pipe2(fds, O_CLOEXEC) != 0) return {};
  if (err && ::pipe2(efds, O_CLOEXEC) != 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return {};
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    if (err) {
      ::close(efds[0]);
      ::close(efds[1]);
    }
    return {};
  }
  if (pid == 0) {
    ::dup2(fds[1], 1);
    if (err) {
      ::dup2(efds[1], 2);
    } else {
      int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) ::dup2(devnull, 2);
    }
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  if (err) ::close(efds[1]);
  std::string out;
  char buf[4096];
  // stderr is read after stdout: fine for git's short messages; the pipe holds 64 KiB.
  for (;;) {
    ssize_t r = ::read(fds[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    out.append(buf, static_cast<std::size_t>(r));
  }
  ::close(fds[0]);
  if (err) {
    for (;;) {
      ssize_t r = ::read(efds[0], buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      err->append(buf, static_cast<std::size_t>(r));
    }
    ::close(efds[0]);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  *ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return out;
}

std::string current_git_sha() {
  for (const char* var : {"GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT", "BUILD_SOURCEVERSION"}) {
    const char* v = std::getenv(var);
    if (v && *v) return v;
  }
  bool ok = false;
  std::string out = capture_command({"git", "rev-parse", "HEAD"}, &ok);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return ok ? out : std::string();
}

std::string utc_timestamp() {
  std::time_t t = std::time(nullptr);
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH")) {
    char* end = nullptr;
    long long v = std::strtoll(sde, &end, 10);
    if (end && *end == '\0') t = static_cast<std::time_t>(v);
  }
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace mlgate
