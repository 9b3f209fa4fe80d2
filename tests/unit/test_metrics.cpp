#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include "mlgate/base/parallel.hpp"
#include "mlgate/measures/metrics.hpp"

using namespace mlgate;

namespace {

// The scores and labels of group k's rows, in row order.
std::pair<std::vector<double>, std::vector<std::uint8_t>> rows_of_group(
    const std::vector<double>& score, const std::vector<std::uint8_t>& label,
    const std::vector<std::uint32_t>& group, std::uint32_t k) {
  std::pair<std::vector<double>, std::vector<std::uint8_t>> out;
  for (std::size_t i = 0; i < score.size(); ++i)
    if (group[i] == k) {
      out.first.push_back(score[i]);
      out.second.push_back(label[i]);
    }
  return out;
}

}  // namespace

TEST(Metrics, BinaryKnownValues) {
  // Hand-checked: 4 rows, one tie across classes.
  std::vector<double> s = {0.9, 0.4, 0.4, 0.1};
  std::vector<std::uint8_t> y = {1, 1, 0, 0};
  auto r = binary_metrics(BinaryData{s, y, {}, 0.5}, Grouping{}, true)[0];
  // Pairs (pos, neg): (0.9,0.4) 1, (0.9,0.1) 1, (0.4,0.4) 0.5, (0.4,0.1) 1 -> 3.5/4.
  EXPECT_DOUBLE_EQ(*r.metrics.get("roc_auc"), 0.875);
  EXPECT_DOUBLE_EQ(*r.metrics.get("accuracy"), 0.75);
  EXPECT_DOUBLE_EQ(*r.metrics.get("precision"), 1.0);
  EXPECT_DOUBLE_EQ(*r.metrics.get("recall"), 0.5);
  // AP: threshold 0.9 -> R 0.5, P 1; threshold 0.4 -> R 1, P 2/3.
  EXPECT_DOUBLE_EQ(*r.metrics.get("average_precision"), 0.5 * 1 + 0.5 * (2.0 / 3));
  EXPECT_EQ(r.curves.roc.front()[0], 0.0);
  EXPECT_EQ(r.curves.roc.back()[1], 1.0);
}

TEST(Metrics, UndefinedMetricsAreNullWithAWarning) {
  std::vector<double> s = {0.2, 0.7};
  std::vector<std::uint8_t> y = {0, 0};
  auto r = binary_metrics(BinaryData{s, y, {}, 0.5}, Grouping{}, false)[0];
  EXPECT_FALSE(r.metrics.get("roc_auc").has_value());
  EXPECT_FALSE(r.metrics.get("average_precision").has_value());
  EXPECT_TRUE(r.metrics.has("roc_auc"));
  EXPECT_EQ(*r.metrics.get("precision"), 0.0);  // zero_division = 0
  EXPECT_EQ(*r.metrics.get("recall"), 0.0);
  EXPECT_FALSE(r.warnings.empty());
}

TEST(Metrics, ScoresOutsideUnitIntervalAreNotProbabilities) {
  std::vector<double> s = {-2.0, 3.0};
  std::vector<std::uint8_t> y = {0, 1};
  auto r = binary_metrics(BinaryData{s, y, {}, 0.0}, Grouping{}, false)[0];
  EXPECT_DOUBLE_EQ(*r.metrics.get("roc_auc"), 1.0);
  EXPECT_FALSE(r.metrics.get("log_loss").has_value());
}

TEST(Metrics, GroupsMatchSeparateRuns) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  const std::size_t n = 300000;  // large enough for the parallel passes and bucket sorts
  std::vector<double> s(n);
  std::vector<std::uint8_t> y(n);
  std::vector<std::uint32_t> g(n);
  for (std::size_t i = 0; i < n; ++i) {
    g[i] = static_cast<std::uint32_t>(i % 3);
    y[i] = u(rng) < 0.2 + 0.1 * g[i];
    s[i] = std::round((u(rng) * 0.5 + 0.4 * y[i]) * 1000) / 1000;
  }
  auto grouped = binary_metrics(BinaryData{s, y, {}, 0.5}, Grouping{g, 3}, true, true);
  ASSERT_EQ(grouped.size(), 4u);
  // The overall merged from the groups' sorted buckets equals a plain overall run.
  auto plain = binary_metrics(BinaryData{s, y, {}, 0.5}, Grouping{}, true)[0];
  for (const auto& [name, v] : plain.metrics.values)
    EXPECT_NEAR(*grouped[3].metrics.get(name), *v, 1e-12) << name;
  EXPECT_EQ(grouped[3].curves.roc, plain.curves.roc);
  EXPECT_EQ(grouped[3].curves.pr, plain.curves.pr);
  for (std::uint32_t k = 0; k < 3; ++k) {
    auto [sk, yk] = rows_of_group(s, y, g, k);
    auto single = binary_metrics(BinaryData{sk, yk, {}, 0.5}, Grouping{}, false)[0];
    for (const auto& [name, v] : single.metrics.values)
      EXPECT_NEAR(*grouped[k].metrics.get(name), *v, 1e-12) << name;
  }
}

TEST(Metrics, MulticlassAndRegressionBasics) {
  std::vector<std::uint32_t> y = {0, 1, 2, 2};
  std::vector<double> p0 = {0.8, 0.1, 0.1, 0.3}, p1 = {0.1, 0.8, 0.2, 0.3},
                      p2 = {0.1, 0.1, 0.7, 0.4};
  MulticlassData d;
  d.n_classes = 3;
  d.label = y;
  d.proba = {p0, p1, p2};
  auto r = multiclass_metrics(d, Grouping{})[0];
  EXPECT_DOUBLE_EQ(*r.metrics.get("accuracy"), 1.0);
  EXPECT_DOUBLE_EQ(*r.metrics.get("roc_auc_ovr"), 1.0);
  std::vector<double> t = {1, 2, 3, 4}, e = {1, 2, 3, 8};
  auto rr = regression_metrics(RegressionData{t, e}, Grouping{})[0];
  EXPECT_DOUBLE_EQ(*rr.metrics.get("mae"), 1.0);
  EXPECT_DOUBLE_EQ(*rr.metrics.get("max_error"), 4.0);
  EXPECT_DOUBLE_EQ(*rr.metrics.get("median_ae"), 0.0);
}

TEST(Parallel, SortKeysOrdersDoublesIncludingNegativesAndZeros) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> nd;
  std::vector<double> v(3000000);
  for (auto& x : v) x = nd(rng);
  v[5] = -0.0;
  v[6] = 0.0;
  std::vector<std::uint64_t> k(v.size()), tmp(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) k[i] = sort_key(v[i]);
  sort_keys(k.data(), tmp.data(), k.size(), 2);
  std::sort(v.begin(), v.end());
  for (std::size_t i = 0; i < v.size(); ++i)
    ASSERT_EQ(from_sort_key(k[i]), v[i] == 0 ? 0.0 : v[i]) << i;
  EXPECT_EQ(sort_key(-0.0), sort_key(0.0));
}

TEST(Parallel, SortKeysWithIndexIsStableOnTwoThreads) {
  std::mt19937_64 rng(4);
  const std::size_t n = (std::size_t{1} << 21) + 77;  // past the two-thread threshold, odd
  std::vector<std::uint64_t> k(n);
  std::vector<std::uint32_t> idx(n);
  for (std::size_t i = 0; i < n; ++i) {
    k[i] = rng() % 50000;  // many ties, so stability is tested
    idx[i] = static_cast<std::uint32_t>(i);
  }
  std::vector<std::pair<std::uint64_t, std::uint32_t>> want(n);
  for (std::size_t i = 0; i < n; ++i) want[i] = {k[i], idx[i]};
  std::stable_sort(want.begin(), want.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (unsigned threads : {1u, 2u}) {
    auto k2 = k;
    auto i2 = idx;
    sort_keys_with_index(k2, i2, threads);
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(k2[i], want[i].first) << threads << " threads, at " << i;
      ASSERT_EQ(i2[i], want[i].second) << threads << " threads, at " << i;
    }
  }
}

namespace {

// n numbers m / 10^places for integers m in [lo, lo + span), each written with `places`
// decimals and read back, as a CSV holds them: some negative, some zero.
std::vector<double> written_decimals(std::mt19937_64& rng, std::size_t n, int places,
                                     std::int64_t lo, std::uint64_t span) {
  std::vector<double> v(n);
  for (auto& x : v) {
    const auto m = lo + static_cast<std::int64_t>(rng() % span);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", places, static_cast<double>(m) / std::pow(10, places));
    x = std::strtod(buf, nullptr);
  }
  return v;
}

}  // namespace

TEST(Parallel, DecimalKeysKeepOrderTiesAndValuesExactly) {
  std::mt19937_64 rng(21);
  for (int places : {0, 1, 3, 6, 9}) {
    std::vector<double> v = written_decimals(rng, 200000, places, -1000000, 4000000);
    v[7] = -0.0;
    v[8] = std::numeric_limits<double>::quiet_NaN();  // skipped
    std::vector<std::uint32_t> keys(v.size() - 1);
    DecimalScale ds = decimal_scale(v, keys.data());
    ASSERT_GE(ds.digits, 0) << places;
    ASSERT_LE(ds.digits, places);
    std::size_t k = 0;
    std::vector<std::pair<double, std::uint32_t>> pairs;
    for (double x : v) {
      if (std::isnan(x)) continue;
      ASSERT_EQ(keys[k], decimal_key(ds, x));
      ASSERT_EQ(decimal_value(ds, keys[k]), x == 0 ? 0.0 : x) << x;  // bit for bit
      pairs.push_back({x, keys[k++]});
    }
    std::sort(pairs.begin(), pairs.end());
    for (std::size_t i = 1; i < pairs.size(); ++i) {
      ASSERT_EQ(pairs[i - 1].first < pairs[i].first, pairs[i - 1].second < pairs[i].second);
      ASSERT_EQ(pairs[i - 1].first == pairs[i].first, pairs[i - 1].second == pairs[i].second);
    }
  }
  // Places known from the reader: the same scale and keys, without the check.
  {
    std::vector<double> v = {0.5, -1.25, 3.0, 1.125, -0.0, 1e5};
    std::vector<std::uint32_t> k1(v.size()), k2(v.size());
    auto a = decimal_scale(v, k1.data());
    auto b = decimal_scale(v, k2.data(), 3);
    EXPECT_EQ(a.digits, 3);
    EXPECT_EQ(b.digits, 3);
    EXPECT_EQ(a.offset, b.offset);
    EXPECT_EQ(k1, k2);
  }
  // A NaN where the caller promised none: no scale (never keys with a gap).
  {
    std::vector<double> v = {0.5, std::numeric_limits<double>::quiet_NaN(), 0.25};
    std::vector<std::uint32_t> k(v.size());
    EXPECT_LT(decimal_scale(v, k.data(), -1, false).digits, 0);
    EXPECT_EQ(decimal_scale(v, k.data(), -1, true).digits, 2);
  }
  // Values the reader vouches for (places known, no NaN): the range from the extremes and
  // branch-free keys, equal to the checked path's on many values (several parts, both threads).
  for (int places : {0, 2, 3, 6, 9}) {
    std::vector<double> v = written_decimals(rng, 300000, places, -1000000000, 2000000000);
    v[11] = -0.0;
    std::vector<std::uint32_t> checked(v.size()), vouched(v.size());
    const DecimalScale a = decimal_scale(v, checked.data(), places, true);
    const DecimalScale b = decimal_scale(v, vouched.data(), places, false, 2);
    const DecimalScale r = decimal_range(v, places, 1);
    ASSERT_EQ(a.digits, places);
    ASSERT_EQ(b.digits, places);
    ASSERT_EQ(a.offset, b.offset);
    ASSERT_EQ(a.bits, b.bits);
    ASSERT_EQ(r.offset, b.offset);
    ASSERT_EQ(checked, vouched) << places;
    const DecimalKeyer key(b);
    for (std::size_t i = 0; i < v.size(); i += 97) ASSERT_EQ(key(v[i]), decimal_key(b, v[i]));
  }
  // The range refuses what it cannot key: a NaN or an infinity after all, more than 32 bits of
  // range, values beyond 2^50 once scaled, places the reader never vouches for.
  {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_LT(decimal_range(std::vector<double>{0.5, nan, 0.25}, 2).digits, 0);
    EXPECT_LT(decimal_range(std::vector<double>{nan, 0.5}, 2).digits, 0);
    EXPECT_LT(decimal_range(std::vector<double>{0.5, -inf}, 2).digits, 0);
    EXPECT_LT(decimal_range(std::vector<double>{0.0, 5e7}, 2).digits, 0);
    EXPECT_LT(decimal_range(std::vector<double>{1e15, 1e15 + 1}, 2).digits, 0);
    EXPECT_LT(decimal_range(std::vector<double>{0.5}, 10).digits, 0);
    EXPECT_LT(decimal_range(std::vector<double>{}, 2).digits, 0);
    const DecimalScale s = decimal_range(std::vector<double>{-1.5, 2.25, 0.0}, 2);
    EXPECT_EQ(s.digits, 2);
    EXPECT_EQ(s.offset, -150);
    EXPECT_EQ(s.bits, 9);  // 375
  }
  // Not decimals, or too wide a range for 32 bits: no scale.
  EXPECT_LT(decimal_scale(std::vector<double>{0.5, 1.0 / 3.0}).digits, 0);
  EXPECT_LT(decimal_scale(std::vector<double>{0.0, 1e12}).digits, 0);
  EXPECT_LT(decimal_scale(std::vector<double>{1e-12, 1.0}).digits, 0);
  EXPECT_LT(decimal_scale(std::vector<double>{}).digits, 0);
  EXPECT_EQ(decimal_scale(std::vector<double>{0.5, 0.25, 0.125}).digits, 3);
}

TEST(Metrics, RocAucByGroupEqualsRocAucOfEachGroup) {
  std::mt19937_64 rng(9);
  // Scores with two decimals (key and tag in 32-bit words), with nine decimals over a range of
  // 3 (32-bit keys: 64-bit words), and no short decimals (the general 64-bit keys), each with
  // ties across groups and labels; decimal ones with the reader's places and without.
  for (int kind : {0, 1, 2})
    for (std::size_t n : {std::size_t{40}, std::size_t{5000}, std::size_t{1500000}}) {
      const bool decimals = kind < 2;
      const int places = kind == 0 ? 2 : kind == 1 ? 9 : -1;
      std::vector<double> score(n);
      std::vector<std::uint8_t> label(n);
      std::vector<std::uint32_t> group(n);
      for (std::size_t i = 0; i < n; ++i) {
        group[i] = static_cast<std::uint32_t>(rng() % 5);
        label[i] = rng() % 3 == 0;
        // Coarse scores: many ties within and across groups and labels.
        const int coarse = static_cast<int>(rng() % 200) - 50 + (label[i] ? 20 : 0);
        score[i] = static_cast<double>(coarse) / 100.0;
        if (kind == 1)  // as the reader parses "1.000000001" and the like: m / 10^9
          score[i] =
              static_cast<double>(std::int64_t{coarse} * 10000000 + (i % 7 == 0 ? 1000000001 : 0)) /
              1e9;
        if (!decimals) score[i] = std::exp(score[i]) / 3.0;  // same ties, no short decimals
        if (group[i] == 3) label[i] = 0;  // one group with no positives: undefined
      }
      const DecimalScale ds = decimal_scale(score);
      ASSERT_EQ(ds.digits >= 0, decimals);  // every path is taken
      if (kind == 1) {
        ASSERT_GT(ds.bits, 28);  // with the 4 tag bits, more than 32
      }
      // Group 4: in no group. Decimal scores also with the places the reader would give.
      auto got = roc_auc_by_group(score, label, Grouping{group, 4});
      if (decimals) {
        ASSERT_EQ(roc_auc_by_group(score, label, Grouping{group, 4}, places), got) << kind;
      }
      ASSERT_EQ(got.size(), 5u);
      for (std::uint32_t k = 0; k < 4; ++k) {
        auto [s, l] = rows_of_group(score, label, group, k);
        auto want = roc_auc(s, l);
        ASSERT_EQ(got[k].has_value(), want.has_value()) << "group " << k;
        if (want) {
          EXPECT_EQ(*got[k], *want) << "group " << k << ", n " << n;
        }
      }
      EXPECT_FALSE(got[3].has_value());
      EXPECT_EQ(*got[4], *roc_auc(score, label)) << "all rows, n " << n;
    }
}

TEST(Metrics, OverallFromDecimalHistogramEqualsMergedRuns) {
  // Decimal scores take the histogram walk for the overall; the same order written as
  // non-decimals takes the merge of the groups' runs. Every metric must agree exactly.
  std::mt19937_64 rng(17);
  const std::size_t n = 300000;
  std::vector<double> dec(n), other(n);
  std::vector<std::uint8_t> label(n);
  std::vector<std::uint32_t> group(n);
  for (std::size_t i = 0; i < n; ++i) {
    label[i] = rng() % 4 == 0;
    group[i] = static_cast<std::uint32_t>(rng() % 6);
    const auto m = static_cast<int>(rng() % 1000) + (label[i] ? 150 : 0);
    dec[i] = static_cast<double>(std::min(m, 1000)) / 1000.0;
    other[i] = dec[i] * (1.0 + 1e-9) / 3.0;  // same order and ties, no short decimals
  }
  ASSERT_GE(decimal_scale(dec).digits, 0);
  ASSERT_LT(decimal_scale(other).digits, 0);
  auto a = binary_metrics(BinaryData{dec, label, {}, 0.5}, Grouping{group, 6}, false, true);
  auto b = binary_metrics(BinaryData{other, label, {}, 0.5 * (1.0 + 1e-9) / 3.0},
                          Grouping{group, 6}, false, true);
  for (const char* m : {"roc_auc", "average_precision", "accuracy", "f1"})
    for (std::size_t k = 0; k < a.size(); ++k)
      EXPECT_EQ(*a[k].metrics.get(m), *b[k].metrics.get(m)) << m << " group " << k;
}

TEST(Metrics, AccurateSumIsCompensated) {
  AccurateSum s;
  s.add(1e16);
  for (int i = 0; i < 1000; ++i) s.add(1.0);
  s.add(-1e16);
  EXPECT_EQ(s.value(), 1000.0);
}
