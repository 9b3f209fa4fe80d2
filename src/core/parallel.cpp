#include "mlgate/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace mlgate {

unsigned default_threads() {
  if (const char* env = std::getenv("MLGATE_THREADS")) {
    int v = std::atoi(env);
    if (v > 0) return static_cast<unsigned>(std::min(v, 64));
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

void parallel_for(std::size_t tasks, const std::function<void(std::size_t)>& fn, unsigned threads) {
  if (threads == 0) threads = default_threads();
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, tasks));
  if (threads <= 1) {
    for (std::size_t i = 0; i < tasks; ++i) fn(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::atomic<bool> failed{false};
  auto work = [&] {
    for (;;) {
      std::size_t i = next.fetch_add(1);
      if (i >= tasks || failed.load()) return;
      try {
        fn(i);
      } catch (...) {
        if (!failed.exchange(true)) failure = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

namespace {

// LSD radix sort with 11-bit digits; digits that are the same in every key are skipped. With an
// index, it moves along with its key (stably). Returns whether the result ended in the buffers.
template <bool kWithIndex>
bool lsd_radix(std::uint64_t* keys, std::uint64_t* ktmp, std::uint32_t* idx, std::uint32_t* itmp,
               std::size_t n) {
  constexpr int kBits = 11, kPasses = 6;
  constexpr std::size_t kBuckets = std::size_t{1} << kBits;
  std::vector<std::size_t> hist(kPasses * kBuckets, 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t k = keys[i];
    for (int p = 0; p < kPasses; ++p) ++hist[p * kBuckets + ((k >> (p * kBits)) & (kBuckets - 1))];
  }
  bool in_tmp = false;
  for (int p = 0; p < kPasses; ++p) {
    std::size_t* h = &hist[p * kBuckets];
    if (*std::max_element(h, h + kBuckets) == n) continue;  // this digit never differs
    std::size_t sum = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
      std::size_t c = h[b];
      h[b] = sum;
      sum += c;
    }
    const int shift = p * kBits;
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t at = h[(keys[i] >> shift) & (kBuckets - 1)]++;
      ktmp[at] = keys[i];
      if constexpr (kWithIndex) itmp[at] = idx[i];
    }
    std::swap(keys, ktmp);
    if constexpr (kWithIndex) std::swap(idx, itmp);
    in_tmp = !in_tmp;
  }
  return in_tmp;
}

void radix_sort(std::uint64_t* a, std::uint64_t* tmp, std::size_t n) {
  if (n < 256) {
    std::sort(a, a + n);
    return;
  }
  if (lsd_radix<false>(a, tmp, nullptr, nullptr, n)) std::memcpy(a, tmp, n * sizeof *a);
}

}  // namespace

void sort_keys(std::uint64_t* keys, std::uint64_t* tmp, std::size_t n, unsigned threads) {
  if (threads < 2 || n < (std::size_t{1} << 20)) {
    radix_sort(keys, tmp, n);
    return;
  }
  std::size_t half = n / 2;
  std::thread other([&] { radix_sort(keys + half, tmp + half, n - half); });
  radix_sort(keys, tmp, half);
  other.join();
  std::merge(keys, keys + half, keys + half, keys + n, tmp);
  std::memcpy(keys, tmp, n * sizeof *keys);
}

void sort_keys_with_index(std::vector<std::uint64_t>& keys, std::vector<std::uint32_t>& idx) {
  std::vector<std::uint64_t> k2(keys.size());
  std::vector<std::uint32_t> i2(idx.size());
  if (lsd_radix<true>(keys.data(), k2.data(), idx.data(), i2.data(), keys.size())) {
    keys.swap(k2);
    idx.swap(i2);
  }
}

}  // namespace mlgate
