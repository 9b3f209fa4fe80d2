#include "mlgate/decisions/eval.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/log.hpp"
#include "mlgate/base/text.hpp"
#include "mlgate/decisions/state.hpp"

namespace mlgate {

namespace {

std::vector<GroupMetrics> compute(const Predictions& p, const Grouping& g, bool curves,
                                  const MetricRequest& req) {
  switch (p.task) {
    case Task::kBinary:
      return binary_metrics(p.binary(), g, curves, false, req);
    case Task::kMulticlass:
      return multiclass_metrics(p.multiclass(), g, req);
    case Task::kRanking:
      return ranking_metrics(p.ranking(), g, req);
    default:
      return regression_metrics(p.regression(), g, req);
  }
}

ojson metric_set_json(const MetricSet& m) {
  ojson o = ojson::object();
  for (const auto& [k, v] : m.values) o[k] = v ? ojson(*v) : ojson(nullptr);
  return o;
}

std::string why_undefined(const GroupMetrics& g, const std::string& metric) {
  for (const auto& w : g.warnings)
    if (w.find(metric) != std::string::npos || w == "no rows") return w;
  // The metrics that are null without a warning, with what their definitions need.
  static const std::vector<std::pair<std::string, std::string>> needs = {
      {"balanced_accuracy_adjusted", "both classes in the labels"},
      {"positive_likelihood_ratio", "positives and at least one false positive"},
      {"negative_likelihood_ratio", "positives and at least one true negative"},
      {"msle", "labels and predictions of at least 0"},
      {"rmsle", "labels and predictions of at least 0"},
      {"d2_absolute_error", "two rows"},
      {"mean_poisson_deviance", "labels of at least 0 and predictions above 0"},
      {"mean_gamma_deviance", "labels and predictions above 0"},
      {"mean_tweedie_deviance", "labels and predictions in the domain of its power"},
      {"roc_auc_max_fpr", "both classes in the labels"},
  };
  for (const auto& [name, need] : needs)
    if (name == metric) return metric + " is undefined on this data: it needs " + need;
  return metric + " is undefined on this data";
}

}  // namespace

EvalResult evaluate(const Predictions& p, bool curves, std::int64_t min_slice_size,
                    const MetricRequest& req) {
  EvalResult r;
  r.request = req;
  r.task = p.task;
  if (p.task == Task::kBinary) r.threshold = p.pred.empty() ? ojson(p.threshold) : ojson(nullptr);
  r.n = static_cast<std::int64_t>(p.size());
  // Binary: the first slice column's pass yields the overall too, from one sort of the scores.
  const bool merged = p.task == Task::kBinary && !p.slices.empty();
  if (!merged) r.overall = std::move(compute(p, Grouping{}, curves, req)[0]);
  for (std::size_t si = 0; si < p.slices.size(); ++si) {
    const SliceColumn& s = p.slices[si];
    Grouping g{s.codes, static_cast<std::uint32_t>(s.values.size())};
    std::vector<GroupMetrics> groups;
    if (merged && si == 0) {
      groups = binary_metrics(p.binary(), g, curves, true, req);
      r.overall = std::move(groups.back());
      groups.pop_back();
    } else {
      groups = compute(p, g, false, req);
    }
    for (std::size_t k = 0; k < groups.size(); ++k) {
      SliceResult sr;
      sr.slice = slice_json({{s.column, s.values[k]}});
      sr.n = groups[k].n;
      sr.gated = sr.n >= min_slice_size;
      sr.metrics = std::move(groups[k]);
      r.slices.push_back(std::move(sr));
    }
  }
  for (const auto& w : p.warnings) r.overall.warnings.push_back(w);
  return r;
}

ojson eval_metrics_json(const EvalResult& r, const Predictions& p) {
  ojson m;
  m["task"] = task_name(r.task);
  m["n"] = r.n;
  if (r.task == Task::kBinary) m["threshold"] = r.threshold;
  if (r.task == Task::kMulticlass) m["classes"] = p.classes;
  if (r.task == Task::kRanking) {
    // Queries, and those with a relevant item (what map, mrr, recall and hit rate average).
    m["queries"] = r.overall.queries;
    m["queries_with_relevant"] = r.overall.queries_with_relevant;
  }
  if (!p.weight.empty()) {
    // Sample weights: every metric weighs its rows; n stays the number of rows.
    AccurateSum total;
    for (double w : p.weight) total.add(w);
    m["weight_total"] = total.value();
  }
  m["overall"] = metric_set_json(r.overall.metrics);
  // The parameters of the parameterized metrics computed, e.g. {"fbeta": {"beta": 2}}.
  ojson params = ojson::object();
  for (const auto& entry : r.overall.metrics.values) {
    const std::string& name = entry.first;
    const MetricInfo* info = find_metric(name, r.task);
    if (!info || !info->parameter) continue;
    const std::string_view param = info->parameter;
    ojson v;
    if (param == "max_fpr") v = r.request.max_fpr;
    if (param == "beta") v = r.request.beta;
    if (param == "k") v = r.request.k_of(name);
    if (param == "alpha") v = r.request.alpha;
    if (param == "power") v = r.request.power;
    params[name][std::string(param)] = v;
  }
  if (!params.empty()) m["parameters"] = std::move(params);
  if (r.task == Task::kMulticlass && !r.overall.per_class.empty()) {
    // Per class, overall: {"cat": {"precision": ..., "recall": ..., "f1": ..., "support": ...,
    // "roc_auc": ...}}.
    ojson per = ojson::object();
    for (std::size_t c = 0; c < p.classes.size() && c < r.overall.per_class.size(); ++c)
      per[p.classes[c]] = metric_set_json(r.overall.per_class[c]);
    m["per_class"] = std::move(per);
  }
  if (r.task == Task::kMulticlass && p.classes.size() <= 20) {
    // The confusion matrix (rows: the actual class, columns: the predicted one, in the order of
    // "classes"), for up to 20 classes; the prediction is the given one, else the first class
    // with the highest probability (numpy's argmax).
    const std::size_t k = p.classes.size();
    std::vector<std::int64_t> cm(k * k, 0);
    for (std::size_t i = 0; i < p.class_label.size(); ++i) {
      std::uint32_t pred = 0;
      if (!p.class_pred.empty()) {
        pred = p.class_pred[i];
      } else {
        for (std::size_t c = 1; c < p.proba.size(); ++c)
          if (p.proba[c][i] > p.proba[pred][i]) pred = static_cast<std::uint32_t>(c);
      }
      ++cm[p.class_label[i] * k + pred];
    }
    ojson rows = ojson::array();
    for (std::size_t a = 0; a < k; ++a)
      rows.push_back(
          std::vector<std::int64_t>(cm.begin() + static_cast<std::ptrdiff_t>(a * k),
                                    cm.begin() + static_cast<std::ptrdiff_t>((a + 1) * k)));
    m["confusion"] = std::move(rows);
  }
  ojson slices = ojson::array();
  for (const auto& s : r.slices) {
    ojson o;
    o["slice"] = s.slice;
    o["n"] = s.n;
    if (r.task == Task::kRanking) {
      o["queries"] = s.metrics.queries;
      o["queries_with_relevant"] = s.metrics.queries_with_relevant;
    }
    o["gated"] = s.gated;
    o["metrics"] = metric_set_json(s.metrics.metrics);
    slices.push_back(std::move(o));
  }
  m["slices"] = std::move(slices);
  if (r.task == Task::kBinary) {
    const Curves& c = r.overall.curves;
    ojson curves;
    curves["roc"] = c.roc;
    curves["pr"] = c.pr;
    curves["calibration"] = c.calibration;
    m["curves"] = std::move(curves);
  }
  return m;
}

std::vector<std::string> eval_warnings(const EvalResult& r) {
  std::vector<std::string> out = r.overall.warnings;
  for (const auto& s : r.slices)
    for (const auto& w : s.metrics.warnings)
      out.push_back("slice " + slice_label(s.slice) + ": " + w);
  return out;
}

Check bound_check(const std::string& metric, const ojson& slice, const MetricValue& value,
                  std::optional<double> min, std::optional<double> max, bool warn_only,
                  const std::string& why) {
  Check c;
  std::string sl = slice_label(slice);
  c.metric = metric;
  c.slice = slice;
  c.value = value;
  const bool is_min = min.has_value();
  c.threshold = is_min ? min : max;
  c.id = metric + (is_min ? ".min" : ".max") + sl;
  c.title = metric + (sl.empty() ? "" : " " + sl) + (is_min ? " >= " : " <= ") +
            format_short(*c.threshold, 6);
  if (!value) {
    c.status = Status::kError;
    c.message = "cannot check " + metric + ": " + why;
    return c;
  }
  bool ok = is_min ? *value >= *min : *value <= *max;
  c.status = ok ? Status::kPass : (warn_only ? Status::kWarn : Status::kFail);
  c.message = metric + " is " + format_short(*value, 6) + (ok ? ", within " : ", outside ") +
              "the bound " + (is_min ? ">= " : "<= ") + format_short(*c.threshold, 6);
  return c;
}

ojson serving_json(const ServingStats& s) {
  ojson o;
  ojson lat;
  for (const char* k : {"p50", "p90", "p95", "p99", "max", "mean"}) {
    double v = s.latency(k);
    lat[k] = std::isfinite(v) ? ojson(v) : ojson(nullptr);
  }
  o["latency_ms"] = std::move(lat);
  o["rows_per_second"] = s.rows_per_second() > 0 ? ojson(s.rows_per_second()) : ojson(nullptr);
  o["requests"] = s.requests;
  o["retries"] = s.retries;
  o["batch_size"] = s.batch_size;
  o["concurrency"] = s.concurrency;
  o["warmup"] = s.warmup;
  return o;
}

MetricValue serving_metric(const ojson& metrics, const std::string& name) {
  if (!metrics.is_object()) return std::nullopt;
  const ojson* v = nullptr;
  if (name == "rows_per_second") {
    if (metrics.contains("rows_per_second")) v = &metrics["rows_per_second"];
  } else if (starts_with(name, "latency_") && ends_with(name, "_ms") &&
             metrics.contains("latency_ms") && metrics["latency_ms"].is_object()) {
    std::string key = name.substr(8, name.size() - 11);  // latency_p95_ms -> p95
    if (metrics["latency_ms"].contains(key)) v = &metrics["latency_ms"][key];
  }
  if (!v || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

std::vector<Check> absolute_checks(const EvalResult& r, const Policy& policy,
                                   const ojson& serving) {
  std::vector<Check> out;
  auto add = [&](const Rule& rule, const GroupMetrics& g, const ojson& slice) {
    MetricValue v;
    std::string why;
    if (is_serving_metric(rule.metric)) {
      v = serving_metric(serving, rule.metric);
      why = serving.is_null() ? "it is measured on a served model (--model-url)"
                              : "no timed request answered";
    } else {
      v = g.metrics.get(rule.metric);
      why = why_undefined(g, rule.metric);
    }
    if (rule.min)
      out.push_back(
          bound_check(rule.metric, slice, v, rule.min, std::nullopt, rule.warn_only, why));
    if (rule.max)
      out.push_back(
          bound_check(rule.metric, slice, v, std::nullopt, rule.max, rule.warn_only, why));
  };
  for (const auto& rule : policy.metrics) add(rule, r.overall, nullptr);
  for (const auto& rule : policy.slice_metrics)
    for (const auto& s : r.slices)
      if (s.gated) add(rule, s.metrics, s.slice);
  return out;
}

ojson input_json(const Predictions& p) {
  ojson o;
  o["path"] = p.path;
  o["sha256"] = p.sha256;
  o["rows"] = p.rows_read;
  o["dropped"] = p.dropped;
  return o;
}

void print_eval_summary(const ResultDoc& doc, const EvalResult& r) {
  if (r.task == Task::kRanking)
    log_info("mlgate-eval: ranking on %lld rows in %lld queries\n", static_cast<long long>(r.n),
             static_cast<long long>(r.overall.queries));
  else
    log_info("mlgate-eval: %s on %lld rows\n", task_name(r.task), static_cast<long long>(r.n));
  std::string line;
  for (const auto& [k, v] : r.overall.metrics.values) {
    line += "  " + k + "=" + (v ? format_short(*v, 4) : std::string("n/a"));
    if (line.size() > 90) {
      log_info("%s\n", line.c_str());
      line.clear();
    }
  }
  if (!line.empty()) log_info("%s\n", line.c_str());
  for (const auto& c : doc.checks)
    log_info("%-5s %s: %s\n", status_name(c.status), c.id.c_str(), c.message.c_str());
  print_warnings(doc.warnings);
}

namespace {

// The rows as scored, in their order, as a predictions table mlgate-compare and mlgate-fairness
// read with the same flags and policy: the id and label under the run's column names, the score
// (binary: the positive class's, and pred when hard predictions were given; multiclass: one
// probability column per class named by the --proba-cols prefix, p_ by default, or pred;
// regression: the estimate), and the slice columns. Numbers are written so they read back to
// the same doubles.
std::string predictions_csv(const Predictions& p, const ColumnOptions& cols) {
  const bool ids = !cols.id_col.empty() && p.ids.size() == p.size();
  std::vector<std::string> head;
  if (ids) head.push_back(cols.id_col);
  head.push_back(cols.label_col);
  const bool weights = !cols.weight_col.empty() && p.weight.size() == p.size();
  if (weights) head.push_back(cols.weight_col);
  const bool queries = !cols.query_col.empty() && p.query.codes.size() == p.size() &&
                       std::find(cols.slice_cols.begin(), cols.slice_cols.end(), cols.query_col) ==
                           cols.slice_cols.end();
  if (queries) head.push_back(cols.query_col);
  const std::string pred_name = cols.pred_col.empty() ? "pred" : cols.pred_col;
  if (p.task == Task::kMulticlass) {
    std::string prefix = ends_with(cols.proba_cols, "*")
                             ? cols.proba_cols.substr(0, cols.proba_cols.size() - 1)
                             : std::string("p_");
    if (!p.proba.empty())
      for (const auto& c : p.classes) head.push_back(prefix + c);
    if (!p.class_pred.empty()) head.push_back(pred_name);
  } else {
    head.push_back(cols.score_col);
    if (!p.pred.empty()) head.push_back(pred_name);
  }
  for (const auto& s : p.slices) head.push_back(s.column);
  for (const auto& s : p.carried) head.push_back(s.column);
  // Binary labels as 0/1, or, with --positive-label, that label and another value.
  std::string pos = "1", neg = "0";
  if (!cols.positive_label.empty()) {
    pos = cols.positive_label;
    neg = canonical_class(pos) == "0" ? "1" : "0";
  }
  std::string out;
  auto row = [&](const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i) out += ',';
      append_csv_field(out, fields[i], ',');
    }
    out += '\n';
  };
  row(head);
  std::vector<std::string> f;
  for (std::size_t i = 0; i < p.size(); ++i) {
    f.clear();
    if (ids) f.push_back(p.ids[i]);
    auto after_label = [&] {
      if (weights) f.push_back(format_number(p.weight[i]));
      if (queries) f.push_back(*p.query.values[p.query.codes[i]]);
    };
    if (p.task == Task::kBinary) {
      f.push_back(p.label[i] ? pos : neg);
      after_label();
      f.push_back(format_number(p.original_score(i)));
      if (!p.pred.empty()) f.push_back(p.pred[i] ? pos : neg);
    } else if (p.task == Task::kMulticlass) {
      f.push_back(p.classes[p.class_label[i]]);
      after_label();
      for (const auto& col : p.proba) f.push_back(format_number(col[i]));
      if (!p.class_pred.empty()) f.push_back(p.classes[p.class_pred[i]]);
    } else {
      f.push_back(format_number(p.target[i]));
      after_label();
      f.push_back(format_number(p.estimate[i]));
    }
    for (const auto* group : {&p.slices, &p.carried})
      for (const auto& s : *group) {
        const auto& v = s.values[s.codes[i]];
        f.push_back(v ? *v : std::string());
      }
    row(f);
  }
  return out;
}

}  // namespace

int run_eval(const EvalOptions& o) {
  ColumnOptions cols = o.columns;
  Policy policy;
  bool has_policy = !o.policy.empty();
  if (has_policy) {
    policy = load_policy(
        o.policy, cols.task ? cols.task
                            : (cols.proba_cols.empty() ? std::nullopt
                                                       : std::optional<Task>(Task::kMulticlass)));
    apply_policy_columns(cols, policy, o.given);
  }
  // Ids pair rows in mlgate-compare; eval reads them only to write them with the scored rows,
  // and with them the policy's sensitive columns, which mlgate-fairness reads from the file.
  if (o.predictions_out.empty()) cols.id_col.clear();
  if (!o.predictions_out.empty() && has_policy) cols.carry_cols = policy.fairness.sensitive;
  const bool served = !o.served.url.empty();
  if (o.data.empty() == o.features.empty())
    throw Error("give either --data (predictions) or --features with --model-cmd or --model-url",
                "flags", "see --help");
  if (!o.model_cmd.empty() && served)
    throw Error("give --model-cmd or --model-url, not both", "flags");
  if (!o.features.empty() && o.model_cmd.empty() && !served)
    throw Error("--features needs --model-cmd or --model-url", "flags");
  if ((!o.model_cmd.empty() || served) && o.features.empty())
    throw Error(std::string(served ? "--model-url" : "--model-cmd") + " needs --features", "flags");

  Predictions p;
  ServingStats stats;
  if (!o.data.empty()) {
    p = load_predictions(o.data, cols);
  } else if (served) {
    p = predictions_from_service(o.features, o.served, cols, &stats);
  } else {
    ModelCommand cmd;
    cmd.command = o.model_cmd;
    cmd.shell = o.model_shell;
    cmd.timeout_s = o.model_timeout;
    p = predictions_from_model(o.features, cmd, cols);
  }
  if (p.dropped > 0)
    log_info("mlgate-eval: dropped %lld rows with a missing label or score (--drop-missing)\n",
             static_cast<long long>(p.dropped));
  if (p.size() == 0)
    throw Error("no rows to evaluate", p.path, "the table is empty after dropping missing values");
  if (!o.predictions_out.empty()) write_file_atomic(o.predictions_out, predictions_csv(p, cols));
  if (!o.state_out.empty())
    write_state(o.state_out, eval_state(p, cols, has_policy ? policy.sha256 : std::string()));

  EvalResult r = evaluate(p, !o.no_curves, has_policy ? policy.slice_min_size : 0,
                          has_policy ? metric_request(policy, p.task) : MetricRequest{});
  ResultDoc doc;
  doc.tool = "mlgate-eval";
  doc.version = MLGATE_VERSION;
  doc.metrics = eval_metrics_json(r, p);
  if (served) doc.metrics.update(serving_json(stats));
  if (has_policy) {
    doc.checks = absolute_checks(r, policy, served ? doc.metrics : ojson(nullptr));
    std::size_t deferred = 0;
    for (const auto& rule : policy.metrics) deferred += rule.needs_baseline();
    for (const auto& rule : policy.slice_metrics) deferred += rule.needs_baseline();
    if (deferred)
      log_info("mlgate-eval: %zu bound(s) against a baseline are left to mlgate-compare\n",
               deferred);
  }
  doc.warnings = eval_warnings(r);
  ojson in;
  in["data"] = input_json(p);
  if (!o.model_cmd.empty()) in["data"]["model_cmd"] = o.model_cmd;
  if (served) {
    ojson m;
    m["url"] = redact_url(o.served.url);
    m["protocol"] = serve_protocol_name(o.served.protocol);
    if (!o.served.name.empty()) m["name"] = o.served.name;
    if (!o.served.version_path.empty()) m["version"] = o.served.version_path;
    if (!o.served.output.empty()) m["output"] = o.served.output;
    in["data"]["model_url"] = std::move(m);
  }
  doc.inputs = in;
  doc.provenance = make_provenance(has_policy ? policy.sha256 : std::string());
  print_eval_summary(doc, r);
  if (served)
    log_info(
        "mlgate-eval: served model: %lld requests, %lld retries, latency p50 %s ms, p95 %s "
        "ms, %s rows/s\n",
        static_cast<long long>(stats.requests), static_cast<long long>(stats.retries),
        format_short(stats.latency("p50"), 4).c_str(),
        format_short(stats.latency("p95"), 4).c_str(),
        format_short(stats.rows_per_second(), 4).c_str());
  return finish_document(doc, o.output, o.stamp);
}

}  // namespace mlgate
