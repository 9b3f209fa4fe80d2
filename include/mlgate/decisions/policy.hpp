// The gate policy (YAML or JSON), validated strictly: an unknown key, a wrong type or an unknown
// metric is an Error naming the key path, e.g. "metrics.roc_auc.max_regresion: unknown key".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mlgate/data/predictions.hpp"
#include "mlgate/decisions/decision.hpp"
#include "mlgate/measures/metrics.hpp"

namespace mlgate {

struct Rule {
  std::string metric;
  std::optional<double> min, max, max_regression, max_relative_regression, confidence;
  // The value of the metric's parameter (MetricInfo::parameter: max_fpr, beta, k, alpha, power),
  // when it takes one and the policy gives it.
  std::optional<double> parameter;
  bool warn_only = false;  // severity: warn
  std::string where;       // "policy.yaml:7:5", for messages
  bool needs_baseline() const { return max_regression || max_relative_regression; }
};

// statistics.method: kAuto decides roc_auc with DeLong and the rest with the paired bootstrap.
enum class StatMethod { kAuto, kBootstrap, kDelong };
const char* name_of(StatMethod m);
// What a check against a baseline does when there is none (missing_baseline).
enum class MissingBaseline { kFail, kWarn };
const char* name_of(MissingBaseline m);
// fairness.method: disparities between the groups, or of each group to the overall.
enum class FairnessMethod { kBetweenGroups, kToOverall };
const char* name_of(FairnessMethod m);

struct Statistics {
  StatMethod method = StatMethod::kAuto;
  int bootstrap_samples = 2000;
  std::uint64_t seed = 42;
  OnInconclusive on_inconclusive = OnInconclusive::kFail;
  MultipleTesting multiple_testing = MultipleTesting::kHolm;
};

struct FairnessPolicy {
  std::vector<std::string> sensitive;
  std::int64_t min_group_size = 30;
  FairnessMethod method = FairnessMethod::kBetweenGroups;
  std::vector<std::pair<std::string, std::string>> reference_group;
  std::vector<Rule> metrics;
  bool present = false;
};

struct Policy {
  std::string path;
  std::string sha256;
  int version = 1;
  std::optional<Task> task;
  std::optional<std::string> label_col, score_col, id_col, pred_col, proba_cols, positive_label,
      weight_col, cluster_col, query_col;
  std::optional<double> threshold;
  std::optional<bool> score_lower;  // score_direction: lower
  std::vector<Rule> metrics;
  std::vector<std::string> slice_columns;
  std::int64_t slice_min_size = 0;
  std::vector<Rule> slice_metrics;
  Statistics statistics;
  MissingBaseline missing_baseline = MissingBaseline::kFail;
  FairnessPolicy fairness;
};

// What a served model's timing gives (mlgate-eval --model-url): latency_p50_ms, latency_p90_ms,
// latency_p95_ms, latency_p99_ms, latency_max_ms, latency_mean_ms (lower is better) and
// rows_per_second (higher is better). A policy's top-level metrics may bound them, for any task.
const std::vector<std::string>& serving_metric_names();
bool is_serving_metric(const std::string& name);

// The fairness disparities a policy may name.
const std::vector<std::string>& fairness_metric_names();

// The on-request metrics a policy names (overall or per slice) and their parameters.
MetricRequest metric_request(const Policy& policy, Task task);

// Reads and validates a policy. task_hint is used for metric names when the file has no task.
Policy load_policy(const std::string& path, std::optional<Task> task_hint = std::nullopt);
Policy parse_policy(const std::string& text, const std::string& path,
                    std::optional<Task> task_hint = std::nullopt);

// Fills what the flags left unset from the policy (flags win). `given` names the flags given.
void apply_policy_columns(ColumnOptions& o, const Policy& p, const std::vector<std::string>& given);

}  // namespace mlgate
