// What the metric engine and the weighted (bootstrap) evaluators share, so both compute every
// metric with the same arithmetic. Private to the core.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "mlgate/measures/exact_sum.hpp"
#include "mlgate/measures/metrics.hpp"

namespace mlgate {

inline constexpr double kLogLossEps = 1e-15;
inline constexpr int kEceBins = 15;

int ece_bin(double p);
// The per-row term of binary log loss exactly as scikit-learn computes it: clip, then
// renormalise the two-column distribution [1 - c, c].
double binary_log_loss_term(double p, bool positive);

// Adds o's counts, sums and calibration bins to a's: a BinaryAccT or a BinaryState (the same
// field names), so an accumulator and a mergeable state add up one way.
template <class A, class B>
void add_binary_counts(A& a, const B& o) {
  a.n += o.n;
  a.pos += o.pos;
  a.tp += o.tp;
  a.fp += o.fp;
  a.outside_unit = a.outside_unit || o.outside_unit;
  a.logloss.add(o.logloss);
  a.brier.add(o.brier);
  for (int b = 0; b < kEceBins; ++b) {
    a.bin_n[b] += o.bin_n[b];
    a.bin_pos[b] += o.bin_pos[b];
    a.bin_prob[b].add(o.bin_prob[b]);
  }
}

// Counts of a group's rows: integers, or sums of sample weights (C = double; rows then counts
// the rows themselves). S: the sums' type; exact for documents (the same bits however the rows
// were split: threads, mergeable states), compensated for the bootstrap's resamples.
template <class C, class S = ExactSum>
struct BinaryAccT {
  C n = 0, pos = 0, tp = 0, fp = 0;
  std::int64_t rows = 0;  // C = double only
  bool outside_unit = false;
  bool negated = false;  // BinaryData::negated: the probability metrics are undefined
  S logloss, brier;
  std::array<C, kEceBins> bin_n{}, bin_pos{};
  std::array<S, kEceBins> bin_prob;
  void add(const BinaryAccT& o) {
    rows += o.rows;
    add_binary_counts(*this, o);
  }
};

// The area under the ROC curve up to a false positive rate max_fpr, added step by step along
// the walk from the highest score down: each step from (fp, tp) to (fp + dfp, tp + dtp), in
// counts of N negatives and P positives. The step that crosses max_fpr is cut there by linear
// interpolation, as scikit-learn's roc_auc_score(max_fpr=...) does.
template <class S>
struct PartialAucT {
  double max_fpr = 0;  // 0: not asked
  S area;
  void step(double tp, double fp, double dtp, double dfp, double P, double N) {
    if (dfp == 0) return;
    const double x0 = fp / N;
    if (!(x0 < max_fpr)) return;
    const double x1 = (fp + dfp) / N, y0 = tp / P, y1 = (tp + dtp) / P;
    if (x1 <= max_fpr) {
      area.add((x1 - x0) * (y0 + y1) / 2);
    } else {
      const double y = (y1 - y0) / (x1 - x0) * (max_fpr - x0) + y0;
      area.add((max_fpr - x0) * (y0 + y) / 2);
    }
  }
  // McClish's standardization: 0.5 for a chance curve, 1 for a perfect one.
  double standardized() const {
    const double min_area = 0.5 * max_fpr * max_fpr, max_area = max_fpr;
    return 0.5 * (1 + (area.value() - min_area) / (max_area - min_area));
  }
};
using PartialAuc = PartialAucT<ExactSum>;
using BinaryAcc = BinaryAccT<std::int64_t>;
using WeightedBinaryAcc = BinaryAccT<double>;

struct RankSummary {
  MetricValue auc, ap;
  MetricValue pauc;  // roc_auc_max_fpr, when asked
  std::vector<std::array<double, 2>> roc, pr;
  // The areas of a finished walk: area2 is twice the area in counts (or weights) of P positives
  // and N negatives; pauc the partial area, when asked (max_fpr 1 is the whole AUC).
  template <class S>
  void set_areas(double area2, double P, double N, const PartialAucT<S>& partial) {
    if (P > 0 && N > 0) auc = area2 / (2.0 * P * N);
    if (partial.max_fpr > 0 && auc) pauc = partial.max_fpr == 1 ? *auc : partial.standardized();
  }
};

// Every binary metric of a group from its accumulated counts and its rank summary; the
// on-request ones that req asks for.
template <class C, class S>
void binary_group_metrics(const BinaryAccT<C, S>& a, const RankSummary& rs, bool curves,
                          const MetricRequest& req, GroupMetrics& gm);
// Sets every metric of the task to undefined: those every document lists and those req asks.
void set_all_undefined(Task task, const MetricRequest& req, MetricSet& m);

// The multiclass metrics that come from a K x K confusion matrix (rows true, columns predicted).
// C: std::int64_t (counts) or double (sums of sample weights).
template <class C>
void confusion_metrics(const std::vector<C>& cm, std::size_t K, C n, MetricSet& m);

// top_k_accuracy's test of row i: whether its true class y is among its k highest
// probabilities. Ties rank the class of the larger index first, as scikit-learn's stable
// argsort reversed does.
bool in_top_k(const MulticlassData& d, std::size_t i, std::uint32_t y, int k);

// Sums over a group's rows (weighted sums for a bootstrap resample).
struct RegressionSums {
  std::int64_t n = 0;
  bool weighted = false;  // sample weights: the averages divide by wsum, not n
  double wsum = 0;
  double abs_e = 0, sq_e = 0, ape = 0, max_e = 0;
  double ss_tot = 0, ss_e = 0;  // squared deviations of the label and of the error from their means
  // msle's squared log errors and the Poisson and gamma deviances, with whether every row is in
  // their domain (scikit-learn refuses the rest: msle negative values; Poisson y >= 0, p > 0;
  // gamma y > 0, p > 0).
  double sq_log_e = 0, poisson = 0, gamma = 0;
  bool log_ok = true, poisson_ok = true, gamma_ok = true;
  bool on_request = false;  // whether those (and d2_absolute_error) are wanted at all
  // mean_pinball_loss and mean_tweedie_deviance, when asked (with their alpha and power).
  bool pinball = false, tweedie = false, tweedie_ok = true;
  double alpha = 0.5, power = 0, pinball_loss = 0, tweedie_dev = 0;
  void ask(const MetricRequest& req) {
    on_request = req.asks("msle") || req.asks("rmsle") || req.asks("d2_absolute_error") ||
                 req.asks("mean_poisson_deviance") || req.asks("mean_gamma_deviance");
    pinball = req.asks("mean_pinball_loss");
    tweedie = req.asks("mean_tweedie_deviance");
    alpha = req.alpha;
    power = req.power;
  }
  bool any_terms() const { return on_request || pinball || tweedie; }
  bool asks(std::string_view name) const {
    if (name == "mean_pinball_loss") return pinball;
    if (name == "mean_tweedie_deviance") return tweedie;
    return on_request;  // the other on-request metrics come together
  }
  // Adds another part's terms (the same metrics asked).
  void add_terms_of(const RegressionSums& o) {
    sq_log_e += o.sq_log_e;
    poisson += o.poisson;
    gamma += o.gamma;
    pinball_loss += o.pinball_loss;
    tweedie_dev += o.tweedie_dev;
    log_ok = log_ok && o.log_ok;
    poisson_ok = poisson_ok && o.poisson_ok;
    gamma_ok = gamma_ok && o.gamma_ok;
    tweedie_ok = tweedie_ok && o.tweedie_ok;
  }
  // The per-row terms of whichever of the above are asked for.
  void add_asked(double y, double p, double w) {
    if (on_request) add_terms(y, p, w);
    if (pinball) {
      // scikit-learn: alpha * diff where diff = y - p >= 0, else -(1 - alpha) * diff.
      const double diff = y - p;
      pinball_loss += w * (diff >= 0 ? alpha * diff : -(1 - alpha) * diff);
    }
    if (tweedie && tweedie_ok) add_tweedie(y, p, w);
  }
  // One row's unit deviance of mean_tweedie_deviance, with scikit-learn's cases and domains:
  // power < 0: p > 0; power 0: any; 1 <= power < 2: y >= 0, p > 0; power >= 2: y > 0, p > 0.
  void add_tweedie(double y, double p, double w) {
    const double q = power;
    if (q == 0) {
      tweedie_dev += w * (y - p) * (y - p);
      return;
    }
    if (p <= 0 || (q >= 1 && y < 0) || (q >= 2 && y <= 0)) {
      tweedie_ok = false;
      return;
    }
    double dev;
    if (q == 1) {
      dev = 2 * ((y == 0 ? 0.0 : y * std::log(y / p)) - y + p);
    } else if (q == 2) {
      dev = 2 * (std::log(p / y) + y / p - 1);
    } else {
      const double yy = q < 0 ? std::max(y, 0.0) : y;
      dev = 2 * (std::pow(yy, 2 - q) / ((1 - q) * (2 - q)) - y * std::pow(p, 1 - q) / (1 - q) +
                 std::pow(p, 2 - q) / (2 - q));
    }
    tweedie_dev += w * dev;
  }
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
