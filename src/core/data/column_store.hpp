// How a chunk parser stores one field's value into its ChunkResult, by the column's type
// (numbers, categories, or kAuto: a number where the text is one, text otherwise). Inline: the
// CSV and JSONL parsers call these once per field.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "mlgate/base/error.hpp"
#include "mlgate/base/number.hpp"
#include "mlgate/base/number_scan.hpp"
#include "mlgate/base/text.hpp"
#include "reader.hpp"

namespace mlgate::reader {

inline bool integer_literal(std::string_view t) {
  t = trim(t);
  if (!t.empty() && (t.front() == '-' || t.front() == '+')) t.remove_prefix(1);
  if (t.empty()) return false;
  for (char ch : t)
    if (ch < '0' || ch > '9') return false;
  return true;
}

// A number written as a plain decimal with `frac` places (or, frac < 0, any other way).
inline void note_places(ChunkResult& r, std::size_t s, int frac) {
  int& p = r.places[s];
  if (frac < 0 || frac > 9)
    p = -1;
  else if (p >= 0 && frac > p)
    p = frac;
}

// kAuto keeps numbers and text codes each only once the column has one in this chunk: a text
// column holds no array of NaNs, a numeric one none of missing codes. A vector in use holds one
// entry per row so far (r.rows); a vector not in use is empty and is padded when first needed.
template <class T>
inline __attribute__((always_inline)) void push_or_pad(std::vector<T>& v, std::size_t row,
                                                       const T* value, T none) {
  if (value) {
    if (v.size() != row) [[unlikely]]
      v.resize(row, none);
    v.push_back(*value);
  } else if (!v.empty()) {
    v.push_back(none);
  }
}
inline __attribute__((always_inline)) void auto_push(std::vector<double>& nums,
                                                     std::vector<std::uint32_t>& codes,
                                                     std::size_t row, const double* number,
                                                     const std::uint32_t* code) {
  push_or_pad(nums, row, number, std::numeric_limits<double>::quiet_NaN());
  push_or_pad(codes, row, code, kMissingCode);
}

// A number column's value written as a plain decimal with `places` places (kNumber or kAuto).
inline __attribute__((always_inline)) void store_plain_number(const Layout& L, ChunkResult& r,
                                                              std::size_t s, double x, int places) {
  if (L.specs[s].type == ColumnType::kNumber) {
    r.numbers[s].push_back(x);
  } else {
    auto_push(r.numbers[s], r.codes[s], static_cast<std::size_t>(r.rows), &x, nullptr);
    ++r.n_numbers[s];
    if (places) r.integers_only[s] = 0;
  }
  note_places(r, s, places);
}

// kAuto: a number where the text is one (unless it came quoted from JSON), text otherwise.
inline void store_auto(const Layout& L, ChunkResult& r, std::size_t s, std::string_view v,
                       std::int64_t line, bool text) {
  auto& nums = r.numbers[s];
  auto& codes = r.codes[s];
  const auto row = static_cast<std::size_t>(r.rows);
  // Most text is told apart at its first byte: numbers, inf, nan and the missing markers all
  // start with one of these.
  static constexpr auto kMaybeNumberOrMissing = [] {
    std::array<bool, 256> t{};
    for (char ch : std::string_view("0123456789+-. \t\riInN<"))
      t[static_cast<unsigned char>(ch)] = true;
    return t;
  }();
  if (text || (!v.empty() && !kMaybeNumberOrMissing[static_cast<unsigned char>(v[0])])) {
    const std::uint32_t code = r.dicts[s].code(v, line);
    auto_push(nums, codes, row, nullptr, &code);
    return;
  }
  double x;
  int places = 0;
  if (parse_plain_decimal(v, &x, &places)) {  // the common case, first
    store_plain_number(L, r, s, x, places);
    return;
  }
  if (is_missing_marker(trim(v))) {
    auto_push(nums, codes, row, nullptr, nullptr);
    if (r.missing[s]++ == 0) r.first_missing_line[s] = line;
    return;
  }
  bool inf = false;
  if (parse_number_general(v, &x, &inf) || inf) {
    if (inf)
      x = trim(v).front() == '-' ? -std::numeric_limits<double>::infinity()
                                 : std::numeric_limits<double>::infinity();
    auto_push(nums, codes, row, &x, nullptr);
    ++r.n_numbers[s];
    if (r.integers_only[s] && !integer_literal(v)) r.integers_only[s] = 0;
    note_places(r, s, -1);
    return;
  }
  const std::uint32_t code = r.dicts[s].code(v, line);
  auto_push(nums, codes, row, nullptr, &code);
}

// Whether store_auto (text = false) keeps v as a text code: not a number, not infinite, not a
// missing marker. For sources that classify a value once and reuse the answer (a Parquet
// dictionary's entries); store_auto itself decides while it parses.
inline bool auto_stores_as_text(std::string_view v) {
  double x;
  int places = 0;
  bool inf = false;
  return !parse_plain_decimal(v, &x, &places) && !is_missing_marker(trim(v)) &&
         !parse_number_general(v, &x, &inf) && !inf;
}

inline void store_value(const Layout& L, ChunkResult& r, std::size_t s, std::string_view v,
                        std::int64_t line) {
  const ColumnSpec& spec = L.specs[s];
  if (spec.type == ColumnType::kAuto) {
    store_auto(L, r, s, v, line, false);
    return;
  }
  if (spec.type == ColumnType::kNumber) {
    double x;
    bool inf = false;
    int places = 0;
    if (parse_plain_decimal(v, &x, &places)) {
      store_plain_number(L, r, s, x, places);
      return;
    }
    if (parse_number_general(v, &x, &inf)) {
      r.numbers[s].push_back(x);
      note_places(r, s, -1);
      return;
    }
    if (!inf && is_missing_marker(trim(v))) {
      r.numbers[s].push_back(std::numeric_limits<double>::quiet_NaN());
      if (r.missing[s]++ == 0) r.first_missing_line[s] = line;
      return;
    }
    r.numbers[s].push_back(0);
    if (!r.error)
      r.error = PendingError{
          line, spec.name,
          quote(std::string(v)) + (inf ? " is not a finite number" : " is not a number"),
          inf ? "scores and values must be finite" : "expected a number"};
    return;
  }
  if (is_missing_marker(v)) {
    r.codes[s].push_back(kMissingCode);
    if (r.missing[s]++ == 0) r.first_missing_line[s] = line;
    return;
  }
  r.codes[s].push_back(r.dicts[s].code(v, line));
}

inline void store_missing(const Layout& L, ChunkResult& r, std::size_t s, std::int64_t line) {
  if (L.specs[s].type == ColumnType::kNumber)
    r.numbers[s].push_back(std::numeric_limits<double>::quiet_NaN());
  else if (L.specs[s].type == ColumnType::kCategory)
    r.codes[s].push_back(kMissingCode);
  else
    auto_push(r.numbers[s], r.codes[s], static_cast<std::size_t>(r.rows), nullptr, nullptr);
  if (r.missing[s]++ == 0) r.first_missing_line[s] = line;
}

}  // namespace mlgate::reader
