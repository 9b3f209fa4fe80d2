#include <gtest/gtest.h>

#include <random>

#include "mlgate/metrics.hpp"
#include "mlgate/parallel.hpp"

using namespace mlgate;

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
    std::vector<double> sk;
    std::vector<std::uint8_t> yk;
    for (std::size_t i = 0; i < n; ++i)
      if (g[i] == k) {
        sk.push_back(s[i]);
        yk.push_back(y[i]);
      }
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

TEST(Metrics, AccurateSumIsCompensated) {
  AccurateSum s;
  s.add(1e16);
  for (int i = 0; i < 1000; ++i) s.add(1.0);
  s.add(-1e16);
  EXPECT_EQ(s.value(), 1000.0);
}
