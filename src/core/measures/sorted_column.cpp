#include "mlgate/measures/sorted_column.hpp"

#include <algorithm>
#include <cmath>
#include <span>

#include "mlgate/base/parallel.hpp"
#include "mlgate/measures/metrics.hpp"

namespace mlgate {

namespace {

// Mean and sum of squared deviations of decimal keys, exactly: with integer sums of the keys
// and of their squares, n * ss = n * S2 - S1^2 has no cancellation error. The result is the
// moments of the decimals the values stand for (they differ from the doubles' own in the 16th
// digit at most).
struct KeyMoments {
  unsigned __int128 s1 = 0, s2 = 0;
  std::size_t n = 0;
  void add(std::uint64_t key, std::uint64_t count) {
    s1 += static_cast<unsigned __int128>(key) * count;
    s2 += static_cast<unsigned __int128>(key) * key * count;
    n += count;
  }
  // Whether n * S2 fits 128 bits (keys below 2^32): n below 2^31.
  bool exact() const { return n > 0 && n < (std::size_t{1} << 31); }
  void to(const DecimalScale& ds, double* mean, double* ss) const {
    const long double scale = std::pow(10.0L, ds.digits);
    const auto total =
        static_cast<__int128>(ds.offset) * static_cast<__int128>(n) + static_cast<__int128>(s1);
    *mean =
        static_cast<double>(static_cast<long double>(total) / static_cast<long double>(n) / scale);
    const unsigned __int128 num = static_cast<unsigned __int128>(n) * s2 - s1 * s1;
    *ss = static_cast<double>(static_cast<long double>(num) / static_cast<long double>(n) /
                              (scale * scale));
  }
};

// The numbers of a column without its NaNs (missing values), -0.0 written as 0.0, sorted.
// With reuse, that vector's storage is taken for the result: the vector src views (sorted in
// place, in effect) or a spare one whose pages are already there. may_have_nan:
// false when the column is known to hold none (one pass fewer). With moments, decimals also
// give their mean and sum of squared deviations, exactly, from their keys.
SortedColumn sorted_numbers(std::span<const double> src, int places, bool may_have_nan,
                            std::vector<double>* reuse, SortScratch* scratch, unsigned threads) {
  if (threads == 0) threads = default_threads();
  std::size_t kept = src.size();
  if (may_have_nan) {
    kept = 0;
    for (double v : src) kept += !std::isnan(v);
  }
  {
    // Decimals: their 32-bit integer keys sort in two or three passes. Values the reader
    // vouches for (known places, no NaN) need only their extremes for the scale, and their
    // keys come branch-free when needed.
    SortScratch own;
    SortScratch& S = scratch ? *scratch : own;
    const bool vouched = !may_have_nan && places >= 0;
    DecimalScale ds;
    if (vouched) {
      ds = decimal_range(src, places, threads);
    } else {
      if (S.keys.size() < kept) S.keys.resize(kept);
      ds = decimal_scale(src, S.keys.data(), places, may_have_nan, threads);
    }
    if (ds.digits >= 0) {
      SortedColumn result;
      std::vector<double>& out = result.values;
      out = reuse ? std::move(*reuse) : std::vector<double>();
      out.resize(kept);
      KeyMoments km;
      auto set_moments = [&] {
        result.exact_moments = km.exact();
        if (result.exact_moments) km.to(ds, &result.mean, &result.ss);
      };
      if (ds.bits <= 20) {
        // Few distinct keys (a range up to 2^20): a counting sort. One pass counts each key,
        // one writes every value as often as it occurs; no scatter, no second buffer.
        auto& count = S.tmp;
        count.assign(std::size_t{1} << ds.bits, 0);
        if (vouched) {
          const DecimalKeyer key(ds);
          for (double v : src) ++count[key(v)];
        } else {
          for (std::size_t i = 0; i < kept; ++i) ++count[S.keys[i]];
        }
        std::size_t o = 0;
        for (std::size_t k = 0; k < count.size(); ++k) {
          if (!count[k]) continue;
          const double v = decimal_value(ds, static_cast<std::uint32_t>(k));
          std::fill(out.begin() + static_cast<std::ptrdiff_t>(o),
                    out.begin() + static_cast<std::ptrdiff_t>(o + count[k]), v);
          o += count[k];
          km.add(k, count[k]);
        }
        set_moments();
        return result;
      }
      if (S.keys.size() < kept) S.keys.resize(kept);
      if (vouched) decimal_keys(src, ds, S.keys.data(), threads);
      if (S.tmp.size() < kept) S.tmp.resize(kept);  // (it may have held counts)
      sort_keys32(S.keys.data(), S.tmp.data(), kept, threads, ds.bits);
      const std::uint32_t* keys = S.keys.data();
      const std::size_t parts = std::max<std::size_t>(1, std::min<std::size_t>(16, kept >> 16));
      std::vector<KeyMoments> pm(parts);
      parallel_for(
          parts,
          [&](std::size_t p) {
            KeyMoments& m = pm[p];
            for (std::size_t i = kept * p / parts; i < kept * (p + 1) / parts; ++i) {
              out[i] = decimal_value(ds, keys[i]);
              m.add(keys[i], 1);
            }
          },
          threads);
      for (const auto& m : pm) {
        km.s1 += m.s1;
        km.s2 += m.s2;
        km.n += m.n;
      }
      set_moments();
      return result;
    }
  }
  std::vector<double> nums = reuse ? std::move(*reuse) : std::vector<double>();
  if (nums.data() != src.data()) nums.assign(src.begin(), src.end());
  std::size_t j = 0;
  for (double v : nums)
    if (!std::isnan(v)) nums[j++] = v == 0 ? 0.0 : v;
  nums.resize(kept);
  std::vector<double> tmp(kept);
  sort_doubles(nums.data(), tmp.data(), kept, threads);
  SortedColumn result;
  result.values = std::move(nums);
  return result;
}

}  // namespace

SortedColumn sort_column(const Column& c, std::vector<double>* storage, SortScratch* scratch,
                         unsigned threads) {
  // NaN stands for a missing value, and in kAuto for a row of text.
  const std::size_t rows = c.numbers.size();
  const bool may_have_nan =
      c.missing > 0 ||
      (c.type == ColumnType::kAuto && static_cast<std::size_t>(c.n_numbers + c.missing) < rows);
  return sorted_numbers(c.numbers, c.decimal_places, may_have_nan, storage, scratch, threads);
}

void accurate_moments(const std::vector<double>& sorted, double* mean, double* ss) {
  AccurateSum s;
  for (double y : sorted) s.add(y);
  *mean = s.value() / static_cast<double>(sorted.size());
  AccurateSum q;
  for (double y : sorted) q.add((y - *mean) * (y - *mean));
  *ss = q.value();
}

}  // namespace mlgate
