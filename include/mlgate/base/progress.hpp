// Progress of a long step on stderr (never stdout): rows read, rows sent to a model and back,
// bootstrap resamples, columns sorted.
//
// MLGATE_PROGRESS=auto (the default): nothing for a step that ends within 2 s; after that, on a
// terminal one line updated in place (at most 4 times a second) and finished with a newline; in
// a CI log (stderr not a terminal) a plain line every 10 s at most. always: the same at every
// update, from the first, and a last line when the step ends (tests use it). never, or --quiet:
// nothing. The lines carry only mlgate's own words and numbers, never text from data.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace mlgate {

class Progress {
 public:
  // "mlgate-compare: bootstrap: 1,200 of 5,000 resamples (24%), 3.1 s, 387 resamples/s".
  // total 0: unknown (no percentage).
  Progress(std::string what, std::string unit, std::uint64_t total = 0);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // n more units done; thread-safe, cheap enough to call per batch or chunk.
  void add(std::uint64_t n);
  // The done count is `done` (a step that counts by itself, e.g. rows merged).
  void set(std::uint64_t done);
  // Ends the step (the destructor does it too): a terminal's line finished with its last state.
  void finish();

 private:
  void update(bool final);
  std::string line(std::uint64_t done, double elapsed) const;

  std::string what_, unit_;
  std::uint64_t total_;
  std::atomic<std::uint64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::atomic<double> next_{0};  // seconds since start_ of the next line
  bool enabled_ = false, tty_ = false, always_ = false, shown_ = false, finished_ = false;
  bool stopped_ = false;  // ended by an error
  std::mutex mu_;
};

}  // namespace mlgate
