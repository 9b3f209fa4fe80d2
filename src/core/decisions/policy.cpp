#include "mlgate/decisions/policy.hpp"

#include <algorithm>

#include <yaml-cpp/yaml.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/text.hpp"
#include "yaml_reader.hpp"

namespace mlgate {

const char* name_of(StatMethod m) {
  switch (m) {
    case StatMethod::kBootstrap:
      return "bootstrap";
    case StatMethod::kDelong:
      return "delong";
    default:
      return "auto";
  }
}
const char* name_of(MissingBaseline m) { return m == MissingBaseline::kWarn ? "warn" : "fail"; }
const char* name_of(FairnessMethod m) {
  return m == FairnessMethod::kToOverall ? "to_overall" : "between_groups";
}

const std::vector<std::string>& fairness_metric_names() {
  static const std::vector<std::string> names = {
      "demographic_parity_difference", "demographic_parity_ratio",     "equalized_odds_difference",
      "equalized_odds_ratio",          "equal_opportunity_difference", "equal_opportunity_ratio",
      "predictive_parity_difference",  "accuracy_difference",          "disparate_impact",
      "statistical_parity_difference", "average_odds_difference"};
  return names;
}

const std::vector<std::string>& serving_metric_names() {
  static const std::vector<std::string> names = {
      "latency_p50_ms", "latency_p90_ms",  "latency_p95_ms", "latency_p99_ms",
      "latency_max_ms", "latency_mean_ms", "rows_per_second"};
  return names;
}

bool is_serving_metric(const std::string& name) {
  const auto& n = serving_metric_names();
  return std::find(n.begin(), n.end(), name) != n.end();
}

namespace {

// A parameterized metric's parameter, checked against its domain (scikit-learn's).
double metric_parameter(const YamlReader& R, const YAML::Node& v, const std::string& at,
                        const std::string& name) {
  if (name == "k") return static_cast<double>(R.integer(v, at, 1, 1000000));
  const double x = R.number(v, at);
  if (name == "max_fpr" && !(x > 0 && x <= 1))
    R.fail(v, at, "must be in (0, 1]", "the largest false positive rate of the area, e.g. 0.1");
  if (name == "beta" && !(x > 0))
    R.fail(v, at, "must be above 0", "beta > 1 weighs recall more, beta < 1 precision");
  if (name == "alpha" && !(x >= 0 && x <= 1))
    R.fail(v, at, "must be in [0, 1]", "the quantile the predictions estimate, e.g. 0.9");
  if (name == "power" && x > 0 && x < 1)
    R.fail(v, at, "is not defined for 0 < power < 1",
           "0 normal, 1 Poisson, between 1 and 2 compound Poisson, 2 gamma, 3 inverse Gaussian");
  return x;
}

std::vector<Rule> rules(const YamlReader& R, const YAML::Node& n, const std::string& path,
                        const std::vector<std::string>& names, const std::string& what,
                        bool allow_relative, std::optional<Task> task = std::nullopt) {
  std::vector<Rule> out;
  if (n.IsNull()) return out;
  if (!n.IsMap()) R.fail(n, path, "expected a mapping of " + what + " names to bounds");
  R.keys(n, path, names);
  for (auto it = n.begin(); it != n.end(); ++it) {
    Rule r;
    r.metric = R.key(it->first, path);
    std::string rp = path + "." + r.metric;
    r.where = R.at(it->first);
    const YAML::Node b = it->second;  // a copy: the iterator yields a temporary
    std::vector<std::string> allowed = {"min", "max", "max_regression", "confidence", "severity"};
    if (allow_relative) allowed.push_back("max_relative_regression");
    const MetricInfo* info = task ? find_metric(r.metric, *task) : nullptr;
    if (info && info->parameter) allowed.emplace_back(info->parameter);
    R.keys(b, rp, allowed);
    if (info && info->parameter) {
      const std::string param = info->parameter;
      if (b[param]) {
        r.parameter = metric_parameter(R, b[param], rp + "." + param, param);
      } else if (param == "max_fpr" || param == "beta") {
        R.fail(b, rp, r.metric + " needs its parameter " + param,
               param == "max_fpr" ? "e.g. {min: 0.8, max_fpr: 0.1}" : "e.g. {min: 0.7, beta: 2}");
      }
    }
    if (b["min"]) r.min = R.number(b["min"], rp + ".min");
    if (b["max"]) r.max = R.number(b["max"], rp + ".max");
    if (b["max_regression"]) {
      r.max_regression = R.number(b["max_regression"], rp + ".max_regression");
      if (*r.max_regression < 0)
        R.fail(b["max_regression"], rp + ".max_regression", "must not be negative",
               "it is the largest regression allowed");
    }
    if (b["max_relative_regression"]) {
      r.max_relative_regression =
          R.number(b["max_relative_regression"], rp + ".max_relative_regression");
      if (*r.max_relative_regression < 0)
        R.fail(b["max_relative_regression"], rp + ".max_relative_regression",
               "must not be negative");
    }
    if (b["confidence"]) {
      r.confidence = R.number(b["confidence"], rp + ".confidence");
      if (!(*r.confidence > 0.5 && *r.confidence < 1))
        R.fail(b["confidence"], rp + ".confidence", "must be between 0.5 and 1 (exclusive)",
               "e.g. 0.95");
      if (!r.needs_baseline())
        R.fail(b["confidence"], rp + ".confidence",
               "confidence applies to max_regression or max_relative_regression",
               "add a regression bound or remove confidence");
    }
    if (b["severity"])
      r.warn_only = R.choice(b["severity"], rp + ".severity", {"fail", "warn"}) == "warn";
    if (!r.min && !r.max && !r.needs_baseline())
      R.fail(b, rp, "no bound given", "give min, max or max_regression");
    if (r.min && r.max && *r.min > *r.max) R.fail(b, rp, "min is greater than max");
    out.push_back(r);
  }
  return out;
}

}  // namespace

namespace {
Policy parse_policy_tree(const std::string& text, const std::string& path,
                         std::optional<Task> task_hint);
}

Policy parse_policy(const std::string& text, const std::string& path,
                    std::optional<Task> task_hint) {
  try {
    return parse_policy_tree(text, path, task_hint);
  } catch (const YAML::Exception& e) {
    // Anything yaml-cpp raises past the checks above still names the place.
    throw Error(
        e.msg,
        path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1),
        "check the policy's structure");
  }
}

namespace {
Policy parse_policy_tree(const std::string& text, const std::string& path,
                         std::optional<Task> task_hint) {
  YamlReader R(path);
  YAML::Node root = parse_config_text(text, path);
  if (!root.IsDefined() || root.IsNull())
    throw Error("the policy is empty", path, "start with version: 1");
  Policy p;
  p.path = path;
  p.sha256 = sha256_hex(text);
  R.keys(root, "",
         {"version", "task", "columns", "threshold", "score_direction", "positive_label", "metrics",
          "slices", "statistics", "missing_baseline", "fairness"});
  if (root["version"]) {
    p.version = static_cast<int>(R.integer(root["version"], "version", 1, 1000));
    if (p.version != 1)
      R.fail(root["version"], "version", "unsupported policy version",
             "this mlgate reads version 1");
  }
  if (root["task"])
    p.task = parse_task(
        R.choice(root["task"], "task", {"binary", "multiclass", "regression", "ranking"}));
  Task task = p.task ? *p.task : (task_hint ? *task_hint : Task::kBinary);
  if (const auto& c = root["columns"]) {
    R.keys(c, "columns", {"label", "score", "id", "pred", "proba", "weight", "cluster", "query"});
    if (c["weight"]) p.weight_col = R.string(c["weight"], "columns.weight");
    if (c["cluster"]) p.cluster_col = R.string(c["cluster"], "columns.cluster");
    if (c["query"]) p.query_col = R.string(c["query"], "columns.query");
    if (c["label"]) p.label_col = R.string(c["label"], "columns.label");
    if (c["score"]) p.score_col = R.string(c["score"], "columns.score");
    if (c["id"]) p.id_col = R.string(c["id"], "columns.id");
    if (c["pred"]) p.pred_col = R.string(c["pred"], "columns.pred");
    if (c["proba"]) {
      auto list = R.strings(c["proba"], "columns.proba");
      std::string joined;
      for (const auto& s : list) joined += (joined.empty() ? "" : ",") + s;
      p.proba_cols = joined;
    }
  }
  if (root["threshold"]) p.threshold = R.number(root["threshold"], "threshold");
  if (root["score_direction"])
    p.score_lower =
        R.choice(root["score_direction"], "score_direction", {"higher", "lower"}) == "lower";
  if (root["positive_label"]) p.positive_label = R.string(root["positive_label"], "positive_label");
  auto names = metric_names(task);
  auto top_names = names;
  top_names.insert(top_names.end(), serving_metric_names().begin(), serving_metric_names().end());
  if (root["metrics"])
    p.metrics = rules(R, root["metrics"], "metrics", top_names, "metric", true, task);
  if (const auto& s = root["slices"]) {
    R.keys(s, "slices", {"columns", "min_size", "metrics"});
    if (s["columns"]) p.slice_columns = R.strings(s["columns"], "slices.columns");
    if (s["min_size"]) p.slice_min_size = R.integer(s["min_size"], "slices.min_size", 0, 1LL << 40);
    if (s["metrics"])
      p.slice_metrics = rules(R, s["metrics"], "slices.metrics", names, "metric", true, task);
  }
  // A metric's parameter is one value per run: the overall and the slices' must agree.
  for (const Rule& sr : p.slice_metrics)
    for (const Rule& r : p.metrics)
      if (r.metric == sr.metric && r.parameter != sr.parameter)
        throw Error("the parameter of " + sr.metric + " differs from the one under metrics",
                    sr.where, "give the overall and the slices the same value");
  if (const auto& s = root["statistics"]) {
    R.keys(s, "statistics",
           {"method", "bootstrap_samples", "seed", "on_inconclusive", "multiple_testing"});
    if (s["method"])
      p.statistics.method = R.choice<StatMethod>(s["method"], "statistics.method",
                                                 {{"auto", StatMethod::kAuto},
                                                  {"bootstrap", StatMethod::kBootstrap},
                                                  {"delong", StatMethod::kDelong}});
    if (s["bootstrap_samples"])
      p.statistics.bootstrap_samples = static_cast<int>(
          R.integer(s["bootstrap_samples"], "statistics.bootstrap_samples", 100, 1000000));
    if (s["seed"])
      p.statistics.seed =
          static_cast<std::uint64_t>(R.integer(s["seed"], "statistics.seed", 0, 1LL << 53));
    if (s["on_inconclusive"])
      p.statistics.on_inconclusive = R.choice<OnInconclusive>(
          s["on_inconclusive"], "statistics.on_inconclusive",
          {{"fail", OnInconclusive::kFail}, {"warn", OnInconclusive::kWarn}});
    if (s["multiple_testing"])
      p.statistics.multiple_testing = R.choice<MultipleTesting>(
          s["multiple_testing"], "statistics.multiple_testing",
          {{"holm", MultipleTesting::kHolm}, {"none", MultipleTesting::kNone}});
  }
  if (root["missing_baseline"])
    p.missing_baseline = R.choice<MissingBaseline>(
        root["missing_baseline"], "missing_baseline",
        {{"fail", MissingBaseline::kFail}, {"warn", MissingBaseline::kWarn}});
  if (const auto& f = root["fairness"]) {
    p.fairness.present = true;
    R.keys(f, "fairness", {"sensitive", "min_group_size", "method", "reference_group", "metrics"});
    if (f["sensitive"]) p.fairness.sensitive = R.strings(f["sensitive"], "fairness.sensitive");
    if (f["min_group_size"])
      p.fairness.min_group_size =
          R.integer(f["min_group_size"], "fairness.min_group_size", 0, 1LL << 40);
    if (f["method"])
      p.fairness.method =
          R.choice<FairnessMethod>(f["method"], "fairness.method",
                                   {{"between_groups", FairnessMethod::kBetweenGroups},
                                    {"to_overall", FairnessMethod::kToOverall}});
    if (const auto& rg = f["reference_group"]) {
      if (!rg.IsMap())
        R.fail(rg, "fairness.reference_group", "expected a mapping of column to value",
               "e.g. {sex: M}");
      for (auto it = rg.begin(); it != rg.end(); ++it) {
        std::string col = R.key(it->first, "fairness.reference_group");
        p.fairness.reference_group.emplace_back(
            col, R.string(it->second, "fairness.reference_group." + col));
      }
    }
    if (f["metrics"])
      p.fairness.metrics =
          rules(R, f["metrics"], "fairness.metrics", fairness_metric_names(), "disparity", false);
  }
  return p;
}
}  // namespace

MetricRequest metric_request(const Policy& policy, Task task) {
  MetricRequest req;
  for (const auto* rules : {&policy.metrics, &policy.slice_metrics})
    for (const Rule& r : *rules) {
      const MetricInfo* m = find_metric(r.metric, task);
      if (!m) continue;
      if (m->on_request && !req.asks(r.metric)) req.names.push_back(r.metric);
      if (!m->parameter || !r.parameter) continue;
      const std::string_view param = m->parameter;
      if (param == "max_fpr") req.max_fpr = *r.parameter;
      if (param == "beta") req.beta = *r.parameter;
      if (param == "k") req.set_k(r.metric, static_cast<int>(*r.parameter));
      if (param == "alpha") req.alpha = *r.parameter;
      if (param == "power") req.power = *r.parameter;
    }
  return req;
}

Policy load_policy(const std::string& path, std::optional<Task> task_hint) {
  return parse_policy(read_file(path), path, task_hint);
}

void apply_policy_columns(ColumnOptions& o, const Policy& p,
                          const std::vector<std::string>& given) {
  auto was_given = [&](const char* flag) {
    return std::find(given.begin(), given.end(), flag) != given.end();
  };
  if (p.label_col && !was_given("--label-col")) o.label_col = *p.label_col;
  if (p.score_col && !was_given("--score-col")) o.score_col = *p.score_col;
  if (p.id_col && !was_given("--id-col")) o.id_col = *p.id_col;
  if (p.weight_col && !was_given("--weight-col")) o.weight_col = *p.weight_col;
  if (p.cluster_col && !was_given("--cluster-col")) o.cluster_col = *p.cluster_col;
  if (p.query_col && !was_given("--query-col")) o.query_col = *p.query_col;
  if (p.pred_col && !was_given("--pred-col")) o.pred_col = *p.pred_col;
  if (p.proba_cols && !was_given("--proba-cols")) o.proba_cols = *p.proba_cols;
  if (p.positive_label && !was_given("--positive-label")) o.positive_label = *p.positive_label;
  if (p.threshold && !was_given("--threshold")) o.threshold = *p.threshold;
  if (p.score_lower && !was_given("--score-direction")) o.score_lower = *p.score_lower;
  if (p.task && !was_given("--task")) o.task = p.task;
  // Slice columns add up: the policy's and the flags'.
  for (const auto& s : p.slice_columns)
    if (std::find(o.slice_cols.begin(), o.slice_cols.end(), s) == o.slice_cols.end())
      o.slice_cols.push_back(s);
}

}  // namespace mlgate
