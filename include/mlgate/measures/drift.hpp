// Distribution drift between a reference sample and a current one, with the definitions of
// scipy (ks_2samp asymp, chisquare, wasserstein_distance, jensenshannon) and Evidently (PSI,
// the automatic choice of method).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mlgate {

// scipy.stats.kstwo.sf(d, n): the two-sided one-sample Kolmogorov-Smirnov survival function,
// by Simard & L'Ecuyer's choice among exact and asymptotic methods.
double kolmogorov_sf(std::int64_t n, double d);
// scipy.special.smirnov(n, d): the one-sided survival function (exact sum up to n = 1e6).
double smirnov_sf(std::int64_t n, double d);
// Survival function of chi-squared with df degrees of freedom (regularized upper gamma).
double chi2_sf(double df, double x);

struct KsResult {
  double statistic = 0, p_value = 1;
};
// Two samples, each sorted ascending, no NaN: ks_2samp(a, b, method="asymp").
KsResult ks_2samp(std::span<const double> a, std::span<const double> b);

struct ChiSquare {
  double statistic = 0, p_value = 1;
  std::int64_t df = 0;
};
// scipy.stats.chisquare(f_obs, f_exp).
ChiSquare chisquare(const std::vector<double>& observed, const std::vector<double>& expected);

// Population stability index over counts per bin; shares floored at 1e-4.
double psi(const std::vector<double>& ref_counts, const std::vector<double>& cur_counts);
// The same as Evidently computes it: only empty bins are filled, each sample's with its
// smallest nonzero share / 1e6 when that share is at most 1e-4, else with 1e-4.
double psi_evidently(const std::vector<double>& ref_counts, const std::vector<double>& cur_counts);
// scipy.spatial.distance.jensenshannon(p, q, base=2) over counts (normalised).
double jensenshannon(const std::vector<double>& p, const std::vector<double>& q);
// scipy.stats.wasserstein_distance of two sorted samples.
double wasserstein(std::span<const double> a, std::span<const double> b);

// A two-sample test's statistic and p-value (scipy's result).
struct TestResult {
  double statistic = 0, p_value = 1;
};
// Two sorted samples, no NaN (two_sample.cpp):
// scipy.stats.mannwhitneyu(a, b) two-sided, method "auto" (exact when a sample has at most 8
// values and nothing ties, else normal with tie and continuity corrections); statistic: U of a.
TestResult mannwhitneyu(std::span<const double> a, std::span<const double> b);
// scipy.stats.anderson_ksamp([a, b]) (midrank): the standardized statistic and its p-value
// interpolated from Scholz and Stephens' table, clipped to [0.001, 0.25].
TestResult anderson_ksamp(std::span<const double> a, std::span<const double> b);
// scipy.stats.cramervonmises_2samp(a, b), method "auto" (exact up to 20 values a sample).
TestResult cramervonmises_2samp(std::span<const double> a, std::span<const double> b);
// scipy.stats.energy_distance(a, b).
double energy_distance(std::span<const double> a, std::span<const double> b);
// scipy.stats.ttest_ind(a, b, equal_var=False) from the samples' sizes, means and variances
// (ddof 1).
TestResult welch_ttest(double n1, double mean1, double var1, double n2, double mean2, double var2);
// scipy.stats.fisher_exact([[a, b], [c, d]]) two-sided p-value.
double fisher_exact(double a, double b, double c, double d);
// scipy.stats.power_divergence(obs, exp, lambda_="log-likelihood").
ChiSquare g_test(const std::vector<double>& obs, const std::vector<double>& exp);
// Hellinger distance of two histograms (counts), as Evidently: sqrt(1 - sum sqrt(p q)).
double hellinger(const std::vector<double>& p_counts, const std::vector<double>& q_counts);
// numpy.histogram_bin_edges(x, bins="sturges") for values in [lo, hi], count of them.
std::vector<double> sturges_edges(double lo, double hi, double count);
// numpy.histogram(x, edges) counts of a sorted sample: [e_i, e_i+1), the last bin closed.
std::vector<double> histogram_counts(std::span<const double> sorted,
                                     const std::vector<double>& edges);

// numpy.quantile's methods of the same names (pandas' and Great Expectations' interpolation).
enum class QuantileMethod { kLinear, kLower, kHigher, kMidpoint, kNearest };
inline constexpr QuantileMethod kQuantileMethods[] = {
    QuantileMethod::kLinear, QuantileMethod::kLower, QuantileMethod::kHigher,
    QuantileMethod::kMidpoint, QuantileMethod::kNearest};
const char* name_of(QuantileMethod m);  // numpy's name: "linear", "lower", ...
// numpy.quantile of a sorted sample (linear by default, numpy's default).
double sorted_quantile(std::span<const double> sorted, double q,
                       QuantileMethod method = QuantileMethod::kLinear);
// Interior edges of 10 equal-frequency bins of a sorted reference (numpy quantiles at 0.1..0.9,
// duplicates removed); a value falls in bin = number of edges below it, so bins are (e, e'].
std::vector<double> decile_edges(std::span<const double> sorted_reference);
// Counts per bin of a sorted sample for the given edges.
std::vector<double> bin_counts(std::span<const double> sorted, const std::vector<double>& edges);

// A drift check's method; kAuto is chosen per column (Evidently's rule, in datatest).
enum class DriftMethod {
  kAuto,
  kKs,
  kPsi,
  kChi2,
  kJensenShannon,
  kWasserstein,
  kAnderson,
  kCramerVonMises,
  kEnergy,
  kHellinger,
  kMannWhitney,
  kTtest,
  kFisherExact,
  kGtest
};
// Every method but kAuto, in the order the help and the contract list them.
inline constexpr DriftMethod kDriftMethods[] = {DriftMethod::kKs,
                                                DriftMethod::kPsi,
                                                DriftMethod::kChi2,
                                                DriftMethod::kJensenShannon,
                                                DriftMethod::kWasserstein,
                                                DriftMethod::kAnderson,
                                                DriftMethod::kCramerVonMises,
                                                DriftMethod::kEnergy,
                                                DriftMethod::kHellinger,
                                                DriftMethod::kMannWhitney,
                                                DriftMethod::kTtest,
                                                DriftMethod::kFisherExact,
                                                DriftMethod::kGtest};
const char* name_of(DriftMethod m);  // "auto", "ks", "psi", ... (the policy's names)
// Tests are decided on their p-value, distances on the statistic.
bool is_test(DriftMethod m);
// Methods that compare numbers only (a text column is an error), and those that compare
// categories (numbers become categories, each distinct value one).
bool numbers_only(DriftMethod m);
bool categories_only(DriftMethod m);

// Default thresholds and whether a statistic means drift.
double default_drift_threshold(DriftMethod method);
bool is_drift(DriftMethod method, double statistic, std::optional<double> p_value,
              double threshold);

}  // namespace mlgate
