#include "mlgate/base/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <exception>

#include "mlgate/base/log.hpp"
#include "mlgate/base/runtime.hpp"

namespace mlgate {

namespace {

constexpr double kQuietStart = 2.0;  // auto: nothing for steps shorter than this
constexpr double kTtyEvery = 0.25;
constexpr double kLogEvery = 10.0;

// 1234567 -> "1,234,567"
std::string grouped(std::uint64_t v) {
  std::string s = std::to_string(v), out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

}  // namespace

Progress::Progress(std::string what, std::string unit, std::uint64_t total)
    : what_(std::move(what)),
      unit_(std::move(unit)),
      total_(total),
      start_(std::chrono::steady_clock::now()) {
  const Runtime& r = runtime();
  enabled_ = !r.quiet && r.progress != Runtime::Progress::kNever;
  always_ = r.progress == Runtime::Progress::kAlways;
  tty_ = isatty(STDERR_FILENO) == 1;
  next_ = always_ ? 0 : tty_ ? kQuietStart : kLogEvery;
}

Progress::~Progress() {
  if (!enabled_) return;
  stopped_ = std::uncaught_exceptions() > 0;  // an error ends the step: not "done"
  update(true);
}

void Progress::add(std::uint64_t n) {
  done_.fetch_add(n, std::memory_order_relaxed);
  if (enabled_) update(false);
}

void Progress::set(std::uint64_t done) {
  done_.store(done, std::memory_order_relaxed);
  if (enabled_) update(false);
}

void Progress::finish() {
  if (enabled_) update(true);
}

std::string Progress::line(std::uint64_t done, double elapsed) const {
  char rate[64] = "";
  if (elapsed > 0)
    std::snprintf(rate, sizeof rate, ", %s %s/s",
                  grouped(static_cast<std::uint64_t>(static_cast<double>(done) / elapsed)).c_str(),
                  unit_.c_str());
  const std::uint64_t total = done <= total_ ? total_ : 0;  // an estimate can fall short
  char pct[32] = "";
  if (total > 0)
    std::snprintf(pct, sizeof pct, " (%d%%)",
                  static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total)));
  char buf[512];
  std::snprintf(buf, sizeof buf, "%s: %s: %s%s%s %s%s, %.1f s%s", tool_name().c_str(),
                what_.c_str(), grouped(done).c_str(), total > 0 ? " of " : "",
                total > 0 ? grouped(total).c_str() : "", unit_.c_str(), pct, elapsed, rate);
  return buf;
}

void Progress::update(bool final) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (!final && elapsed < next_) return;  // the common case, without the lock
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock() && !final) return;  // another thread is printing
  if (!lock.owns_lock()) lock.lock();
  if (finished_) return;
  if (final) {
    finished_ = true;
    // A step that printed nothing ends silently; a terminal's line gets its last state.
    if (tty_ && shown_) {
      const std::string s = "\r" + log_safe(line(done_.load(), elapsed)) + "\x1b[K\n";
      [[maybe_unused]] auto w = write(STDERR_FILENO, s.data(), s.size());
    } else if (always_ && !tty_) {
      log_line(line(done_.load(), elapsed) + (stopped_ ? ", stopped" : ", done"));
    }
    return;
  }
  if (elapsed < next_) return;
  const std::string s = line(done_.load(), elapsed);
  if (tty_) {
    const std::string out = "\r" + log_safe(s) + "\x1b[K";
    [[maybe_unused]] auto w = write(STDERR_FILENO, out.data(), out.size());
    next_ = always_ ? 0 : elapsed + kTtyEvery;
  } else {
    log_line(s);
    next_ = always_ ? 0 : elapsed + kLogEvery;
  }
  shown_ = true;
}

}  // namespace mlgate
