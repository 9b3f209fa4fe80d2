// The process's runtime settings (threads, memory limit, timing), read from the environment
// once, in the tool's main (run_main), and only read after that: no library function consults
// the environment for them or changes them.
#pragma once

#include <cstdint>
#include <string>

namespace mlgate {

struct Runtime {
  unsigned threads = 0;            // MLGATE_THREADS (1..64); 0: every core
  std::uint64_t memory_limit = 0;  // MLGATE_MEMORY_LIMIT (bytes, K/M/G); 0: 80% of what is free
  bool timing = false;             // MLGATE_TIMING: phase times on stderr
};

// Parses the MLGATE_* variables; a value that is set but not understood is an Error naming it.
Runtime runtime_from_env();
// Sets the settings every later call reads (the tool's main, once).
void set_runtime(const Runtime& r);
const Runtime& runtime();

}  // namespace mlgate
