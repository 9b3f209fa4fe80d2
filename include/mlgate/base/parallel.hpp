// Both cores where it pays: a dynamic parallel-for and a sort for score keys.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace mlgate {

// Threads to use: MLGATE_THREADS if set, else the machine's cores (at least 1).
unsigned default_threads();
// Calls fn(i) for i in [0, tasks) on up to `threads` threads (0: default_threads()).
void parallel_for(std::size_t tasks, const std::function<void(std::size_t)>& fn,
                  unsigned threads = 0);

// Maps a double to an unsigned key with the same order (-0.0 and 0.0 map to one key).
inline std::uint64_t sort_key(double x) {
  if (x == 0) x = 0;
  std::uint64_t b;
  static_assert(sizeof b == sizeof x);
  __builtin_memcpy(&b, &x, sizeof b);
  return (b >> 63) ? ~b : (b | (std::uint64_t{1} << 63));
}
inline double from_sort_key(std::uint64_t k) {
  std::uint64_t b = (k >> 63) ? (k & ~(std::uint64_t{1} << 63)) : ~k;
  double x;
  __builtin_memcpy(&x, &b, sizeof x);
  return x;
}

// Sorts keys ascending; tmp must hold as many elements. Uses `threads` threads for large inputs.
// key_bits: keys are known to be below 2^key_bits (fewer passes).
void sort_keys(std::uint64_t* keys, std::uint64_t* tmp, std::size_t n, unsigned threads = 1,
               int key_bits = 64);
// Sorts doubles (no NaN) ascending by the same radix sort, in place: no key array beside them.
// -0.0 and 0.0 are equal keys and keep their order.
void sort_doubles(double* values, double* tmp, std::size_t n, unsigned threads = 1);

// 32-bit keys, ascending (three passes at most).
void sort_keys32(std::uint32_t* keys, std::uint32_t* tmp, std::size_t n, unsigned threads = 1,
                 int key_bits = 32);

// Numbers written with few decimal places (most CSV columns: "0.591017", "102.836") are
// integers in disguise: v = m / 10^digits exactly, as the reader computed it. When every value
// of a column is, with max(m) - min(m) < 2^32, the integers m - offset are 32-bit keys with the
// same order and the same ties as the values, and sort in a few radix passes instead of six.
// digits < 0 when the values are not such decimals (then use sort_key).
struct DecimalScale {
  int digits = -1;
  std::int64_t offset = 0;
  int bits = 0;  // bits the keys use
};
// NaNs are skipped. With keys (room for every non-NaN value), also writes their keys in order.
// known_places: the reader's Column::decimal_places, when it vouches for every value (each
// value is then only scaled, not checked). may_have_nan = false when the caller knows there is
// no NaN (one pass fewer).
DecimalScale decimal_scale(std::span<const double> values, std::uint32_t* keys = nullptr,
                           int known_places = -1, bool may_have_nan = true, unsigned threads = 0);
// For values the reader vouches for (every one m / 10^places, none NaN): the scale from the
// smallest and the largest value alone, in one vectorized pass (no scale if they do not fit,
// or if a NaN or an infinity is there after all).
DecimalScale decimal_range(std::span<const double> values, int places, unsigned threads = 0);
// The keys of such values, in order (the same keys as decimal_key).
void decimal_keys(std::span<const double> values, const DecimalScale& s, std::uint32_t* keys,
                  unsigned threads = 0);
// One such key, branch-free (loops over it vectorize): the integer nearest v * 10^digits,
// less the offset.
struct DecimalKeyer {
  explicit DecimalKeyer(const DecimalScale& s);
  std::uint32_t operator()(double v) const {
    return static_cast<std::uint32_t>(rounded_bits(v * scale) - base);
  }
  // For |y| < 2^51, y + 1.5 * 2^52 lands in the binade where one unit in the last place is 1:
  // its bits count integers, so two such differ by the difference of the integers nearest to
  // them (the scale keeps every scaled value below 2^50).
  static std::uint64_t rounded_bits(double y) {
    const double t = y + 6755399441055744.0;
    std::uint64_t b;
    __builtin_memcpy(&b, &t, sizeof b);
    return b;
  }
  double scale;
  std::uint64_t base;
};
std::uint32_t decimal_key(const DecimalScale& s, double v);      // for a value decimal_scale saw
double decimal_value(const DecimalScale& s, std::uint32_t key);  // the value, bit for bit
// An order-preserving key for a value decimal_scale saw: its decimal key when the scale holds,
// else sort_key; order_key_bits is the width those keys use (for sort_keys' key_bits).
inline std::uint64_t order_key(const DecimalScale& s, double v) {
  return s.digits >= 0 ? decimal_key(s, v) : sort_key(v);
}
inline int order_key_bits(const DecimalScale& s) { return s.digits >= 0 ? s.bits : 64; }

// Sorts keys ascending carrying idx along, stably; the result is in keys/idx. With two threads
// or more, large inputs are radix-sorted in halves and merged from both ends at once.
void sort_keys_with_index(std::vector<std::uint64_t>& keys, std::vector<std::uint32_t>& idx,
                          unsigned threads = 1, int key_bits = 64);
// The same over caller-provided buffers of n elements each; returns whether the result ended
// in ktmp/itmp (else it is in keys/idx).
bool sort_keys_with_index(std::uint64_t* keys, std::uint64_t* ktmp, std::uint32_t* idx,
                          std::uint32_t* itmp, std::size_t n, unsigned threads, int key_bits = 64);

}  // namespace mlgate
