// Paired statistics for comparing two models on the same rows: DeLong for ROC AUC, a paired
// bootstrap for every metric, McNemar for accuracy, Holm across checks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mlgate/measures/metrics.hpp"

namespace mlgate {

double normal_cdf(double x);
double normal_quantile(double p);  // inverse of normal_cdf, accurate to ~1e-15
double chi2_sf_1df(double x);      // survival function of chi-squared with 1 degree of freedom
double binom_cdf(std::int64_t k, std::int64_t n, double p);

// DeLong et al. (1988) with the O(n log n) placements of Sun & Xu (2014): the AUCs of two
// scores on the same rows, their variances and covariance (as pROC's var, cov and roc.test).
struct DeLong {
  double auc1 = 0, auc2 = 0;
  double var1 = 0, var2 = 0, cov = 0;
  double se_diff() const;  // standard error of auc1 - auc2
};
// nullopt when one class is absent or a class has a single row (variance undefined).
// places1/places2: the reader's decimal places of each score column, when known (-1: not).
std::optional<DeLong> delong_paired(std::span<const double> score1, std::span<const double> score2,
                                    std::span<const std::uint8_t> label, int places1 = -1,
                                    int places2 = -1);

// McNemar's test on paired correctness, as statsmodels' mcnemar (exact binomial, and the
// chi-squared statistic with continuity correction).
struct McNemar {
  std::int64_t only_first = 0, only_second = 0;  // rows right by one model only
  double p_exact = 1, statistic = 0, p_asymptotic = 1;
};
McNemar mcnemar(std::span<const std::uint8_t> correct1, std::span<const std::uint8_t> correct2);

// Holm's step-down: given p-values and each test's alpha, the alpha each test is judged at and
// whether it is rejected.
struct HolmDecision {
  double alpha = 0;
  bool rejected = false;
};
std::vector<HolmDecision> holm(const std::vector<double>& p, const std::vector<double>& alpha);

// A model's predictions prepared for weighted evaluation: sorted once, then every bootstrap
// resample (integer weights per row) costs one pass.
class WeightedEvaluator {
 public:
  virtual ~WeightedEvaluator() = default;
  // Metric values for the given row weights (resample counts), in the order of `names`; NaN
  // where undefined.
  virtual void evaluate(const std::uint8_t* w, double* out) const = 0;
  // Several resamples at once: w interleaved as w[row * lanes + lane], out as
  // out[lane * metrics + j]. The default evaluates lane by lane.
  virtual void evaluate_lanes(const std::uint8_t* w, std::size_t lanes, std::size_t metrics,
                              double* out) const;

 protected:
  std::size_t rows_ = 0;
};
// rows: the rows to evaluate (e.g. a slice), in the predictions' indexing; req: the
// parameters of the metrics that take one.
std::unique_ptr<WeightedEvaluator> make_weighted_binary(const BinaryData& d,
                                                        std::span<const std::uint32_t> rows,
                                                        const std::vector<std::string>& names,
                                                        const MetricRequest& req = {});
std::unique_ptr<WeightedEvaluator> make_weighted_multiclass(const MulticlassData& d,
                                                            std::span<const std::uint32_t> rows,
                                                            const std::vector<std::string>& names,
                                                            const MetricRequest& req = {});
std::unique_ptr<WeightedEvaluator> make_weighted_regression(const RegressionData& d,
                                                            std::span<const std::uint32_t> rows,
                                                            const std::vector<std::string>& names,
                                                            const MetricRequest& req = {});
// Ranking: each query's values once; a resample weighs the queries by the draw count of their
// first row (resample queries, with Clusters over the query codes, so a query's rows share it).
std::unique_ptr<WeightedEvaluator> make_weighted_ranking(const RankingData& d,
                                                         std::span<const std::uint32_t> rows,
                                                         const std::vector<std::string>& names,
                                                         const MetricRequest& req = {});

// Paired bootstrap: B resamples of the rows (the same resample for both models), each from its
// own random stream seeded by (seed, b), so results do not depend on the thread count.
// Returns, per metric, B pairs (value of model 1, value of model 2), row-major [metric][b].
struct BootstrapDraws {
  std::vector<std::vector<double>> first, second;  // [metric][b]
};
// Rows that are not independent (a user's sessions, a patient's visits): each row's cluster in
// [0, count). A cluster bootstrap draws count clusters with replacement, and every row counts
// as often as its cluster was drawn.
struct Clusters {
  std::vector<std::uint32_t> of_row;  // by the evaluators' row
  std::uint32_t count = 0;
};
// The clusters of the given rows (codes of a cluster column, by row), numbered densely.
Clusters clusters_of(std::span<const std::uint32_t> codes, std::span<const std::uint32_t> rows);
// clusters: resample clusters instead of rows (nullptr: rows).
BootstrapDraws paired_bootstrap(const WeightedEvaluator& m1, const WeightedEvaluator& m2,
                                std::size_t n_rows, std::size_t n_metrics, int B,
                                std::uint64_t seed, unsigned threads = 0,
                                const Clusters* clusters = nullptr);

// The q-quantile of values (linear interpolation, as numpy's default); NaNs are ignored.
double quantile(std::vector<double> values, double q);

}  // namespace mlgate
