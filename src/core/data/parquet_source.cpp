// Parquet as a chunk source: one chunk per row group; each requested column's pages are read,
// decompressed and decoded (PLAIN, dictionaries, RLE/bit-packed, the DELTA encodings,
// BYTE_STREAM_SPLIT), and every value is stored as the text readers store theirs, so a tool sees
// the same Table whatever the format. Every structural error names the file, row group, column
// and page.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include <zlib.h>

#include "byte_source.hpp"
#include "column_store.hpp"
#include "mlgate/base/error.hpp"
#include "mlgate/base/text.hpp"
#include "parquet.hpp"

namespace mlgate::reader::parquet {

namespace {

struct Where {
  const std::string* file;
  std::size_t group;
  const std::string* column;
  int page;
  std::string str() const {
    return *file + ": row group " + std::to_string(group) + ", column " + quote(*column) +
           (page >= 0 ? ", page " + std::to_string(page) : std::string());
  }
};

[[noreturn]] void corrupt(const Where& w, const std::string& what) {
  throw Error(what, w.str(), "the file is damaged, or written in a way mlgate does not read");
}

// ---- bit-level decoders -------------------------------------------------------------------

std::uint64_t read_le(const std::uint8_t* p, const std::uint8_t* end, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes && p + i < end; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

// Unpacks n values of `bw` bits, least significant bit first, starting at bit 0 of p.
void unpack(const std::uint8_t* p, const std::uint8_t* end, int bw, std::uint32_t* out,
            std::size_t n, const Where& w) {
  if (bw == 0) {
    std::fill(out, out + n, 0u);
    return;
  }
  const std::uint64_t need = (static_cast<std::uint64_t>(n) * bw + 7) / 8;
  if (need > static_cast<std::uint64_t>(end - p)) corrupt(w, "bit-packed values run past the page");
  const std::uint64_t mask = bw == 32 ? 0xffffffffull : ((1ull << bw) - 1);
  std::uint64_t bit = 0;
  for (std::size_t i = 0; i < n; ++i, bit += static_cast<std::uint64_t>(bw)) {
    const std::uint8_t* q = p + (bit >> 3);
    std::uint64_t word;
    if (end - q >= 8)
      std::memcpy(&word, q, 8);
    else
      word = read_le(q, end, 8);
    out[i] = static_cast<std::uint32_t>((word >> (bit & 7)) & mask);
  }
}

std::uint64_t uvarint(const std::uint8_t*& p, const std::uint8_t* end, const Where& w) {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p >= end) corrupt(w, "a varint runs past the page");
    std::uint8_t b = *p++;
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  corrupt(w, "a varint is too long");
}

// The RLE / bit-packed hybrid (levels, dictionary indices, booleans): n values into out.
void rle_hybrid(const std::uint8_t* p, const std::uint8_t* end, int bw, std::uint32_t* out,
                std::size_t n, const Where& w) {
  if (bw < 0 || bw > 32) corrupt(w, "a bit width of " + std::to_string(bw));
  std::size_t done = 0;
  const int value_bytes = (bw + 7) / 8;
  std::uint32_t tmp[8];
  while (done < n) {
    std::uint64_t h = uvarint(p, end, w);
    if (h & 1) {  // bit-packed: groups of 8
      std::uint64_t groups = h >> 1;
      if (groups == 0 || groups > (std::uint64_t{1} << 40))
        corrupt(w, "a bit-packed run of " + std::to_string(groups) + " groups");
      std::uint64_t count = groups * 8;
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(count, n - done));
      const std::uint64_t bytes = groups * static_cast<std::uint64_t>(bw);
      if (bytes > static_cast<std::uint64_t>(end - p)) {
        // The last run may be cut short after its last used value.
        const std::uint64_t used = (static_cast<std::uint64_t>(take) * bw + 7) / 8;
        if (used > static_cast<std::uint64_t>(end - p)) corrupt(w, "a bit-packed run is cut short");
      }
      std::size_t full = take / 8 * 8;
      unpack(p, end, bw, out + done, full, w);
      if (take > full) {
        unpack(p + full / 8 * static_cast<std::size_t>(bw), end, bw, tmp, take - full, w);
        std::copy(tmp, tmp + (take - full), out + done + full);
      }
      done += take;
      p += std::min<std::uint64_t>(bytes, static_cast<std::uint64_t>(end - p));
    } else {  // a run of one value
      std::uint64_t count = h >> 1;
      if (value_bytes > end - p) corrupt(w, "an RLE run is cut short");
      auto v = static_cast<std::uint32_t>(read_le(p, end, value_bytes));
      p += value_bytes;
      if (count == 0) corrupt(w, "an empty RLE run");
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(count, n - done));
      std::fill(out + done, out + done + take, v);
      done += take;
    }
  }
}

// DELTA_BINARY_PACKED: n values (n is read from the header); *p advances past the block data.
std::vector<std::int64_t> delta_binary(const std::uint8_t*& p, const std::uint8_t* end,
                                       const Where& w, std::size_t limit) {
  std::uint64_t block = uvarint(p, end, w), minis = uvarint(p, end, w), total = uvarint(p, end, w);
  std::uint64_t zz = uvarint(p, end, w);
  auto first = static_cast<std::int64_t>((zz >> 1) ^ (~(zz & 1) + 1));
  // Writers use blocks of 128 or 1024 values; a block past 2^20 is a corrupt header, not data
  // (and its miniblock buffer would be sized by it).
  if (block == 0 || minis == 0 || block % 128 != 0 || block % minis != 0 ||
      (block / minis) % 32 != 0 || minis > block || block > (std::uint64_t{1} << 20))
    corrupt(w, "a DELTA_BINARY_PACKED header with block " + std::to_string(block) + " and " +
                   std::to_string(minis) + " miniblocks");
  if (total > limit) corrupt(w, "a DELTA_BINARY_PACKED run claims more values than the page");
  std::vector<std::int64_t> out;
  out.reserve(static_cast<std::size_t>(total));
  if (total == 0) return out;
  out.push_back(first);
  const std::uint64_t per_mini = block / minis;
  std::vector<std::uint32_t> tmp(
      static_cast<std::size_t>(std::min<std::uint64_t>(per_mini, total)));
  auto prev = static_cast<std::uint64_t>(first);
  while (out.size() < total) {
    std::uint64_t zd = uvarint(p, end, w);
    auto min_delta = static_cast<std::uint64_t>((zd >> 1) ^ (~(zd & 1) + 1));
    if (static_cast<std::uint64_t>(end - p) < minis)
      corrupt(w, "miniblock widths run past the page");
    const std::uint8_t* widths = p;
    p += minis;
    for (std::uint64_t m = 0; m < minis && out.size() < total; ++m) {
      int bw = widths[m];
      if (bw > 64) corrupt(w, "a miniblock bit width of " + std::to_string(bw));
      std::size_t take =
          static_cast<std::size_t>(std::min<std::uint64_t>(per_mini, total - out.size()));
      const std::uint64_t bytes = per_mini * static_cast<std::uint64_t>(bw) / 8;
      if (bw <= 32) {
        unpack(p, end, bw, tmp.data(), take, w);
        for (std::size_t i = 0; i < take; ++i) {
          prev += min_delta + tmp[i];
          out.push_back(static_cast<std::int64_t>(prev));
        }
      } else {  // wide deltas (INT64 columns): bit by bit
        if ((static_cast<std::uint64_t>(take) * bw + 7) / 8 > static_cast<std::uint64_t>(end - p))
          corrupt(w, "a miniblock runs past the page");
        for (std::size_t i = 0; i < take; ++i) {
          std::uint64_t v = 0;
          for (int b = 0; b < bw; ++b) {
            std::uint64_t bit = static_cast<std::uint64_t>(i) * bw + static_cast<std::uint64_t>(b);
            v |= static_cast<std::uint64_t>((p[bit >> 3] >> (bit & 7)) & 1) << b;
          }
          prev += min_delta + v;
          out.push_back(static_cast<std::int64_t>(prev));
        }
      }
      p += std::min<std::uint64_t>(bytes, static_cast<std::uint64_t>(end - p));
    }
  }
  return out;
}

// ---- values -------------------------------------------------------------------------------

// A page's (or a dictionary's) non-null values, in one of these forms by physical type.
// (Growing these does not zero what decoding is about to overwrite.)
struct Values {
  std::vector<std::int64_t, UninitAllocator<std::int64_t>> ints;  // BOOLEAN (0/1), INT32, INT64
  std::vector<double, UninitAllocator<double>> reals;  // FLOAT (as its shortest decimal), DOUBLE
  std::vector<std::string_view> bytes;                 // BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY
  std::string arena;                                   // DELTA_BYTE_ARRAY's rebuilt values
  std::size_t size() const { return ints.size() + reals.size() + bytes.size(); }
};

double float_as_decimal(float f) {
  // The float's shortest decimal, read as a double: what a CSV writer prints for it.
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, f);
  double d = 0;
  std::from_chars(buf, r.ptr, d);
  return d;
}

void plain(const LeafColumn& leaf, const std::uint8_t* p, const std::uint8_t* end, std::size_t n,
           Values& v, const Where& w) {
  const auto left = static_cast<std::size_t>(end - p);
  auto need = [&](std::size_t bytes) {
    if (bytes > left) corrupt(w, "the page holds fewer values than its header says");
  };
  switch (leaf.type) {
    case Physical::kBoolean:
      need((n + 7) / 8);
      for (std::size_t i = 0; i < n; ++i) v.ints.push_back((p[i >> 3] >> (i & 7)) & 1);
      break;
    case Physical::kInt32:
      need(n * 4);
      v.ints.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        std::int32_t x;
        std::memcpy(&x, p + i * 4, 4);
        v.ints[i] = leaf.is_signed ? x : static_cast<std::int64_t>(static_cast<std::uint32_t>(x));
      }
      break;
    case Physical::kInt64:
      need(n * 8);
      v.ints.resize(n);
      std::memcpy(v.ints.data(), p, n * 8);
      break;
    case Physical::kFloat:
      need(n * 4);
      v.reals.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        float f;
        std::memcpy(&f, p + i * 4, 4);
        v.reals[i] = float_as_decimal(f);
      }
      break;
    case Physical::kDouble:
      need(n * 8);
      v.reals.resize(n);
      std::memcpy(v.reals.data(), p, n * 8);
      break;
    case Physical::kByteArray: {
      v.bytes.reserve(n);
      const std::uint8_t* q = p;
      for (std::size_t i = 0; i < n; ++i) {
        if (end - q < 4) corrupt(w, "a string's length runs past the page");
        std::uint32_t len;
        std::memcpy(&len, q, 4);
        q += 4;
        if (len > static_cast<std::uint64_t>(end - q)) corrupt(w, "a string runs past the page");
        v.bytes.emplace_back(reinterpret_cast<const char*>(q), len);
        q += len;
      }
      break;
    }
    case Physical::kFixed: {
      if (leaf.type_length <= 0) corrupt(w, "a fixed-length column without a length");
      const auto len = static_cast<std::size_t>(leaf.type_length);
      need(n * len);
      v.bytes.reserve(n);
      for (std::size_t i = 0; i < n; ++i)
        v.bytes.emplace_back(reinterpret_cast<const char*>(p + i * len), len);
      break;
    }
    default:
      corrupt(w, "INT96 values (legacy timestamps) are not read");
  }
}

void byte_stream_split(const LeafColumn& leaf, const std::uint8_t* p, const std::uint8_t* end,
                       std::size_t n, Values& v, const Where& w) {
  std::size_t k = leaf.type == Physical::kFloat || leaf.type == Physical::kInt32    ? 4
                  : leaf.type == Physical::kDouble || leaf.type == Physical::kInt64 ? 8
                                                                                    : 0;
  if (k == 0) corrupt(w, "BYTE_STREAM_SPLIT on a column of this type");
  if (n * k > static_cast<std::size_t>(end - p))
    corrupt(w, "the page holds fewer values than its header says");
  std::vector<std::uint8_t> joined(n * k);
  for (std::size_t b = 0; b < k; ++b)
    for (std::size_t i = 0; i < n; ++i) joined[i * k + b] = p[b * n + i];
  plain(leaf, joined.data(), joined.data() + joined.size(), n, v, w);
  // plain() read from `joined`; nothing of it is kept (numbers only).
}

void delta_length(const std::uint8_t* p, const std::uint8_t* end, std::size_t n, Values& v,
                  const Where& w) {
  auto lens = delta_binary(p, end, w, n);
  if (lens.size() != n)
    corrupt(w, "DELTA_LENGTH_BYTE_ARRAY has " + std::to_string(lens.size()) + " lengths for " +
                   std::to_string(n) + " values");
  v.bytes.reserve(n);
  for (auto len : lens) {
    if (len < 0 || static_cast<std::uint64_t>(len) > static_cast<std::uint64_t>(end - p))
      corrupt(w, "a string runs past the page");
    v.bytes.emplace_back(reinterpret_cast<const char*>(p), static_cast<std::size_t>(len));
    p += len;
  }
}

void delta_byte_array(const std::uint8_t* p, const std::uint8_t* end, std::size_t n, Values& v,
                      const Where& w) {
  auto prefix = delta_binary(p, end, w, n);
  auto suffix = delta_binary(p, end, w, n);
  if (prefix.size() != n || suffix.size() != n)
    corrupt(w, "DELTA_BYTE_ARRAY's lengths do not match its values");
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (prefix[i] < 0 || suffix[i] < 0) corrupt(w, "a negative length");
    total += static_cast<std::uint64_t>(prefix[i]) + static_cast<std::uint64_t>(suffix[i]);
    if (total > (std::uint64_t{1} << 32)) corrupt(w, "values larger than 4 GiB");
  }
  v.arena.reserve(static_cast<std::size_t>(total));
  v.bytes.reserve(n);
  std::string_view prev;
  for (std::size_t i = 0; i < n; ++i) {
    auto pl = static_cast<std::size_t>(prefix[i]);
    auto sl = static_cast<std::size_t>(suffix[i]);
    if (pl > prev.size()) corrupt(w, "a prefix longer than the value before it");
    if (sl > static_cast<std::size_t>(end - p)) corrupt(w, "a suffix runs past the page");
    const std::size_t at = v.arena.size();
    v.arena.append(prev.data(), pl);
    v.arena.append(reinterpret_cast<const char*>(p), sl);
    p += sl;
    prev = std::string_view(v.arena.data() + at, pl + sl);
    v.bytes.push_back(prev);
  }
}

// ---- storing into the chunk's columns -------------------------------------------------------

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// The places of a double that is the nearest double to a short decimal: the fewest p <= 9 with
// round(x * 10^p) / 10^p == x, starting from what the column has needed so far; -1 otherwise.
int double_places(double x, int from) {
  for (int p = std::max(from, 0); p <= 9; ++p) {
    double k = std::nearbyint(x * kPow10[p]);
    if (std::fabs(k) < 9007199254740992.0 && k / kPow10[p] == x) return p;
  }
  return -1;
}

// A big-endian two's-complement integer (DECIMAL in bytes) as a double over 10^scale.
bool decimal_bytes(std::string_view b, int scale, double* out) {
  if (b.empty() || b.size() > 16) return false;
  __int128 v = (static_cast<unsigned char>(b[0]) & 0x80) ? -1 : 0;
  for (unsigned char c : b) v = (v << 8) | c;
  *out = static_cast<double>(v) / (scale <= 22 ? kPow10[scale] : std::pow(10.0, scale));
  return true;
}

std::string int_text(std::int64_t k) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, k);
  return std::string(buf, r.ptr);
}

class ColumnWriter {
 public:
  ColumnWriter(const Layout& L, ChunkResult& r, std::size_t s, const LeafColumn& leaf)
      : L_(L), r_(r), s_(s), leaf_(leaf), type_(L.specs[s].type) {
    if (leaf.meaning == Meaning::kDecimal) {
      if (leaf.scale < 0 || leaf.scale > 38)
        throw Error("a DECIMAL scale of " + std::to_string(leaf.scale), leaf.name);
      scale_div_ = leaf.scale <= 22 ? kPow10[leaf.scale] : std::pow(10.0, leaf.scale);
    }
  }

  void null_row(std::int64_t line) { store_missing(L_, r_, s_, line); }

  // A page's values (no nulls) appended at once to a number column: doubles as they are (NaN is
  // missing, infinity an error, as the rows path says), integers converted. False when the
  // column or the values need the row-by-row path.
  bool append_numbers(const Values& v, std::int64_t first_row) {
    if (type_ == ColumnType::kCategory || leaf_.meaning == Meaning::kDecimal ||
        leaf_.type == Physical::kBoolean ||
        !(leaf_.meaning == Meaning::kPlain || leaf_.meaning == Meaning::kInteger))
      return false;
    auto& out = r_.numbers[s_];
    const std::size_t n = v.reals.empty() ? v.ints.size() : v.reals.size();
    if (type_ == ColumnType::kAuto) {
      if (!v.reals.empty())
        for (double x : v.reals)
          if (!std::isfinite(x)) return false;
      if (leaf_.type == Physical::kInt64 && !leaf_.is_signed) return false;
      // The vectors in use hold a value per row so far; numbers come into use here.
      out.resize(static_cast<std::size_t>(first_row), std::numeric_limits<double>::quiet_NaN());
      if (!r_.codes[s_].empty())
        r_.codes[s_].resize(static_cast<std::size_t>(first_row) + n, kMissingCode);
      r_.n_numbers[s_] += static_cast<std::int64_t>(n);
      if (!v.reals.empty()) r_.integers_only[s_] = 0;
    }
    if (!v.reals.empty()) {
      int places = std::max(r_.places[s_], 0);
      bool all_finite = true;
      for (double x : v.reals) all_finite = all_finite && std::isfinite(x);
      if (!all_finite) return false;
      out.insert(out.end(), v.reals.begin(), v.reals.end());
      if (r_.places[s_] >= 0)
        for (double x : v.reals) {
          if (x == std::nearbyint(x * kPow10[places]) / kPow10[places]) continue;
          places = double_places(x, places);
          if (places < 0) break;
        }
      note_places(r_, s_, r_.places[s_] < 0 ? -1 : places);
      return true;
    }
    if (!v.ints.empty()) {
      if (leaf_.type == Physical::kInt64 && !leaf_.is_signed) return false;
      const std::size_t at = out.size();
      out.resize(at + v.ints.size());
      bool exact = true;
      for (std::size_t i = 0; i < v.ints.size(); ++i) {
        out[at + i] = static_cast<double>(v.ints[i]);
        exact =
            exact && v.ints[i] < (std::int64_t{1} << 53) && v.ints[i] > -(std::int64_t{1} << 53);
      }
      if (!exact) note_places(r_, s_, -1);
      return true;
    }
    return false;
  }

  // A page of dictionary indices (no nulls) appended at once to a text column: each distinct
  // entry is looked up once, on the row it first appears, and its code cached for the column
  // chunk; then the page's codes are a table lookup per row. False (nothing stored) when the
  // column or an entry the page uses needs the row-by-row path: numbers, decimals, a missing
  // marker, or in a kAuto column an entry that reads as a number.
  bool append_codes(const Values& dict, const std::vector<std::uint32_t>& idx,
                    std::int64_t first_row, std::vector<std::uint32_t>& cache) {
    if (type_ == ColumnType::kNumber || dict.bytes.empty() || leaf_.meaning == Meaning::kDecimal)
      return false;
    const std::size_t n = idx.size();
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t& c = cache[idx[i]];
      if (c == kUnset) {
        std::string_view b = dict.bytes[idx[i]];
        if (type_ == ColumnType::kAuto ? !auto_stores_as_text(b) : is_missing_marker(b)) {
          c = kNotCode;
        } else {
          c = r_.dicts[s_].code(b, first_row + static_cast<std::int64_t>(i) + 1);
        }
      }
      if (c == kNotCode) return false;
    }
    auto& codes = r_.codes[s_];
    if (type_ == ColumnType::kAuto) {
      codes.resize(static_cast<std::size_t>(first_row), kMissingCode);
      if (!r_.numbers[s_].empty())
        r_.numbers[s_].resize(static_cast<std::size_t>(first_row) + n,
                              std::numeric_limits<double>::quiet_NaN());
    }
    const std::size_t at = codes.size();
    codes.resize(at + n);
    for (std::size_t i = 0; i < n; ++i) codes[at + i] = cache[idx[i]];
    return true;
  }

  // Value k of `v` for the row on `line`; `dict` marks a dictionary's value (codes cached per
  // entry, so a shared dictionary is looked up once per distinct value, not once per row).
  void value(const Values& v, std::size_t k, std::int64_t line, std::vector<std::uint32_t>* cache) {
    if (!v.ints.empty()) {
      std::int64_t x = v.ints[k];
      if (leaf_.meaning == Meaning::kDecimal)
        real(static_cast<double>(x) / scale_div_, leaf_.scale <= 9 ? leaf_.scale : -1, line, cache,
             k);
      else if (leaf_.type == Physical::kBoolean)
        boolean(x != 0, line);
      else if (leaf_.type == Physical::kInt64 && leaf_.meaning == Meaning::kInteger &&
               !leaf_.is_signed && x < 0)
        real(static_cast<double>(static_cast<std::uint64_t>(x)), -1, line, cache, k);
      else
        integer(x, line, cache, k);
    } else if (!v.reals.empty()) {
      real(v.reals[k], -2, line, cache, k);
    } else {
      std::string_view b = v.bytes[k];
      if (leaf_.meaning == Meaning::kDecimal) {
        double x;
        if (!decimal_bytes(b, leaf_.scale, &x)) {
          fail_value(line, "a DECIMAL of " + std::to_string(b.size()) + " bytes",
                     "decimals of up to 38 digits are read");
          return;
        }
        real(x, leaf_.scale <= 9 ? leaf_.scale : -1, line, cache, k);
      } else {
        text(b, line, cache, k);
      }
    }
  }

 private:
  void fail_value(std::int64_t line, const std::string& what, const std::string& hint) {
    if (type_ == ColumnType::kNumber)
      r_.numbers[s_].push_back(0);
    else if (type_ == ColumnType::kCategory)
      r_.codes[s_].push_back(kMissingCode);
    else
      auto_push(r_.numbers[s_], r_.codes[s_], static_cast<std::size_t>(r_.rows), nullptr, nullptr);
    if (!r_.error) r_.error = PendingError{line, L_.specs[s_].name, what, hint};
  }

  // A text code through the per-entry cache when there is one.
  std::uint32_t cached_code(std::string_view text, std::int64_t line,
                            std::vector<std::uint32_t>* cache, std::size_t k) {
    if (cache) {
      std::uint32_t& c = (*cache)[k];
      if (c == kUnset) c = r_.dicts[s_].code(text, line);
      return c;
    }
    return r_.dicts[s_].code(text, line);
  }

  void integer(std::int64_t x, std::int64_t line, std::vector<std::uint32_t>* cache,
               std::size_t k) {
    if (type_ == ColumnType::kCategory) {
      std::uint32_t code;
      if (cache && (*cache)[k] != kUnset) {
        code = (*cache)[k];
      } else if (!cache && x >= -512 && x < 512 &&
                 small_[static_cast<std::size_t>(x + 512)] != kUnset) {
        code = small_[static_cast<std::size_t>(x + 512)];
      } else {
        code = r_.dicts[s_].code(int_text(x), line);
        if (cache)
          (*cache)[k] = code;
        else if (x >= -512 && x < 512)
          small_[static_cast<std::size_t>(x + 512)] = code;
      }
      r_.codes[s_].push_back(code);
      return;
    }
    const auto d = static_cast<double>(x);
    if (type_ == ColumnType::kNumber) {
      r_.numbers[s_].push_back(d);
    } else {
      auto_push(r_.numbers[s_], r_.codes[s_], static_cast<std::size_t>(r_.rows), &d, nullptr);
      ++r_.n_numbers[s_];
    }
    if (std::fabs(d) >= 9007199254740992.0) note_places(r_, s_, -1);
  }

  // places: the value's decimal places when known (-1: not a short decimal), -2: to be found.
  void real(double x, int places, std::int64_t line, std::vector<std::uint32_t>* cache,
            std::size_t k) {
    if (std::isnan(x)) {  // CSV writers print NaN, which reads back as missing
      store_missing(L_, r_, s_, line);
      return;
    }
    if (std::isinf(x)) {
      if (type_ == ColumnType::kNumber) {
        fail_value(line, std::string("\"") + (x > 0 ? "inf" : "-inf") + "\" is not a finite number",
                   "scores and values must be finite");
        return;
      }
    }
    if (type_ == ColumnType::kCategory) {
      std::string t = format_number(x);
      r_.codes[s_].push_back(cached_code(t, line, cache, k));
      return;
    }
    if (places == -2) places = std::isinf(x) ? -1 : double_places(x, std::max(r_.places[s_], 0));
    if (type_ == ColumnType::kNumber) {
      r_.numbers[s_].push_back(x);
    } else {
      auto_push(r_.numbers[s_], r_.codes[s_], static_cast<std::size_t>(r_.rows), &x, nullptr);
      ++r_.n_numbers[s_];
      r_.integers_only[s_] = 0;  // floating-point and decimal types print with a point
    }
    note_places(r_, s_, places);
  }

  void boolean(bool b, std::int64_t line) {
    if (type_ == ColumnType::kNumber) {
      r_.numbers[s_].push_back(b ? 1 : 0);
      return;
    }
    store_value(L_, r_, s_, b ? "true" : "false", line);
  }

  void text(std::string_view b, std::int64_t line, std::vector<std::uint32_t>* cache,
            std::size_t k) {
    if (type_ == ColumnType::kCategory && cache && (*cache)[k] != kNotCode) {
      std::uint32_t& c = (*cache)[k];
      if (c == kUnset) c = is_missing_marker(b) ? kMissingCode : r_.dicts[s_].code(b, line);
      if (c == kMissingCode) {
        r_.codes[s_].push_back(kMissingCode);
        if (r_.missing[s_]++ == 0) r_.first_missing_line[s_] = line;
      } else {
        r_.codes[s_].push_back(c);
      }
      return;
    }
    store_value(L_, r_, s_, b, line);
  }

  static constexpr std::uint32_t kUnset = kMissingCode - 1;
  static constexpr std::uint32_t kNotCode = kMissingCode - 2;  // append_codes: not plain text
  const Layout& L_;
  ChunkResult& r_;
  std::size_t s_;
  const LeafColumn& leaf_;
  ColumnType type_;
  double scale_div_ = 1;
  std::vector<std::uint32_t> small_ = std::vector<std::uint32_t>(1024, kUnset);

 public:
  static constexpr std::uint32_t unset() { return kUnset; }
};

// ---- the source ---------------------------------------------------------------------------

struct GroupChunk : Chunk {
  std::size_t group = 0;
};

class Source : public ChunkSource {
 public:
  Source(std::string file, std::string_view bytes, const Layout& L, Table& t)
      : file_(std::move(file)), bytes_(bytes), L_(L), meta_(read_footer(bytes, file_)) {
    t.format = TableFormat::kParquet;
    t.header = meta_.header;
    for (std::size_t i = 0; i < meta_.header.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (meta_.header[i] == meta_.header[j])
          throw Error("duplicate column name " + quote(meta_.header[i]), file_,
                      "name every column differently");
    leaf_of_.assign(L.specs.size(), -1);
    for (std::size_t s = 0; s < L.specs.size(); ++s) {
      const std::string& name = L.specs[s].name;
      for (std::size_t f = 0; f < meta_.header.size(); ++f)
        if (meta_.header[f] == name) t.columns[s].field_index = static_cast<int>(f + 1);
      int found = -1, count = 0;
      for (std::size_t li = 0; li < meta_.leaves.size(); ++li)
        if (meta_.leaves[li].name == name) {
          found = static_cast<int>(li);
          ++count;
        }
      if (found >= 0 && (count > 1 || meta_.leaves[static_cast<std::size_t>(found)].nested))
        throw Error("column " + quote(name) + " is nested or repeated", file_,
                    "mlgate reads flat columns; flatten it (e.g. SELECT its fields AS columns)");
      if (found < 0) {
        if (L.specs[s].required)
          throw Error("missing column " + quote(name), location(file_, 1),
                      did_you_mean_list(name, meta_.header));
        continue;
      }
      leaf_of_[s] = found;
      t.columns[s].present = true;
      const LeafColumn& leaf = meta_.leaves[static_cast<std::size_t>(found)];
      if (!leaf.unit.empty()) t.units.emplace_back(name, leaf.unit);
    }
  }

  std::unique_ptr<Chunk> next() override {
    while (next_group_ < meta_.row_groups.size() && meta_.row_groups[next_group_].num_rows == 0)
      ++next_group_;
    if (next_group_ >= meta_.row_groups.size()) return nullptr;
    auto c = std::make_unique<GroupChunk>();
    c->group = next_group_++;
    return c;
  }

  void parse(Chunk& c, ChunkResult& r) const override {
    init_result(L_, r);
    const auto& g = static_cast<GroupChunk&>(c);
    const RowGroupMeta& rg = meta_.row_groups[g.group];
    if (rg.num_rows < 0 || rg.num_rows > (std::int64_t{1} << 40))
      throw Error("row group " + std::to_string(g.group) + " claims " +
                      std::to_string(rg.num_rows) + " rows",
                  file_, "the file is damaged");
    for (std::size_t s = 0; s < L_.specs.size(); ++s) {
      if (leaf_of_[s] < 0) continue;
      r.seen[s] = 1;
      decode_column(g.group, static_cast<std::size_t>(leaf_of_[s]), s, r);
    }
    r.rows = r.lines = rg.num_rows;
  }

  void release(Chunk&) override {}

  std::size_t estimate_rows(const Chunk&, const ChunkResult&) const override {
    return meta_.num_rows > 0 ? static_cast<std::size_t>(meta_.num_rows) : 0;
  }

 private:
  void decode_column(std::size_t group, std::size_t li, std::size_t s, ChunkResult& r) const {
    const LeafColumn& leaf = meta_.leaves[li];
    const ChunkMeta& cm = meta_.row_groups[group].columns[li];
    Where w{&file_, group, &L_.specs[s].name, -1};
    if (cm.type != leaf.type) corrupt(w, "the chunk's type is not the schema's");
    const std::int64_t rows = meta_.row_groups[group].num_rows;
    std::int64_t start = cm.data_page_offset;
    if (cm.dictionary_page_offset > 0 && cm.dictionary_page_offset < start)
      start = cm.dictionary_page_offset;
    const auto file_size = static_cast<std::int64_t>(bytes_.size());
    if (start < 4 || cm.total_compressed_size < 0 || start > file_size - 8 ||
        cm.total_compressed_size > file_size - 8 - start)
      corrupt(w, "the column chunk lies outside the file");
    const std::int64_t end = start + cm.total_compressed_size;
    ColumnWriter out(L_, r, s, leaf);
    // Buffers kept by the thread from row group to row group: the same pages of memory are
    // written again instead of fresh ones being faulted in for every page.
    thread_local Values dict;
    thread_local std::string dict_buf;
    std::vector<std::uint32_t> dict_cache;
    thread_local std::string page_buf;
    thread_local Values vals;
    dict.ints.clear();
    dict.reals.clear();
    dict.bytes.clear();
    dict.arena.clear();
    std::vector<std::uint32_t> defs, idx;
    std::int64_t done = 0, pos = start;
    for (int page = 0; done < rows; ++page) {
      w.page = page;
      if (pos >= end)
        corrupt(w, "the column chunk ends after " + std::to_string(done) + " of " +
                       std::to_string(rows) + " rows");
      std::size_t used = 0;
      PageHeader h = read_page_header(
          bytes_.substr(static_cast<std::size_t>(pos), static_cast<std::size_t>(end - pos)), &used,
          w.str());
      pos += static_cast<std::int64_t>(used);
      if (h.compressed_size > end - pos) corrupt(w, "the page runs past its column chunk");
      std::string_view body =
          bytes_.substr(static_cast<std::size_t>(pos), static_cast<std::size_t>(h.compressed_size));
      pos += h.compressed_size;
      if (h.has_crc &&
          static_cast<std::uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(body.data()),
                                           static_cast<uInt>(body.size()))) != h.crc)
        corrupt(w, "the page's CRC-32 does not match its bytes");
      if (h.type == PageType::kIndex) continue;
      if (h.uncompressed_size > (1 << 30)) corrupt(w, "a page of more than 1 GiB");
      if (h.type == PageType::kDictionary) {
        if (h.encoding != Encoding::kPlain && h.encoding != Encoding::kPlainDictionary)
          corrupt(w, "a dictionary page encoded " + std::to_string(static_cast<int>(h.encoding)));
        dict.ints.clear();
        dict.reals.clear();
        dict.bytes.clear();
        dict.arena.clear();
        dict_buf.resize(static_cast<std::size_t>(h.uncompressed_size));
        decompress(cm.codec, body, dict_buf.data(), dict_buf.size(), w.str());
        const auto* p = reinterpret_cast<const std::uint8_t*>(dict_buf.data());
        plain(leaf, p, p + dict_buf.size(), static_cast<std::size_t>(h.num_values), dict, w);
        dict_cache.assign(dict.size(), ColumnWriter::unset());
        continue;
      }
      if (h.type != PageType::kData && h.type != PageType::kDataV2)
        corrupt(w, "an unknown page type " + std::to_string(static_cast<int>(h.type)));
      const auto n = static_cast<std::size_t>(h.num_values);
      if (static_cast<std::int64_t>(n) > rows - done)
        corrupt(w, "the page has " + std::to_string(n) + " values, more than the rows left (" +
                       std::to_string(rows - done) + ")");
      // Levels and values, decompressed.
      const std::uint8_t* p;
      const std::uint8_t* pend;
      const std::uint8_t* def_p = nullptr;
      const std::uint8_t* def_end = nullptr;
      if (h.type == PageType::kDataV2) {
        const std::int64_t lv = static_cast<std::int64_t>(h.def_bytes) + h.rep_bytes;
        if (lv > h.compressed_size) corrupt(w, "the levels run past the page");
        if (h.rep_bytes) corrupt(w, "repetition levels in a flat column");
        def_p = reinterpret_cast<const std::uint8_t*>(body.data());
        def_end = def_p + h.def_bytes;
        std::string_view rest = body.substr(static_cast<std::size_t>(lv));
        const std::int64_t want = static_cast<std::int64_t>(h.uncompressed_size) - lv;
        if (want < 0) corrupt(w, "the levels are larger than the page");
        if (h.v2_compressed && cm.codec != Codec::kUncompressed) {
          page_buf.resize(static_cast<std::size_t>(want));
          decompress(cm.codec, rest, page_buf.data(), page_buf.size(), w.str());
          p = reinterpret_cast<const std::uint8_t*>(page_buf.data());
          pend = p + page_buf.size();
        } else {
          p = reinterpret_cast<const std::uint8_t*>(rest.data());
          pend = p + rest.size();
        }
      } else {
        if (cm.codec == Codec::kUncompressed) {
          if (h.uncompressed_size != h.compressed_size)
            corrupt(w, "an uncompressed page of two sizes");
          p = reinterpret_cast<const std::uint8_t*>(body.data());
        } else {
          page_buf.resize(static_cast<std::size_t>(h.uncompressed_size));
          decompress(cm.codec, body, page_buf.data(), page_buf.size(), w.str());
          p = reinterpret_cast<const std::uint8_t*>(page_buf.data());
        }
        pend = p + h.uncompressed_size;
        if (leaf.max_def > 0) {
          if (h.def_encoding == Encoding::kRle) {
            if (pend - p < 4) corrupt(w, "the definition levels' length runs past the page");
            std::uint32_t len;
            std::memcpy(&len, p, 4);
            p += 4;
            if (len > static_cast<std::uint64_t>(pend - p))
              corrupt(w, "the definition levels run past the page");
            def_p = p;
            def_end = p + len;
            p += len;
          } else if (h.def_encoding == Encoding::kBitPacked) {
            // Deprecated BIT_PACKED levels: one bit each (max level 1), most significant first.
            const std::size_t len = (n + 7) / 8;
            if (len > static_cast<std::size_t>(pend - p))
              corrupt(w, "the definition levels run past the page");
            defs.resize(n);
            for (std::size_t i = 0; i < n; ++i) defs[i] = (p[i >> 3] >> (7 - (i & 7))) & 1;
            p += len;
          } else {
            corrupt(
                w, "definition levels encoded " + std::to_string(static_cast<int>(h.def_encoding)));
          }
        }
      }
      std::size_t present = n;
      if (leaf.max_def > 0) {
        if (def_p) {
          defs.resize(n);
          rle_hybrid(def_p, def_end, 1, defs.data(), n, w);
        }
        present = 0;
        for (std::size_t i = 0; i < n; ++i) {
          if (defs[i] > 1) corrupt(w, "a definition level above the column's maximum");
          present += defs[i] == 1;
        }
        if (h.type == PageType::kDataV2 && static_cast<std::int64_t>(n - present) != h.num_nulls)
          corrupt(w, "the page's null count does not match its levels");
      }
      // Values.
      vals.ints.clear();
      vals.reals.clear();
      vals.bytes.clear();
      vals.arena.clear();
      const Values* src = &vals;
      std::vector<std::uint32_t>* cache = nullptr;
      const bool dictionary =
          h.encoding == Encoding::kRleDictionary || h.encoding == Encoding::kPlainDictionary;
      if (dictionary) {
        if (dict_cache.empty() && present > 0)
          corrupt(w, "dictionary indices without a dictionary page");
        idx.resize(present);
        if (present > 0) {
          if (p >= pend) corrupt(w, "the dictionary indices are missing");
          int bw = *p++;
          rle_hybrid(p, pend, bw, idx.data(), present, w);
          for (std::size_t i = 0; i < present; ++i)
            if (idx[i] >= dict.size()) corrupt(w, "a dictionary index past the dictionary's end");
        }
        src = &dict;
        cache = &dict_cache;
      } else {
        switch (h.encoding) {
          case Encoding::kPlain:
            plain(leaf, p, pend, present, vals, w);
            break;
          case Encoding::kRle:
            if (leaf.type != Physical::kBoolean)
              corrupt(w, "RLE values in a column that is not boolean");
            {
              if (pend - p < 4) corrupt(w, "the RLE values' length runs past the page");
              std::uint32_t len;
              std::memcpy(&len, p, 4);
              p += 4;
              if (len > static_cast<std::uint64_t>(pend - p))
                corrupt(w, "the RLE values run past the page");
              idx.resize(present);
              rle_hybrid(p, p + len, 1, idx.data(), present, w);
              vals.ints.assign(idx.begin(), idx.end());
            }
            break;
          case Encoding::kDeltaBinaryPacked: {
            if (leaf.type != Physical::kInt32 && leaf.type != Physical::kInt64)
              corrupt(w, "DELTA_BINARY_PACKED in a column that is not an integer");
            const std::uint8_t* q = p;
            {
              auto d = delta_binary(q, pend, w, present);
              vals.ints.assign(d.begin(), d.end());
            }
            if (leaf.type == Physical::kInt32)
              for (auto& x : vals.ints)
                x = leaf.is_signed ? static_cast<std::int32_t>(x)
                                   : static_cast<std::int64_t>(static_cast<std::uint32_t>(x));
            break;
          }
          case Encoding::kDeltaLengthByteArray:
            if (leaf.type != Physical::kByteArray)
              corrupt(w, "DELTA_LENGTH_BYTE_ARRAY in a column that is not BYTE_ARRAY");
            delta_length(p, pend, present, vals, w);
            break;
          case Encoding::kDeltaByteArray:
            if (leaf.type != Physical::kByteArray && leaf.type != Physical::kFixed)
              corrupt(w, "DELTA_BYTE_ARRAY in a column of bytes only");
            delta_byte_array(p, pend, present, vals, w);
            break;
          case Encoding::kByteStreamSplit:
            byte_stream_split(leaf, p, pend, present, vals, w);
            break;
          default:
            corrupt(w, "values encoded " + std::to_string(static_cast<int>(h.encoding)) +
                           ", which mlgate does not read");
        }
        if (vals.size() != present)
          corrupt(w, "the page decodes to " + std::to_string(vals.size()) +
                         " values, its levels say " + std::to_string(present));
      }
      // The common case at full speed: a number column of a page without nulls, stored as is.
      if (!dictionary && present == n && out.append_numbers(vals, done)) {
        done += static_cast<std::int64_t>(n);
        continue;
      }
      // Numbers from a dictionary: gathered into a page of values, then stored as plain pages are.
      if (dictionary && present == n && (!dict.ints.empty() || !dict.reals.empty()) &&
          type_of(s) != ColumnType::kCategory) {
        if (!dict.ints.empty()) {
          vals.ints.resize(n);
          for (std::size_t i = 0; i < n; ++i) vals.ints[i] = dict.ints[idx[i]];
        } else {
          vals.reals.resize(n);
          for (std::size_t i = 0; i < n; ++i) vals.reals[i] = dict.reals[idx[i]];
        }
        if (out.append_numbers(vals, done)) {
          done += static_cast<std::int64_t>(n);
          continue;
        }
        vals.ints.clear();
        vals.reals.clear();
      }
      if (dictionary && present == n && out.append_codes(dict, idx, done, dict_cache)) {
        done += static_cast<std::int64_t>(n);
        continue;
      }
      // Rows, in order: nulls where the levels say so.
      std::size_t k = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t row = done + static_cast<std::int64_t>(i);
        r.rows = row;
        const std::int64_t line = row + 1;
        if (leaf.max_def > 0 && defs[i] == 0) {
          out.null_row(line);
          continue;
        }
        const std::size_t at = dictionary ? idx[k] : k;
        ++k;
        out.value(*src, at, line, cache);
      }
      done += static_cast<std::int64_t>(n);
    }
  }

  ColumnType type_of(std::size_t s) const { return L_.specs[s].type; }

  std::string file_;
  std::string_view bytes_;
  const Layout& L_;
  FileMeta meta_;
  std::vector<int> leaf_of_;
  std::size_t next_group_ = 0;
};

}  // namespace

std::unique_ptr<ChunkSource> open_source(const std::string& file, std::string_view bytes,
                                         const Layout& L, Table& t) {
  return std::make_unique<Source>(file, bytes, L, t);
}

}  // namespace mlgate::reader::parquet
