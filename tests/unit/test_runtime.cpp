// probe_machine on fake file-system roots: cgroup v2 and v1 trees as Kubernetes, Docker and
// GitLab runners lay them out (the host's path in /proc/self/cgroup, present or not under the
// mount), limits on ancestors, no limits at all.
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "mlgate/base/runtime.hpp"

namespace fs = std::filesystem;
using mlgate::MachineLimits;
using mlgate::probe_machine;

namespace {

class FakeRoot {
 public:
  FakeRoot() {
    root_ = fs::temp_directory_path() /
            ("mlgate-cgroup-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(root_);
    write("proc/meminfo", "MemTotal: 16000000 kB\nMemFree: 1000 kB\nMemAvailable: 4000000 kB\n");
  }
  ~FakeRoot() { fs::remove_all(root_); }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }
  std::string path() const { return root_.string(); }

 private:
  fs::path root_;
  static inline int counter_ = 0;
};

unsigned affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  EXPECT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  return static_cast<unsigned>(CPU_COUNT(&set));
}

constexpr std::uint64_t MiB = 1 << 20;

}  // namespace

TEST(Machine, CgroupV2QuotaAndMemoryOnAncestors) {
  FakeRoot r;
  r.write("proc/self/cgroup", "0::/kubepods/pod1/ctr\n");
  const std::string cg = "sys/fs/cgroup/";
  r.write(cg + "cgroup.controllers", "cpu memory\n");
  r.write(cg + "kubepods/pod1/ctr/cpu.max", "50000 100000\n");  // half a CPU
  r.write(cg + "kubepods/pod1/ctr/memory.max", "max\n");
  r.write(cg + "kubepods/pod1/ctr/memory.current", std::to_string(5 * MiB) + "\n");
  r.write(cg + "kubepods/pod1/cpu.max", "max 100000\n");
  r.write(cg + "kubepods/pod1/memory.max", std::to_string(100 * MiB) + "\n");
  r.write(cg + "kubepods/pod1/memory.current", std::to_string(30 * MiB) + "\n");
  r.write(cg + "kubepods/pod1/memory.stat",
          "anon 1000\ninactive_file " + std::to_string(10 * MiB) + "\nactive_file 0\n");
  const MachineLimits m = probe_machine(r.path());
  EXPECT_EQ(m.cpus, 1u);  // at least one
  EXPECT_NE(m.cpus_from.find("cgroup CPU quota 0.5"), std::string::npos) << m.cpus_from;
  // The pod's limit less its working set (the inactive file cache is reclaimable).
  EXPECT_EQ(m.memory_available, 80 * MiB);
  EXPECT_NE(m.memory_from.find("cgroup limit 100 MiB with 20 MiB in use"), std::string::npos)
      << m.memory_from;
}

TEST(Machine, CgroupV2QuotaRoundsUpAndNeverAboveTheAffinity) {
  FakeRoot r;
  r.write("proc/self/cgroup", "0::/\n");
  r.write("sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
  r.write("sys/fs/cgroup/cpu.max", "150000 100000\n");
  EXPECT_EQ(probe_machine(r.path()).cpus, std::min(affinity(), 2u));
  r.write("sys/fs/cgroup/cpu.max", "6400000 100000\n");  // 64 CPUs: the affinity bounds it
  EXPECT_EQ(probe_machine(r.path()).cpus, affinity());
}

TEST(Machine, CgroupV1InAContainerThatSeesItsOwnCgroupAsTheRoot) {
  FakeRoot r;
  // Docker on cgroup v1: the host's path is named, but the container's mount is its own cgroup.
  r.write("proc/self/cgroup",
          "12:memory:/docker/abc123\n4:cpu,cpuacct:/docker/abc123\n1:name=systemd:/docker/x\n");
  r.write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "100000\n");
  r.write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  r.write("sys/fs/cgroup/memory/memory.limit_in_bytes", std::to_string(256 * MiB) + "\n");
  r.write("sys/fs/cgroup/memory/memory.usage_in_bytes", std::to_string(64 * MiB) + "\n");
  r.write("sys/fs/cgroup/memory/memory.stat",
          "cache 0\ntotal_inactive_file " + std::to_string(16 * MiB) + "\n");
  const MachineLimits m = probe_machine(r.path());
  EXPECT_EQ(m.cpus, 1u);
  EXPECT_EQ(m.memory_available, (256 - 48) * MiB);
}

TEST(Machine, CgroupV1PathUnderTheMountAndItsParents) {
  FakeRoot r;
  r.write("proc/self/cgroup", "4:memory:/runner/job7\n3:cpu:/runner/job7\n");
  r.write("sys/fs/cgroup/memory/runner/job7/memory.limit_in_bytes", "9223372036854771712\n");
  r.write("sys/fs/cgroup/memory/runner/job7/memory.usage_in_bytes", "1000\n");
  r.write("sys/fs/cgroup/memory/runner/memory.limit_in_bytes", std::to_string(512 * MiB) + "\n");
  r.write("sys/fs/cgroup/memory/runner/memory.usage_in_bytes", std::to_string(12 * MiB) + "\n");
  r.write("sys/fs/cgroup/cpu/runner/job7/cpu.cfs_quota_us", "-1\n");
  r.write("sys/fs/cgroup/cpu/runner/job7/cpu.cfs_period_us", "100000\n");
  const MachineLimits m = probe_machine(r.path());
  EXPECT_EQ(m.cpus, affinity());  // -1: no quota
  EXPECT_EQ(m.memory_available, 500 * MiB);
}

TEST(Machine, NoCgroupLimitsLeaveTheMachine) {
  FakeRoot r;
  r.write("proc/self/cgroup", "0::/user.slice\n");
  r.write("sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
  r.write("sys/fs/cgroup/user.slice/cpu.max", "max 100000\n");
  r.write("sys/fs/cgroup/user.slice/memory.max", "max\n");
  r.write("sys/fs/cgroup/user.slice/memory.current", "123456\n");
  const MachineLimits m = probe_machine(r.path());
  EXPECT_EQ(m.cpus, affinity());
  EXPECT_EQ(m.memory_available, std::uint64_t{4000000} * 1024);  // MemAvailable
  EXPECT_EQ(m.memory_from, "MemAvailable 3906 MiB");
}

TEST(Machine, AMemoryLimitBelowWhatIsInUseLeavesNothing) {
  FakeRoot r;
  r.write("proc/self/cgroup", "0::/\n");
  r.write("sys/fs/cgroup/cgroup.controllers", "memory\n");
  r.write("sys/fs/cgroup/memory.max", std::to_string(10 * MiB) + "\n");
  r.write("sys/fs/cgroup/memory.current", std::to_string(12 * MiB) + "\n");
  EXPECT_EQ(probe_machine(r.path()).memory_available, 0u);
}

TEST(Machine, ValuesThatAreNotCountsAreIgnored) {
  FakeRoot r;
  r.write("proc/self/cgroup", "0::/\n");
  r.write("sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
  r.write("sys/fs/cgroup/cpu.max", "99999999999999999999999 100000\n");  // past 2^64
  r.write("sys/fs/cgroup/memory.max", "12abc\n");
  r.write("sys/fs/cgroup/memory.current", "-5\n");
  const MachineLimits m = probe_machine(r.path());
  EXPECT_EQ(m.cpus, affinity());
  EXPECT_EQ(m.memory_available, std::uint64_t{4000000} * 1024);
}
