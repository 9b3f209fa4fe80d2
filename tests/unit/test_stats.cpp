// measures/stats against scipy, statsmodels and R's pROC (values computed with them once and
// written here; the oracle suites compare on large random data).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "mlgate/measures/stats.hpp"

using namespace mlgate;

namespace {
void expect_rel(double got, double want, double rel = 1e-9) {
  EXPECT_NEAR(got, want, std::fabs(want) * rel) << "got " << got << " want " << want;
}
}  // namespace

TEST(Stats, DistributionsMatchScipy) {
  expect_rel(normal_cdf(1.3), 0.9031995154143897);         // norm.cdf
  expect_rel(normal_quantile(0.975), 1.959963984540054);   // norm.ppf
  expect_rel(normal_quantile(1e-10), -6.361340902404056);  // far tail
  expect_rel(chi2_sf_1df(3.2), 0.07363827012030258);       // chi2.sf(3.2, 1)
  expect_rel(binom_cdf(3, 10, 0.5), 0.171875);             // binom.cdf
  EXPECT_EQ(normal_cdf(0), 0.5);
  for (double p : {1e-12, 0.01, 0.3, 0.5, 0.77, 0.999})
    expect_rel(normal_cdf(normal_quantile(p)), p, 1e-12);
}

TEST(Stats, DelongMatchesProc) {
  // pROC: roc(y, s, direction = "<"); var(); cov(); roc.test(method = "delong", paired = TRUE).
  const std::vector<std::uint8_t> y = {1, 0, 1, 1, 0, 0, 1, 0, 1, 0};
  const std::vector<double> s1 = {0.9, 0.3, 0.8, 0.55, 0.6, 0.1, 0.7, 0.35, 0.45, 0.2};
  const std::vector<double> s2 = {0.7, 0.4, 0.6, 0.65, 0.5, 0.2, 0.9, 0.3, 0.35, 0.5};
  for (int places : {-1, 2}) {  // the general path and the decimal-key path agree
    auto d = delong_paired(s1, s2, y, places, places);
    ASSERT_TRUE(d);
    expect_rel(d->auc1, 0.92);
    expect_rel(d->auc2, 0.88);
    expect_rel(d->var1, 0.0088);
    expect_rel(d->var2, 0.0168);
    expect_rel(d->cov, 0.0052);
    expect_rel((d->auc1 - d->auc2) / d->se_diff(), 0.32444284226152359);
  }
}

TEST(Stats, DelongUndefinedWithoutTwoOfEachClass) {
  EXPECT_FALSE(delong_paired(std::vector<double>{0.1, 0.2, 0.3}, std::vector<double>{0.1, 0.2, 0.3},
                             std::vector<std::uint8_t>{1, 1, 1}));
  EXPECT_FALSE(delong_paired(std::vector<double>{0.1, 0.2, 0.3}, std::vector<double>{0.1, 0.2, 0.3},
                             std::vector<std::uint8_t>{1, 0, 0}));
}

TEST(Stats, McnemarMatchesStatsmodels) {
  // Table [[5, 3], [9, 4]]: 3 rows right by the first model only, 9 by the second only.
  std::vector<std::uint8_t> c1, c2;
  auto add = [&](int n, int a, int b) {
    for (int i = 0; i < n; ++i) {
      c1.push_back(static_cast<std::uint8_t>(a));
      c2.push_back(static_cast<std::uint8_t>(b));
    }
  };
  add(5, 1, 1);
  add(3, 1, 0);
  add(9, 0, 1);
  add(4, 0, 0);
  McNemar m = mcnemar(c1, c2);
  EXPECT_EQ(m.only_first, 3);
  EXPECT_EQ(m.only_second, 9);
  expect_rel(m.p_exact, 0.14599609375);
  expect_rel(m.statistic, 2.0833333333333335);
  expect_rel(m.p_asymptotic, 0.14891467317876161);
}

TEST(Stats, HolmStepDown) {
  // p sorted 0.01 < 0.02 < 0.04 at alpha 0.05: 0.01 <= 0.05/3 rejects, 0.02 <= 0.05/2 rejects,
  // 0.04 <= 0.05/1 rejects. With 0.03 first, the step-down stops at it (0.03 > 0.05/3).
  auto h = holm({0.04, 0.01, 0.02}, {0.05, 0.05, 0.05});
  ASSERT_EQ(h.size(), 3u);
  EXPECT_TRUE(h[0].rejected && h[1].rejected && h[2].rejected);
  EXPECT_DOUBLE_EQ(h[1].alpha, 0.05 / 3);
  EXPECT_DOUBLE_EQ(h[2].alpha, 0.05 / 2);
  EXPECT_DOUBLE_EQ(h[0].alpha, 0.05);
  auto stop = holm({0.03, 0.04}, {0.05, 0.05});
  EXPECT_DOUBLE_EQ(stop[0].alpha, 0.025);
  EXPECT_FALSE(stop[0].rejected);  // 0.03 > 0.025
  EXPECT_FALSE(stop[1].rejected);  // 0.04 <= 0.05, but the step-down has stopped
}

TEST(Stats, QuantileIsNumpyLinear) {
  expect_rel(quantile({0.1, 0.4, 0.35, 0.8, 1.2, 0.9, 0.05, 0.66}, 0.3), 0.355);
  EXPECT_DOUBLE_EQ(quantile({3, std::nan(""), 1, 2}, 0.5), 2);
  EXPECT_DOUBLE_EQ(quantile({7}, 0.9), 7);
}

TEST(Stats, PairedBootstrapIsSeededAndThreadFree) {
  std::vector<std::uint8_t> y;
  std::vector<double> s1, s2;
  for (int i = 0; i < 400; ++i) {
    y.push_back(static_cast<std::uint8_t>(i % 3 == 0));
    s1.push_back(((i * 37) % 101) / 100.0 + (i % 3 == 0 ? 0.3 : 0));
    s2.push_back(((i * 53) % 97) / 100.0 + (i % 3 == 0 ? 0.2 : 0));
  }
  std::vector<std::uint32_t> rows(y.size());
  for (std::uint32_t i = 0; i < rows.size(); ++i) rows[i] = i;
  BinaryData a{s1, y, {}, 0.5}, b{s2, y, {}, 0.5};
  const std::vector<std::string> names = {"roc_auc", "accuracy"};
  auto e1 = make_weighted_binary(a, rows, names);
  auto e2 = make_weighted_binary(b, rows, names);
  BootstrapDraws one = paired_bootstrap(*e1, *e2, rows.size(), names.size(), 200, 7, 1);
  BootstrapDraws two = paired_bootstrap(*e1, *e2, rows.size(), names.size(), 200, 7, 2);
  BootstrapDraws other = paired_bootstrap(*e1, *e2, rows.size(), names.size(), 200, 8, 2);
  EXPECT_EQ(one.first, two.first);
  EXPECT_EQ(one.second, two.second);
  EXPECT_NE(one.first, other.first);
  // Every draw is a valid metric value, and the resampled AUCs centre on the full-data AUC.
  double mean = 0;
  for (double v : one.first[0]) {
    ASSERT_GE(v, 0);
    ASSERT_LE(v, 1);
    mean += v / 200;
  }
  std::vector<std::uint8_t> w(y.size(), 1);
  double full[2];
  e1->evaluate(w.data(), full);
  EXPECT_NEAR(mean, full[0], 0.02);
}
