// measures/drift against scipy (ks_2samp asymp, kstwo, smirnov, chisquare, chi2.sf,
// wasserstein_distance, jensenshannon) and Evidently's PSI; values computed with them once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "mlgate/measures/drift.hpp"
#include "mlgate/measures/sorted_column.hpp"

using namespace mlgate;

namespace {
void expect_rel(double got, double want, double rel = 1e-9) {
  EXPECT_NEAR(got, want, std::fabs(want) * rel) << "got " << got << " want " << want;
}
const std::vector<double> kA = {0.05, 0.1, 0.35, 0.4, 0.66, 0.8, 0.9, 1.2};
const std::vector<double> kB = {0.3, 0.45, 0.5, 0.7, 0.95, 1.1, 1.5};
}  // namespace

TEST(Drift, KolmogorovDistributions) {
  expect_rel(kolmogorov_sf(10, 0.3), 0.27053557479999946);    // kstwo.sf(0.3, 10)
  expect_rel(kolmogorov_sf(500, 0.05), 0.15866260223815365);  // kstwo.sf(0.05, 500)
  expect_rel(smirnov_sf(20, 0.2), 0.1771853932104659);        // special.smirnov(20, 0.2)
  expect_rel(chi2_sf(4, 7.5), 0.11170929281604328);           // chi2.sf(7.5, 4)
}

TEST(Drift, TwoSampleKs) {
  KsResult r = ks_2samp(kA, kB);
  expect_rel(r.statistic, 0.35714285714285715);
  expect_rel(r.p_value, 0.5804872969596001);
  KsResult same = ks_2samp(kA, kA);
  EXPECT_EQ(same.statistic, 0);
  EXPECT_EQ(same.p_value, 1);
}

TEST(Drift, DistancesAndTests) {
  expect_rel(wasserstein(kA, kB), 0.2282142857142857);
  ChiSquare c = chisquare({10, 20, 30}, {15, 20, 25});
  expect_rel(c.statistic, 2.666666666666667);
  expect_rel(c.p_value, 0.2635971381157267);
  EXPECT_EQ(c.df, 2);
  expect_rel(jensenshannon({1, 2, 3}, {2, 2, 2}), 0.18036064000662413);
  // PSI over shares floored at 1e-4: sum (q - p) ln(q / p).
  expect_rel(psi({10, 20, 30, 40}, {15, 25, 25, 35}), 0.04722308044204256);
  EXPECT_EQ(psi({1, 2}, {1, 2}), 0);
  EXPECT_TRUE(std::isfinite(psi({10, 0}, {0, 10})));  // the floor keeps empty bins finite
}

TEST(Drift, QuantilesAndBins) {
  expect_rel(sorted_quantile(kA, 0.3), 0.355);
  std::vector<double> ref;
  for (int i = 1; i <= 100; ++i) ref.push_back(i);
  auto edges = decile_edges(ref);
  ASSERT_EQ(edges.size(), 9u);
  expect_rel(edges[0], 10.9);  // numpy.quantile(1..100, 0.1)
  auto counts = bin_counts(ref, edges);
  ASSERT_EQ(counts.size(), 10u);
  double total = 0;
  for (double n : counts) total += n;
  EXPECT_EQ(total, 100);
  // Duplicate edges are removed: a constant reference has one edge, so two bins.
  EXPECT_EQ(decile_edges(std::vector<double>(50, 3.0)), std::vector<double>{3.0});
}

TEST(Drift, MethodsAndDecisions) {
  EXPECT_STREQ(name_of(DriftMethod::kJensenShannon), "jensenshannon");
  EXPECT_EQ(default_drift_threshold(DriftMethod::kKs), 0.05);
  EXPECT_EQ(default_drift_threshold(DriftMethod::kPsi), 0.1);
  EXPECT_TRUE(is_drift(DriftMethod::kKs, 0.9, 0.01, 0.05));
  EXPECT_FALSE(is_drift(DriftMethod::kChi2, 50, 0.2, 0.05));
  EXPECT_FALSE(is_drift(DriftMethod::kKs, 0.9, std::nullopt, 0.05));  // no p-value: no verdict
  EXPECT_TRUE(is_drift(DriftMethod::kWasserstein, 0.1, std::nullopt, 0.1));
  EXPECT_FALSE(is_drift(DriftMethod::kPsi, 0.05, std::nullopt, 0.1));
}

TEST(SortedColumn, DecimalAndGeneralPathsAgreeWithExactMoments) {
  Column c;
  c.type = ColumnType::kNumber;
  c.numbers = {0.25, -1.5, 3.75, std::nan(""), 0.25, -0.0, 2.5};
  c.missing = 1;
  c.decimal_places = 2;
  SortedColumn d = sort_column(c);
  std::vector<double> want = {-1.5, 0.0, 0.25, 0.25, 2.5, 3.75};
  EXPECT_EQ(d.values, want);
  ASSERT_TRUE(d.exact_moments);
  const double mean = (-1.5 + 0 + 0.25 + 0.25 + 2.5 + 3.75) / 6;
  double ss = 0;
  for (double v : want) ss += (v - mean) * (v - mean);
  expect_rel(d.mean, mean, 1e-15);
  expect_rel(d.ss, ss, 1e-14);
  c.decimal_places = -1;  // not vouched: the scale is found from the values
  EXPECT_EQ(sort_column(c).values, want);
  c.numbers = {1e300, -2.0, 1.0 / 3, std::nan("")};  // no decimal scale: sorted as doubles
  SortedColumn g = sort_column(c);
  EXPECT_EQ(g.values, (std::vector<double>{-2.0, 1.0 / 3, 1e300}));
  EXPECT_FALSE(g.exact_moments);
  double gm = 0, gs = 0;
  accurate_moments({1, 2, 3, 4}, &gm, &gs);
  EXPECT_EQ(gm, 2.5);
  EXPECT_EQ(gs, 5);
}

TEST(SortedColumn, InPlaceTakesTheColumnsStorage) {
  Column c;
  c.type = ColumnType::kAuto;
  c.numbers = {3, 1, 2, std::nan("")};  // the NaN is a row of text in a kAuto column
  c.n_numbers = 3;
  c.decimal_places = 0;
  const double* storage = c.numbers.data();
  SortedColumn s = sort_column(c, &c.numbers);
  EXPECT_EQ(s.values, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(s.values.data(), storage);
}
