#include "mlgate/measures/exact_sum.hpp"

#include <cmath>
#include <limits>

namespace mlgate {

void ExactSum::carry() {
  for (int i = 0; i + 1 < kDigits; ++i) {
    const std::int64_t c = d_[i] >> 32;  // floor division by 2^32
    d_[i] -= c * (std::int64_t{1} << 32);
    d_[i + 1] += c;
  }
  adds_ = 0;
}

void ExactSum::add(const ExactSum& o) {
  ExactSum b = o;
  b.carry();
  carry();
  for (int i = 0; i < kDigits; ++i) d_[i] += b.d_[i];
  special_ |= o.special_;
  carry();
}

double ExactSum::value() const {
  if (special_ & 4 || (special_ & 3) == 3) return std::numeric_limits<double>::quiet_NaN();
  if (special_ & 1) return std::numeric_limits<double>::infinity();
  if (special_ & 2) return -std::numeric_limits<double>::infinity();
  ExactSum m = *this;
  m.carry();
  const bool negative = m.d_[kDigits - 1] < 0;
  if (negative) {
    for (auto& x : m.d_) x = -x;
    m.carry();
  }
  int t = kDigits - 1;
  while (t >= 0 && m.d_[t] == 0) --t;
  if (t < 0) return 0.0;
  // A window of the three top digits (up to 96 bits, the top one may exceed 32 bits only in
  // the last digit, which holds at most a few bits more), and whether anything lies below it.
  auto digit = [&](int i) -> unsigned __int128 {
    return i >= 0 ? static_cast<unsigned __int128>(static_cast<std::uint64_t>(m.d_[i])) : 0;
  };
  const unsigned __int128 w = (digit(t) << 64) | (digit(t - 1) << 32) | digit(t - 2);
  bool sticky = false;
  for (int i = t - 3; i >= 0; --i) sticky = sticky || m.d_[i] != 0;
  const int low = 32 * (t - 2) - 1074;  // the exponent of w's lowest bit
  int len = 0;
  for (unsigned __int128 x = w; x; x >>= 1) ++len;
  const int top = low + len - 1;            // the exponent of the highest bit
  const int q = std::max(top - 52, -1074);  // the result's lowest bit
  const int r = q - low;                    // bits of w rounded away
  unsigned __int128 mant = r > 0 ? (r >= 128 ? 0 : w >> r) : w << -r;
  if (r > 0) {
    const unsigned __int128 rem = r >= 128 ? w : w & ((static_cast<unsigned __int128>(1) << r) - 1);
    const unsigned __int128 half = r > 128 ? 0 : static_cast<unsigned __int128>(1) << (r - 1);
    if (r <= 128 && (rem > half || (rem == half && (sticky || (mant & 1))))) ++mant;
  }
  const double v = std::ldexp(static_cast<double>(static_cast<std::uint64_t>(mant)), q);
  return negative ? -v : v;
}

std::string ExactSum::text() const {
  ExactSum m = *this;
  m.carry();
  // "s<special>" then "i:digit" for the non-zero digits, in decimal.
  std::string out = "s" + std::to_string(special_);
  for (int i = 0; i < kDigits; ++i)
    if (m.d_[i] != 0) out += " " + std::to_string(i) + ":" + std::to_string(m.d_[i]);
  return out;
}

bool ExactSum::parse(const std::string& s) {
  *this = ExactSum{};
  std::size_t at = 0;
  auto number = [&](std::int64_t lo, std::int64_t hi, std::int64_t* out) {
    std::size_t start = at;
    bool minus = at < s.size() && s[at] == '-';
    if (minus) ++at;
    std::int64_t v = 0;
    std::size_t digits = 0;  // 16 digits hold every digit this class writes, and cannot overflow
    while (at < s.size() && s[at] >= '0' && s[at] <= '9' && digits < 16) {
      v = v * 10 + (s[at++] - '0');
      ++digits;
    }
    if (digits == 0 || (at < s.size() && s[at] >= '0' && s[at] <= '9')) return false;
    v = minus ? -v : v;
    if (v < lo || v > hi) return false;
    *out = v;
    return at > start;
  };
  if (s.empty() || s[0] != 's') return false;
  ++at;
  std::int64_t sp = 0;
  if (!number(0, 7, &sp)) return false;
  special_ = static_cast<std::uint8_t>(sp);
  int last = -1;
  while (at < s.size()) {
    if (s[at++] != ' ') return false;
    std::int64_t i = 0, v = 0;
    if (!number(0, kDigits - 1, &i) || at >= s.size() || s[at++] != ':') return false;
    const bool top = i == kDigits - 1;
    if (!number(top ? -(std::int64_t{1} << 40) : 0, top ? (std::int64_t{1} << 40) : 0xFFFFFFFFLL,
                &v))
      return false;
    if (i <= last) return false;
    last = static_cast<int>(i);
    d_[static_cast<std::size_t>(i)] = v;
  }
  return true;
}

}  // namespace mlgate
