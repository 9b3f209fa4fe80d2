#include "mlgate/decisions/fairness.hpp"

#include <sys/stat.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <numeric>
#include <unordered_map>

#include "mlgate/base/error.hpp"
#include "mlgate/base/log.hpp"
#include "mlgate/base/parallel.hpp"
#include "mlgate/base/runtime.hpp"
#include "mlgate/base/text.hpp"
#include "mlgate/decisions/decision.hpp"
#include "mlgate/decisions/eval.hpp"
#include "mlgate/measures/stats.hpp"

namespace mlgate {

namespace {

std::string group_label(const FairnessGroups& g, std::size_t k) {
  std::string s;
  for (std::size_t c = 0; c < g.columns.size(); ++c) {
    if (!s.empty()) s += ", ";
    s += g.columns[c] + "=" + (g.values[k][c] ? *g.values[k][c] : "null");
  }
  return s;
}

ojson group_json(const FairnessGroups& g, std::size_t k) {
  ojson o = ojson::object();
  for (std::size_t c = 0; c < g.columns.size(); ++c)
    o[g.columns[c]] = g.values[k][c] ? ojson(*g.values[k][c]) : ojson(nullptr);
  return o;
}

std::optional<double> ratio(double num, double den) {
  if (den == 0) return std::nullopt;
  return num / den;
}

// Rates from counts; a zero denominator leaves the rate undefined.
template <class C>
void fill_rates_from(GroupRates& r, C n, C pos, C pred_pos, C tp, C fp) {
  const C neg = n - pos, fn = pos - tp, tn = neg - fp;
  r.selection_rate = ratio(static_cast<double>(pred_pos), static_cast<double>(n));
  r.tpr = ratio(static_cast<double>(tp), static_cast<double>(pos));
  r.fnr = ratio(static_cast<double>(fn), static_cast<double>(pos));
  r.fpr = ratio(static_cast<double>(fp), static_cast<double>(neg));
  r.tnr = ratio(static_cast<double>(tn), static_cast<double>(neg));
  r.precision = ratio(static_cast<double>(tp), static_cast<double>(pred_pos));
  r.accuracy = ratio(static_cast<double>(tp + tn), static_cast<double>(n));
}

void fill_rates(GroupRates& r) {
  if (r.weighted)
    fill_rates_from(r, r.w_n, r.w_pos, r.w_pred_pos, r.w_tp, r.w_fp);
  else
    fill_rates_from(r, r.n, r.pos, r.pred_pos, r.tp, r.fp);
}

bool predicted(const Predictions& p, std::size_t i) { return p.binary().predicted_positive(i); }

std::optional<double> rate(const GroupRates& r, const std::string& which) {
  if (which == "selection_rate") return r.selection_rate;
  if (which == "tpr") return r.tpr;
  if (which == "fpr") return r.fpr;
  if (which == "precision") return r.precision;
  return r.accuracy;
}

// The rates each disparity is built from.
std::vector<std::string> rates_of(const std::string& name) {
  if (starts_with(name, "demographic_parity") || name == "disparate_impact" ||
      name == "statistical_parity_difference")
    return {"selection_rate"};
  if (starts_with(name, "equalized_odds") || name == "average_odds_difference")
    return {"tpr", "fpr"};
  if (starts_with(name, "equal_opportunity")) return {"tpr"};
  if (name == "predictive_parity_difference") return {"precision"};
  return {"accuracy"};
}

}  // namespace

FairnessGroups make_groups(const Predictions& p) {
  FairnessGroups g;
  const std::size_t n = p.size();
  for (const auto& s : p.slices) g.columns.push_back(s.column);
  // Each row's codes as one mixed-radix number; a dense table maps it to a group id.
  std::uint64_t space = 1;
  for (const auto& s : p.slices)
    space = std::min<std::uint64_t>(space * std::max<std::size_t>(1, s.values.size()), 1ull << 40);
  const bool dense = space <= (1u << 24);
  std::vector<std::uint32_t> table(dense ? space : 0, kMissingCode);
  std::unordered_map<std::uint64_t, std::uint32_t> sparse;
  std::vector<std::vector<std::uint32_t>> keys;
  g.row_group.resize(n);
  auto key_of = [&](std::size_t i) {
    std::uint64_t key = 0;
    for (std::size_t c = p.slices.size(); c-- > 0;)
      key = key * p.slices[c].values.size() + p.slices[c].codes[i];
    return key;
  };
  // Few possible groups (the usual case): the keys of the rows and which keys occur are found
  // on every core; groups are then numbered in key order, and the rows hold their key until
  // they are relabelled below. Otherwise groups are numbered as they first appear.
  const bool by_key = space <= (1u << 16);
  const std::size_t parts = std::max<std::size_t>(1, std::min<std::size_t>(64, n / 65536));
  if (by_key) {
    std::vector<std::vector<std::uint8_t>> seen(parts, std::vector<std::uint8_t>(space, 0));
    parallel_for(parts, [&](std::size_t part) {
      auto& S = seen[part];
      for (std::size_t i = n * part / parts; i < n * (part + 1) / parts; ++i) {
        auto key = static_cast<std::uint32_t>(key_of(i));
        g.row_group[i] = key;
        S[key] = 1;
      }
    });
    for (std::uint64_t key = 0; key < space; ++key) {
      bool any = false;
      for (const auto& S : seen) any = any || S[key];
      if (!any) continue;
      table[key] = static_cast<std::uint32_t>(keys.size());
      std::vector<std::uint32_t> codes(p.slices.size());
      std::uint64_t rest = key;
      for (std::size_t c = 0; c < p.slices.size(); ++c) {
        codes[c] = static_cast<std::uint32_t>(rest % p.slices[c].values.size());
        rest /= p.slices[c].values.size();
      }
      keys.push_back(std::move(codes));
    }
  }
  for (std::size_t i = 0; i < n && !by_key; ++i) {
    const std::uint64_t key = key_of(i);
    std::uint32_t* slot;
    if (dense) {
      slot = &table[key];
    } else {
      slot = &sparse.try_emplace(key, kMissingCode).first->second;
    }
    if (*slot == kMissingCode) {
      *slot = static_cast<std::uint32_t>(keys.size());
      std::vector<std::uint32_t> codes(p.slices.size());
      for (std::size_t c = 0; c < p.slices.size(); ++c) codes[c] = p.slices[c].codes[i];
      keys.push_back(std::move(codes));
    }
    g.row_group[i] = *slot;
  }
  // Groups in the order of their values, so documents are stable.
  std::vector<std::uint32_t> order(keys.size());
  for (std::uint32_t k = 0; k < order.size(); ++k) order[k] = k;
  auto value = [&](std::uint32_t k, std::size_t c) { return p.slices[c].values[keys[k][c]]; };
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    for (std::size_t c = 0; c < p.slices.size(); ++c) {
      auto va = value(a, c), vb = value(b, c);
      if (va != vb) return !va ? false : (!vb ? true : *va < *vb);
    }
    return false;
  });
  std::vector<std::uint32_t> rank(keys.size());
  for (std::uint32_t r = 0; r < order.size(); ++r) rank[order[r]] = r;
  if (by_key) {
    for (auto& t : table)
      if (t != kMissingCode) t = rank[t];
  }
  parallel_for(parts, [&](std::size_t part) {
    for (std::size_t i = n * part / parts; i < n * (part + 1) / parts; ++i)
      g.row_group[i] = by_key ? table[g.row_group[i]] : rank[g.row_group[i]];
  });
  for (std::uint32_t r = 0; r < order.size(); ++r) {
    std::vector<std::optional<std::string>> vals;
    for (std::size_t c = 0; c < p.slices.size(); ++c) vals.push_back(value(order[r], c));
    g.values.push_back(std::move(vals));
  }
  return g;
}

std::vector<GroupRates> group_rates(const Predictions& p, const FairnessGroups& g, bool with_auc,
                                    GroupRates* overall) {
  // One pass, split over the cores; then one sort of all the scores serves every group's AUC
  // and the overall's.
  const std::size_t G = g.values.size(), n = p.size();
  const bool weighted = !p.weight.empty();
  const std::size_t parts = std::max<std::size_t>(
      1, std::min<std::size_t>(std::size_t{default_threads()} * 4, n / 65536));
  std::vector<std::vector<GroupRates>> acc(parts, std::vector<GroupRates>(G));
  parallel_for(parts, [&](std::size_t part) {
    auto& A = acc[part];
    for (std::size_t i = n * part / parts; i < n * (part + 1) / parts; ++i) {
      GroupRates& r = A[g.row_group[i]];
      const bool y = p.label[i] != 0, yhat = predicted(p, i);
      ++r.n;
      r.pos += y;
      r.pred_pos += yhat;
      r.tp += y && yhat;
      r.fp += !y && yhat;
      if (weighted) {
        const double w = p.weight[i];
        r.weighted = true;
        r.w_n += w;
        r.w_pos += y ? w : 0;
        r.w_pred_pos += yhat ? w : 0;
        r.w_tp += y && yhat ? w : 0;
        r.w_fp += !y && yhat ? w : 0;
      }
    }
  });
  std::vector<GroupRates> out(G);
  GroupRates all;
  for (const auto& A : acc)
    for (std::size_t k = 0; k < G; ++k) {
      out[k].add(A[k]);
      all.add(A[k]);
    }
  for (auto& r : out) fill_rates(r);
  fill_rates(all);
  if (with_auc && weighted) {
    // Weighted AUCs: the metric engine's weighted walk per group, and over all rows.
    auto m = binary_metrics(p.binary(), Grouping{g.row_group, static_cast<std::uint32_t>(G)}, false,
                            true);
    for (std::size_t k = 0; k < out.size(); ++k) out[k].roc_auc = m[k].metrics.get("roc_auc");
    all.roc_auc = m[G].metrics.get("roc_auc");
  } else if (with_auc) {
    auto auc = roc_auc_by_group(
        p.score, p.label, Grouping{g.row_group, static_cast<std::uint32_t>(G)}, p.score_places);
    for (std::size_t k = 0; k < out.size(); ++k) out[k].roc_auc = auc[k];
    all.roc_auc = auc[G];
  }
  if (overall) *overall = all;
  return out;
}

bool disparity_lower_is_better(const std::string& name) { return ends_with(name, "_difference"); }

Disparity disparity(const std::string& name, const std::vector<GroupRates>& groups,
                    const GroupRates& overall, const std::vector<bool>& gated, int reference,
                    FairnessMethod method, const FairnessGroups& g) {
  Disparity d;
  // The appended reference group is not a group of its own; its members are not "other groups".
  std::vector<std::size_t> use;
  for (std::size_t k = 0; k < groups.size(); ++k)
    if (gated[k] && static_cast<int>(k) != reference) use.push_back(k);
  const bool against_reference = name == "disparate_impact" ||
                                 name == "statistical_parity_difference" ||
                                 name == "average_odds_difference";
  if (against_reference) {
    if (reference < 0) {
      d.why = name + " needs fairness.reference_group";
      return d;
    }
    use.erase(
        std::remove_if(use.begin(), use.end(), [&](std::size_t k) { return g.in_reference[k]; }),
        use.end());
    if (!gated[static_cast<std::size_t>(reference)]) {
      d.why = "the reference group " + group_label(g, static_cast<std::size_t>(reference)) +
              " is smaller than min_group_size";
      return d;
    }
    if (use.empty()) {
      d.why = "no gated group besides the reference group";
      return d;
    }
  } else if (use.size() < 2) {
    d.why = "fewer than two groups have at least min_group_size rows";
    return d;
  }
  // Every rate it needs must be defined in every group it uses.
  auto need = rates_of(name);
  std::vector<std::size_t> all = use;
  if (against_reference) all.push_back(static_cast<std::size_t>(reference));
  for (const auto& which : need)
    for (std::size_t k : all)
      if (!rate(groups[k], which)) {
        d.why = which + " is undefined for group " + group_label(g, k) + " (no " +
                (which == "tpr"         ? "positives"
                 : which == "fpr"       ? "negatives"
                 : which == "precision" ? "positive predictions"
                                        : "rows") +
                ")";
        return d;
      }
  if (against_reference) {
    const GroupRates& ref = groups[static_cast<std::size_t>(reference)];
    double best = 0;
    bool first = true;
    for (std::size_t k : use) {
      double v;
      if (name == "disparate_impact") {
        if (*ref.selection_rate == 0) {
          d.why = "the reference group's selection rate is 0";
          return d;
        }
        v = *groups[k].selection_rate / *ref.selection_rate;
        if (first || v < best) {
          best = v;
          d.worst = group_label(g, k);
        }
      } else {
        v = name == "statistical_parity_difference"
                ? *groups[k].selection_rate - *ref.selection_rate
                : ((*groups[k].fpr - *ref.fpr) + (*groups[k].tpr - *ref.tpr)) / 2;
        if (first || std::fabs(v) > std::fabs(best)) {
          best = v;
          d.worst = group_label(g, k);
        }
      }
      first = false;
    }
    d.value = best;
    return d;
  }
  // fairlearn's aggregations, per rate; equalized odds takes the worse of TPR and FPR.
  const bool is_ratio = ends_with(name, "_ratio");
  std::optional<double> result;
  for (const auto& which : need) {
    double v;
    std::string worst;
    if (method == FairnessMethod::kToOverall) {
      auto o = rate(overall, which);
      if (!o) {
        d.why = which + " is undefined overall";
        return d;
      }
      v = is_ratio ? std::numeric_limits<double>::infinity() : 0;
      for (std::size_t k : use) {
        double gv = *rate(groups[k], which), x;
        if (is_ratio) {
          if (*o == 0) {
            d.why = which + " is 0 overall, so the ratio is undefined";
            return d;
          }
          x = gv / *o;
          if (x > 1) x = 1 / x;
          if (x < v) {
            v = x;
            worst = group_label(g, k);
          }
        } else {
          x = std::fabs(gv - *o);
          if (x >= v) {
            v = x;
            worst = group_label(g, k);
          }
        }
      }
    } else {
      std::size_t lo = use[0], hi = use[0];
      for (std::size_t k : use) {
        if (*rate(groups[k], which) < *rate(groups[lo], which)) lo = k;
        if (*rate(groups[k], which) > *rate(groups[hi], which)) hi = k;
      }
      double mn = *rate(groups[lo], which), mx = *rate(groups[hi], which);
      if (is_ratio) {
        if (mx == 0) {
          d.why = which + " is 0 in every group, so the ratio is undefined";
          return d;
        }
        v = mn / mx;
      } else {
        v = mx - mn;
      }
      worst = group_label(g, lo) + " (" + which + " " + format_short(mn, 4) + ") vs " +
              group_label(g, hi) + " (" + format_short(mx, 4) + ")";
    }
    bool worse = !result || (is_ratio ? v < *result : v > *result);
    if (worse) {
      result = v;
      d.worst = worst;
    }
  }
  d.value = result;
  return d;
}

namespace {

ojson rates_json(const GroupRates& r) {
  auto o = [](const std::optional<double>& v) { return v ? ojson(*v) : ojson(nullptr); };
  return {{"selection_rate", o(r.selection_rate)},
          {"tpr", o(r.tpr)},
          {"fpr", o(r.fpr)},
          {"fnr", o(r.fnr)},
          {"tnr", o(r.tnr)},
          {"precision", o(r.precision)},
          {"accuracy", o(r.accuracy)},
          {"roc_auc", o(r.roc_auc)}};
}

// The reference group: the rows whose sensitive values match fairness.reference_group (columns it
// leaves out match anything), as one more group appended to the list.
int add_reference_group(const FairnessPolicy& fp, std::vector<GroupRates>& groups,
                        FairnessGroups& g) {
  if (fp.reference_group.empty()) return -1;
  for (const auto& [col, val] : fp.reference_group)
    if (std::find(g.columns.begin(), g.columns.end(), col) == g.columns.end())
      throw Error(
          "fairness.reference_group names " + quote(col) + ", which is not a sensitive column",
          "policy", "use one of the --sensitive-col columns");
  GroupRates ref;
  bool any = false;
  g.in_reference.assign(g.values.size() + 1, false);
  g.in_reference.back() = true;
  for (std::size_t k = 0; k < g.values.size(); ++k) {
    bool match = true;
    for (const auto& [col, val] : fp.reference_group) {
      std::size_t c = static_cast<std::size_t>(std::find(g.columns.begin(), g.columns.end(), col) -
                                               g.columns.begin());
      match = match && g.values[k][c] && canonical_class(*g.values[k][c]) == canonical_class(val);
    }
    if (!match) continue;
    any = true;
    g.in_reference[k] = true;
    ref.add(groups[k]);
  }
  if (!any) {
    std::string want;
    for (const auto& [col, val] : fp.reference_group)
      want += (want.empty() ? "" : ", ") + col + "=" + val;
    throw Error("no rows belong to the reference group " + want, "fairness.reference_group",
                "check the values");
  }
  fill_rates(ref);
  groups.push_back(ref);
  std::vector<std::optional<std::string>> vals;
  for (const auto& col : g.columns) {
    std::optional<std::string> v;
    for (const auto& [c, val] : fp.reference_group)
      if (c == col) v = val;
    vals.push_back(v ? v : std::optional<std::string>("*"));
  }
  g.values.push_back(vals);
  return static_cast<int>(groups.size()) - 1;
}

// The disparities of weighted rows (bootstrap resamples), for the paired bootstrap.
class WeightedDisparities : public WeightedEvaluator {
 public:
  WeightedDisparities(const Predictions& p, const FairnessGroups& g, const FairnessPolicy& fp,
                      std::vector<std::string> names)
      : g_(g), fp_(fp), names_(std::move(names)) {
    rows_ = p.size();
    y_.resize(rows_);
    yhat_.resize(rows_);
    for (std::size_t i = 0; i < rows_; ++i) {
      y_[i] = p.label[i] != 0;
      yhat_[i] = predicted(p, i);
    }
    sw_ = p.weight;
  }
  void evaluate(const std::uint8_t* w, double* out) const override {
    std::vector<GroupRates> groups(g_.values.size());
    GroupRates all;
    for (std::size_t i = 0; i < rows_; ++i) {
      if (!w[i]) continue;
      GroupRates& r = groups[g_.row_group[i]];
      for (GroupRates* t : {&r, &all}) {
        const std::int64_t wi = w[i];
        t->n += wi;
        t->pos += y_[i] * wi;
        t->pred_pos += yhat_[i] * wi;
        t->tp += (y_[i] && yhat_[i]) * wi;
        t->fp += (!y_[i] && yhat_[i]) * wi;
        if (sw_.empty()) continue;
        // Sample weights: each draw of a row weighs its weight.
        const double wd = static_cast<double>(wi) * sw_[i];
        t->weighted = true;
        t->w_n += wd;
        t->w_pos += y_[i] ? wd : 0;
        t->w_pred_pos += yhat_[i] ? wd : 0;
        t->w_tp += y_[i] && yhat_[i] ? wd : 0;
        t->w_fp += !y_[i] && yhat_[i] ? wd : 0;
      }
    }
    for (auto& r : groups) fill_rates(r);
    fill_rates(all);
    FairnessGroups g = g_;
    int ref = add_reference_group(fp_, groups, g);
    std::vector<bool> gated(groups.size());
    for (std::size_t k = 0; k < groups.size(); ++k) gated[k] = groups[k].n >= fp_.min_group_size;
    for (std::size_t j = 0; j < names_.size(); ++j) {
      Disparity d = disparity(names_[j], groups, all, gated, ref, fp_.method, g);
      out[j] = d.value ? *d.value : std::numeric_limits<double>::quiet_NaN();
    }
  }

 private:
  const FairnessGroups& g_;
  const FairnessPolicy& fp_;
  std::vector<std::string> names_;
  std::vector<std::uint8_t> y_, yhat_;
  std::vector<double> sw_;  // sample weights; empty: none
};

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

namespace {

// The groups of one model's predictions: rates per group, overall, which are gated, and the
// reference group (appended) when the policy names one.
struct Side {
  FairnessGroups g;
  std::vector<GroupRates> groups;  // the groups, then the reference group if there is one
  std::size_t n_groups = 0;        // groups before the reference group
  GroupRates overall;
  std::vector<bool> gated;
  int ref = -1;
  std::map<std::string, Disparity> disp;
};

Side measure_side(const Predictions& p, const FairnessPolicy& fp, bool with_intervals) {
  Side s;
  s.g = make_groups(p);
  s.groups = group_rates(p, s.g, with_intervals, &s.overall);
  s.n_groups = s.groups.size();
  s.ref = add_reference_group(fp, s.groups, s.g);
  s.gated.resize(s.groups.size());
  for (std::size_t k = 0; k < s.groups.size(); ++k) s.gated[k] = s.groups[k].n >= fp.min_group_size;
  for (const auto& name : fairness_metric_names())
    s.disp[name] = disparity(name, s.groups, s.overall, s.gated, s.ref, fp.method, s.g);
  return s;
}

// The sensitive columns: the flags', else the policy's; each named once.
std::vector<std::string> sensitive_columns(const FairnessOptions& o, const FairnessPolicy& fp) {
  std::vector<std::string> sensitive = o.sensitive.empty() ? fp.sensitive : o.sensitive;
  if (sensitive.empty())
    throw Error("no sensitive column", "flags",
                "pass --sensitive-col COLUMN or set fairness.sensitive in the policy");
  for (std::size_t i = 0; i < sensitive.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (sensitive[i] == sensitive[j])
        throw Error("sensitive column " + quote(sensitive[i]) + " is named twice",
                    o.sensitive.empty() ? "fairness.sensitive" : "--sensitive-col",
                    "name each column once; several different columns give intersectional groups");
  return sensitive;
}

// A signed AIF360 difference regresses when it moves away from 0: compared by magnitude.
bool compared_by_magnitude(const std::string& name) {
  return name == "statistical_parity_difference" || name == "average_odds_difference";
}

// A regression check waiting for the bootstrap.
struct Regression {
  std::size_t check;
  std::string name;
  double margin, delta;
  bool lower;
  double confidence;
  bool warn_only;  // severity: warn
};

class FairnessRun {
 public:
  explicit FairnessRun(const FairnessOptions& o) : o_(o) {}
  int run();

 private:
  void load();
  void load_baseline();
  void describe(ResultDoc& doc) const;
  void add_rule(const Rule& rule, ResultDoc& doc);
  void bootstrap_regressions(ResultDoc& doc);
  void explain(const Regression& r, const ChangeDecision& d, double p_value, Check& c) const;

  const FairnessOptions& o_;
  Policy policy_;
  ColumnOptions cols_;
  std::vector<std::string> sensitive_;
  Predictions p_;
  std::optional<Predictions> base_;
  Side cand_, bside_;
  std::vector<Regression> bootstrap_;
};

void FairnessRun::load() {
  ColumnOptions cols = o_.columns;
  if (!o_.policy.empty()) {
    policy_ = load_policy(o_.policy, Task::kBinary);
    apply_policy_columns(cols, policy_, o_.given);
  }
  sensitive_ = sensitive_columns(o_, policy_.fairness);
  if (cols.task && *cols.task != Task::kBinary)
    throw Error("fairness metrics need a binary task", "task",
                "selection rates and TPR/FPR are defined for binary labels");
  cols.task = Task::kBinary;
  if (o_.baseline.empty()) cols.id_col.clear();  // ids only pair rows with a baseline
  cols.slice_cols = sensitive_;  // the sensitive columns are read as slices, and only they
  p_ = load_predictions(o_.data, cols);
  if (p_.size() == 0) throw Error("no rows", o_.data);
  cols_ = cols;
}

void FairnessRun::load_baseline() {
  if (o_.baseline.empty() || !exists(o_.baseline)) return;
  ColumnOptions bcols = cols_;
  bcols.slice_cols.clear();
  bcols.cluster_col.clear();  // the data's clusters and weights apply to the paired rows
  bcols.weight_col.clear();
  base_ = load_predictions(o_.baseline, bcols);
  pair_rows(p_, *base_);
  base_->slices = p_.slices;
  base_->weight = p_.weight;
}

int FairnessRun::run() {
  load();
  const FairnessPolicy& fp = policy_.fairness;
  const auto t_compute = std::chrono::steady_clock::now();
  cand_ = measure_side(p_, fp, true);
  const std::size_t n_groups = cand_.n_groups;
  load_baseline();
  if (base_) bside_ = measure_side(*base_, fp, false);

  ResultDoc doc;
  doc.tool = "mlgate-fairness";
  doc.version = MLGATE_VERSION;
  describe(doc);
  // Checks: bounds on disparities, and regressions against the baseline.
  for (const Rule& rule : fp.metrics) add_rule(rule, doc);
  if (!bootstrap_.empty()) bootstrap_regressions(doc);
  if (runtime().timing)
    log_info("mlgate-fairness: computed in %.3f s after reading\n",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t_compute).count());
  if (!p_.weight.empty()) {
    AccurateSum total;
    for (double w : p_.weight) total.add(w);
    doc.metrics["weight_total"] = total.value();
  }
  doc.inputs["data"] = input_json(p_);
  doc.inputs["baseline"] = base_ ? input_json(*base_) : ojson(nullptr);
  doc.provenance = make_provenance(policy_.sha256);

  std::string over;
  for (const auto& c : sensitive_) over += (over.empty() ? "" : " x ") + c;
  log_info("mlgate-fairness: %zu groups over %s (%s)\n", n_groups, over.c_str(),
           name_of(fp.method));
  for (const auto& c : doc.checks)
    log_info("%-5s %s: %s\n", status_name(c.status), c.id.c_str(), c.message.c_str());
  print_warnings(doc.warnings);
  return finish_document(doc, o_.output, o_.stamp);
}

// The groups, disparities and overall rates in the document.
void FairnessRun::describe(ResultDoc& doc) const {
  const FairnessPolicy& fp = policy_.fairness;
  const Side& c = cand_;
  ojson jgroups = ojson::array();
  for (std::size_t k = 0; k < c.n_groups; ++k) {
    ojson e;
    e["group"] = group_json(c.g, k);
    e["n"] = c.groups[k].n;
    e["gated"] = static_cast<bool>(c.gated[k]);
    e["metrics"] = rates_json(c.groups[k]);
    jgroups.push_back(std::move(e));
    if (!c.gated[k])
      doc.warnings.push_back("group " + group_label(c.g, k) + " has " +
                             std::to_string(c.groups[k].n) + " rows, fewer than min_group_size " +
                             std::to_string(fp.min_group_size) + ": reported, not gated");
  }
  ojson jdisp = ojson::object(), jbase = ojson::object();
  for (const auto& name : fairness_metric_names()) {
    const Disparity& d = c.disp.at(name);
    jdisp[name] = d.value ? ojson(*d.value) : ojson(nullptr);
    if (base_) {
      const Disparity& b = bside_.disp.at(name);
      jbase[name] = b.value ? ojson(*b.value) : ojson(nullptr);
    }
  }
  doc.extra["groups"] = jgroups;
  doc.extra["disparities"] = jdisp;
  if (base_) doc.extra["baseline_disparities"] = jbase;
  doc.metrics["overall"] = rates_json(c.overall);
  doc.metrics["n"] = p_.size();
  doc.metrics["method"] = name_of(fp.method);
  doc.metrics["min_group_size"] = fp.min_group_size;
  doc.metrics["sensitive"] = sensitive_;
  if (c.ref >= 0) {
    const auto r = static_cast<std::size_t>(c.ref);
    doc.metrics["reference_group"] = {
        {"group", group_json(c.g, r)}, {"n", c.groups[r].n}, {"metrics", rates_json(c.groups[r])}};
  }
}

void FairnessRun::add_rule(const Rule& rule, ResultDoc& doc) {
  const Disparity& d = cand_.disp.at(rule.metric);
  std::string why = d.why.empty() ? rule.metric + " is undefined" : d.why;
  for (int side = 0; side < 2; ++side) {
    std::optional<double> b = side ? rule.max : rule.min;
    if (!b) continue;
    Check c = bound_check(rule.metric, nullptr, d.value, side ? std::nullopt : b,
                          side ? b : std::nullopt, rule.warn_only, why);
    if (!d.worst.empty()) c.extra["worst_group"] = d.worst;
    if (c.status == Status::kFail || c.status == Status::kWarn) c.message += "; worst: " + d.worst;
    doc.checks.push_back(std::move(c));
  }
  if (!rule.max_regression) return;
  Check c;
  c.id = rule.metric + ".regression";
  c.title = rule.metric + " regresses by at most " + format_short(*rule.max_regression, 6);
  c.metric = rule.metric;
  c.value = d.value;
  c.status = Status::kPass;
  const bool lower = disparity_lower_is_better(rule.metric);
  const Disparity* bd = base_ ? &bside_.disp.at(rule.metric) : nullptr;
  if (!base_) {
    c.status = policy_.missing_baseline == MissingBaseline::kWarn ? Status::kWarn : Status::kFail;
    c.message = std::string("no baseline to compare with (missing_baseline: ") +
                name_of(policy_.missing_baseline) + ")";
  } else if (!d.value || !bd->value) {
    c.status = Status::kError;
    c.message = std::string("cannot compare ") + rule.metric + ": " +
                (!d.value ? why : "undefined for the baseline: " + bd->why);
  } else {
    c.baseline = bd->value;
    double cv = *d.value, bv = *c.baseline;
    if (compared_by_magnitude(rule.metric)) {
      cv = std::fabs(cv);
      bv = std::fabs(bv);
    }
    c.delta = *d.value - *c.baseline;
    double improvement = lower ? bv - cv : cv - bv;
    c.threshold = lower ? *rule.max_regression : -*rule.max_regression;
    if (rule.confidence) {
      c.confidence = rule.confidence;
      c.method = name_of(BoundMethod::kBootstrap);
      bootstrap_.push_back({doc.checks.size(), rule.metric, *rule.max_regression, cv - bv, lower,
                            *rule.confidence, rule.warn_only});
    } else {
      bool ok = improvement >= -*rule.max_regression;
      c.status = ok ? Status::kPass : (rule.warn_only ? Status::kWarn : Status::kFail);
      c.message = rule.metric + " changed by " + format_short(*c.delta, 4) +
                  (ok ? " (within" : " (beyond") + " the allowed " +
                  format_short(*rule.max_regression, 4) + "; a point estimate)";
    }
  }
  doc.checks.push_back(std::move(c));
}

// Small groups are where point estimates lie: the changes with a confidence are bounded with a
// paired bootstrap and decided by the one decision engine (Holm across them); those undefined in
// too many resamples are errors whatever it decides.
void FairnessRun::bootstrap_regressions(ResultDoc& doc) {
  const Statistics& st = policy_.statistics;
  std::vector<std::string> names;
  names.reserve(bootstrap_.size());
  for (const auto& r : bootstrap_) names.push_back(r.name);
  FairnessGroups g1 = make_groups(p_);  // without the appended reference group
  WeightedDisparities w1(p_, g1, policy_.fairness, names), w2(*base_, g1, policy_.fairness, names);
  // With --cluster-col the resamples draw clusters (users, patients), not rows.
  std::optional<Clusters> clusters;
  if (!p_.cluster.codes.empty()) {
    std::vector<std::uint32_t> all(p_.size());
    std::iota(all.begin(), all.end(), 0U);
    clusters = clusters_of(p_.cluster.codes, all);
  }
  BootstrapDraws draws = paired_bootstrap(w1, w2, p_.size(), names.size(), st.bootstrap_samples,
                                          st.seed, o_.threads, clusters ? &*clusters : nullptr);
  std::vector<ChangeTest> tests(bootstrap_.size());
  for (std::size_t j = 0; j < bootstrap_.size(); ++j) {
    const auto& r = bootstrap_[j];
    ChangeTest& t = tests[j];
    std::size_t worse = 0;
    for (int b = 0; b < st.bootstrap_samples; ++b) {
      double cv = draws.first[j][b], bv = draws.second[j][b];
      if (std::isnan(cv) || std::isnan(bv)) continue;
      if (compared_by_magnitude(r.name)) {
        cv = std::fabs(cv);
        bv = std::fabs(bv);
      }
      double dv = cv - bv;
      t.draws.push_back(dv);
      worse += (r.lower ? -dv : dv) < -r.margin;
    }
    t.p_value = (static_cast<double>(worse) + 1) / (static_cast<double>(t.draws.size()) + 1);
    t.lower_is_better = r.lower;
    t.margin = r.margin;
    t.delta = r.delta;
    t.warn_only = r.warn_only;
    t.method = BoundMethod::kBootstrap;
    t.confidence = r.confidence;
  }
  const std::vector<ChangeDecision> verdicts =
      decide_changes(tests, st.multiple_testing, st.on_inconclusive);
  for (std::size_t j = 0; j < bootstrap_.size(); ++j) {
    Check& c = doc.checks[bootstrap_[j].check];
    if (tests[j].draws.size() * 10 < static_cast<std::size_t>(st.bootstrap_samples) * 9) {
      c.status = Status::kError;
      c.message = bootstrap_[j].name +
                  " is undefined in too many bootstrap resamples (groups too small to bound it)";
      continue;
    }
    explain(bootstrap_[j], verdicts[j], tests[j].p_value, c);
    if (clusters) {
      c.extra["resampled"] = "clusters";
      c.extra["clusters"] = clusters->count;
    }
  }
}

void FairnessRun::explain(const Regression& r, const ChangeDecision& d, double p_value,
                          Check& c) const {
  const double lo = d.lo, hi = d.hi;
  c.ci = std::array<double, 2>{lo, hi};
  c.p_value = p_value;
  c.verdict = d.verdict;
  c.status = d.status;
  if (d.verdict == "non_inferior") {
    c.message = "the disparity does not grow beyond the allowed " + format_short(r.margin, 4);
  } else if (d.verdict == "inferior") {
    c.message = "the disparity grows by more than " + format_short(r.margin, 4) + " (bounds [" +
                format_short(lo, 4) + ", " + format_short(hi, 4) + "])";
  } else {
    c.message = "inconclusive: the bounds of the change [" + format_short(lo, 4) + ", " +
                format_short(hi, 4) + "] straddle the allowed " + format_short(r.margin, 4);
  }
}

}  // namespace

int run_fairness(const FairnessOptions& o) { return FairnessRun(o).run(); }

}  // namespace mlgate
