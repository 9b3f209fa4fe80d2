// Large allocations of the executables on transparent huge pages.
//
// A table of ten million rows is a few hundred megabytes of column vectors, and each is written
// once, front to back, right after it is allocated. With 4 KiB pages that is one page fault per
// 4 KiB, and on virtual machines (where CI runs) a fault costs microseconds: measured on 10M
// rows of Parquet, faults were 40% of mlgate-eval's time. Kernels are commonly set to give huge
// pages only where a program asks (transparent_hugepage/enabled = madvise), so the executables
// replace the global operator new: a request of 2 MiB or more is aligned to 2 MiB and marked
// MADV_HUGEPAGE before anything touches it, and every 2 MiB of it then costs one fault. Smaller
// requests go to malloc as before; everything is freed by free(). Where the kernel has no huge
// pages the advice is ignored and nothing changes.
//
// Only the executables: the library (mlgate::core) leaves its users' allocator alone. Not in the
// sanitizer and fuzzer builds, whose runtimes replace operator new themselves.
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

constexpr std::size_t kHuge = std::size_t{2} << 20;

void* allocate(std::size_t n) {
  if (n == 0) n = 1;
  for (;;) {
    void* p = nullptr;
    if (n >= kHuge) {
      const std::size_t rounded = (n + kHuge - 1) & ~(kHuge - 1);
      p = std::aligned_alloc(kHuge, rounded);
      if (p) madvise(p, rounded, MADV_HUGEPAGE);  // advice: failure changes nothing
    } else {
      p = std::malloc(n);
    }
    if (p) return p;
    std::new_handler h = std::get_new_handler();
    if (!h) throw std::bad_alloc();
    h();
  }
}

}  // namespace

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
