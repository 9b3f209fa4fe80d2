// The binary bodies of states and profiles: little-endian integers, IEEE doubles, LEB128
// varints, length-prefixed texts, bounded reads that fail naming the file and the byte, zlib,
// and ascending numbers written as varint differences of their decimal integers. Private to the
// decisions wing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <cmath>

#include "mlgate/base/error.hpp"

namespace mlgate::body {

class Writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void i64(std::int64_t v) {
    auto u = static_cast<std::uint64_t>(v);
    for (int k = 0; k < 8; ++k) u8(static_cast<std::uint8_t>(u >> (8 * k)));
  }
  void f64(double v) { i64(static_cast<std::int64_t>(__builtin_bit_cast(std::uint64_t, v))); }
  void var(std::uint64_t v) {
    do {
      u8(static_cast<std::uint8_t>((v & 0x7F) | (v >= 0x80 ? 0x80 : 0)));
      v >>= 7;
    } while (v);
  }
  void text(const std::string& s) {
    var(s.size());
    out_ += s;
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  // what: "state" or "profile", for messages; hint: how to get a good one.
  Reader(std::string_view b, std::string file, const char* what, const char* hint)
      : b_(b), file_(std::move(file)), what_(what), hint_(hint) {}
  [[noreturn]] void fail(const std::string& why) const {
    throw Error(why + " at byte " + std::to_string(at_) + " of the " + what_ + "'s body", file_,
                hint_);
  }
  std::uint8_t u8() {
    if (at_ >= b_.size()) fail("the body ends early");
    return static_cast<std::uint8_t>(b_[at_++]);
  }
  std::int64_t i64() {
    std::uint64_t u = 0;
    for (int k = 0; k < 8; ++k) u |= static_cast<std::uint64_t>(u8()) << (8 * k);
    return static_cast<std::int64_t>(u);
  }
  double f64() { return __builtin_bit_cast(double, static_cast<std::uint64_t>(i64())); }
  std::uint64_t var() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::uint8_t c = u8();
      v |= static_cast<std::uint64_t>(c & 0x7F) << shift;
      if (!(c & 0x80)) return v;
    }
    fail("a number is too long");
  }
  std::string text(std::size_t max) {
    const std::uint64_t n = var();
    if (n > max || n > left()) fail("a text is too long");
    std::string s(b_.substr(at_, n));
    at_ += n;
    return s;
  }
  std::size_t left() const { return b_.size() - at_; }

 private:
  std::string_view b_;
  std::string file_;
  const char* what_;
  const char* hint_;
  std::size_t at_ = 0;
};

inline constexpr double kPow10[10] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t unzigzag(std::uint64_t u) {
  return static_cast<std::int64_t>(u >> 1) ^ -static_cast<std::int64_t>(u & 1);
}

// The fewest decimal places d <= 9 with every x == m / 10^d exactly for the integer m nearest
// x * 10^d (|m| < 2^53), or -1.
inline int decimal_places(const std::vector<double>& xs) {
  for (int d = 0; d <= 9; ++d) {
    bool all = true;
    for (double x : xs) {
      const double y = x * kPow10[d];
      if (!(std::fabs(y) < 9007199254740992.0) ||
          static_cast<double>(std::llround(y)) / kPow10[d] != x) {
        all = false;
        break;
      }
    }
    if (all) return d;
  }
  return -1;
}

// Writes ascending distinct numbers (decimals of at most 9 places as differences of their
// integers, others as doubles); read_ascending reads them back, the same bits, and checks them.
void write_ascending(Writer& w, const std::vector<double>& xs);
std::vector<double> read_ascending(Reader& r, std::size_t max_count);

std::string deflate(const std::string& raw);
std::string inflate(std::string_view z, std::uint64_t size, const std::string& file,
                    const char* hint);

}  // namespace mlgate::body
