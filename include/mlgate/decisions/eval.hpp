// mlgate-eval's work: metrics overall and per slice, absolute checks, the result document.
#pragma once

#include <string>
#include <vector>

#include "mlgate/base/result.hpp"
#include "mlgate/data/predictions.hpp"
#include "mlgate/decisions/policy.hpp"
#include "mlgate/measures/metrics.hpp"

namespace mlgate {

struct SliceResult {  // NOLINT(bugprone-exception-escape): its members move without throwing
  ojson slice;        // {"column": "value"}
  std::int64_t n = 0;
  bool gated = true;
  GroupMetrics metrics;
};

struct EvalResult {  // NOLINT(bugprone-exception-escape): its members move without throwing
  Task task = Task::kBinary;
  std::int64_t n = 0;
  GroupMetrics overall;
  std::vector<SliceResult> slices;
  MetricRequest request;  // the on-request metrics computed, and their parameters
  ojson threshold;        // binary: the decision threshold, null with hard predictions
};

// min_slice_size: slices with fewer rows are reported with gated = false. req: also the
// metrics computed only on request (see MetricInfo::on_request), with their parameters.
EvalResult evaluate(const Predictions& p, bool curves, std::int64_t min_slice_size = 0,
                    const MetricRequest& req = {});
ojson eval_metrics_json(const EvalResult& r, const Predictions& p);
// The summary lines on stderr (the task, rows, overall metrics, each check).
void print_eval_summary(const ResultDoc& doc, const EvalResult& r);
// Every warning of a result, each prefixed with its slice.
std::vector<std::string> eval_warnings(const EvalResult& r);

// The absolute (min/max) checks of a policy on one model's metrics; serving (latency) bounds
// read serving, an eval document's metrics with serving_json in them (null: not served).
std::vector<Check> absolute_checks(const EvalResult& r, const Policy& policy,
                                   const ojson& serving = nullptr);

// A served model's timing as the document's metrics hold it: latency_ms {p50, p90, p95, p99,
// max, mean}, rows_per_second, requests, retries, batch_size, concurrency, warmup.
ojson serving_json(const ServingStats& s);
// A serving metric (policy name, e.g. latency_p95_ms) out of metrics holding serving_json.
MetricValue serving_metric(const ojson& metrics, const std::string& name);

// A check of value against [min, max]; an undefined value is an error.
Check bound_check(const std::string& metric, const ojson& slice, const MetricValue& value,
                  std::optional<double> min, std::optional<double> max, bool warn_only,
                  const std::string& why_undefined);

ojson input_json(const Predictions& p);

struct EvalOptions {
  DocumentStamp stamp;  // --model-version, MLGATE_SIGNING_KEY
  std::string data, features, model_cmd, policy, output;
  std::string predictions_out;  // --predictions-out: the scored rows as CSV, for compare/fairness
  std::string state_out;        // --state-out: the mergeable state (mlgate-merge)
  ServedModel served;           // served.url set: --model-url
  bool model_shell = false;
  double model_timeout = 600;
  bool no_curves = false;
  ColumnOptions columns;
  std::vector<std::string> given;  // flags given on the command line
};
// Runs mlgate-eval; returns the exit code. Throws Error for anticipated failures.
int run_eval(const EvalOptions& o);

}  // namespace mlgate
