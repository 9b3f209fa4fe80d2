// An exact sum of doubles: every term is added into a fixed-point integer wide enough for the
// whole double range (a "superaccumulator", after Neal's small superaccumulator), so the sum does
// not depend on the order of the terms or on how they were split and merged, and value() is the
// exact sum rounded once (to nearest, ties to even), as Python's math.fsum. Mergeable states use
// it: any sharding of the rows gives the same bits.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace mlgate {

class ExactSum {
 public:
  // The 32-bit digits: digit i weighs 2^(32 i - 1074); 64 cover 2^-1074 .. 2^1024, the rest
  // are headroom for the carries of up to 2^31 sums of the largest doubles.
  static constexpr int kDigits = 68;

  void add(double x) {
    if (__builtin_expect(++adds_ >= kCarryEvery, 0)) carry();
    add_digits(x);
  }
  void add(const ExactSum& o);
  // The exact sum rounded to the nearest double (ties to even); +-inf when it overflows or an
  // infinity was added, NaN after a NaN or both infinities.
  double value() const;

  // A compact, platform-independent text of the exact sum (for states): equal sums give equal
  // texts. parse() reads it back; false when the text is not one this class wrote.
  std::string text() const;
  bool parse(const std::string& s);

 private:
  static constexpr std::uint32_t kCarryEvery = 1u << 20;  // far below the 2^31 a digit holds
  std::array<std::int64_t, kDigits> d_{};
  std::uint32_t adds_ = 0;
  std::uint8_t special_ = 0;  // 1: +inf, 2: -inf, 4: NaN

  void add_digits(double x) {
    const std::uint64_t bits = __builtin_bit_cast(std::uint64_t, x);
    const auto field = static_cast<int>((bits >> 52) & 0x7FF);
    std::uint64_t mant = bits & ((std::uint64_t{1} << 52) - 1);
    if (__builtin_expect(field == 0x7FF, 0)) {
      special_ |= mant ? 4 : (bits >> 63 ? 2 : 1);
      return;
    }
    if (field) mant |= std::uint64_t{1} << 52;
    // The mantissa's lowest bit weighs 2^(pos - 1074); the signed mantissa, shifted into its
    // 32-bit digits, is added as three two's-complement parts (no branch on the sign).
    const int pos = field ? field - 1 : 0;
    const auto m = static_cast<std::int64_t>(mant);
    const __int128 v = static_cast<__int128>(bits >> 63 ? -m : m) << (pos & 31);
    std::int64_t* d = d_.data() + (pos >> 5);
    d[0] += static_cast<std::int64_t>(static_cast<std::uint32_t>(v));
    d[1] += static_cast<std::int64_t>(static_cast<std::uint32_t>(v >> 32));
    d[2] += static_cast<std::int64_t>(v >> 64);
  }
  void carry();  // digits 0 .. kDigits-2 into [0, 2^32); the top one keeps the sign
};

}  // namespace mlgate
