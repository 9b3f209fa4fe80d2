// Scanning plain decimals, the common case of every numeric column: [-]digits[.digits], byte by
// byte or eight bytes at a time (SWAR digit runs), with the exact value Clinger's fast path gives.
// Inline because the table readers call it once per value.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace mlgate {

// The powers of ten that are exact doubles.
inline constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
// And as integers, up to 10^19.
inline constexpr std::uint64_t kPow10U[] = {1ull,
                                            10ull,
                                            100ull,
                                            1000ull,
                                            10000ull,
                                            100000ull,
                                            1000000ull,
                                            10000000ull,
                                            100000000ull,
                                            1000000000ull,
                                            10000000000ull,
                                            100000000000ull,
                                            1000000000000ull,
                                            10000000000000ull,
                                            100000000000000ull,
                                            1000000000000000ull,
                                            10000000000000000ull,
                                            100000000000000000ull,
                                            1000000000000000000ull,
                                            10000000000000000000ull};

// A plain decimal, [-]digits[.digits], scanned from p to end or to the first byte that is not
// part of one. When ok(), value() is what from_chars gives: with at most 19 digits whose value
// fits in 53 bits and at most 22 after the point, m / 10^frac is one correctly rounded IEEE
// division of two exact doubles (Clinger's fast path). "1.", exponents, spaces and long
// mantissas are not ok() and take the general path.
struct PlainDecimal {
  const char* stop = nullptr;  // the first byte not scanned
  std::uint64_t m = 0;
  int digits = 0, frac = 0;
  bool neg = false, dot = false;
  bool ok() const {
    return digits > 0 && digits <= 19 && !(dot && frac == 0) && frac <= 22 &&
           m <= (std::uint64_t{1} << 53);
  }
  double value() const {
    const double v = static_cast<double>(m) / kPow10[frac];
    return neg ? -v : v;
  }
};

// kBounded: stop at end. Unbounded, the scan relies on a byte that cannot continue a number
// following the data (the chunks' zero padding), which saves a compare per byte.
template <bool kBounded = true>
inline PlainDecimal scan_plain_decimal(const char* p, const char* end) {
  PlainDecimal d;
  d.neg = (!kBounded || p < end) && *p == '-';
  p += d.neg;
  const char* const start = p;
  const char* dot = nullptr;
  for (; !kBounded || p < end; ++p) {
    const unsigned digit = static_cast<unsigned>(*p - '0');
    if (digit < 10)
      d.m = d.m * 10 + digit;  // wraps past 19 digits, which ok() rejects
    else if (*p == '.' && !dot)
      dot = p;
    else
      break;
  }
  d.stop = p;
  d.dot = dot != nullptr;
  d.frac = dot ? static_cast<int>(p - dot - 1) : 0;
  d.digits = static_cast<int>(p - start) - d.dot;
  return d;
}

// Eight bytes at p, as a little-endian word.
inline std::uint64_t load8(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}

// How many of the 8 bytes in w, from the first, are ASCII digits (0..8). A byte is a digit
// when its high nibble is 3 and stays 3 after adding 6 (a carry out of a byte above 0xF9 only
// disturbs the bytes after it, past the first non-digit).
inline int digit_run8(std::uint64_t w) {
  const std::uint64_t hi = w & 0xF0F0F0F0F0F0F0F0ull;
  const std::uint64_t hi6 = ((w + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4;
  const std::uint64_t nondigit = (hi | hi6) ^ 0x3333333333333333ull;
  return nondigit ? std::countr_zero(nondigit) / 8 : 8;
}

// The value of the first n (1..8) digit bytes of w: the digits are moved to the top of the
// word (zeros before them) and combined pairwise in three multiplications.
inline std::uint64_t digits_value8(std::uint64_t w, int n) {
  std::uint64_t v = (w - 0x3030303030303030ull) << (8 * (8 - n));
  v = (v * 10) + (v >> 8);
  v = (((v & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
       (((v >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >>
      32;
  return v;
}

// A run of up to 16 digits at p: its length (16 when it may go on) and value.
inline int digit_run16(const char* p, std::uint64_t* value) {
  const std::uint64_t w = load8(p);
  const int n = digit_run8(w);
  *value = n ? digits_value8(w, n) : 0;
  if (n < 8) return n;
  const std::uint64_t w2 = load8(p + 8);
  const int n2 = digit_run8(w2);
  if (n2) *value = *value * kPow10U[n2] + digits_value8(w2, n2);
  return 8 + n2;
}

// scan_plain_decimal<false> eight bytes at a time: the same result for text followed by at
// least 34 readable bytes (the chunks' zero padding): it reads up to 33 bytes past p.
inline PlainDecimal scan_plain_decimal_padded(const char* p, const char* end) {
  PlainDecimal d;
  d.neg = *p == '-';
  const char* q = p + d.neg;
  std::uint64_t whole = 0, frac = 0;
  const int n1 = digit_run16(q, &whole);
  if (n1 >= 16) return scan_plain_decimal<false>(p, end);  // long runs: digit by digit
  q += n1;
  int n2 = 0;
  if (*q == '.') {
    n2 = digit_run16(q + 1, &frac);
    if (n2 >= 16) return scan_plain_decimal<false>(p, end);
    d.dot = true;
    q += 1 + n2;
  }
  d.stop = q;
  d.digits = n1 + n2;
  d.frac = n2;
  // Up to 30 digits: beyond 19 the value is rejected by ok(), so wrapping does not matter.
  d.m = n1 + n2 <= 19 ? whole * kPow10U[n2] + frac : ~std::uint64_t{0};
  return d;
}

}  // namespace mlgate
