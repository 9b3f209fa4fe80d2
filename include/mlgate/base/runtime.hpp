// The process's runtime settings (threads, memory limit, timing), read from the environment
// once, in the tool's main (run_main), and only read after that: no library function consults
// the environment for them or changes them.
#pragma once

#include <cstdint>
#include <string>

namespace mlgate {

struct Runtime {
  unsigned threads = 0;            // --threads, else MLGATE_THREADS (1..64); 0: every CPU we have
  std::uint64_t memory_limit = 0;  // MLGATE_MEMORY_LIMIT (bytes, K/M/G); 0: 80% of what is free
  bool timing = false;             // MLGATE_TIMING: phase times on stderr
  bool quiet = false;              // --quiet: nothing on stderr but errors
  bool verbose = false;            // --verbose: what was read, chosen and sent
  // MLGATE_PROGRESS: auto (a line after 2 s, on a terminal updating, else every 10 s at most),
  // always (a line at every step, at once: for tests), never.
  enum class Progress { kAuto, kAlways, kNever } progress = Progress::kAuto;
  std::string cgroup_root;  // MLGATE_CGROUP_ROOT: a fake file-system root, for tests only
  unsigned cpus = 0;        // what probe_machine found at startup (0: not probed)
};

// What this process may use, seen from inside a container as well as on a bare machine.
struct MachineLimits {
  unsigned cpus = 1;  // CPUs in the affinity mask, lowered to the cgroup's CPU quota (rounded up)
  std::string cpus_from;               // e.g. "affinity 8, cgroup cpu.max 2"
  std::uint64_t memory_available = 0;  // bytes still free to us (0: unknown)
  std::string memory_from;             // e.g. "cgroup memory.max 512 MiB, 40 MiB used"
};
// Reads the affinity mask, /proc/self/cgroup and the cgroup files it points to (v2: cpu.max,
// memory.max, memory.current, memory.stat; v1: cpu.cfs_quota_us, cpu.cfs_period_us,
// memory.limit_in_bytes, memory.usage_in_bytes, memory.stat), through every ancestor cgroup,
// and /proc/meminfo. The memory a cgroup uses excludes its inactive file cache (what the kernel
// reclaims before it kills), as the kubelet's working set does. root: "" for the real /, a
// directory holding proc/ and sys/fs/cgroup/ for tests (the affinity mask is then left out).
MachineLimits probe_machine(const std::string& root);

// Parses the MLGATE_* variables; a value that is set but not understood is an Error naming it.
Runtime runtime_from_env();
// Sets the settings every later call reads (the tool's main, once).
void set_runtime(const Runtime& r);
const Runtime& runtime();

}  // namespace mlgate
