// The per-chunk string dictionary: each distinct value of a text column gets a code in order of
// first appearance, with the line it first appeared on. Open addressing; values of up to 16
// bytes live in the slot itself, so a lookup is two word compares (no pointer chase, no memcmp).
// Longer values compare by hash, then text. Chunks' dictionaries are mapped onto the table's
// when they merge.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mlgate::reader {

class LocalDict {
 public:
  // Values inside [lo, hi) may be read 16 bytes at a time (the chunk and its padding).
  void set_bounds(const char* lo, const char* hi) {
    lo_ = lo;
    hi_ = hi;
  }
  std::uint32_t code(std::string_view v, std::int64_t line) {
    std::uint64_t a, b;
    const std::uint32_t len = static_cast<std::uint32_t>(v.size());
    if (v.size() <= 16) {
      pack(v, a, b);
    } else {
      a = std::hash<std::string_view>{}(v);
      b = 0;
    }
    const std::uint64_t h = hash(a, b, len);
    std::size_t i = h >> shift_;
    for (;;) {
      const Slot& s = slots_[i];
      if (s.code == 0) return insert(i, v, a, b, len, line);
      if (s.a == a && s.b == b && s.len == len && (len <= 16 || values_[s.code - 1] == v))
        return s.code - 1;
      i = (i + 1) & mask_;
    }
  }
  const std::deque<std::string>& values() const { return values_; }
  const std::vector<std::int64_t>& lines() const { return lines_; }

 private:
  struct Slot {
    std::uint64_t a = 0, b = 0;  // the value's bytes, zero-padded (or its hash past 16 bytes)
    std::uint32_t len = 0;
    std::uint32_t code = 0;  // code + 1; 0 marks an empty slot
  };
  // Multiplicative hashing: the slot is taken from the top bits, which mix every input bit.
  static std::uint64_t hash(std::uint64_t a, std::uint64_t b, std::uint32_t len) {
    return (a * 0x9E3779B97F4A7C15ULL) ^ ((b + len) * 0xC2B2AE3D27D4EB4FULL);
  }
  __attribute__((noinline)) std::uint32_t insert(std::size_t i, std::string_view v, std::uint64_t a,
                                                 std::uint64_t b, std::uint32_t len,
                                                 std::int64_t line) {
    auto code = static_cast<std::uint32_t>(values_.size());
    values_.emplace_back(v);
    lines_.push_back(line);
    slots_[i] = Slot{a, b, len, code + 1};
    if (values_.size() * 2 > slots_.size()) grow();
    return code;
  }
  // The first 16 bytes of v as two zero-padded words.
  void pack(std::string_view v, std::uint64_t& a, std::uint64_t& b) const {
    const std::size_t n = v.size();
    if constexpr (std::endian::native == std::endian::little) {
      if (v.data() >= lo_ && v.data() + 16 <= hi_) {
        std::memcpy(&a, v.data(), 8);
        std::memcpy(&b, v.data() + 8, 8);
        if (n < 8) {
          a &= n == 0 ? 0 : ~std::uint64_t{0} >> (64 - 8 * n);
          b = 0;
        } else if (n < 16) {
          b &= n == 8 ? 0 : ~std::uint64_t{0} >> (64 - 8 * (n - 8));
        }
        return;
      }
    }
    a = b = 0;
    std::memcpy(&a, v.data(), std::min<std::size_t>(8, n));
    if (n > 8) std::memcpy(&b, v.data() + 8, n - 8);
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    --shift_;
    for (const Slot& s : old) {
      if (!s.code) continue;
      std::size_t i = hash(s.a, s.b, s.len) >> shift_;
      while (slots_[i].code) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_ = std::vector<Slot>(64);
  std::size_t mask_ = 63;
  int shift_ = 64 - 6;  // 64 - log2(slots)
  const char* lo_ = nullptr;
  const char* hi_ = nullptr;
  std::deque<std::string> values_;
  std::vector<std::int64_t> lines_;
};

}  // namespace mlgate::reader
