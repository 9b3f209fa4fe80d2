// What the metric engine and the weighted (bootstrap) evaluators share, so both compute every
// metric with the same arithmetic. Private to the core.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "mlgate/measures/metrics.hpp"

namespace mlgate {

inline constexpr double kLogLossEps = 1e-15;
inline constexpr int kEceBins = 15;

int ece_bin(double p);
// The per-row term of binary log loss exactly as scikit-learn computes it: clip, then
// renormalise the two-column distribution [1 - c, c].
double binary_log_loss_term(double p, bool positive);

struct BinaryAcc {
  std::int64_t n = 0, pos = 0, tp = 0, fp = 0;
  bool outside_unit = false;
  AccurateSum logloss, brier;
  std::array<std::int64_t, kEceBins> bin_n{}, bin_pos{};
  std::array<AccurateSum, kEceBins> bin_prob;
  void add(const BinaryAcc& o) {
    n += o.n;
    pos += o.pos;
    tp += o.tp;
    fp += o.fp;
    outside_unit = outside_unit || o.outside_unit;
    logloss.add(o.logloss);
    brier.add(o.brier);
    for (int b = 0; b < kEceBins; ++b) {
      bin_n[b] += o.bin_n[b];
      bin_pos[b] += o.bin_pos[b];
      bin_prob[b].add(o.bin_prob[b]);
    }
  }
};

struct RankSummary {
  MetricValue auc, ap;
  std::vector<std::array<double, 2>> roc, pr;
};

// Every binary metric of a group from its accumulated counts and its rank summary.
void binary_group_metrics(const BinaryAcc& a, const RankSummary& rs, bool curves, GroupMetrics& gm);
// The multiclass metrics that come from a K x K confusion matrix (rows true, columns predicted).
void confusion_metrics(const std::vector<std::int64_t>& cm, std::size_t K, std::int64_t n,
                       MetricSet& m);

// Sums over a group's rows (weighted sums for a bootstrap resample).
struct RegressionSums {
  std::int64_t n = 0;
  double abs_e = 0, sq_e = 0, ape = 0, max_e = 0;
  double ss_tot = 0, ss_e = 0;  // squared deviations of the label and of the error from their means
  // msle's squared log errors and the Poisson and gamma deviances, with whether every row is in
  // their domain (scikit-learn refuses the rest: msle negative values; Poisson y >= 0, p > 0;
  // gamma y > 0, p > 0).
  double sq_log_e = 0, poisson = 0, gamma = 0;
  bool log_ok = true, poisson_ok = true, gamma_ok = true;
  bool on_request = false;  // whether those (and d2_absolute_error) are wanted at all
  // Once a row is outside a metric's domain the metric is null: its terms are no longer
  // computed. The deviances share one logarithm (log(p / y) = -log(y / p) to an ulp).
  void add_terms(double y, double p, double w) {
    if (log_ok) {
      if (y < 0 || p < 0) {
        log_ok = false;
      } else {
        // log1p(y) - log1p(p) as one logarithm: log1p((y - p) / (1 + p)), the same quantity
        // (more accurate where y and p are close, where the difference of two logs cancels).
        const double d = std::log1p((y - p) / (1 + p));
        sq_log_e += w * d * d;
      }
    }
    if (!poisson_ok && !gamma_ok) return;
    if (y < 0 || p <= 0) {
      poisson_ok = gamma_ok = false;
      return;
    }
    if (y == 0) {  // xlogy(0, .) = 0; gamma needs y > 0
      gamma_ok = false;
      poisson += w * 2 * p;
      return;
    }
    const double l = std::log(y / p);
    poisson += w * 2 * (y * l - y + p);
    gamma += w * 2 * (-l + y / p - 1);
  }
};
void regression_group_metrics(const RegressionSums& s, MetricValue median_ae, GroupMetrics& gm);
// d2_absolute_error_score from the sum of absolute errors and the sum of absolute deviations of
// the labels from their median (np.percentile's 50th), in scikit-learn's cases.
MetricValue d2_absolute(double abs_e, double abs_dev_median, std::int64_t n);

}  // namespace mlgate
