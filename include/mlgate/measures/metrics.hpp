// The contract's metrics with scikit-learn's definitions, computed per group in one pass over
// the rows plus one sort of the scores.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlgate/data/task.hpp"
#include "mlgate/measures/exact_sum.hpp"

namespace mlgate {

struct MetricInfo {
  const char* name;
  Task task;
  bool lower_is_better;
  // Computed only when asked for (a policy names it): it costs a logarithm or a selection per
  // row, which the metrics everyone reads should not pay.
  bool on_request = false;
  // The parameter it takes in the policy (scikit-learn's name), or nullptr.
  const char* parameter = nullptr;
};
// Every metric of the contract, in the order documents list them.
const std::vector<MetricInfo>& metric_catalog();
const MetricInfo* find_metric(std::string_view name, Task task);
std::vector<std::string> metric_names(Task task);

using MetricValue = std::optional<double>;  // nullopt: undefined on this data

// What a policy asks for beyond the metrics every document lists: the on-request metrics it
// names, and the parameters of those that take one (scikit-learn's names and defaults).
struct MetricRequest {
  std::vector<std::string> names;  // on-request metrics, any task
  double max_fpr = 1;              // roc_auc_max_fpr (the policy must give it)
  double beta = 1;                 // fbeta (the policy must give it)
  double alpha = 0.5;              // mean_pinball_loss
  double power = 0;                // mean_tweedie_deviance
  // k of each metric that takes one (top_k_accuracy, the ranking metrics @k), as the policy
  // gives it; k_of falls back to the default (top_k_accuracy 2, scikit-learn's; @k 10).
  std::vector<std::pair<std::string, int>> ks;
  bool asks(std::string_view name) const;
  int k_of(std::string_view metric) const;
  void set_k(const std::string& metric, int k);
  bool any() const { return !names.empty(); }
};

struct MetricSet {
  std::vector<std::pair<std::string, MetricValue>> values;
  void set(const std::string& name, MetricValue v);
  // Whether the metric was computed at all; get() is then its value (maybe undefined).
  bool has(std::string_view name) const;
  MetricValue get(std::string_view name) const;
};

struct Curves {
  std::vector<std::array<double, 2>> roc;          // [fpr, tpr]
  std::vector<std::array<double, 2>> pr;           // [recall, precision]
  std::vector<std::array<double, 3>> calibration;  // [mean score, fraction positive, n]
};

struct GroupMetrics {
  std::int64_t n = 0;
  MetricSet metrics;
  std::vector<std::string> warnings;  // why a metric is undefined
  Curves curves;                      // binary, when asked for
  // Multiclass: per class (in the classes' order) precision, recall, f1, support and, with
  // probabilities, roc_auc one-vs-rest (scikit-learn's average=None).
  std::vector<MetricSet> per_class;
  // Ranking: the queries with rows in the group, and those with a relevant item among them.
  std::int64_t queries = 0, queries_with_relevant = 0;
};

// Rows are assigned to groups by `group` (codes in [0, n_groups); kMissingCode rows are in no
// group). An empty `group` puts every row in group 0 of one.
struct Grouping {
  std::span<const std::uint32_t> group;
  std::uint32_t n_groups = 1;
};

// One entry per group; with_overall appends the metrics of all rows (its curves when asked for),
// computed from the same pass and the same sorted buckets.
// req: the on-request metrics wanted (left out of each group's set otherwise) and their
// parameters.
std::vector<GroupMetrics> binary_metrics(const BinaryData& d, const Grouping& g, bool curves,
                                         bool with_overall = false, const MetricRequest& req = {});

std::vector<GroupMetrics> multiclass_metrics(const MulticlassData& d, const Grouping& g,
                                             const MetricRequest& req = {});

std::vector<GroupMetrics> regression_metrics(const RegressionData& d, const Grouping& g,
                                             const MetricRequest& req = {});

// Ranking metrics per group: each query's items (a group's rows of it) ranked by score, every
// metric computed per query and averaged over the queries (weighted by the query's weight):
// ndcg_at_k as scikit-learn's ndcg_score (linear gains, tied scores averaged); map_at_k,
// mrr, precision_at_k, recall_at_k and hit_rate_at_k on binary relevance (label > 0), tied
// scores taken as the expected value over every order of the tie (what ndcg's averaging is).
// precision_at_k divides by k; recall_at_k by the query's relevant items; map_at_k averages
// precision at each relevant item in the top k over min(k, relevant items); mrr is over the
// whole list. ndcg_at_k and precision_at_k average over every query (ndcg 0 when nothing is
// relevant, as scikit-learn); the others over the queries with a relevant item.
std::vector<GroupMetrics> ranking_metrics(const RankingData& d, const Grouping& g,
                                          const MetricRequest& req = {});

// What the binary metrics of a group learn from some rows, mergeable with another part's state
// (TFMA's combiner: create, add, merge, extract): counts, exact sums and the histogram of the
// distinct scores. Merging is exact, so the metrics of merged states are the same bits as those
// of one run over all the rows (binary_metrics), whatever the split; the thinned ROC and PR
// curves may keep other points.
struct BinaryState {
  static constexpr int kBins = 15;  // the calibration (ece) bins
  std::int64_t n = 0, pos = 0, tp = 0, fp = 0;
  bool outside_unit = false;  // a score outside [0, 1]: the probability metrics are undefined
  ExactSum logloss, brier;
  std::array<std::int64_t, kBins> bin_n{}, bin_pos{};
  std::array<ExactSum, kBins> bin_prob;
  std::vector<double> score;                       // the distinct scores, ascending
  std::vector<std::int64_t> positives, negatives;  // the rows at each
  void merge(const BinaryState& o);
};
// One state per group of g (unweighted rows; rows in no group are left out).
std::vector<BinaryState> binary_states(const BinaryData& d, const Grouping& g);
// The group's metrics from its state, as binary_metrics computes them; negated: the scores were
// negated (--score-direction lower).
GroupMetrics binary_state_metrics(const BinaryState& s, bool negated, bool curves,
                                  const MetricRequest& req = {});

// Area under the ROC curve of scores against 0/1 labels with ties merged; nullopt with one class.
MetricValue roc_auc(std::span<const double> score, std::span<const std::uint8_t> label);

// ROC AUC of every group of g and, last, of all rows, from one sort of all the scores (the
// group and label ride along) and one walk; equal to roc_auc over each group's rows.
// score_places: the reader's decimal places for the scores, when known (see decimal_scale).
std::vector<MetricValue> roc_auc_by_group(std::span<const double> score,
                                          std::span<const std::uint8_t> label, const Grouping& g,
                                          int score_places = -1);

// Keeps at most max_points of a curve, always its first and last point.
template <class P>
std::vector<P> downsample(const std::vector<P>& pts, std::size_t max_points = 200) {
  if (pts.size() <= max_points) return pts;
  std::vector<P> out;
  out.reserve(max_points);
  for (std::size_t i = 0; i < max_points; ++i)
    out.push_back(pts[(i * (pts.size() - 1) + (max_points - 1) / 2) / (max_points - 1)]);
  out.back() = pts.back();
  return out;
}

// Compensated (Neumaier) sum: accurate to about one rounding whatever the number of terms.
struct AccurateSum {
  double sum = 0, comp = 0;
  void add(double x) {
    double t = sum + x;
    if (__builtin_fabs(sum) >= __builtin_fabs(x))
      comp += (sum - t) + x;
    else
      comp += (x - t) + sum;
    sum = t;
  }
  void add(const AccurateSum& o) {
    add(o.sum);
    add(o.comp);
  }
  double value() const { return sum + comp; }
};

}  // namespace mlgate
