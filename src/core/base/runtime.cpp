#include "mlgate/base/runtime.hpp"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "mlgate/base/error.hpp"
#include "mlgate/base/number.hpp"
#include "mlgate/base/text.hpp"

namespace mlgate {

namespace {
Runtime g_runtime;

namespace fs = std::filesystem;

std::optional<std::string> first_line(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

// A decimal count; nullopt for anything else ("max", "-1", a value past 2^64).
std::optional<std::uint64_t> whole(const std::string& s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// A counter of a "key value" file (memory.stat, /proc/meminfo's "Key: value kB").
std::optional<std::uint64_t> stat_value(const fs::path& p, const std::string& key) {
  std::ifstream in(p);
  std::string k, v;
  while (in >> k >> v) {
    if (k == key) return whole(v);
    in.ignore(4096, '\n');
  }
  return std::nullopt;
}

// The cgroup directories that bound this process, its own first, up to the hierarchy's root.
// A container usually sees its own cgroup as the mount's root while /proc/self/cgroup names the
// host's path: where that path does not exist under the mount, the mount is the cgroup.
std::vector<fs::path> ancestors(const fs::path& mount, const std::string& path) {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::path rel = fs::path(path).relative_path();
  fs::path d = mount / rel;
  if (rel.empty() || !fs::is_directory(d, ec)) return {mount};
  for (;; rel = rel.parent_path()) {
    out.push_back(mount / rel);
    if (rel.empty() || rel == rel.parent_path()) break;
  }
  if (out.back() != mount) out.push_back(mount);
  return out;
}

std::string mib(std::uint64_t b) { return std::to_string(b >> 20) + " MiB"; }

}  // namespace

MachineLimits probe_machine(const std::string& root) {
  MachineLimits m;
  const fs::path base = root.empty() ? fs::path("/") : fs::path(root);
  // CPUs: the affinity mask (taskset, cpusets), then the quota of every cgroup above us.
  unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = std::max(1, CPU_COUNT(&set));
  m.cpus = cpus;
  m.cpus_from = "affinity " + std::to_string(cpus);
  std::optional<double> quota;  // CPUs
  std::optional<std::uint64_t> mem_limit, mem_free;
  std::ifstream cg(base / "proc/self/cgroup");
  std::string line;
  const fs::path cgroot = base / "sys/fs/cgroup";
  std::error_code ec;
  while (std::getline(cg, line)) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    auto limit_quota = [&](double q) { quota = quota ? std::min(*quota, q) : q; };
    auto limit_memory = [&](std::uint64_t limit, std::uint64_t used) {
      const std::uint64_t left = limit > used ? limit - used : 0;
      if (!mem_free || left < *mem_free) {
        mem_free = left;
        mem_limit = limit;
      }
    };
    if (controllers.empty()) {  // cgroup v2: one hierarchy
      fs::path mount = fs::exists(cgroot / "cgroup.controllers", ec) ? cgroot : cgroot / "unified";
      for (const auto& d : ancestors(mount, path)) {
        if (auto v = first_line(d / "cpu.max")) {
          std::istringstream in(*v);
          std::string q, p;
          in >> q >> p;
          auto qn = whole(q), pn = whole(p);
          if (qn && pn && *pn > 0) limit_quota(static_cast<double>(*qn) / static_cast<double>(*pn));
        }
        auto max = first_line(d / "memory.max");
        auto cur = first_line(d / "memory.current");
        if (max && cur && whole(*max) && whole(*cur)) {
          std::uint64_t used = *whole(*cur);
          used -= std::min(used, stat_value(d / "memory.stat", "inactive_file").value_or(0));
          limit_memory(*whole(*max), used);
        }
      }
      continue;
    }
    std::vector<std::string> names;
    std::istringstream in(controllers);
    for (std::string c; std::getline(in, c, ',');) names.push_back(c);
    auto has = [&](const char* c) {
      return std::find(names.begin(), names.end(), c) != names.end();
    };
    auto mount_of = [&](const char* c) {
      fs::path joint = cgroot / controllers;
      return fs::is_directory(joint, ec) ? joint : cgroot / c;
    };
    if (has("cpu")) {
      for (const auto& d : ancestors(mount_of("cpu"), path)) {
        auto q = first_line(d / "cpu.cfs_quota_us"), p = first_line(d / "cpu.cfs_period_us");
        if (q && p && whole(*q) && whole(*p) && *whole(*p) > 0)  // -1: no quota
          limit_quota(static_cast<double>(*whole(*q)) / static_cast<double>(*whole(*p)));
      }
    }
    if (has("memory")) {
      for (const auto& d : ancestors(mount_of("memory"), path)) {
        auto l = first_line(d / "memory.limit_in_bytes"),
             u = first_line(d / "memory.usage_in_bytes");
        if (!l || !u || !whole(*l) || !whole(*u) || *whole(*l) >= (std::uint64_t{1} << 62))
          continue;  // no limit (v1 writes a huge number)
        std::uint64_t used = *whole(*u);
        auto inactive = stat_value(d / "memory.stat", "total_inactive_file");
        if (!inactive) inactive = stat_value(d / "memory.stat", "inactive_file");
        used -= std::min(used, inactive.value_or(0));
        limit_memory(*whole(*l), used);
      }
    }
  }
  if (quota) {
    const auto q = static_cast<unsigned>(std::max(1.0, std::ceil(*quota - 1e-9)));
    m.cpus_from += ", cgroup CPU quota " + format_number(*quota);
    m.cpus = std::min(m.cpus, q);
  }
  if (auto kb = stat_value(base / "proc/meminfo", "MemAvailable:")) {
    m.memory_available = *kb * 1024;
    m.memory_from = "MemAvailable " + mib(m.memory_available);
  }
  if (mem_free) {
    m.memory_from += std::string(m.memory_from.empty() ? "" : ", ") + "cgroup limit " +
                     mib(*mem_limit) + " with " + mib(*mem_limit - *mem_free) + " in use";
    if (m.memory_available == 0 || *mem_free < m.memory_available) m.memory_available = *mem_free;
  }
  return m;
}

Runtime runtime_from_env() {
  Runtime r;
  if (const char* t = std::getenv("MLGATE_THREADS"); t && *t) {
    double v = 0;
    if (!parse_number(t, &v) || v < 1 || v > 64 || v != static_cast<double>(static_cast<int>(v)))
      throw Error("MLGATE_THREADS must be a whole number from 1 to 64, not " + quote(t),
                  "environment", "unset it to use every core");
    r.threads = static_cast<unsigned>(v);
  }
  if (const char* m = std::getenv("MLGATE_MEMORY_LIMIT"); m && *m) {
    std::string s(m);
    double mult = 1;
    if (!s.empty()) {
      switch (s.back()) {
        case 'K':
        case 'k':
          mult = 1024.0;
          break;
        case 'M':
        case 'm':
          mult = 1048576.0;
          break;
        case 'G':
        case 'g':
          mult = 1073741824.0;
          break;
        default:
          break;
      }
      if (mult > 1) s.pop_back();
    }
    double v = 0;
    if (!parse_number(s, &v) || !(v * mult >= 1) || v * mult > 1.8e19)
      throw Error("MLGATE_MEMORY_LIMIT must be a size in bytes, or with K, M or G, not " + quote(m),
                  "environment", "e.g. 8G; unset it to use 80% of the memory available");
    r.memory_limit = static_cast<std::uint64_t>(v * mult);
  }
  if (const char* p = std::getenv("MLGATE_PROGRESS"); p && *p) {
    const std::string v(p);
    if (v == "auto")
      r.progress = Runtime::Progress::kAuto;
    else if (v == "always")
      r.progress = Runtime::Progress::kAlways;
    else if (v == "never")
      r.progress = Runtime::Progress::kNever;
    else
      throw Error("MLGATE_PROGRESS must be auto, always or never, not " + quote(p), "environment",
                  did_you_mean(v, {"auto", "always", "never"}));
  }
  if (const char* c = std::getenv("MLGATE_CGROUP_ROOT"); c && *c) r.cgroup_root = c;
  if (const char* t = std::getenv("MLGATE_TIMING"); t && *t) {
    std::string s(t);
    if (s == "1" || s == "true" || s == "yes")
      r.timing = true;
    else if (!(s == "0" || s == "false" || s == "no"))
      throw Error("MLGATE_TIMING must be 1 or 0, not " + quote(t), "environment", "");
  }
  return r;
}

void set_runtime(const Runtime& r) { g_runtime = r; }

const Runtime& runtime() { return g_runtime; }

}  // namespace mlgate
