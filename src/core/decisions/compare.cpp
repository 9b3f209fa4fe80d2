#include "mlgate/decisions/compare.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <random>
#include <unordered_map>

#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/json.hpp"
#include "mlgate/base/log.hpp"
#include "mlgate/base/text.hpp"
#include "mlgate/decisions/decision.hpp"
#include "mlgate/measures/stats.hpp"

namespace mlgate {

namespace {

struct Scope {  // NOLINT(bugprone-exception-escape): its members move without throwing
  ojson slice;  // null for overall
  std::vector<std::uint32_t> rows;  // empty: every row
  const GroupMetrics* cand = nullptr;
  const GroupMetrics* base = nullptr;  // predictions baseline
  ojson base_doc_metrics;              // metrics-only baseline
};

// A check against the baseline, waiting for its statistics.
struct Pending {
  Check check;
  std::size_t scope = 0;
  bool lower = false;  // lower is better
  double margin = 0;   // allowed worsening, in the metric's units
  double delta = 0;    // candidate - baseline
  bool stats = false;  // decided on a confidence bound
  bool warn_only = false;
  double confidence = 0;
  BoundMethod method = BoundMethod::kPoint;  // kDelong or kBootstrap with a confidence
  double se = 0;                             // delong
  std::vector<double> draws;                 // bootstrap: delta of each resample
  double p = 1;                              // p-value of "worse by more than the margin"
};

double improvement(const Pending& q, double delta) { return q.lower ? -delta : delta; }

std::string pct(double c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g%%", c * 100);
  return buf;
}

std::optional<double> doc_metric(const ojson& metrics, const std::string& name) {
  if (!metrics.is_object() || !metrics.contains(name) || !metrics[name].is_number())
    return std::nullopt;
  return metrics[name].get<double>();
}

// The baseline metrics of a metrics-only baseline document, overall or for one slice.
ojson doc_scope_metrics(const ResultDoc& doc, const ojson& slice) {
  const ojson* m = &doc.metrics;
  if (m->contains("candidate")) m = &(*m)["candidate"];
  if (slice.is_null()) return m->contains("overall") ? (*m)["overall"] : ojson::object();
  if (m->contains("slices") && (*m)["slices"].is_array())
    for (const auto& s : (*m)["slices"])
      if (s.contains("slice") && s["slice"] == slice && s.contains("metrics")) return s["metrics"];
  return ojson::object();
}

void print_summary(const ResultDoc& doc) {
  for (const auto& c : doc.checks) {
    std::string verdict = c.verdict.empty() ? "-" : c.verdict;
    for (auto& ch : verdict) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    log_info("%-13s %-5s %s: %s\n", verdict.c_str(), status_name(c.status), c.id.c_str(),
             c.message.c_str());
    log_verbose("%s: decided by %s", c.id.c_str(),
                c.method.empty() ? "the point estimate" : c.method.c_str());
  }
  print_warnings(doc.warnings);
  const auto j = doc.to_json();
  log_info("mlgate-compare: %s (%d passed, %d failed, %d warned, %d errors)\n",
           status_name(doc.status()), j["summary"]["passed"].get<int>(),
           j["summary"]["failed"].get<int>(), j["summary"]["warned"].get<int>(),
           j["summary"]["errors"].get<int>());
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Whether the file is one JSON document with an mlgate schema (a metrics-only baseline).
std::optional<ResultDoc> try_result_doc(const std::string& path) {
  std::string lower;
  for (char ch : path) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (!ends_with(lower, ".json")) return std::nullopt;
  std::string text = read_file(path);
  nlohmann::json j;
  try {
    j = parse_json(text, path);
  } catch (const Error& e) {
    throw Error(e.what_text(), e.where(), "a baseline .json must be an mlgate result document");
  }
  if (!j.is_object() || !j.contains("schema")) return std::nullopt;
  return ResultDoc::from_json(j, path);
}

// mlgate-compare's run, step by step: the candidate and its baseline, the scopes (overall and
// the gated slices), the checks, their statistics per scope, the decision, the document.
class Comparison {
 public:
  explicit Comparison(const CompareOptions& o) : o_(o) {}
  int run() {
    load_inputs();
    build_scopes();
    add_rules(policy_.metrics, 0);
    for (std::size_t si = 1; si < scopes_.size(); ++si) add_rules(policy_.slice_metrics, si);
    for (std::size_t si = 0; si < scopes_.size(); ++si) {
      bootstrap_scope(si);
      delong_scope(si);
    }
    latency_bootstrap();
    decide();
    for (auto& q : pending_) checks_.push_back(std::move(q.check));
    ResultDoc doc = document(mcnemar_tests());
    print_summary(doc);
    return finish_document(doc, o_.output, o_.stamp);
  }

 private:
  // The baseline: predictions (paired), a result document (point checks only), or absent.
  enum class Baseline { kPredictions, kDocument, kAbsent };

  void load_inputs();
  void build_scopes();
  void add_rules(const std::vector<Rule>& rules, std::size_t si);
  // Fills a check against the baseline; false when it is decided already (no baseline, an
  // undefined metric, a confidence a document cannot give).
  bool prepare_change(Pending& q, const Rule& rule, const Scope& s, bool relative, double bound,
                      const std::string& why);
  const std::vector<std::uint32_t>& scope_rows(std::size_t si);
  void bootstrap_scope(std::size_t si);
  void delong_scope(std::size_t si);
  void decide();
  void explain(Pending& q, const ChangeDecision& d) const;
  ojson mcnemar_tests();
  ResultDoc document(ojson tests);

  const CompareOptions& o_;
  Policy policy_;
  Predictions cand_, base_;
  Baseline kind_ = Baseline::kAbsent;
  std::optional<ResultDoc> base_doc_;
  std::string pairing_;
  std::vector<std::string> warnings_;
  EvalResult ce_;
  std::optional<EvalResult> be_;
  MetricRequest request_;  // the policy's on-request metrics and their parameters
  std::vector<Scope> scopes_;
  std::vector<std::uint32_t> all_rows_;
  std::vector<Check> checks_;
  std::vector<Pending> pending_;
  // The served models' timing (an eval document's metrics), null when not given.
  ojson cand_serving_, base_serving_;
  // Interleaved served models: each batch's request time, aligned by batch.
  std::vector<double> cand_latency_, base_latency_;
  void latency_bootstrap();
};

void Comparison::load_inputs() {
  ColumnOptions cols = o_.columns;
  policy_ = load_policy(
      o_.policy, cols.task ? cols.task
                           : (cols.proba_cols.empty() ? std::nullopt
                                                      : std::optional<Task>(Task::kMulticlass)));
  apply_policy_columns(cols, policy_, o_.given);
  const bool served = !o_.candidate_model.url.empty() || !o_.baseline_model.url.empty();
  if (served) {
    if (o_.candidate_model.url.empty() || o_.baseline_model.url.empty() || o_.features.empty())
      throw Error("--candidate-url, --baseline-url and --features go together", "flags",
                  "both served models are scored on the same features");
    if (!o_.candidate.empty() || !o_.baseline.empty())
      throw Error("give --candidate/--baseline files or --candidate-url/--baseline-url, not both",
                  "flags");
  } else if (o_.candidate.empty()) {
    throw Error("--candidate is required", "--candidate",
                "a predictions file, or --candidate-url with --baseline-url and --features");
  } else if (!o_.features.empty()) {
    throw Error("--features needs --candidate-url and --baseline-url", "--features");
  }
  if (served) {
    ServingStats cs, bs;
    auto [c, b] = predictions_from_services(o_.features, o_.candidate_model, o_.baseline_model,
                                            cols, &cs, &bs);
    cand_ = std::move(c);
    base_ = std::move(b);
    pairing_ = "row_order";
    kind_ = Baseline::kPredictions;
    cand_serving_ = serving_json(cs);
    base_serving_ = serving_json(bs);
    cand_latency_ = std::move(cs.latency_ms);
    base_latency_ = std::move(bs.latency_ms);
    if (cand_.size() == 0) throw Error("no rows to compare", o_.features);
  } else {
    cand_ = load_predictions(o_.candidate, cols);
    if (cand_.size() == 0) throw Error("no rows to compare", o_.candidate);
  }
  if (!served && !o_.baseline.empty() && file_exists(o_.baseline)) {
    base_doc_ = try_result_doc(o_.baseline);
    if (base_doc_) {
      kind_ = Baseline::kDocument;
    } else {
      ColumnOptions bcols = cols;
      bcols.slice_cols.clear();   // the candidate's slices apply to the paired rows
      bcols.weight_col.clear();   // and so do its weights
      bcols.cluster_col.clear();  // and its clusters
      base_ = load_predictions(o_.baseline, bcols);
      pairing_ = pair_rows(cand_, base_);
      base_.slices = cand_.slices;
      base_.weight = cand_.weight;
      kind_ = Baseline::kPredictions;
    }
  } else if (!served) {
    warnings_.push_back(o_.baseline.empty()
                            ? "no baseline was given"
                            : "the baseline " + quote(o_.baseline) + " does not exist");
  }
  request_ = metric_request(policy_, cand_.task);
  ce_ = evaluate(cand_, true, policy_.slice_min_size, request_);
  if (kind_ == Baseline::kPredictions)
    be_ = evaluate(base_, true, policy_.slice_min_size, request_);
  auto eval_doc = [](const std::string& path, const char* flag) {
    std::optional<ResultDoc> d = try_result_doc(path);
    if (!d || d->tool != "mlgate-eval")
      throw Error("not an mlgate-eval result document", path,
                  std::string(flag) + " takes the document mlgate-eval wrote for a served model");
    return d->metrics;
  };
  if (!o_.candidate_eval.empty()) cand_serving_ = eval_doc(o_.candidate_eval, "--candidate-eval");
  if (!o_.baseline_eval.empty())
    base_serving_ = eval_doc(o_.baseline_eval, "--baseline-eval");
  else if (kind_ == Baseline::kDocument)
    base_serving_ = base_doc_->metrics;
}

// Scopes: overall, then every gated slice.
void Comparison::build_scopes() {
  scopes_.push_back(Scope{nullptr, {}, &ce_.overall, be_ ? &be_->overall : nullptr, {}});
  if (kind_ == Baseline::kDocument)
    scopes_[0].base_doc_metrics = doc_scope_metrics(*base_doc_, nullptr);
  std::size_t k = 0;
  for (const auto& sc : cand_.slices) {
    for (std::uint32_t v = 0; v < sc.values.size(); ++v, ++k) {
      const SliceResult& sr = ce_.slices[k];
      if (!sr.gated || policy_.slice_metrics.empty()) continue;
      Scope s;
      s.slice = sr.slice;
      for (std::size_t i = 0; i < sc.codes.size(); ++i)
        if (sc.codes[i] == v) s.rows.push_back(static_cast<std::uint32_t>(i));
      s.cand = &sr.metrics;
      s.base = be_ ? &be_->slices[k].metrics : nullptr;
      if (kind_ == Baseline::kDocument)
        s.base_doc_metrics = doc_scope_metrics(*base_doc_, sr.slice);
      scopes_.push_back(std::move(s));
    }
  }
}

// Checks: absolute bounds at once; bounds against the baseline wait for their statistics.
void Comparison::add_rules(const std::vector<Rule>& rules, std::size_t si) {
  const Scope& s = scopes_[si];
  for (const Rule& rule : rules) {
    const bool serving = is_serving_metric(rule.metric);
    MetricValue cv =
        serving ? serving_metric(cand_serving_, rule.metric) : s.cand->metrics.get(rule.metric);
    std::string why = rule.metric + " is undefined on the candidate's rows";
    if (serving)
      why = cand_serving_.is_null()
                ? "it is measured on a served model: give the candidate's mlgate-eval document "
                  "with --candidate-eval"
                : "the candidate's document has no " + rule.metric;
    for (const auto& w : s.cand->warnings)
      if (!serving && w.find(rule.metric) != std::string::npos) why = w;
    if (rule.min)
      checks_.push_back(
          bound_check(rule.metric, s.slice, cv, rule.min, std::nullopt, rule.warn_only, why));
    if (rule.max)
      checks_.push_back(
          bound_check(rule.metric, s.slice, cv, std::nullopt, rule.max, rule.warn_only, why));
    for (int relative = 0; relative < 2; ++relative) {
      std::optional<double> bound = relative ? rule.max_relative_regression : rule.max_regression;
      if (!bound) continue;
      Pending q;
      q.scope = si;
      if (prepare_change(q, rule, s, relative != 0, *bound, why))
        pending_.push_back(std::move(q));
      else
        checks_.push_back(std::move(q.check));
    }
  }
}

bool Comparison::prepare_change(Pending& q, const Rule& rule, const Scope& s, bool relative,
                                double bound, const std::string& why) {
  const Statistics& st = policy_.statistics;
  const bool serving = is_serving_metric(rule.metric);
  q.lower = serving ? rule.metric != "rows_per_second"
                    : find_metric(rule.metric, cand_.task)->lower_is_better;
  q.warn_only = rule.warn_only;
  Check& c = q.check;
  c.status = Status::kPass;  // until a statistic or the comparison says otherwise
  std::string sl = slice_label(s.slice);
  c.metric = rule.metric;
  c.slice = s.slice;
  c.id = rule.metric + (relative ? ".relative_regression" : ".regression") + sl;
  c.title =
      rule.metric + (sl.empty() ? "" : " " + sl) + " regresses by at most " +
      (relative ? format_short(bound * 100, 4) + "% of the baseline" : format_short(bound, 6));
  MetricValue cv =
      serving ? serving_metric(cand_serving_, rule.metric) : s.cand->metrics.get(rule.metric);
  c.value = cv;
  MetricValue bv;
  if (serving)
    bv = serving_metric(base_serving_, rule.metric);
  else if (kind_ == Baseline::kPredictions)
    bv = s.base->metrics.get(rule.metric);
  else if (kind_ == Baseline::kDocument)
    bv = doc_metric(s.base_doc_metrics, rule.metric);
  c.baseline = bv;
  if (serving && cv && !bv && base_serving_.is_null() && kind_ != Baseline::kAbsent) {
    c.status = Status::kError;
    c.message = "cannot compare " + rule.metric +
                ": the baseline's serving metrics are unknown (give its mlgate-eval document "
                "with --baseline-eval)";
    return false;
  }
  if (kind_ == Baseline::kAbsent && !(serving && !base_serving_.is_null())) {
    c.status = policy_.missing_baseline == MissingBaseline::kWarn ? Status::kWarn : Status::kFail;
    c.message = std::string("no baseline to compare with (missing_baseline: ") +
                name_of(policy_.missing_baseline) + ")";
    return false;
  }
  if (!cv || !bv) {
    c.status = Status::kError;
    c.message = std::string("cannot compare ") + rule.metric + ": it is undefined on the " +
                (!cv ? "candidate" : "baseline") + (!cv ? " (" + why + ")" : "");
    return false;
  }
  q.delta = *cv - *bv;
  q.margin = relative ? bound * std::fabs(*bv) : bound;
  c.delta = q.delta;
  c.threshold = q.lower ? q.margin : -q.margin;
  if (!rule.confidence) return true;
  if (serving) {
    if (cand_latency_.empty() || cand_latency_.size() != base_latency_.size() ||
        rule.metric == "rows_per_second") {
      c.status = Status::kError;
      c.confidence = rule.confidence;
      c.message = rule.metric == "rows_per_second"
                      ? "rows_per_second is compared as a point check; drop its confidence"
                      : rule.metric +
                            " with a confidence needs both models scored on the same batches "
                            "(--candidate-url, --baseline-url); documents hold summaries only";
      return false;
    }
    q.stats = true;
    q.confidence = *rule.confidence;
    c.confidence = q.confidence;
    q.method = BoundMethod::kBootstrap;
    c.method = "bootstrap";
    return true;
  }
  if (kind_ == Baseline::kDocument) {
    c.status = Status::kError;
    c.confidence = rule.confidence;
    c.message =
        "a check with confidence needs row-level baseline predictions; the baseline is a "
        "result document";
    return false;
  }
  q.stats = true;
  q.confidence = *rule.confidence;
  c.confidence = q.confidence;
  const bool weighted = !cand_.weight.empty();
  const bool clustered = !cand_.cluster.codes.empty();
  if ((weighted || clustered) && rule.metric == "roc_auc" && st.method == StatMethod::kDelong) {
    c.status = Status::kError;
    c.message = weighted ? "DeLong's test has no weighted form; with --weight-col use method: "
                           "auto or bootstrap"
                         : "DeLong's test assumes independent rows; with --cluster-col use "
                           "method: auto or bootstrap";
    return false;
  }
  q.method =
      rule.metric == "roc_auc" && st.method != StatMethod::kBootstrap && !weighted && !clustered
          ? BoundMethod::kDelong
          : BoundMethod::kBootstrap;
  c.method = name_of(q.method);
  if (weighted) c.extra["weighted"] = true;  // each drawn row counts its sample weight
  if (clustered)
    c.extra["resampled"] = "clusters";
  else if (cand_.task == Task::kRanking)
    c.extra["resampled"] = "queries";
  if (rule.metric == "roc_auc" && (weighted || clustered))
    c.extra["method_reason"] = clustered ? "clustered rows: DeLong's test assumes independent rows"
                                         : "sample weights: DeLong's test has no weighted form";
  if (st.method == StatMethod::kDelong && q.method != BoundMethod::kDelong)
    warnings_.push_back("statistics.method is delong, but DeLong's test applies to roc_auc only: " +
                        c.id + " is decided on the paired bootstrap");
  return true;
}

// The rows of a scope (a slice's, or every row).
const std::vector<std::uint32_t>& Comparison::scope_rows(std::size_t si) {
  if (!scopes_[si].rows.empty()) return scopes_[si].rows;
  if (all_rows_.size() != cand_.size()) {
    all_rows_.resize(cand_.size());
    for (std::size_t i = 0; i < all_rows_.size(); ++i) all_rows_[i] = static_cast<std::uint32_t>(i);
  }
  return all_rows_;
}

// One paired bootstrap for all of a scope's metrics decided on it.
void Comparison::bootstrap_scope(std::size_t si) {
  const Statistics& st = policy_.statistics;
  auto mine = [&](const Pending& q) {
    return q.scope == si && q.stats && q.method == BoundMethod::kBootstrap &&
           !is_serving_metric(q.check.metric);
  };
  std::vector<std::string> names;
  for (auto& q : pending_)
    if (mine(q) && std::find(names.begin(), names.end(), q.check.metric) == names.end())
      names.push_back(q.check.metric);
  if (names.empty()) return;
  // Rows in the candidate's score order: its walk then reads the weights sequentially.
  std::vector<std::uint32_t> ordered(scope_rows(si));
  if (cand_.task == Task::kBinary)
    std::stable_sort(ordered.begin(), ordered.end(), [&](std::uint32_t a, std::uint32_t b) {
      return cand_.score[a] > cand_.score[b];
    });
  std::unique_ptr<WeightedEvaluator> e1, e2;
  if (cand_.task == Task::kBinary) {
    e1 = make_weighted_binary(cand_.binary(), ordered, names, request_);
    e2 = make_weighted_binary(base_.binary(), ordered, names, request_);
  } else if (cand_.task == Task::kMulticlass) {
    e1 = make_weighted_multiclass(cand_.multiclass(), ordered, names, request_);
    e2 = make_weighted_multiclass(base_.multiclass(), ordered, names, request_);
  } else if (cand_.task == Task::kRanking) {
    e1 = make_weighted_ranking(cand_.ranking(), ordered, names, request_);
    e2 = make_weighted_ranking(base_.ranking(), ordered, names, request_);
  } else {
    e1 = make_weighted_regression(cand_.regression(), ordered, names, request_);
    e2 = make_weighted_regression(base_.regression(), ordered, names, request_);
  }
  // A ranking's unit is the query: its resamples draw queries (or the --cluster-col clusters
  // the queries nest in), never single rows.
  std::optional<Clusters> clusters;
  if (!cand_.cluster.codes.empty())
    clusters = clusters_of(cand_.cluster.codes, ordered);
  else if (cand_.task == Task::kRanking)
    clusters = clusters_of(cand_.query.codes, ordered);
  BootstrapDraws draws =
      paired_bootstrap(*e1, *e2, ordered.size(), names.size(), st.bootstrap_samples, st.seed,
                       o_.threads, clusters ? &*clusters : nullptr);
  for (auto& q : pending_) {
    if (!mine(q)) continue;
    if (clusters)
      q.check.extra[cand_.cluster.codes.empty() ? "queries" : "clusters"] = clusters->count;
    std::size_t j = static_cast<std::size_t>(std::find(names.begin(), names.end(), q.check.metric) -
                                             names.begin());
    std::size_t undefined = 0, worse = 0;
    for (int b = 0; b < st.bootstrap_samples; ++b) {
      double d = draws.first[j][b] - draws.second[j][b];
      if (std::isnan(d)) {
        ++undefined;
        continue;
      }
      q.draws.push_back(d);
      worse += improvement(q, d) < -q.margin;
    }
    if (undefined * 10 > static_cast<std::size_t>(st.bootstrap_samples)) {
      q.check.status = Status::kError;
      q.check.message = q.check.metric + " is undefined in " + std::to_string(undefined) + " of " +
                        std::to_string(st.bootstrap_samples) +
                        " bootstrap resamples; too few rows" +
                        (q.check.slice.is_null() ? "" : " in this slice") + " to bound it";
      q.stats = false;
      continue;
    }
    // The usual bootstrap p-value, never exactly zero: (k + 1) / (B + 1).
    q.p = (static_cast<double>(worse) + 1) / (static_cast<double>(q.draws.size()) + 1);
  }
}

// Latency changes between two served models scored interleaved: batches resampled with
// replacement, the same batches for both models (their requests were sent side by side), the
// statistic (p50 ... max, mean) of each resample's latencies differenced; seeded like the
// metrics' bootstrap.
void Comparison::latency_bootstrap() {
  const Statistics& st = policy_.statistics;
  const std::size_t m = cand_latency_.size();
  for (auto& q : pending_) {
    if (!(q.stats && is_serving_metric(q.check.metric))) continue;
    const std::string which = q.check.metric.substr(8, q.check.metric.size() - 11);
    std::mt19937_64 rng(st.seed);
    std::uniform_int_distribution<std::size_t> pick(0, m - 1);
    ServingStats a, b;
    a.latency_ms.resize(m);
    b.latency_ms.resize(m);
    std::size_t worse = 0;
    for (int r = 0; r < st.bootstrap_samples; ++r) {
      for (std::size_t k = 0; k < m; ++k) {
        std::size_t i = pick(rng);
        a.latency_ms[k] = cand_latency_[i];
        b.latency_ms[k] = base_latency_[i];
      }
      double d = a.latency(which) - b.latency(which);
      q.draws.push_back(d);
      worse += improvement(q, d) < -q.margin;
    }
    q.p = (static_cast<double>(worse) + 1) / (static_cast<double>(q.draws.size()) + 1);
    q.check.extra["batches"] = m;
  }
}

// DeLong's paired test for a scope's roc_auc checks.
void Comparison::delong_scope(std::size_t si) {
  auto mine = [&](const Pending& q) {
    return q.scope == si && q.stats && q.method == BoundMethod::kDelong;
  };
  if (std::none_of(pending_.begin(), pending_.end(), mine)) return;
  const std::vector<std::uint32_t>& rows = scope_rows(si);
  std::vector<double> s1, s2;
  std::vector<std::uint8_t> y;
  s1.reserve(rows.size());
  s2.reserve(rows.size());
  y.reserve(rows.size());
  for (auto i : rows) {
    s1.push_back(cand_.score[i]);
    s2.push_back(base_.score[i]);
    y.push_back(cand_.label[i]);
  }
  auto dl = delong_paired(s1, s2, y, cand_.score_places, base_.score_places);
  for (auto& q : pending_) {
    if (!mine(q)) continue;
    if (!dl) {
      q.check.status = Status::kError;
      q.check.message = "DeLong's variance needs at least two positive and two negative rows";
      q.stats = false;
      continue;
    }
    q.se = dl->se_diff();
    double d = improvement(q, q.delta);
    q.p = q.se > 0 ? normal_cdf(-(d + q.margin) / q.se) : (d >= -q.margin ? 0.0 : 1.0);
    q.check.extra["delong"] = {
        {"auc_candidate", dl->auc1},
        {"auc_baseline", dl->auc2},
        {"var_candidate", dl->var1},
        {"var_baseline", dl->var2},
        {"covariance", dl->cov},
        {"se_delta", q.se},
        // Identical curves (no variance, no difference): Z = 0, p = 1, as pROC reports.
        {"z", q.se > 0       ? ojson(q.delta / q.se)
              : q.delta == 0 ? ojson(0.0)
                             : ojson(nullptr)},
        {"p_two_sided", q.se > 0       ? ojson(2 * normal_cdf(-std::fabs(q.delta) / q.se))
                        : q.delta == 0 ? ojson(1.0)
                                       : ojson(nullptr)}};
  }
}

// One decision engine for every check against the baseline; the messages are compare's own.
void Comparison::decide() {
  std::vector<ChangeTest> changes;
  std::vector<std::size_t> decided;  // pending index of each test
  for (std::size_t k = 0; k < pending_.size(); ++k) {
    Pending& q = pending_[k];
    if (!q.stats && q.check.status == Status::kError) continue;
    ChangeTest t;
    t.lower_is_better = q.lower;
    t.margin = q.margin;
    t.delta = q.delta;
    t.warn_only = q.warn_only;
    if (q.stats) {
      t.method = q.method;
      t.confidence = q.confidence;
      t.se = q.se;
      t.draws = std::move(q.draws);
      t.p_value = q.p;
    }
    changes.push_back(std::move(t));
    decided.push_back(k);
  }
  const Statistics& st = policy_.statistics;
  const std::vector<ChangeDecision> verdicts =
      decide_changes(changes, st.multiple_testing, st.on_inconclusive);
  for (std::size_t t = 0; t < changes.size(); ++t) explain(pending_[decided[t]], verdicts[t]);
}

void Comparison::explain(Pending& q, const ChangeDecision& d) const {
  q.check.status = d.status;
  const std::string bound = format_short(*q.check.threshold, 4);
  if (!q.stats) {  // a point check: the estimate against the bound
    q.check.message = q.check.metric + " changed by " + format_short(q.delta, 4) + " (" +
                      (d.within ? "within" : "beyond") + " the bound " + bound +
                      "; a point estimate, no confidence asked for)";
    return;
  }
  const double lo = d.lo, hi = d.hi;
  q.check.ci = std::array<double, 2>{lo, hi};
  q.check.p_value = q.p;
  q.check.verdict = d.verdict;
  if (d.holm_adjusted) q.check.extra["confidence_adjusted"] = d.level;
  const std::string lvl = pct(d.level);
  if (d.verdict == "non_inferior") {
    q.check.message = "candidate is no worse than baseline beyond the bound (" + lvl +
                      " bound of the change " + format_short(q.lower ? hi : lo, 4) +
                      (q.lower ? " <= " : " >= ") + bound + ")";
  } else if (d.verdict == "inferior") {
    q.check.message = "candidate is worse than baseline by " + format_short(std::fabs(q.delta), 4) +
                      " (" + lvl + " bound of the change " + format_short(q.lower ? lo : hi, 4) +
                      (q.lower ? " > " : " < ") + bound + ")";
  } else {
    q.check.message = "inconclusive: the " + lvl + " bounds of the change [" + format_short(lo, 4) +
                      ", " + format_short(hi, 4) + "] straddle the bound " + bound +
                      (d.held_back_by_holm ? " after Holm's correction" : "") +
                      "; more rows would decide (on_inconclusive: " +
                      name_of(policy_.statistics.on_inconclusive) + ")";
  }
}

// McNemar on paired correctness, for information (and on accuracy checks).
ojson Comparison::mcnemar_tests() {
  ojson tests = ojson::object();
  // McNemar counts rows: it has no weighted form, and is left out with sample weights.
  if (kind_ != Baseline::kPredictions || cand_.task == Task::kRegression ||
      cand_.task == Task::kRanking || !cand_.weight.empty())
    return tests;
  std::vector<std::uint8_t> c1(cand_.size()), c2(cand_.size());
  const BinaryData cb = cand_.binary(), bb = base_.binary();
  auto argmax = [](const Predictions& p, std::size_t i) -> std::uint32_t {
    if (!p.class_pred.empty()) return p.class_pred[i];
    std::uint32_t best = 0;
    for (std::size_t c = 1; c < p.proba.size(); ++c)
      if (p.proba[c][i] > p.proba[best][i]) best = static_cast<std::uint32_t>(c);
    return best;
  };
  for (std::size_t i = 0; i < cand_.size(); ++i) {
    if (cand_.task == Task::kBinary) {
      c1[i] = cb.predicted_positive(i) == (cand_.label[i] != 0);
      c2[i] = bb.predicted_positive(i) == (cand_.label[i] != 0);
    } else {
      c1[i] = argmax(cand_, i) == cand_.class_label[i];
      c2[i] = argmax(base_, i) == cand_.class_label[i];
    }
  }
  McNemar mc = mcnemar(c1, c2);
  auto nullable = [](double v) { return std::isnan(v) ? ojson(nullptr) : ojson(v); };
  tests["mcnemar"] = {{"candidate_only_correct", mc.only_first},
                      {"baseline_only_correct", mc.only_second},
                      {"p_exact", mc.p_exact},
                      {"statistic", nullable(mc.statistic)},
                      {"p_asymptotic", nullable(mc.p_asymptotic)}};
  for (auto& c : checks_)
    if (c.metric == "accuracy" && c.slice.is_null()) c.extra["mcnemar"] = tests["mcnemar"];
  return tests;
}

ResultDoc Comparison::document(ojson tests) {
  const Statistics& st = policy_.statistics;
  ResultDoc doc;
  doc.tool = "mlgate-compare";
  doc.version = MLGATE_VERSION;
  doc.checks = std::move(checks_);
  doc.metrics["candidate"] = eval_metrics_json(ce_, cand_);
  if (kind_ == Baseline::kPredictions)
    doc.metrics["baseline"] = eval_metrics_json(*be_, base_);
  else if (kind_ == Baseline::kDocument)
    doc.metrics["baseline"] = base_doc_->metrics;
  else
    doc.metrics["baseline"] = nullptr;
  doc.metrics["pairing"] =
      pairing_.empty() ? ojson(nullptr) : ojson({{"by", pairing_}, {"rows", cand_.size()}});
  doc.metrics["statistics"] = {{"method", name_of(st.method)},
                               {"bootstrap_samples", st.bootstrap_samples},
                               {"seed", st.seed},
                               {"multiple_testing", name_of(st.multiple_testing)},
                               {"on_inconclusive", name_of(st.on_inconclusive)}};
  doc.metrics["tests"] = std::move(tests);
  doc.warnings = warnings_;
  for (const auto& w : eval_warnings(ce_)) doc.warnings.push_back("candidate: " + w);
  if (be_)
    for (const auto& w : eval_warnings(*be_)) doc.warnings.push_back("baseline: " + w);
  doc.inputs["candidate"] = input_json(cand_);
  if (!o_.candidate_model.url.empty()) {
    doc.inputs["candidate"]["model_url"] = {
        {"url", redact_url(o_.candidate_model.url)},
        {"protocol", serve_protocol_name(o_.candidate_model.protocol)}};
    doc.metrics["serving"] = {
        {"candidate", cand_serving_}, {"baseline", base_serving_}, {"interleaved", true}};
  }
  if (kind_ == Baseline::kPredictions) {
    doc.inputs["baseline"] = input_json(base_);
    if (!o_.baseline_model.url.empty())
      doc.inputs["baseline"]["model_url"] = {
          {"url", redact_url(o_.baseline_model.url)},
          {"protocol", serve_protocol_name(o_.baseline_model.protocol)}};
  } else if (kind_ == Baseline::kDocument) {
    doc.inputs["baseline"] = {
        {"path", o_.baseline}, {"sha256", sha256_file(o_.baseline)}, {"document", true}};
  } else {
    doc.inputs["baseline"] = nullptr;
  }
  if (!o_.candidate_eval.empty())
    doc.inputs["candidate_eval"] = {{"path", o_.candidate_eval},
                                    {"sha256", sha256_file(o_.candidate_eval)}};
  if (!o_.baseline_eval.empty())
    doc.inputs["baseline_eval"] = {{"path", o_.baseline_eval},
                                   {"sha256", sha256_file(o_.baseline_eval)}};
  doc.provenance = make_provenance(policy_.sha256);
  return doc;
}

}  // namespace

int run_compare(const CompareOptions& o) { return Comparison(o).run(); }

}  // namespace mlgate
