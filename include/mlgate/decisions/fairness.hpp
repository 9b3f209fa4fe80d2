// mlgate-fairness: per-group metrics and disparities over sensitive attributes, with fairlearn's
// definitions (between_groups and to_overall) and AIF360's against a reference group.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlgate/base/result.hpp"
#include "mlgate/data/predictions.hpp"
#include "mlgate/decisions/policy.hpp"

namespace mlgate {

struct GroupRates {
  std::int64_t n = 0, pos = 0, pred_pos = 0, tp = 0, fp = 0;
  // With sample weights the rates come from these sums of weights (fairlearn's sample_params);
  // n above still counts rows, for min_group_size.
  bool weighted = false;
  double w_n = 0, w_pos = 0, w_pred_pos = 0, w_tp = 0, w_fp = 0;
  void add(const GroupRates& o) {
    n += o.n;
    pos += o.pos;
    pred_pos += o.pred_pos;
    tp += o.tp;
    fp += o.fp;
    w_n += o.w_n;
    w_pos += o.w_pos;
    w_pred_pos += o.w_pred_pos;
    w_tp += o.w_tp;
    w_fp += o.w_fp;
    weighted = weighted || o.weighted;
  }
  // Rates with a zero denominator are undefined (nullopt).
  std::optional<double> selection_rate, tpr, fpr, fnr, tnr, precision, accuracy, roc_auc;
};

struct FairnessGroups {
  std::vector<std::vector<std::optional<std::string>>> values;  // per group, one value per column
  std::vector<std::uint32_t> row_group;                         // group of each row
  std::vector<std::string> columns;
  std::vector<bool> in_reference;  // per group: belongs to the reference group (set with one)
};
FairnessGroups make_groups(const Predictions& p);

// Rates per group (and, into *overall, of all rows) from one pass; AUCs from one sort.
std::vector<GroupRates> group_rates(const Predictions& p, const FairnessGroups& g, bool with_auc,
                                    GroupRates* overall);

struct Disparity {
  std::optional<double> value;
  std::string why;    // when undefined
  std::string worst;  // the group that sets it, for messages
};
// name: a fairness metric of the policy. gated: which groups count. reference: index or -1.
Disparity disparity(const std::string& name, const std::vector<GroupRates>& groups,
                    const GroupRates& overall, const std::vector<bool>& gated, int reference,
                    FairnessMethod method, const FairnessGroups& g);
// Whether a larger value is worse for this disparity (differences), or smaller (ratios).
bool disparity_lower_is_better(const std::string& name);

struct FairnessOptions {
  DocumentStamp stamp;  // --model-version, MLGATE_SIGNING_KEY
  std::string data, baseline, policy, output;
  std::vector<std::string> sensitive;
  ColumnOptions columns;
  std::vector<std::string> given;
  unsigned threads = 0;
};
int run_fairness(const FairnessOptions& o);

}  // namespace mlgate
