#include "mlgate/base/parallel.hpp"

#include "mlgate/base/runtime.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace mlgate {

unsigned default_threads() {
  if (runtime().threads > 0) return runtime().threads;
  if (runtime().cpus > 0) return runtime().cpus;  // the affinity mask and the cgroup's quota
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

// The radix key of an element: keys are their own, doubles go through sort_key.
inline std::uint64_t radix_key(std::uint64_t k) { return k; }
inline std::uint64_t radix_key(std::uint32_t k) { return k; }
inline std::uint64_t radix_key(double x) { return sort_key(x); }

// LSD radix sort with 11-bit digits; digits that are the same in every key are skipped. With an
// index, it moves along with its key (stably). Returns whether the result ended in the buffers.
template <bool kWithIndex, class T>
bool lsd_radix(T* keys, T* ktmp, std::uint32_t* idx, std::uint32_t* itmp, std::size_t n,
               int key_bits = 64) {
  constexpr int kBits = 11, kMaxPasses = (8 * static_cast<int>(sizeof(T)) + kBits - 1) / kBits;
  const int kPasses = std::min(kMaxPasses, (std::max(key_bits, 1) + kBits - 1) / kBits);
  constexpr std::size_t kBuckets = std::size_t{1} << kBits;
  std::vector<std::size_t> hist(static_cast<std::size_t>(kPasses) * kBuckets, 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t k = radix_key(keys[i]);
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
      std::size_t at = h[(radix_key(keys[i]) >> shift) & (kBuckets - 1)]++;
      ktmp[at] = keys[i];
      if constexpr (kWithIndex) itmp[at] = idx[i];
    }
    std::swap(keys, ktmp);
    if constexpr (kWithIndex) std::swap(idx, itmp);
    in_tmp = !in_tmp;
  }
  return in_tmp;
}

template <class T>
void radix_sort(T* a, T* tmp, std::size_t n, int key_bits = 64) {
  if (n < 256) {
    std::sort(a, a + n, [](T x, T y) { return radix_key(x) < radix_key(y); });
    return;
  }
  if (lsd_radix<false>(a, tmp, nullptr, nullptr, n, key_bits)) std::memcpy(a, tmp, n * sizeof *a);
}

// Merges sorted [a, a+na) and [b, b+nb) into out on two threads: one takes the smallest half
// from the front, the other the largest from the back. Among equal keys a's come first, so the
// front takes a's first and the back b's first: both follow the one order of a stable merge,
// so every element is taken exactly once.
template <bool kWithIndex, class T>
void merge_two(const T* a, const std::uint32_t* ia, std::size_t na, const T* b,
               const std::uint32_t* ib, std::size_t nb, T* out, std::uint32_t* iout) {
  const std::size_t n = na + nb, front = n / 2;
  std::thread back([&] {
    std::size_t i = na, j = nb;
    for (std::size_t o = n; o-- > front;) {
      if (j > 0 && (i == 0 || radix_key(b[j - 1]) >= radix_key(a[i - 1]))) {
        --j;
        out[o] = b[j];
        if constexpr (kWithIndex) iout[o] = ib[j];
      } else {
        --i;
        out[o] = a[i];
        if constexpr (kWithIndex) iout[o] = ia[i];
      }
    }
  });
  std::size_t i = 0, j = 0;
  for (std::size_t o = 0; o < front; ++o) {
    if (j == nb || (i < na && radix_key(a[i]) <= radix_key(b[j]))) {
      out[o] = a[i];
      if constexpr (kWithIndex) iout[o] = ia[i];
      ++i;
    } else {
      out[o] = b[j];
      if constexpr (kWithIndex) iout[o] = ib[j];
      ++j;
    }
  }
  back.join();
}

// Radix-sorts each half on its own thread, then merges them on two. Returns whether the
// result ended in the temporary buffers.
template <bool kWithIndex, class T>
bool sort_halves(T* keys, T* ktmp, std::uint32_t* idx, std::uint32_t* itmp, std::size_t n,
                 int key_bits = 64) {
  const std::size_t half = n / 2;
  bool other_in_tmp = false;
  std::thread other([&] {
    other_in_tmp =
        lsd_radix<kWithIndex>(keys + half, ktmp + half, kWithIndex ? idx + half : nullptr,
                              kWithIndex ? itmp + half : nullptr, n - half, key_bits);
  });
  bool in_tmp = lsd_radix<kWithIndex>(keys, ktmp, idx, itmp, half, key_bits);
  other.join();
  // Each half may have ended in either buffer: bring the second next to the first, then merge
  // into the other buffer.
  auto src = [&](bool t, std::size_t off) { return (t ? ktmp : keys) + off; };
  auto isrc = [&](bool t, std::size_t off) -> std::uint32_t* {
    if constexpr (kWithIndex) return (t ? itmp : idx) + off;
    return nullptr;
  };
  if (in_tmp != other_in_tmp) {
    std::memcpy(src(in_tmp, half), src(other_in_tmp, half), (n - half) * sizeof *keys);
    if constexpr (kWithIndex)
      std::memcpy(isrc(in_tmp, half), isrc(other_in_tmp, half), (n - half) * sizeof *idx);
  }
  merge_two<kWithIndex>(src(in_tmp, 0), isrc(in_tmp, 0), half, src(in_tmp, half),
                        isrc(in_tmp, half), n - half, src(!in_tmp, 0), isrc(!in_tmp, 0));
  return !in_tmp;
}

template <class T>
void sort_values(T* a, T* tmp, std::size_t n, unsigned threads, int key_bits = 64) {
  if (threads < 2 || n < (std::size_t{1} << 20)) {
    radix_sort(a, tmp, n, key_bits);
    return;
  }
  if (sort_halves<false>(a, tmp, nullptr, nullptr, n, key_bits)) std::memcpy(a, tmp, n * sizeof *a);
}

}  // namespace

void sort_keys(std::uint64_t* keys, std::uint64_t* tmp, std::size_t n, unsigned threads,
               int key_bits) {
  sort_values(keys, tmp, n, threads, key_bits);
}

void sort_doubles(double* values, double* tmp, std::size_t n, unsigned threads) {
  sort_values(values, tmp, n, threads);
}

void sort_keys32(std::uint32_t* keys, std::uint32_t* tmp, std::size_t n, unsigned threads,
                 int key_bits) {
  sort_values(keys, tmp, n, threads, key_bits);
}

namespace {

constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
constexpr double kExact = 9007199254740992.0;  // 2^53

// The integer nearest y, |y| < 2^53 (halves away from zero: only values within a hair of an
// integer are kept, so the tie rule never matters). A cast, not a libm call.
inline std::int64_t round_to_int(double y) {
  return static_cast<std::int64_t>(y + (y < 0 ? -0.5 : 0.5));
}

// Whether v is m / 10^d for an integer m (|m| <= 2^53), computed as the CSV reader computes it.
bool decimal_at(double v, int d, std::int64_t* m) {
  const double y = v * kPow10[d];
  if (!(std::fabs(y) < kExact)) return false;
  const std::int64_t r = round_to_int(y);
  if (static_cast<double>(r) / kPow10[d] != v) return false;
  *m = r;
  return true;
}

constexpr double kLimit = 1125899906842624.0;  // 2^50: v * 10^d rounds back to m below it

// The smallest and largest of v[a, b), and whether every value is finite.
bool min_max(const double* v, std::size_t a, std::size_t b, double* lo, double* hi) {
  constexpr int kLanes = 8;  // independent lanes: the loop vectorizes without -ffast-math
  double mn[kLanes], mx[kLanes], z[kLanes];
  for (int j = 0; j < kLanes; ++j) {
    mn[j] = mx[j] = v[a];
    z[j] = 0;
  }
  std::size_t i = a;
  for (; i + kLanes <= b; i += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      const double x = v[i + j];
      mn[j] = x < mn[j] ? x : mn[j];
      mx[j] = x > mx[j] ? x : mx[j];
      z[j] += x * 0.0;  // NaN for a NaN or an infinity
    }
  for (; i < b; ++i) {
    mn[0] = v[i] < mn[0] ? v[i] : mn[0];
    mx[0] = v[i] > mx[0] ? v[i] : mx[0];
    z[0] += v[i] * 0.0;
  }
  double zs = 0;
  *lo = mn[0];
  *hi = mx[0];
  for (int j = 0; j < kLanes; ++j) {
    *lo = std::min(*lo, mn[j]);
    *hi = std::max(*hi, mx[j]);
    zs += z[j];
  }
  return zs == 0;
}

std::size_t scale_parts(std::size_t n) {
  return std::max<std::size_t>(1, std::min<std::size_t>(64, n / 65536));
}

}  // namespace

DecimalScale decimal_range(std::span<const double> v, int places, unsigned threads) {
  DecimalScale s;
  const std::size_t n = v.size();
  if (n == 0 || places < 0 || places > 9) return s;
  const std::size_t parts = scale_parts(n);
  std::vector<double> lo(parts), hi(parts);
  std::vector<char> ok(parts);
  parallel_for(
      parts,
      [&](std::size_t p) {
        ok[p] = min_max(v.data(), n * p / parts, n * (p + 1) / parts, &lo[p], &hi[p]);
      },
      threads);
  double mn = lo[0], mx = hi[0];
  for (std::size_t p = 0; p < parts; ++p) {
    if (!ok[p]) return s;
    mn = std::min(mn, lo[p]);
    mx = std::max(mx, hi[p]);
  }
  const double p10 = kPow10[places];
  if (!(std::fabs(mn * p10) < kLimit && std::fabs(mx * p10) < kLimit)) return s;
  // Rounding is monotone: the smallest key is the smallest value's.
  const std::int64_t a = round_to_int(mn * p10), b = round_to_int(mx * p10);
  if (static_cast<std::uint64_t>(b - a) > 0xFFFFFFFFull) return s;
  s.digits = places;
  s.offset = a;
  s.bits = static_cast<int>(std::bit_width(static_cast<std::uint64_t>(b - a)));
  return s;
}

DecimalKeyer::DecimalKeyer(const DecimalScale& s)
    : scale(kPow10[s.digits]), base(rounded_bits(static_cast<double>(s.offset))) {}

void decimal_keys(std::span<const double> v, const DecimalScale& s, std::uint32_t* keys,
                  unsigned threads) {
  const std::size_t n = v.size(), parts = scale_parts(n);
  const DecimalKeyer key(s);
  parallel_for(
      parts,
      [&](std::size_t p) {
        const double* x = v.data();
        for (std::size_t i = n * p / parts; i < n * (p + 1) / parts; ++i) keys[i] = key(x[i]);
      },
      threads);
}

DecimalScale decimal_scale(std::span<const double> v, std::uint32_t* keys, int known_places,
                           bool may_have_nan, unsigned threads) {
  DecimalScale s;
  if (known_places >= 0 && known_places <= 9 && !may_have_nan) {
    // Every value vouched for: the range from the extremes, then the keys branch-free.
    s = decimal_range(v, known_places, threads);
    if (s.digits >= 0 && keys) decimal_keys(v, s, keys, threads);
    return s;
  }
  // The places: known from the reader, or the most any of a spread sample needs; then every
  // value is checked (or, when known, only scaled: below 2^50, v * 10^d rounds back to m).
  int d = 0;
  const bool known = known_places >= 0 && known_places <= 9;
  if (known) {
    d = known_places;
  } else {
    const std::size_t step = std::max<std::size_t>(1, v.size() / 4096);
    for (std::size_t i = 0; i < v.size(); i += step) {
      std::int64_t m;
      if (std::isnan(v[i])) continue;
      while (d <= 9 && !decimal_at(v[i], d, &m)) ++d;
      if (d > 9) return s;
    }
  }
  auto scaled_at = [&](double x, std::int64_t* m) {
    if (!known) return decimal_at(x, d, m);
    const double y = x * kPow10[d];
    if (!(std::fabs(y) < kLimit)) return false;
    *m = round_to_int(y);
    return true;
  };
  // In parts on every core. Keys are written relative to the part's first value, modulo 2^32,
  // and shifted once the smallest of all is known: modular arithmetic is exact while the span
  // of the integers is below 2^32.
  const std::size_t n = v.size();
  const std::size_t parts = scale_parts(n);
  struct Part {
    std::int64_t lo = 0, hi = 0, first = 0;
    std::size_t begin = 0, count = 0;  // where its keys start; how many it wrote
    bool any = false, ok = true;
  };
  std::vector<Part> P(parts);
  // Where each part's keys start: NaNs are skipped, so count them first when writing keys
  // (unless the caller knows there are none).
  if (keys) {
    parallel_for(
        parts,
        [&](std::size_t p) {
          if (!may_have_nan) {
            P[p].count = n * (p + 1) / parts - n * p / parts;
            return;
          }
          for (std::size_t i = n * p / parts; i < n * (p + 1) / parts; ++i)
            P[p].count += !std::isnan(v[i]);
        },
        threads);
    for (std::size_t p = 1; p < parts; ++p) P[p].begin = P[p - 1].begin + P[p - 1].count;
  }
  parallel_for(
      parts,
      [&](std::size_t p) {
        Part& q = P[p];
        std::size_t k = q.begin;
        for (std::size_t i = n * p / parts; i < n * (p + 1) / parts; ++i) {
          if (std::isnan(v[i])) {
            if (may_have_nan) continue;
            q.ok = false;  // the caller said there was none: no scale rather than a wrong one
            return;
          }
          std::int64_t m;
          if (!scaled_at(v[i], &m)) {
            q.ok = false;
            return;
          }
          if (!q.any) {
            q.lo = q.hi = q.first = m;
            q.any = true;
          }
          q.lo = std::min(q.lo, m);
          q.hi = std::max(q.hi, m);
          if (keys) keys[k++] = static_cast<std::uint32_t>(static_cast<std::uint64_t>(m - q.first));
        }
      },
      threads);
  std::int64_t lo = 0, hi = 0;
  bool any = false;
  for (const Part& q : P) {
    if (!q.ok) return s;
    if (!q.any) continue;
    lo = any ? std::min(lo, q.lo) : q.lo;
    hi = any ? std::max(hi, q.hi) : q.hi;
    any = true;
  }
  if (!any || static_cast<std::uint64_t>(hi - lo) > 0xFFFFFFFFull) return s;
  if (keys) {
    parallel_for(
        parts,
        [&](std::size_t p) {
          const Part& q = P[p];
          const auto shift = static_cast<std::uint32_t>(static_cast<std::uint64_t>(q.first - lo));
          for (std::size_t k = q.begin; k < q.begin + q.count; ++k) keys[k] += shift;
        },
        threads);
  }
  s.digits = d;
  s.offset = lo;
  s.bits = static_cast<int>(std::bit_width(static_cast<std::uint64_t>(hi - lo)));
  return s;
}

std::uint32_t decimal_key(const DecimalScale& s, double v) {
  return static_cast<std::uint32_t>(round_to_int(v * kPow10[s.digits]) - s.offset);
}

double decimal_value(const DecimalScale& s, std::uint32_t key) {
  return static_cast<double>(s.offset + static_cast<std::int64_t>(key)) / kPow10[s.digits];
}

bool sort_keys_with_index(std::uint64_t* keys, std::uint64_t* ktmp, std::uint32_t* idx,
                          std::uint32_t* itmp, std::size_t n, unsigned threads, int key_bits) {
  if (threads >= 2 && n >= (std::size_t{1} << 20))
    return sort_halves<true>(keys, ktmp, idx, itmp, n, key_bits);
  return lsd_radix<true>(keys, ktmp, idx, itmp, n, key_bits);
}

void sort_keys_with_index(std::vector<std::uint64_t>& keys, std::vector<std::uint32_t>& idx,
                          unsigned threads, int key_bits) {
  std::vector<std::uint64_t> k2(keys.size());
  std::vector<std::uint32_t> i2(idx.size());
  if (sort_keys_with_index(keys.data(), k2.data(), idx.data(), i2.data(), keys.size(), threads,
                           key_bits)) {
    keys.swap(k2);
    idx.swap(i2);
  }
}

}  // namespace mlgate
