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
// scipy.spatial.distance.jensenshannon(p, q, base=2) over counts (normalised).
double jensenshannon(const std::vector<double>& p, const std::vector<double>& q);
// scipy.stats.wasserstein_distance of two sorted samples.
double wasserstein(std::span<const double> a, std::span<const double> b);

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
enum class DriftMethod { kAuto, kKs, kPsi, kChi2, kJensenShannon, kWasserstein };
const char* name_of(DriftMethod m);  // "auto", "ks", "psi", "chi2", "jensenshannon", "wasserstein"
// Tests (ks, chi2) are decided on their p-value, distances on the statistic.
inline bool is_test(DriftMethod m) { return m == DriftMethod::kKs || m == DriftMethod::kChi2; }

// Default thresholds and whether a statistic means drift.
double default_drift_threshold(DriftMethod method);
bool is_drift(DriftMethod method, double statistic, std::optional<double> p_value,
              double threshold);

}  // namespace mlgate
