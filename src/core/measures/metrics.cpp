#include "mlgate/measures/metrics.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <memory>

#include "metrics_internal.hpp"
#include "mlgate/base/error.hpp"
#include "mlgate/base/parallel.hpp"

namespace mlgate {

const std::vector<MetricInfo>& metric_catalog() {
  static const std::vector<MetricInfo> catalog = {
      {"accuracy", Task::kBinary, false},
      {"balanced_accuracy", Task::kBinary, false},
      {"precision", Task::kBinary, false},
      {"recall", Task::kBinary, false},
      {"specificity", Task::kBinary, false},
      {"f1", Task::kBinary, false},
      {"mcc", Task::kBinary, false},
      {"roc_auc", Task::kBinary, false},
      {"average_precision", Task::kBinary, false},
      {"log_loss", Task::kBinary, true},
      {"brier", Task::kBinary, true},
      {"ece", Task::kBinary, true},
      {"positive_rate", Task::kBinary, false},
      {"prevalence", Task::kBinary, false},
      {"jaccard", Task::kBinary, false},
      {"balanced_accuracy_adjusted", Task::kBinary, false},
      {"positive_likelihood_ratio", Task::kBinary, false},
      {"negative_likelihood_ratio", Task::kBinary, true},
      {"hamming_loss", Task::kBinary, true},
      {"fbeta", Task::kBinary, false, true, "beta"},
      {"roc_auc_max_fpr", Task::kBinary, false, true, "max_fpr"},
      {"accuracy", Task::kMulticlass, false},
      {"balanced_accuracy", Task::kMulticlass, false},
      {"precision_macro", Task::kMulticlass, false},
      {"recall_macro", Task::kMulticlass, false},
      {"f1_macro", Task::kMulticlass, false},
      {"f1_micro", Task::kMulticlass, false},
      {"f1_weighted", Task::kMulticlass, false},
      {"mcc", Task::kMulticlass, false},
      {"cohen_kappa", Task::kMulticlass, false},
      {"log_loss", Task::kMulticlass, true},
      {"roc_auc_ovr", Task::kMulticlass, false},
      {"cohen_kappa_linear", Task::kMulticlass, false},
      {"cohen_kappa_quadratic", Task::kMulticlass, false},
      {"balanced_accuracy_adjusted", Task::kMulticlass, false},
      {"jaccard", Task::kMulticlass, false},
      {"hamming_loss", Task::kMulticlass, true},
      {"roc_auc_ovr_weighted", Task::kMulticlass, false},
      {"roc_auc_ovo", Task::kMulticlass, false, true},
      {"roc_auc_ovo_weighted", Task::kMulticlass, false, true},
      {"top_k_accuracy", Task::kMulticlass, false, true, "k"},
      {"mae", Task::kRegression, true},
      {"mse", Task::kRegression, true},
      {"rmse", Task::kRegression, true},
      {"r2", Task::kRegression, false},
      {"mape", Task::kRegression, true},
      {"median_ae", Task::kRegression, true},
      {"max_error", Task::kRegression, true},
      {"explained_variance", Task::kRegression, false},
      {"msle", Task::kRegression, true, true},
      {"rmsle", Task::kRegression, true, true},
      {"d2_absolute_error", Task::kRegression, false, true},
      {"mean_poisson_deviance", Task::kRegression, true, true},
      {"mean_gamma_deviance", Task::kRegression, true, true},
      {"mean_pinball_loss", Task::kRegression, true, true, "alpha"},
      {"mean_tweedie_deviance", Task::kRegression, true, true, "power"},
      {"ndcg_at_k", Task::kRanking, false, false, "k"},
      {"map_at_k", Task::kRanking, false, false, "k"},
      {"mrr", Task::kRanking, false},
      {"precision_at_k", Task::kRanking, false, false, "k"},
      {"recall_at_k", Task::kRanking, false, false, "k"},
      {"hit_rate_at_k", Task::kRanking, false, false, "k"},
  };
  return catalog;
}

const MetricInfo* find_metric(std::string_view name, Task task) {
  for (const auto& m : metric_catalog())
    if (m.task == task && name == m.name) return &m;
  return nullptr;
}

std::vector<std::string> metric_names(Task task) {
  std::vector<std::string> out;
  for (const auto& m : metric_catalog())
    if (m.task == task) out.emplace_back(m.name);
  return out;
}

bool MetricRequest::asks(std::string_view name) const {
  return std::find(names.begin(), names.end(), name) != names.end();
}

int MetricRequest::k_of(std::string_view metric) const {
  for (const auto& [name, k] : ks)
    if (name == metric) return k;
  return metric == "top_k_accuracy" ? 2 : 10;
}

void MetricRequest::set_k(const std::string& metric, int k) {
  for (auto& [name, v] : ks)
    if (name == metric) {
      v = k;
      return;
    }
  ks.emplace_back(metric, k);
}

void MetricSet::set(const std::string& name, MetricValue v) {
  if (v && !std::isfinite(*v)) v.reset();
  for (auto& [k, val] : values)
    if (k == name) {
      val = v;
      return;
    }
  values.emplace_back(name, v);
}

bool MetricSet::has(std::string_view name) const {
  for (const auto& kv : values)
    if (kv.first == name) return true;
  return false;
}

MetricValue MetricSet::get(std::string_view name) const {
  for (const auto& [k, v] : values)
    if (k == name) return v;
  return std::nullopt;
}

namespace {

// Row ranges for the parallel passes: a few per thread so uneven ranges balance out.
std::vector<std::pair<std::size_t, std::size_t>> row_ranges(std::size_t n) {
  std::size_t parts =
      n < (1u << 16) ? 1
                     : std::min<std::size_t>(std::size_t{default_threads()} * 4, n / (1u << 14));
  std::vector<std::pair<std::size_t, std::size_t>> r;
  for (std::size_t p = 0; p < parts; ++p) r.emplace_back(n * p / parts, n * (p + 1) / parts);
  return r;
}

inline std::uint32_t group_of(const Grouping& g, std::size_t i) {
  return g.group.empty() ? 0 : g.group[i];
}

}  // namespace

// Bin k holds (k/15, (k+1)/15]; 0 goes to the first bin.
int ece_bin(double p) {
  int k = static_cast<int>(std::ceil(p * kEceBins)) - 1;
  k = std::clamp(k, 0, kEceBins - 1);
  while (k > 0 && p <= k / static_cast<double>(kEceBins)) --k;
  while (k < kEceBins - 1 && p > (k + 1) / static_cast<double>(kEceBins)) ++k;
  return k;
}

double binary_log_loss_term(double p, bool positive) {
  double c = std::clamp(p, kLogLossEps, 1 - kLogLossEps);
  double q0 = 1 - c, q1 = c;
  double s = q0 + q1;
  return -std::log((positive ? q1 : q0) / s);
}

namespace {

// Cursors over keys sorted ascending, read from the largest down: one run, or several merged.
struct RunCursor {
  const std::uint64_t* p;
  std::size_t i;
  bool empty() const { return i == 0; }
  std::uint64_t top() const { return p[i - 1]; }
  void pop() { --i; }
};

// Keys given as a histogram (count per key), read from the largest key down, one at a time.
struct HistCursor {
  const std::uint32_t* h;
  std::int64_t k;  // the current key; -1 when empty
  std::uint32_t left = 0;
  HistCursor(const std::uint32_t* hist, std::size_t bins)
      : h(hist), k(static_cast<std::int64_t>(bins) - 1) {
    seek();
  }
  void seek() {
    while (k >= 0 && h[k] == 0) --k;
    left = k >= 0 ? h[k] : 0;
  }
  bool empty() const { return k < 0; }
  std::uint64_t top() const { return static_cast<std::uint64_t>(k); }
  void pop() {
    if (--left == 0) {
      --k;
      seek();
    }
  }
};

class MergeCursor {
 public:
  void add(const std::uint64_t* p, std::size_t n) {
    if (n == 0) return;
    runs_.push_back({p, n});
    heap_.push_back({p[n - 1], runs_.size() - 1});
    std::push_heap(heap_.begin(), heap_.end());
  }
  bool empty() const { return heap_.empty(); }
  std::uint64_t top() const { return heap_.front().first; }
  void pop() {
    std::pop_heap(heap_.begin(), heap_.end());
    auto& [key, r] = heap_.back();
    RunCursor& run = runs_[r];
    run.pop();
    if (run.empty()) {
      heap_.pop_back();
    } else {
      key = run.top();
      std::push_heap(heap_.begin(), heap_.end());
    }
  }

 private:
  std::vector<RunCursor> runs_;
  std::vector<std::pair<std::uint64_t, std::size_t>> heap_;
};

// A stretch of the walk, starting below tp0 positives and fp0 negatives with higher scores.
struct WalkPart {
  unsigned __int128 area2 = 0;  // twice the trapezoid area in units of 1/(P*N)
  ExactSum ap;
  PartialAuc pauc;
  std::vector<std::array<double, 2>> roc, pr;
};

// One step of the walk: dtp positives and dfp negatives at the next distinct score down, below
// tp positives and fp negatives; the one place a step's arithmetic is written.
struct WalkStepper {
  WalkPart w;
  std::int64_t tp, fp;
  std::size_t np, nn;
  bool curves, partial;
  double P, N;
  WalkStepper(std::int64_t tp0, std::int64_t fp0, std::size_t np_, std::size_t nn_, bool curves_,
              double max_fpr)
      : tp(tp0),
        fp(fp0),
        np(np_),
        nn(nn_),
        curves(curves_),
        partial(max_fpr > 0 && max_fpr < 1 && np_ > 0 && nn_ > 0),
        P(static_cast<double>(np_)),
        N(static_cast<double>(nn_)) {
    w.pauc.max_fpr = max_fpr;
  }
  void step(std::int64_t dtp, std::int64_t dfp) {
    w.area2 += static_cast<unsigned __int128>(dfp) * static_cast<unsigned __int128>(2 * tp + dtp);
    if (partial)
      w.pauc.step(static_cast<double>(tp), static_cast<double>(fp), static_cast<double>(dtp),
                  static_cast<double>(dfp), P, N);
    tp += dtp;
    fp += dfp;
    if (dtp > 0) {
      double precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
      w.ap.add(static_cast<double>(dtp) / P * precision);
    }
    if (curves) {
      w.roc.push_back({nn ? fp / N : 0.0, np ? tp / P : 0.0});
      if (np > 0) w.pr.push_back({tp / P, static_cast<double>(tp) / static_cast<double>(tp + fp)});
    }
  }
};

// max_fpr: the partial area up to it too (0: not asked).
template <class Cursor>
WalkPart walk(Cursor pos, Cursor neg, std::int64_t tp, std::int64_t fp, std::size_t np,
              std::size_t nn, bool curves, double max_fpr = 0) {
  WalkStepper st(tp, fp, np, nn, curves, max_fpr);
  while (!pos.empty() || !neg.empty()) {
    std::uint64_t k;
    if (pos.empty())
      k = neg.top();
    else if (neg.empty())
      k = pos.top();
    else
      k = std::max(pos.top(), neg.top());
    std::int64_t dtp = 0, dfp = 0;
    while (!pos.empty() && pos.top() == k) {
      pos.pop();
      ++dtp;
    }
    while (!neg.empty() && neg.top() == k) {
      neg.pop();
      ++dfp;
    }
    st.step(dtp, dfp);
  }
  return std::move(st.w);
}

RankSummary finish_walk(std::vector<WalkPart>& parts, std::size_t np, std::size_t nn, bool curves,
                        double max_fpr = 0) {
  RankSummary r;
  unsigned __int128 area2 = 0;
  ExactSum ap;
  PartialAuc pauc;
  pauc.max_fpr = max_fpr;
  if (curves) {
    r.roc.push_back({0.0, 0.0});
    if (np > 0) r.pr.push_back({0.0, 1.0});
  }
  for (auto& w : parts) {
    area2 += w.area2;
    ap.add(w.ap);
    pauc.area.add(w.pauc.area);
    r.roc.insert(r.roc.end(), w.roc.begin(), w.roc.end());
    r.pr.insert(r.pr.end(), w.pr.begin(), w.pr.end());
  }
  const double P = static_cast<double>(np), N = static_cast<double>(nn);
  r.set_areas(static_cast<double>(area2), P, N, pauc);
  if (np > 0) r.ap = ap.value();
  if (curves) {
    r.roc = downsample(r.roc);
    r.pr = downsample(r.pr);
  }
  return r;
}

RankSummary rank_summary(const std::uint64_t* pos, std::size_t np, const std::uint64_t* neg,
                         std::size_t nn, bool curves, double max_fpr = 0) {
  std::vector<WalkPart> parts;
  parts.push_back(walk(RunCursor{pos, np}, RunCursor{neg, nn}, 0, 0, np, nn, curves, max_fpr));
  return finish_walk(parts, np, nn, curves, max_fpr);
}

// The walk over many sorted runs (the overall from per-group buckets). The key space is cut at
// splitters into pieces walked in parallel; each piece starts from the counts above it.
RankSummary rank_summary_runs(const std::vector<RunCursor>& pos_runs,
                              const std::vector<RunCursor>& neg_runs, bool curves,
                              double max_fpr = 0) {
  std::size_t np = 0, nn = 0;
  const RunCursor* biggest = nullptr;
  for (const auto& r : pos_runs) {
    np += r.i;
    if (!biggest || r.i > biggest->i) biggest = &r;
  }
  for (const auto& r : neg_runs) {
    nn += r.i;
    if (!biggest || r.i > biggest->i) biggest = &r;
  }
  // Splitters, descending: piece j holds keys in (split[j], split[j-1]].
  std::vector<std::uint64_t> split;
  const std::size_t pieces = (np + nn) < (1u << 18) ? 1 : default_threads() * 8;
  for (std::size_t j = pieces - 1; j >= 1 && biggest && biggest->i > 0; --j) {
    std::uint64_t s = biggest->p[biggest->i * j / pieces];
    if (split.empty() || s < split.back()) split.push_back(s);
  }
  std::sort(split.begin(), split.end(), std::greater<>());
  const std::size_t K = split.size() + 1;
  auto above = [](const RunCursor& r, std::uint64_t key) {  // keys > key in run
    return r.i - static_cast<std::size_t>(std::upper_bound(r.p, r.p + r.i, key) - r.p);
  };
  std::vector<WalkPart> parts(K);
  parallel_for(K, [&](std::size_t j) {
    MergeCursor pos, neg;
    std::int64_t tp0 = 0, fp0 = 0;
    auto add_runs = [&](const std::vector<RunCursor>& runs, MergeCursor& cur,
                        std::int64_t& count0) {
      for (const auto& r : runs) {
        std::size_t hi = j == 0 ? r.i : r.i - above(r, split[j - 1]);  // exclusive end
        std::size_t lo = j == K - 1 ? 0 : r.i - above(r, split[j]);
        count0 += static_cast<std::int64_t>(r.i - hi);
        if (hi > lo) cur.add(r.p + lo, hi - lo);
      }
    };
    add_runs(pos_runs, pos, tp0);
    add_runs(neg_runs, neg, fp0);
    parts[j] = walk(std::move(pos), std::move(neg), tp0, fp0, np, nn, curves, max_fpr);
    // Curves are for drawing: thin each piece early so memory stays small.
    parts[j].roc = downsample(parts[j].roc, 1000);
    parts[j].pr = downsample(parts[j].pr, 1000);
  });
  return finish_walk(parts, np, nn, curves, max_fpr);
}

// Scatters score keys into one bucket per (group, label) and sorts every bucket.
struct Buckets {
  std::vector<std::uint64_t> keys;
  std::vector<std::size_t> start;  // bucket b = [start[b], start[b+1])
  const std::uint64_t* begin(std::size_t b) const { return keys.data() + start[b]; }
  std::size_t size(std::size_t b) const { return start[b + 1] - start[b]; }
};

// bucket_of(i) returns the bucket of row i or SIZE_MAX; counts[r][b] rows of range r in bucket b.
template <class BucketOf>
Buckets bucket_and_sort(std::span<const double> score, std::size_t n_buckets,
                        const std::vector<std::pair<std::size_t, std::size_t>>& ranges,
                        const std::vector<std::vector<std::size_t>>& counts, BucketOf bucket_of,
                        const DecimalScale* ds = nullptr) {
  // Keys: the scores' decimal keys when they have them (a few radix passes), else sort_key.
  const DecimalScale none;
  const DecimalScale& scale = ds ? *ds : none;
  const int key_bits = order_key_bits(scale);
  Buckets B;
  B.start.assign(n_buckets + 1, 0);
  std::vector<std::vector<std::size_t>> offset(ranges.size(), std::vector<std::size_t>(n_buckets));
  std::size_t total = 0;
  for (std::size_t b = 0; b < n_buckets; ++b) {
    B.start[b] = total;
    for (std::size_t r = 0; r < ranges.size(); ++r) {
      offset[r][b] = total;
      total += counts[r][b];
    }
  }
  B.start[n_buckets] = total;
  B.keys.resize(total);
  parallel_for(ranges.size(), [&](std::size_t r) {
    auto& off = offset[r];
    for (std::size_t i = ranges[r].first; i < ranges[r].second; ++i) {
      std::size_t b = bucket_of(i);
      if (b != static_cast<std::size_t>(-1)) B.keys[off[b]++] = order_key(scale, score[i]);
    }
  });
  // Large buckets use every thread inside; small ones are sorted side by side.
  std::vector<std::size_t> order(n_buckets);
  for (std::size_t b = 0; b < n_buckets; ++b) order[b] = b;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return B.size(a) > B.size(b); });
  const std::size_t big = std::size_t{1} << 20;
  std::vector<std::size_t> small;
  for (std::size_t b : order) {
    if (B.size(b) >= big) {
      std::vector<std::uint64_t> tmp(B.size(b));
      sort_keys(B.keys.data() + B.start[b], tmp.data(), B.size(b), default_threads(), key_bits);
    } else if (B.size(b) > 1) {
      small.push_back(b);
    }
  }
  parallel_for(small.size(), [&](std::size_t k) {
    std::size_t b = small[k];
    std::vector<std::uint64_t> tmp(B.size(b));
    sort_keys(B.keys.data() + B.start[b], tmp.data(), B.size(b), 1, key_bits);
  });
  return B;
}

MetricValue ratio_or_zero(double num, double den) { return den == 0 ? 0.0 : num / den; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Binary

void set_all_undefined(Task task, const MetricRequest& req, MetricSet& m) {
  for (const auto& info : metric_catalog())
    if (info.task == task && (!info.on_request || req.asks(info.name)))
      m.set(info.name, std::nullopt);
}

template <class C, class S>
void binary_group_metrics(const BinaryAccT<C, S>& a, const RankSummary& rs, bool curves,
                          const MetricRequest& req, GroupMetrics& gm) {
  MetricSet& m = gm.metrics;
  if constexpr (std::is_same_v<C, double>)
    gm.n = a.rows;
  else
    gm.n = a.n;
  const double n_ = static_cast<double>(a.n);
  const C P = a.pos, N = a.n - a.pos;
  const C tp = a.tp, fp = a.fp, fn = P - tp, tn = N - fp;
  if (a.n == 0) {
    set_all_undefined(Task::kBinary, req, m);
    gm.warnings.push_back("no rows");
    return;
  }
  double precision = *ratio_or_zero(tp, tp + fp);
  double recall = *ratio_or_zero(tp, P);
  double specificity = *ratio_or_zero(tn, N);
  m.set("accuracy", (tp + tn) / n_);
  // sklearn averages the recall of the classes present in y_true.
  if (P > 0 && N > 0)
    m.set("balanced_accuracy", (recall + specificity) / 2);
  else
    m.set("balanced_accuracy", P > 0 ? recall : specificity);
  m.set("precision", precision);
  m.set("recall", recall);
  m.set("specificity", specificity);
  double denom = precision + recall;
  m.set("f1", denom == 0 ? 0.0 : 2 * precision * recall / denom);
  {
    // matthews_corrcoef from the confusion matrix, in sklearn's arithmetic.
    double t0 = static_cast<double>(N), t1 = static_cast<double>(P);
    double p0 = static_cast<double>(tn + fn), p1 = static_cast<double>(tp + fp);
    double correct = static_cast<double>(tp + tn);
    double cov_ytyp = correct * n_ - (t0 * p0 + t1 * p1);
    double cov_ypyp = n_ * n_ - (p0 * p0 + p1 * p1);
    double cov_ytyt = n_ * n_ - (t0 * t0 + t1 * t1);
    m.set("mcc", cov_ypyp * cov_ytyt == 0 ? 0.0 : cov_ytyp / std::sqrt(cov_ytyt * cov_ypyp));
  }
  m.set("roc_auc", rs.auc);
  if (!rs.auc)
    gm.warnings.push_back(std::string("roc_auc is undefined: the labels hold only ") +
                          (P == 0 ? "negatives" : "positives"));
  m.set("average_precision", rs.ap);
  if (!rs.ap) gm.warnings.push_back("average_precision is undefined: the labels hold no positives");
  if (a.outside_unit || a.negated) {
    m.set("log_loss", std::nullopt);
    m.set("brier", std::nullopt);
    m.set("ece", std::nullopt);
    gm.warnings.push_back(a.negated ? "log_loss, brier and ece are undefined: with "
                                      "--score-direction lower the scores are not probabilities"
                                    : "log_loss, brier and ece are undefined: scores outside "
                                      "[0, 1] are not probabilities");
  } else {
    m.set("log_loss", a.logloss.value() / n_);
    m.set("brier", a.brier.value() / n_);
    double ece = 0;
    for (int b = 0; b < kEceBins; ++b) {
      if (a.bin_n[b] == 0) continue;
      double nb = static_cast<double>(a.bin_n[b]);
      double mean_label = static_cast<double>(a.bin_pos[b]) / nb;
      double mean_prob = a.bin_prob[b].value() / nb;
      ece += nb / n_ * std::fabs(mean_label - mean_prob);
      if (curves) gm.curves.calibration.push_back({mean_prob, mean_label, nb});
    }
    m.set("ece", ece);
  }
  m.set("positive_rate", (tp + fp) / n_);
  m.set("prevalence", P / n_);
  // jaccard_score: tp / (tp + fp + fn), 0 when nothing is positive (zero_division).
  m.set("jaccard", *ratio_or_zero(tp, tp + fp + fn));
  // balanced_accuracy_score(adjusted=True): rescaled so chance is 0; needs both classes.
  // The metrics below are often undefined on good data (a perfect classifier has no false
  // positives): null in the document without a warning; a check on one is an error as usual.
  m.set("balanced_accuracy_adjusted",
        P > 0 && N > 0 ? MetricValue(((recall + specificity) / 2 - 0.5) / 0.5) : std::nullopt);
  // class_likelihood_ratios: LR+ = tpr / fpr, LR- = fnr / tnr, in scikit-learn's arithmetic;
  // undefined without positives, LR+ without false positives, LR- without true negatives.
  {
    const double pos_num = static_cast<double>(tp) * static_cast<double>(N);
    const double pos_den = static_cast<double>(fp) * static_cast<double>(P);
    const double neg_num = static_cast<double>(fn) * static_cast<double>(N);
    const double neg_den = static_cast<double>(tn) * static_cast<double>(P);
    m.set("positive_likelihood_ratio",
          P == 0 || fp == 0 ? std::nullopt : MetricValue(pos_num / pos_den));
    m.set("negative_likelihood_ratio",
          P == 0 || tn == 0 ? std::nullopt : MetricValue(neg_num / neg_den));
  }
  m.set("hamming_loss", static_cast<double>(fp + fn) / n_);
  if (req.asks("fbeta")) {
    // fbeta_score in scikit-learn's arithmetic: 0 where precision and recall are both 0.
    const double b2 = req.beta * req.beta;
    const double den = b2 * precision + recall;
    m.set("fbeta", den == 0 ? 0.0 : (1 + b2) * precision * recall / den);
  }
  if (req.asks("roc_auc_max_fpr")) m.set("roc_auc_max_fpr", rs.pauc);
  if (curves) {
    gm.curves.roc = rs.roc;
    gm.curves.pr = rs.pr;
  }
}

namespace {

// Rows in descending score order, then bucketed by group keeping that order: rows of group k are
// sorted[start[k], start[k+1]); the last bucket holds the rows in no group. Rows of weight 0 are
// left out, as scikit-learn's curves leave them out.
struct RowsByScore {
  std::vector<std::uint32_t> all, grouped;
  std::vector<std::size_t> start;
};

RowsByScore rows_by_score(std::span<const double> score, std::span<const double> weight,
                          const Grouping& g) {
  const std::size_t n = score.size();
  std::vector<std::pair<std::uint64_t, std::uint32_t>> kv;
  kv.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    if (weight[i] > 0) kv.emplace_back(sort_key(score[i]), static_cast<std::uint32_t>(i));
  std::sort(kv.begin(), kv.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  RowsByScore r;
  r.all.reserve(kv.size());
  for (const auto& e : kv) r.all.push_back(e.second);
  const std::uint32_t G = g.n_groups;
  r.start.assign(std::size_t{G} + 2, 0);
  for (std::uint32_t i : r.all) ++r.start[std::min(group_of(g, i), G) + 1];
  for (std::size_t k = 1; k < r.start.size(); ++k) r.start[k] += r.start[k - 1];
  r.grouped.resize(r.all.size());
  std::vector<std::size_t> at(r.start.begin(), r.start.end() - 1);
  for (std::uint32_t i : r.all) r.grouped[at[std::min(group_of(g, i), G)]++] = i;
  return r;
}

// The ROC walk with sample weights for counts (scikit-learn's roc_curve, precision_recall_curve
// and their areas with sample_weight): rows sorted by descending score, P and N the weights of
// the positives and negatives among them.
template <class Positive>
RankSummary weighted_walk(std::span<const double> score, std::span<const double> weight,
                          Positive positive, const std::uint32_t* rows, std::size_t n, double P,
                          double N, bool curves, double max_fpr) {
  RankSummary r;
  double tp = 0, fp = 0;
  AccurateSum area, ap;
  PartialAuc pauc;
  pauc.max_fpr = max_fpr;
  const bool partial = max_fpr > 0 && max_fpr < 1 && P > 0 && N > 0;
  if (curves) {
    r.roc.push_back({0.0, 0.0});
    if (P > 0) r.pr.push_back({0.0, 1.0});
  }
  for (std::size_t i = 0; i < n;) {
    const double s = score[rows[i]];
    double dtp = 0, dfp = 0;
    for (; i < n && score[rows[i]] == s; ++i) (positive(rows[i]) ? dtp : dfp) += weight[rows[i]];
    area.add(dfp * (2 * tp + dtp));
    if (partial) pauc.step(tp, fp, dtp, dfp, P, N);
    tp += dtp;
    fp += dfp;
    if (dtp > 0) ap.add(dtp / P * (tp / (tp + fp)));
    if (curves) {
      r.roc.push_back({N > 0 ? fp / N : 0.0, P > 0 ? tp / P : 0.0});
      if (P > 0) r.pr.push_back({tp / P, tp / (tp + fp)});
    }
  }
  r.set_areas(area.value(), P, N, pauc);
  if (P > 0) r.ap = ap.value();
  if (curves) {
    r.roc = downsample(r.roc);
    r.pr = downsample(r.pr);
  }
  return r;
}

// binary_metrics with sample weights: every count a sum of weights (scikit-learn's
// sample_weight), the walk over rows sorted once.
std::vector<GroupMetrics> binary_metrics_weighted(const BinaryData& d, const Grouping& g,
                                                  bool curves, bool with_overall,
                                                  const MetricRequest& req) {
  const std::size_t n = d.score.size();
  const std::uint32_t G = g.n_groups;
  const double max_fpr = req.asks("roc_auc_max_fpr") ? req.max_fpr : 0;
  const bool hard = !d.pred.empty();
  std::vector<WeightedBinaryAcc> acc(std::size_t{G} + 1);
  for (auto& a : acc) a.negated = d.negated;
  for (std::size_t i = 0; i < n; ++i) {
    WeightedBinaryAcc& a = acc[std::min(group_of(g, i), G)];
    const double w = d.weight[i], p = d.score[i];
    const bool y = d.label[i] != 0, yhat = d.predicted_positive(i, hard);
    ++a.rows;
    a.n += w;
    a.pos += y ? w : 0;
    a.tp += y && yhat ? w : 0;
    a.fp += !y && yhat ? w : 0;
    if (d.negated) continue;
    if (p < 0 || p > 1) {
      a.outside_unit = true;
      continue;
    }
    a.logloss.add(w * binary_log_loss_term(p, y));
    const double e = p - (y ? 1.0 : 0.0);
    a.brier.add(w * e * e);
    const int b = ece_bin(p);
    a.bin_n[b] += w;
    a.bin_pos[b] += y ? w : 0;
    a.bin_prob[b].add(w * p);
  }
  const RowsByScore rows = rows_by_score(d.score, d.weight, g);
  auto positive = [&](std::uint32_t i) { return d.label[i] != 0; };
  std::vector<GroupMetrics> out(with_overall ? G + 1 : G);
  const bool group_curves = curves && G == 1 && !with_overall;
  parallel_for(G, [&](std::size_t k) {
    const WeightedBinaryAcc& a = acc[k];
    RankSummary rs =
        weighted_walk(d.score, d.weight, positive, rows.grouped.data() + rows.start[k],
                      rows.start[k + 1] - rows.start[k], a.pos, a.n - a.pos, group_curves, max_fpr);
    binary_group_metrics(a, rs, group_curves, req, out[k]);
  });
  if (with_overall) {
    WeightedBinaryAcc all;
    all.negated = d.negated;
    for (const auto& a : acc) all.add(a);
    RankSummary rs = weighted_walk(d.score, d.weight, positive, rows.all.data(), rows.all.size(),
                                   all.pos, all.n - all.pos, curves, max_fpr);
    binary_group_metrics(all, rs, curves, req, out[G]);
  }
  return out;
}

// The unweighted binary pass: every group's counts and sums (the last group holds the rows in
// no group), and the scores' keys in one sorted bucket per (group, label): 2k the positives of
// group k, 2k+1 its negatives (rows in no group only when keep_rest).
struct BinaryPass {
  std::vector<BinaryAcc> total;
  DecimalScale ds;
  Buckets buckets;
};

BinaryPass binary_pass(const BinaryData& d, const Grouping& g, bool keep_rest) {
  const std::size_t n = d.score.size();
  const std::uint32_t G = g.n_groups;
  const std::uint32_t Gi = G + 1;
  auto ranges = row_ranges(n);
  std::vector<std::vector<BinaryAcc>> acc(ranges.size(), std::vector<BinaryAcc>(Gi));
  const bool hard = !d.pred.empty();
  parallel_for(ranges.size(), [&](std::size_t r) {
    auto& A = acc[r];
    for (std::size_t i = ranges[r].first; i < ranges[r].second; ++i) {
      std::uint32_t grp = std::min(group_of(g, i), G);
      BinaryAcc& a = A[grp];
      const double p = d.score[i];
      const bool y = d.label[i] != 0;
      const bool yhat = d.predicted_positive(i, hard);
      ++a.n;
      a.pos += y;
      a.tp += y && yhat;
      a.fp += !y && yhat;
      if (d.negated) continue;
      if (p < 0 || p > 1) {
        a.outside_unit = true;
        continue;
      }
      a.logloss.add(binary_log_loss_term(p, y));
      double e = p - (y ? 1.0 : 0.0);
      a.brier.add(e * e);
      int b = ece_bin(p);
      ++a.bin_n[b];
      a.bin_pos[b] += y;
      a.bin_prob[b].add(p);
    }
  });
  BinaryPass out;
  out.total.resize(Gi);
  for (auto& t : out.total) t.negated = d.negated;
  for (auto& A : acc)
    for (std::uint32_t k = 0; k < Gi; ++k) out.total[k].add(A[k]);
  std::vector<std::vector<std::size_t>> counts(ranges.size(),
                                               std::vector<std::size_t>(2 * std::size_t{Gi}));
  for (std::size_t r = 0; r < ranges.size(); ++r)
    for (std::size_t k = 0; k < Gi; ++k) {
      counts[r][2 * k] = static_cast<std::size_t>(acc[r][k].pos);
      counts[r][2 * k + 1] = static_cast<std::size_t>(acc[r][k].n - acc[r][k].pos);
    }
  acc.clear();
  // Scores hold no NaN here (a NaN would only cost the decimal keys: the scale refuses it).
  out.ds = decimal_scale(d.score, nullptr, d.score_places, false);
  out.buckets = bucket_and_sort(
      d.score, 2 * std::size_t{Gi}, ranges, counts,
      [&](std::size_t i) -> std::size_t {
        std::uint32_t grp = std::min(group_of(g, i), G);
        if (grp == G && !keep_rest) return static_cast<std::size_t>(-1);
        return 2 * static_cast<std::size_t>(grp) + (d.label[i] ? 0 : 1);
      },
      &out.ds);
  return out;
}

}  // namespace

template void binary_group_metrics(const BinaryAccT<std::int64_t>&, const RankSummary&, bool,
                                   const MetricRequest&, GroupMetrics&);
template void binary_group_metrics(const BinaryAccT<double>&, const RankSummary&, bool,
                                   const MetricRequest&, GroupMetrics&);
template void binary_group_metrics(const BinaryAccT<std::int64_t, AccurateSum>&, const RankSummary&,
                                   bool, const MetricRequest&, GroupMetrics&);
template void binary_group_metrics(const BinaryAccT<double, AccurateSum>&, const RankSummary&, bool,
                                   const MetricRequest&, GroupMetrics&);

std::vector<GroupMetrics> binary_metrics(const BinaryData& d, const Grouping& g, bool curves,
                                         bool with_overall, const MetricRequest& req) {
  if (!d.weight.empty()) return binary_metrics_weighted(d, g, curves, with_overall, req);
  const double max_fpr = req.asks("roc_auc_max_fpr") ? req.max_fpr : 0;
  const std::uint32_t G = g.n_groups;
  const std::uint32_t Gi = G + 1;  // the last holds rows in no group; it counts toward the overall
  BinaryPass pass = binary_pass(d, g, with_overall);
  std::vector<BinaryAcc>& total = pass.total;
  const DecimalScale& ds = pass.ds;
  const Buckets& B = pass.buckets;

  std::vector<GroupMetrics> out(with_overall ? G + 1 : G);
  // Groups side by side; the overall merges every group's sorted buckets, so it needs no sort.
  const bool group_curves = curves && G == 1 && !with_overall;
  parallel_for(G, [&](std::size_t k) {
    RankSummary rs = rank_summary(B.begin(2 * k), B.size(2 * k), B.begin(2 * k + 1),
                                  B.size(2 * k + 1), group_curves, max_fpr);
    binary_group_metrics(total[k], rs, group_curves, req, out[k]);
  });
  if (with_overall) {
    BinaryAcc all;
    all.negated = d.negated;
    std::vector<RunCursor> pos, neg;
    for (std::size_t j = 0; j < Gi; ++j) {
      all.add(total[j]);
      pos.push_back({B.begin(2 * j), B.size(2 * j)});
      neg.push_back({B.begin(2 * j + 1), B.size(2 * j + 1)});
    }
    if (ds.digits >= 0 && ds.bits <= 22 && G > 1) {
      // Decimal keys in a small range: the overall walks a histogram of them (no merge of the
      // groups' runs), visiting the same distinct scores in the same order.
      const std::size_t bins = std::size_t{1} << ds.bits;
      std::vector<std::uint32_t> pos_hist(bins, 0), neg_hist(bins, 0);
      parallel_for(2, [&](std::size_t side) {
        auto& h = side == 0 ? pos_hist : neg_hist;
        for (std::size_t j = 0; j < Gi; ++j) {
          const std::size_t b = 2 * j + side;
          for (const std::uint64_t* k = B.begin(b); k != B.begin(b) + B.size(b); ++k) ++h[*k];
        }
      });
      std::size_t np = 0, nn = 0;
      for (const auto& r : pos) np += r.i;
      for (const auto& r : neg) nn += r.i;
      std::vector<WalkPart> parts;
      parts.push_back(walk(HistCursor(pos_hist.data(), bins), HistCursor(neg_hist.data(), bins), 0,
                           0, np, nn, curves, max_fpr));
      parts[0].roc = downsample(parts[0].roc, 1000);
      parts[0].pr = downsample(parts[0].pr, 1000);
      binary_group_metrics(all, finish_walk(parts, np, nn, curves, max_fpr), curves, req, out[G]);
    } else {
      binary_group_metrics(all, rank_summary_runs(pos, neg, curves, max_fpr), curves, req, out[G]);
    }
  }
  return out;
}

static_assert(BinaryState::kBins == kEceBins);

std::vector<BinaryState> binary_states(const BinaryData& d, const Grouping& g) {
  const std::uint32_t G = g.n_groups;
  BinaryPass pass = binary_pass(d, g, false);
  std::vector<BinaryState> out(G);
  auto value = [&](std::uint64_t key) {
    return pass.ds.digits >= 0 ? decimal_value(pass.ds, static_cast<std::uint32_t>(key))
                               : from_sort_key(key);
  };
  parallel_for(G, [&](std::size_t k) {
    BinaryState& s = out[k];
    add_binary_counts(s, pass.total[k]);
    // The histogram: both sorted buckets merged into distinct keys.
    const std::uint64_t* p = pass.buckets.begin(2 * k);
    const std::uint64_t* q = pass.buckets.begin(2 * k + 1);
    const std::uint64_t* pe = p + pass.buckets.size(2 * k);
    const std::uint64_t* qe = q + pass.buckets.size(2 * k + 1);
    while (p != pe || q != qe) {
      const std::uint64_t key = q == qe || (p != pe && *p < *q) ? *p : *q;
      std::int64_t np = 0, nn = 0;
      for (; p != pe && *p == key; ++p) ++np;
      for (; q != qe && *q == key; ++q) ++nn;
      s.score.push_back(value(key));
      s.positives.push_back(np);
      s.negatives.push_back(nn);
    }
  });
  return out;
}

void BinaryState::merge(const BinaryState& o) {
  add_binary_counts(*this, o);
  // Two ascending histograms into one (the scores compared by their order keys, so -0 and 0,
  // equal as numbers, are one score as in one run).
  // Scratch vectors kept from the last merge on this thread: merging many parts then reuses
  // memory instead of faulting in fresh pages for every scope.
  static thread_local std::vector<double> sc;
  static thread_local std::vector<std::int64_t> ps, ns;
  sc.clear();
  ps.clear();
  ns.clear();
  sc.reserve(score.size() + o.score.size());
  ps.reserve(sc.capacity());
  ns.reserve(sc.capacity());
  std::size_t i = 0, j = 0;
  while (i < score.size() || j < o.score.size()) {
    if (j == o.score.size() || (i < score.size() && score[i] < o.score[j])) {
      sc.push_back(score[i]);
      ps.push_back(positives[i]);
      ns.push_back(negatives[i++]);
    } else if (i == score.size() || o.score[j] < score[i]) {
      sc.push_back(o.score[j]);
      ps.push_back(o.positives[j]);
      ns.push_back(o.negatives[j++]);
    } else {
      sc.push_back(score[i]);
      ps.push_back(positives[i] + o.positives[j]);
      ns.push_back(negatives[i++] + o.negatives[j++]);
    }
  }
  score.swap(sc);
  positives.swap(ps);
  negatives.swap(ns);
}

GroupMetrics binary_state_metrics(const BinaryState& s, bool negated, bool curves,
                                  const MetricRequest& req) {
  BinaryAcc a;
  a.negated = negated;
  add_binary_counts(a, s);
  const double max_fpr = req.asks("roc_auc_max_fpr") ? req.max_fpr : 0;
  const auto np = static_cast<std::size_t>(s.pos), nn = static_cast<std::size_t>(s.n - s.pos);
  WalkStepper st(0, 0, np, nn, curves, max_fpr);
  for (std::size_t i = s.score.size(); i-- > 0;) st.step(s.positives[i], s.negatives[i]);
  std::vector<WalkPart> parts;
  parts.push_back(std::move(st.w));
  GroupMetrics gm;
  binary_group_metrics(a, finish_walk(parts, np, nn, curves, max_fpr), curves, req, gm);
  return gm;
}

namespace {

// The AUC walk over rows sorted by score: key(i) orders them (equal keys are tied scores) and
// tag(i) is 2 * group + label. Ascending, each positive scores 2 per negative below it and 1
// per tied negative, so area2 is twice the Mann-Whitney U, in exact integers. A group's counts
// for a run of tied keys are settled when the group next appears in a later run (or at the
// end), so each row is one step.
template <class Key, class Tag>
std::vector<MetricValue> auc_walk(std::size_t n, std::uint32_t G, Key key, Tag tag) {
  const std::size_t S = G + 2, all = G + 1;  // groups, rows in no group, all rows
  struct Acc {
    std::int64_t neg = 0, pos = 0, dneg = 0, dpos = 0;
    unsigned __int128 area2 = 0;
    std::size_t run = 0;  // the run of tied keys dneg and dpos belong to
    void settle() {
      area2 +=
          static_cast<unsigned __int128>(dpos) * static_cast<unsigned __int128>(2 * neg + dneg);
      neg += dneg;
      pos += dpos;
      dneg = dpos = 0;
    }
  };
  // Two halves walked side by side, cut between runs; the second starts from the negatives
  // below its cut, counted by its own thread while the first walks.
  std::size_t cut = n / 2;
  while (cut > 0 && cut < n && key(cut) == key(cut - 1)) ++cut;
  const std::size_t bounds[3] = {0, cut, n};
  std::vector<std::vector<Acc>> parts(2, std::vector<Acc>(S));
  parallel_for(2, [&](std::size_t h) {
    auto& A = parts[h];
    if (h == 1)
      for (std::size_t i = 0; i < cut; ++i) {
        const std::uint32_t t = tag(i);
        if (!(t & 1)) ++A[t >> 1].neg;
      }
    for (std::size_t k = 0; k <= G; ++k) A[all].neg += A[k].neg;
    std::size_t run = 1;
    for (std::size_t i = bounds[h]; i < bounds[h + 1]; ++i) {
      run += i > bounds[h] && key(i) != key(i - 1);
      const std::uint32_t t = tag(i);
      for (Acc* a : {&A[t >> 1], &A[all]}) {
        if (a->run != run) {
          a->settle();
          a->run = run;
        }
        if (t & 1)
          ++a->dpos;
        else
          ++a->dneg;
      }
    }
    for (auto& a : A) a.settle();
  });
  std::vector<MetricValue> out;
  for (std::size_t k = 0; k < S; ++k) {
    if (k == G) continue;
    const std::int64_t np = parts[0][k].pos + parts[1][k].pos;
    const std::int64_t nn = parts[1][k].neg;  // the second half ends with every negative
    const unsigned __int128 area2 = parts[0][k].area2 + parts[1][k].area2;
    out.push_back(np > 0 && nn > 0
                      ? MetricValue(static_cast<double>(area2) /
                                    (2.0 * static_cast<double>(np) * static_cast<double>(nn)))
                      : std::nullopt);
  }
  return out;
}

}  // namespace

std::vector<MetricValue> roc_auc_by_group(std::span<const double> score,
                                          std::span<const std::uint8_t> label, const Grouping& g,
                                          int score_places) {
  const std::size_t n = score.size();
  const std::uint32_t G = g.n_groups;  // slot G: rows in no group (they count toward all rows)
  auto ranges = row_ranges(n);
  auto tag_of = [&](std::size_t i) {
    return 2 * std::min(group_of(g, i), G) + (label[i] ? 1u : 0u);
  };
  // Scores written with few decimals (as CSV files hold them) have 32-bit integer keys; the
  // tag then rides in the key's low bits and one sort of a few passes orders both.
  const int tag_bits = static_cast<int>(std::bit_width(2u * G + 1u));
  {
    // With the reader's places, the scale comes from the extremes alone; the keys are then
    // computed branch-free while packing.
    const DecimalScale ds = decimal_scale(score, nullptr, score_places, false);
    // 32-bit words when key and tag fit (half the memory to sort and walk), else 64-bit.
    auto packed_walk = [&](auto word) -> std::vector<MetricValue> {
      using Word = decltype(word);
      std::unique_ptr<Word[]> buf(new Word[2 * n]);
      Word* packed = buf.get();
      const DecimalKeyer key(ds);
      parallel_for(ranges.size(), [&](std::size_t r) {
        for (std::size_t i = ranges[r].first; i < ranges[r].second; ++i)
          packed[i] = static_cast<Word>((Word{key(score[i])} << tag_bits) | tag_of(i));
      });
      if constexpr (sizeof(Word) == 4)
        sort_keys32(packed, packed + n, n, default_threads(), ds.bits + tag_bits);
      else
        sort_keys(packed, packed + n, n, default_threads(), ds.bits + tag_bits);
      const Word mask = (Word{1} << tag_bits) - 1;
      return auc_walk(
          n, G, [&](std::size_t i) { return std::uint64_t{packed[i]} >> tag_bits; },
          [&](std::size_t i) { return static_cast<std::uint32_t>(packed[i] & mask); });
    };
    if (ds.digits >= 0 && ds.bits + tag_bits <= 32) return packed_walk(std::uint32_t{});
    if (ds.digits >= 0 && ds.bits + tag_bits <= 64) return packed_walk(std::uint64_t{});
  }
  // Any other scores: their order-preserving 64-bit keys, with the tag alongside.
  std::unique_ptr<std::uint64_t[]> key_buf(new std::uint64_t[2 * n]);
  std::unique_ptr<std::uint32_t[]> tag_buf(new std::uint32_t[2 * n]);
  std::uint64_t* keys = key_buf.get();
  std::uint32_t* tag = tag_buf.get();
  parallel_for(ranges.size(), [&](std::size_t r) {
    for (std::size_t i = ranges[r].first; i < ranges[r].second; ++i) {
      keys[i] = sort_key(score[i]);
      tag[i] = tag_of(i);
    }
  });
  if (sort_keys_with_index(keys, keys + n, tag, tag + n, n, default_threads())) {
    keys += n;
    tag += n;
  }
  return auc_walk(
      n, G, [&](std::size_t i) { return keys[i]; }, [&](std::size_t i) { return tag[i]; });
}

MetricValue roc_auc(std::span<const double> score, std::span<const std::uint8_t> label) {
  BinaryData d{score, label, {}, 0.5};
  auto r = binary_metrics(d, Grouping{}, false, false);
  return r[0].metrics.get("roc_auc");
}

// ---------------------------------------------------------------------------------------------
// Multiclass

namespace {

struct MultiAcc {
  std::vector<std::int64_t> cm;  // K x K, rows true, columns predicted
  std::int64_t n = 0;
  AccurateSum logloss;
  bool unnormalised = false;
  std::int64_t top_k_hits = 0;
};

}  // namespace

bool in_top_k(const MulticlassData& d, std::size_t i, std::uint32_t y, int k) {
  const double py = d.proba[y][i];
  int above = 0;
  for (std::size_t c = 0; c < d.n_classes; ++c) {
    const double pc = d.proba[c][i];
    above += pc > py || (pc == py && c > y);
  }
  return above < k;
}

template <class C>
void confusion_metrics(const std::vector<C>& cm, std::size_t K, C n, MetricSet& m) {
  // scikit-learn restricts to the labels present in y_true or y_pred.
  std::vector<double> t(K, 0), p(K, 0);
  double correct = 0;
  for (std::size_t a = 0; a < K; ++a)
    for (std::size_t b = 0; b < K; ++b) {
      double c = static_cast<double>(cm[a * K + b]);
      t[a] += c;
      p[b] += c;
      if (a == b) correct += c;
    }
  const double n_ = static_cast<double>(n);
  std::vector<std::size_t> labels;
  for (std::size_t c = 0; c < K; ++c)
    if (t[c] > 0 || p[c] > 0) labels.push_back(c);
  m.set("accuracy", correct / n_);
  double bal = 0;
  int bal_n = 0;
  double pm = 0, rm = 0, fm = 0, fw = 0, wsum = 0;
  for (std::size_t c : labels) {
    double tp = static_cast<double>(cm[c * K + c]);
    double prec = p[c] > 0 ? tp / p[c] : 0.0;
    double rec = t[c] > 0 ? tp / t[c] : 0.0;
    if (t[c] > 0) {
      bal += rec;
      ++bal_n;
    }
    double den = prec + rec;
    double f = den == 0 ? 0.0 : 2 * prec * rec / den;
    pm += prec;
    rm += rec;
    fm += f;
    fw += f * t[c];
    wsum += t[c];
  }
  const double L = static_cast<double>(labels.size());
  m.set("balanced_accuracy", bal_n ? bal / bal_n : MetricValue());
  // adjusted=True: chance (1 / the classes in y_true) maps to 0, perfect to 1.
  if (bal_n >= 2) {
    const double chance = 1.0 / bal_n;
    m.set("balanced_accuracy_adjusted", (bal / bal_n - chance) / (1 - chance));
  } else {
    m.set("balanced_accuracy_adjusted", std::nullopt);
  }
  m.set("hamming_loss", (n_ - correct) / n_);
  {
    // jaccard_score(average="macro") over the labels present: tp / (t + p - tp), 0 when empty.
    double jm = 0;
    for (std::size_t c : labels) {
      const double tp = static_cast<double>(cm[c * K + c]);
      const double den = t[c] + p[c] - tp;
      jm += den > 0 ? tp / den : 0.0;
    }
    m.set("jaccard", jm / L);
  }
  m.set("precision_macro", pm / L);
  m.set("recall_macro", rm / L);
  m.set("f1_macro", fm / L);
  {
    double mp = correct / n_, mr = correct / n_;
    m.set("f1_micro", mp + mr == 0 ? 0.0 : 2 * mp * mr / (mp + mr));
  }
  m.set("f1_weighted", wsum == 0 ? 0.0 : fw / wsum);
  {
    double tp_dot = 0, pp_dot = 0, tt_dot = 0;
    for (std::size_t c = 0; c < K; ++c) {
      tp_dot += t[c] * p[c];
      pp_dot += p[c] * p[c];
      tt_dot += t[c] * t[c];
    }
    double cov_ytyp = correct * n_ - tp_dot;
    double cov_ypyp = n_ * n_ - pp_dot;
    double cov_ytyt = n_ * n_ - tt_dot;
    m.set("mcc", cov_ypyp * cov_ytyt == 0 ? 0.0 : cov_ytyp / std::sqrt(cov_ytyt * cov_ypyp));
  }
  {
    // cohen_kappa_score: 1 - sum(w * C) / sum(w * expected) with w = 1 - I.
    double sum0_total = 0;
    for (std::size_t c : labels) sum0_total += p[c];
    double obs = 0, exp = 0;
    for (std::size_t a : labels)
      for (std::size_t b : labels) {
        if (a == b) continue;
        obs += static_cast<double>(cm[a * K + b]);
        exp += p[a] * t[b] / sum0_total;
      }
    m.set("cohen_kappa", exp == 0 ? MetricValue() : 1 - obs / exp);
    // Weighted kappa for ordinal classes: the weight of a cell is the distance (linear) or the
    // squared distance (quadratic) of its classes' positions among the labels present.
    for (int power = 1; power <= 2; ++power) {
      double wobs = 0, wexp = 0;
      for (std::size_t i = 0; i < labels.size(); ++i)
        for (std::size_t j = 0; j < labels.size(); ++j) {
          const double d = std::fabs(static_cast<double>(i) - static_cast<double>(j));
          const double w = power == 1 ? d : d * d;
          const std::size_t a = labels[i], b = labels[j];
          wobs += w * static_cast<double>(cm[a * K + b]);
          wexp += w * (p[a] * t[b] / sum0_total);
        }
      m.set(power == 1 ? "cohen_kappa_linear" : "cohen_kappa_quadratic",
            wexp == 0 ? MetricValue() : 1 - wobs / wexp);
    }
  }
}

namespace {

// roc_auc_ovo and roc_auc_ovo_weighted (Hand and Till, as scikit-learn's multi_class="ovo"):
// for each pair of classes a < b, over the rows of either, the mean of the AUC of a's
// probability with a positive and of b's with b positive; averaged over the pairs, plainly or
// weighted by the pair's share of the rows. One sort per probability column, its rows bucketed
// by (group, true class); each pair is a walk over two buckets. Undefined in a group missing a
// class.
void ovo_aucs(const MulticlassData& d, const Grouping& g,
              const std::vector<std::pair<std::size_t, std::size_t>>& ranges,
              std::vector<GroupMetrics>& out) {
  const std::size_t K = d.n_classes;
  const std::uint32_t G = g.n_groups;
  std::vector<std::vector<std::size_t>> counts(ranges.size(), std::vector<std::size_t>(K * G, 0));
  parallel_for(ranges.size(), [&](std::size_t r) {
    for (std::size_t i = ranges[r].first; i < ranges[r].second; ++i) {
      std::uint32_t grp = group_of(g, i);
      if (grp < G) ++counts[r][std::size_t{grp} * K + d.label[i]];
    }
  });
  auto bucket_of = [&](std::size_t i) -> std::size_t {
    std::uint32_t grp = group_of(g, i);
    if (grp >= G) return static_cast<std::size_t>(-1);
    return std::size_t{grp} * K + d.label[i];
  };
  // auc[(a * K + b) * G + k]: class a's probability, a positive against b, in group k.
  std::vector<MetricValue> auc(K * K * G);
  for (std::size_t a = 0; a < K; ++a) {
    Buckets B = bucket_and_sort(d.proba[a], K * G, ranges, counts, bucket_of);
    parallel_for(K * G, [&](std::size_t j) {
      const std::size_t b = j / G, k = j % G;
      if (b == a) return;
      const std::size_t pos = k * K + a, neg = k * K + b;
      auc[(a * K + b) * G + k] =
          rank_summary(B.begin(pos), B.size(pos), B.begin(neg), B.size(neg), false).auc;
    });
  }
  for (std::uint32_t k = 0; k < G; ++k) {
    if (out[k].n == 0) continue;
    std::vector<double> support(K, 0);
    for (const auto& row : counts)
      for (std::size_t c = 0; c < K; ++c) support[c] += static_cast<double>(row[k * K + c]);
    bool defined = true;
    double macro = 0, weighted = 0, weights = 0, pairs = 0;
    for (std::size_t a = 0; a < K && defined; ++a)
      for (std::size_t b = a + 1; b < K; ++b) {
        const MetricValue ab = auc[(a * K + b) * G + k], ba = auc[(b * K + a) * G + k];
        if (!ab || !ba) {
          defined = false;
          break;
        }
        const double score = (*ab + *ba) / 2;
        const double prevalence = (support[a] + support[b]) / static_cast<double>(out[k].n);
        macro += score;
        weighted += score * prevalence;
        weights += prevalence;
        pairs += 1;
      }
    out[k].metrics.set("roc_auc_ovo", defined ? MetricValue(macro / pairs) : std::nullopt);
    out[k].metrics.set("roc_auc_ovo_weighted",
                       defined ? MetricValue(weighted / weights) : std::nullopt);
    if (!defined)
      out[k].warnings.push_back("roc_auc_ovo is undefined: some class has no rows in the labels");
  }
}

}  // namespace

namespace {

// precision_recall_fscore_support(average=None, zero_division=0) from a confusion matrix.
template <class C>
void per_class_metrics(const std::vector<C>& cm, std::size_t K, GroupMetrics& gm) {
  gm.per_class.assign(K, MetricSet{});
  for (std::size_t c = 0; c < K; ++c) {
    double t = 0, p = 0;
    for (std::size_t b = 0; b < K; ++b) {
      t += static_cast<double>(cm[c * K + b]);
      p += static_cast<double>(cm[b * K + c]);
    }
    const double tp = static_cast<double>(cm[c * K + c]);
    const double precision = p > 0 ? tp / p : 0.0, recall = t > 0 ? tp / t : 0.0;
    MetricSet& m = gm.per_class[c];
    m.set("precision", precision);
    m.set("recall", recall);
    m.set("f1", precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall));
    m.set("support", t);
  }
}

// Group k's one-vs-rest AUCs (auc[class][group]): each class's beside its other metrics, their
// mean (roc_auc_ovr) and their mean weighted by each class's rows or weight (average="weighted").
template <class C>
void ovr_averages(const std::vector<std::vector<MetricValue>>& auc, std::size_t k,
                  const std::vector<C>& cm, std::size_t K, double total, GroupMetrics& gm) {
  double sum = 0, weighted = 0;
  bool defined = true;
  for (std::size_t c = 0; c < K; ++c) {
    if (c < gm.per_class.size()) gm.per_class[c].set("roc_auc", auc[c][k]);
    if (!auc[c][k]) {
      defined = false;
      continue;
    }
    double support = 0;
    for (std::size_t b = 0; b < K; ++b) support += static_cast<double>(cm[c * K + b]);
    sum += *auc[c][k];
    weighted += *auc[c][k] * support;
  }
  gm.metrics.set("roc_auc_ovr", defined ? MetricValue(sum / static_cast<double>(K)) : std::nullopt);
  gm.metrics.set("roc_auc_ovr_weighted", defined ? MetricValue(weighted / total) : std::nullopt);
  if (!defined)
    gm.warnings.push_back(
        "roc_auc_ovr is undefined: some class has no rows, or only rows, in the labels");
}

}  // namespace

template void confusion_metrics(const std::vector<std::int64_t>&, std::size_t, std::int64_t,
                                MetricSet&);
template void confusion_metrics(const std::vector<double>&, std::size_t, double, MetricSet&);

namespace {

// multiclass_metrics with sample weights: the confusion matrix of summed weights, the weighted
// log loss and top-k, one-vs-rest AUCs by the weighted walk (scikit-learn's sample_weight).
// scikit-learn has no weighted one-vs-one AUC: roc_auc_ovo is then undefined.
std::vector<GroupMetrics> multiclass_metrics_weighted(const MulticlassData& d, const Grouping& g,
                                                      const MetricRequest& req) {
  const std::size_t K = d.n_classes, n = d.label.size();
  const std::uint32_t G = g.n_groups;
  const bool has_proba = !d.proba.empty(), top_k = has_proba && req.asks("top_k_accuracy");
  const int k_top = req.k_of("top_k_accuracy");
  struct Acc {
    std::vector<double> cm;
    double n = 0, top_k_hits = 0;
    std::int64_t rows = 0;
    AccurateSum logloss;
    bool unnormalised = false;
  };
  std::vector<Acc> acc(G);
  for (auto& a : acc) a.cm.assign(K * K, 0);
  std::vector<double> clipped(K);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t grp = group_of(g, i);
    if (grp >= G) continue;
    Acc& a = acc[grp];
    const double w = d.weight[i];
    const std::uint32_t y = d.label[i];
    std::uint32_t yhat = 0;
    if (!d.pred.empty()) {
      yhat = d.pred[i];
    } else {
      for (std::size_t c = 1; c < K; ++c)
        if (d.proba[c][i] > d.proba[yhat][i]) yhat = static_cast<std::uint32_t>(c);
    }
    ++a.rows;
    a.n += w;
    a.cm[y * K + yhat] += w;
    if (!has_proba) continue;
    double s = 0, raw = 0;
    for (std::size_t c = 0; c < K; ++c) {
      raw += d.proba[c][i];
      clipped[c] = std::clamp(d.proba[c][i], kLogLossEps, 1 - kLogLossEps);
      s += clipped[c];
    }
    if (std::fabs(raw - 1) > 1e-6) a.unnormalised = true;
    a.logloss.add(w * -std::log(clipped[y] / s));
    if (top_k && in_top_k(d, i, y, k_top)) a.top_k_hits += w;
  }
  std::vector<GroupMetrics> out(G);
  for (std::uint32_t k = 0; k < G; ++k) {
    const Acc& a = acc[k];
    out[k].n = a.rows;
    if (a.n == 0) {
      set_all_undefined(Task::kMulticlass, req, out[k].metrics);
      out[k].warnings.push_back(a.rows ? "every row weighs 0" : "no rows");
      continue;
    }
    confusion_metrics(a.cm, K, a.n, out[k].metrics);
    per_class_metrics(a.cm, K, out[k]);
    if (!has_proba) continue;
    out[k].metrics.set("log_loss", a.logloss.value() / a.n);
    if (a.unnormalised)
      out[k].warnings.push_back(
          "probability columns do not sum to 1 in every row; log_loss renormalises them");
    if (top_k) out[k].metrics.set("top_k_accuracy", a.top_k_hits / a.n);
  }
  if (!has_proba) return out;
  std::vector<std::vector<MetricValue>> auc(K, std::vector<MetricValue>(G));
  for (std::size_t c = 0; c < K; ++c) {
    const RowsByScore rows = rows_by_score(d.proba[c], d.weight, g);
    auto positive = [&](std::uint32_t i) { return d.label[i] == c; };
    parallel_for(G, [&](std::size_t k) {
      double P = 0;
      for (std::size_t b = 0; b < K; ++b) P += acc[k].cm[c * K + b];
      auc[c][k] = weighted_walk(d.proba[c], d.weight, positive, rows.grouped.data() + rows.start[k],
                                rows.start[k + 1] - rows.start[k], P, acc[k].n - P, false, 0)
                      .auc;
    });
  }
  for (std::uint32_t k = 0; k < G; ++k) {
    if (acc[k].n == 0) continue;
    ovr_averages(auc, k, acc[k].cm, K, acc[k].n, out[k]);
    if (req.asks("roc_auc_ovo") || req.asks("roc_auc_ovo_weighted")) {
      out[k].metrics.set("roc_auc_ovo", std::nullopt);
      out[k].metrics.set("roc_auc_ovo_weighted", std::nullopt);
      out[k].warnings.push_back(
          "roc_auc_ovo is undefined with sample weights (scikit-learn has no weighted form)");
    }
  }
  return out;
}

}  // namespace

std::vector<GroupMetrics> multiclass_metrics(const MulticlassData& d, const Grouping& g,
                                             const MetricRequest& req) {
  if (!d.weight.empty()) return multiclass_metrics_weighted(d, g, req);
  const std::size_t K = d.n_classes;
  const std::size_t n = d.label.size();
  const std::uint32_t G = g.n_groups;
  const bool has_proba = !d.proba.empty();
  const bool top_k = has_proba && req.asks("top_k_accuracy");
  const int k_top = req.k_of("top_k_accuracy");
  auto ranges = row_ranges(n);
  std::vector<std::vector<MultiAcc>> acc(ranges.size(), std::vector<MultiAcc>(G));
  for (auto& A : acc)
    for (auto& a : A) a.cm.assign(K * K, 0);
  parallel_for(ranges.size(), [&](std::size_t r) {
    auto& A = acc[r];
    std::vector<double> clipped(K);
    for (std::size_t i = ranges[r].first; i < ranges[r].second; ++i) {
      std::uint32_t grp = group_of(g, i);
      if (grp >= G) continue;
      MultiAcc& a = A[grp];
      std::uint32_t y = d.label[i];
      std::uint32_t yhat;
      if (!d.pred.empty()) {
        yhat = d.pred[i];
      } else {
        yhat = 0;
        double best = d.proba[0][i];
        for (std::size_t c = 1; c < K; ++c)
          if (d.proba[c][i] > best) {
            best = d.proba[c][i];
            yhat = static_cast<std::uint32_t>(c);
          }
      }
      ++a.n;
      ++a.cm[y * K + yhat];
      if (has_proba) {
        double s = 0, raw = 0;
        for (std::size_t c = 0; c < K; ++c) {
          raw += d.proba[c][i];
          clipped[c] = std::clamp(d.proba[c][i], kLogLossEps, 1 - kLogLossEps);
          s += clipped[c];
        }
        if (std::fabs(raw - 1) > 1e-6) a.unnormalised = true;
        a.logloss.add(-std::log(clipped[y] / s));
        if (top_k) a.top_k_hits += in_top_k(d, i, y, k_top);
      }
    }
  });
  std::vector<MultiAcc> total(G);
  for (auto& t : total) t.cm.assign(K * K, 0);
  for (auto& A : acc)
    for (std::uint32_t k = 0; k < G; ++k) {
      total[k].n += A[k].n;
      for (std::size_t c = 0; c < K * K; ++c) total[k].cm[c] += A[k].cm[c];
      total[k].logloss.add(A[k].logloss);
      total[k].top_k_hits += A[k].top_k_hits;
      total[k].unnormalised = total[k].unnormalised || A[k].unnormalised;
    }

  std::vector<GroupMetrics> out(G);
  for (std::uint32_t k = 0; k < G; ++k) {
    out[k].n = total[k].n;
    if (total[k].n == 0) {
      set_all_undefined(Task::kMulticlass, req, out[k].metrics);
      out[k].warnings.push_back("no rows");
      continue;
    }
    confusion_metrics(total[k].cm, K, total[k].n, out[k].metrics);
    per_class_metrics(total[k].cm, K, out[k]);
    if (has_proba) {
      out[k].metrics.set("log_loss", total[k].logloss.value() / static_cast<double>(total[k].n));
      if (top_k)
        out[k].metrics.set("top_k_accuracy", static_cast<double>(total[k].top_k_hits) /
                                                 static_cast<double>(total[k].n));
      if (total[k].unnormalised)
        out[k].warnings.push_back(
            "probability columns do not sum to 1 in every row; log_loss renormalises them");
    }
  }

  if (has_proba) {
    // One-vs-rest AUC per class and group; macro average over the classes.
    std::vector<std::vector<MetricValue>> auc(K, std::vector<MetricValue>(G));
    for (std::size_t c = 0; c < K; ++c) {
      std::vector<std::vector<std::size_t>> counts(ranges.size(),
                                                   std::vector<std::size_t>(2 * std::size_t{G}, 0));
      parallel_for(ranges.size(), [&](std::size_t r) {
        for (std::size_t i = ranges[r].first; i < ranges[r].second; ++i) {
          std::uint32_t grp = group_of(g, i);
          if (grp < G) ++counts[r][2 * std::size_t{grp} + (d.label[i] == c ? 0 : 1)];
        }
      });
      Buckets B = bucket_and_sort(
          d.proba[c], 2 * std::size_t{G}, ranges, counts, [&](std::size_t i) -> std::size_t {
            std::uint32_t grp = group_of(g, i);
            if (grp >= G) return static_cast<std::size_t>(-1);
            return 2 * static_cast<std::size_t>(grp) + (d.label[i] == c ? 0 : 1);
          });
      for (std::size_t k = 0; k < G; ++k)
        auc[c][k] = rank_summary(B.begin(2 * k), B.size(2 * k), B.begin(2 * k + 1),
                                 B.size(2 * k + 1), false)
                        .auc;
    }
    for (std::uint32_t k = 0; k < G; ++k)
      if (total[k].n != 0)
        ovr_averages(auc, k, total[k].cm, K, static_cast<double>(total[k].n), out[k]);
    if (req.asks("roc_auc_ovo") || req.asks("roc_auc_ovo_weighted")) ovo_aucs(d, g, ranges, out);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Regression

void regression_group_metrics(const RegressionSums& s, MetricValue median_ae, GroupMetrics& gm) {
  MetricSet& m = gm.metrics;
  gm.n = s.n;
  if (s.n == 0 || (s.weighted && s.wsum == 0)) {
    for (const auto& info : metric_catalog())
      if (info.task == Task::kRegression && (!info.on_request || s.asks(info.name)))
        m.set(info.name, std::nullopt);
    gm.warnings.push_back(s.n == 0 ? "no rows" : "every row weighs 0");
    return;
  }
  // The averages' denominator: the rows, or the sum of their weights.
  const double n_ = s.weighted ? s.wsum : static_cast<double>(s.n);
  const double mse = s.sq_e / n_;
  m.set("mae", s.abs_e / n_);
  m.set("mse", mse);
  m.set("rmse", std::sqrt(mse));
  // sklearn's force_finite: a constant target gives 1 for a perfect fit, else 0.
  auto assemble = [](double num, double den) -> double {
    if (den != 0) return 1 - num / den;
    return num == 0 ? 1.0 : 0.0;
  };
  if (s.n < 2) {
    m.set("r2", std::nullopt);
    gm.warnings.push_back("r2 is undefined with fewer than two rows");
  } else {
    m.set("r2", assemble(s.sq_e, s.ss_tot));
  }
  m.set("mape", s.ape / n_);
  m.set("median_ae", median_ae);
  m.set("max_error", s.max_e);
  m.set("explained_variance", assemble(s.ss_e / n_, s.ss_tot / n_));
  if (s.pinball) m.set("mean_pinball_loss", s.pinball_loss / n_);
  if (s.tweedie)
    m.set("mean_tweedie_deviance", s.tweedie_ok ? MetricValue(s.tweedie_dev / n_) : std::nullopt);
  if (!s.on_request) return;
  // Defined on their domains only (null outside them, without a warning: most regressions
  // are not counts or log-scaled).
  m.set("msle", s.log_ok ? MetricValue(s.sq_log_e / n_) : std::nullopt);
  m.set("rmsle", s.log_ok ? MetricValue(std::sqrt(s.sq_log_e / n_)) : std::nullopt);
  m.set("d2_absolute_error", std::nullopt);  // set by the caller, which has the median
  m.set("mean_poisson_deviance", s.poisson_ok ? MetricValue(s.poisson / n_) : std::nullopt);
  m.set("mean_gamma_deviance", s.gamma_ok ? MetricValue(s.gamma / n_) : std::nullopt);
}

MetricValue d2_absolute(double abs_e, double abs_dev_median, std::int64_t n) {
  if (n < 2) return std::nullopt;
  if (abs_e == 0) return 1.0;
  if (abs_dev_median == 0) return 0.0;
  return 1 - abs_e / abs_dev_median;
}

namespace {

// The median of v (reordered), by selection. An even count takes the middle of the two middle
// values as np.median does ((lo + hi) / 2), or with lerp as np.percentile(v, 50) does.
double median_of(std::vector<double>& v, bool lerp) {
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double hi = v[mid];
  if (v.size() % 2) return hi;
  const double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return lerp ? lo + (hi - lo) * 0.5 : (lo + hi) / 2;
}

// scikit-learn's _weighted_percentile(values, weights, 50): the first value, in sorted order,
// where the cumulative weight reaches half the total (v and w reordered together).
double weighted_median(std::vector<std::pair<double, double>>& vw) {
  std::sort(vw.begin(), vw.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double total = 0;
  for (const auto& e : vw) total += e.second;
  double half = 0.5 * total, cum = 0;
  if (half == 0) half = std::nextafter(0.0, 1.0);
  for (const auto& e : vw) {
    cum += e.second;
    if (cum >= half) return e.first;
  }
  return vw.back().first;
}

// W: with sample weights (scikit-learn's sample_weight): every sum weighted, the medians
// weighted percentiles, max_error over the rows of positive weight. Without, the same code
// counts every row once.
template <bool W>
std::vector<GroupMetrics> regression_impl(const RegressionData& d, const Grouping& g,
                                          const MetricRequest& req) {
  const std::size_t n = d.label.size();
  const std::uint32_t G = g.n_groups;
  RegressionSums asked;
  asked.ask(req);
  const bool terms = asked.any_terms(), on_request = asked.on_request;
  struct Acc {
    std::int64_t n = 0;
    double wsum = 0;
    AccurateSum y, e, abs_e, sq_e, ape;
    double max_e = 0;
    RegressionSums terms;  // msle, the deviances, the pinball loss
  };
  auto ranges = row_ranges(n);
  const double eps = std::numeric_limits<double>::epsilon();
  std::vector<std::vector<Acc>> acc(ranges.size(), std::vector<Acc>(G));
  for (auto& A : acc)
    for (auto& a : A) a.terms = asked;
  parallel_for(ranges.size(), [&](std::size_t r) {
    for (std::size_t i = ranges[r].first; i < ranges[r].second; ++i) {
      std::uint32_t grp = group_of(g, i);
      if (grp >= G) continue;
      Acc& a = acc[r][grp];
      double y = d.label[i], p = d.pred[i];
      double e = y - p, ae = std::fabs(p - y);
      ++a.n;
      if constexpr (W) {
        const double w = d.weight[i];
        a.wsum += w;
        a.y.add(w * y);
        a.e.add(w * e);
        a.abs_e.add(w * ae);
        a.sq_e.add(w * e * e);
        a.ape.add(w * (ae / std::max(std::fabs(y), eps)));
        if (w > 0) a.max_e = std::max(a.max_e, ae);
        if (terms) a.terms.add_asked(y, p, w);
      } else {
        a.y.add(y);
        a.e.add(e);
        a.abs_e.add(ae);
        a.sq_e.add(e * e);
        a.ape.add(ae / std::max(std::fabs(y), eps));
        a.max_e = std::max(a.max_e, ae);
        if (terms) a.terms.add_asked(y, p, 1);
      }
    }
  });
  std::vector<Acc> total(G);
  for (auto& t : total) t.terms = asked;
  for (std::size_t r = 0; r < ranges.size(); ++r)
    for (std::uint32_t k = 0; k < G; ++k) {
      const Acc& a = acc[r][k];
      Acc& t = total[k];
      t.n += a.n;
      t.wsum += a.wsum;
      t.y.add(a.y);
      t.e.add(a.e);
      t.abs_e.add(a.abs_e);
      t.sq_e.add(a.sq_e);
      t.ape.add(a.ape);
      t.max_e = std::max(t.max_e, a.max_e);
      t.terms.add_terms_of(a.terms);
    }
  auto weight_of = [&](const Acc& a) { return W ? a.wsum : static_cast<double>(a.n); };
  // Second pass: spreads around the group means, for r2 and explained_variance.
  std::vector<double> y_mean(G), e_mean(G);
  for (std::uint32_t k = 0; k < G; ++k)
    if (weight_of(total[k]) > 0) {
      y_mean[k] = total[k].y.value() / weight_of(total[k]);
      e_mean[k] = total[k].e.value() / weight_of(total[k]);
    }
  std::vector<std::vector<std::pair<AccurateSum, AccurateSum>>> spread(
      ranges.size(), std::vector<std::pair<AccurateSum, AccurateSum>>(G));
  parallel_for(ranges.size(), [&](std::size_t r) {
    for (std::size_t i = ranges[r].first; i < ranges[r].second; ++i) {
      std::uint32_t grp = group_of(g, i);
      if (grp >= G) continue;
      double dy = d.label[i] - y_mean[grp];
      double de = (d.label[i] - d.pred[i]) - e_mean[grp];
      const double w = W ? d.weight[i] : 1.0;
      spread[r][grp].first.add(W ? w * dy * dy : dy * dy);
      spread[r][grp].second.add(W ? w * de * de : de * de);
    }
  });
  std::vector<GroupMetrics> out(G);
  for (std::uint32_t k = 0; k < G; ++k) {
    const Acc& a = total[k];
    AccurateSum ss_tot, ss_e;
    for (auto& sp : spread) {
      ss_tot.add(sp[k].first);
      ss_e.add(sp[k].second);
    }
    RegressionSums sums = a.terms;
    sums.n = a.n;
    sums.weighted = W;
    sums.wsum = weight_of(a);
    sums.abs_e = a.abs_e.value();
    sums.sq_e = a.sq_e.value();
    sums.ape = a.ape.value();
    sums.max_e = a.max_e;
    sums.ss_tot = ss_tot.value();
    sums.ss_e = ss_e.value();
    regression_group_metrics(sums, std::nullopt, out[k]);  // the medians are set below
  }
  auto has_weight = [&](std::size_t k) { return weight_of(total[k]) > 0; };
  // Median absolute error: select within each group's errors (weighted: sort them).
  if constexpr (W) {
    std::vector<std::vector<std::pair<double, double>>> errs(G);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t grp = group_of(g, i);
      if (grp < G) errs[grp].emplace_back(std::fabs(d.pred[i] - d.label[i]), d.weight[i]);
    }
    parallel_for(G, [&](std::size_t k) {
      if (has_weight(k)) out[k].metrics.set("median_ae", weighted_median(errs[k]));
    });
  } else {
    std::vector<std::vector<double>> errs(G);
    for (std::uint32_t k = 0; k < G; ++k) errs[k].reserve(static_cast<std::size_t>(total[k].n));
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t grp = group_of(g, i);
      if (grp < G) errs[grp].push_back(std::fabs(d.pred[i] - d.label[i]));
    }
    parallel_for(G, [&](std::size_t k) {
      if (!errs[k].empty()) out[k].metrics.set("median_ae", median_of(errs[k], false));
    });
  }
  if (!on_request) return out;
  // d2_absolute_error: the labels' median per group (weighted: the weighted percentile), then
  // the absolute deviations from it.
  std::vector<double> median(G, 0);
  if constexpr (W) {
    std::vector<std::vector<std::pair<double, double>>> ys(G);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t grp = group_of(g, i);
      if (grp < G) ys[grp].emplace_back(d.label[i], d.weight[i]);
    }
    parallel_for(G, [&](std::size_t k) {
      if (has_weight(k)) median[k] = weighted_median(ys[k]);
    });
  } else {
    std::vector<std::vector<double>> ys(G);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t grp = group_of(g, i);
      if (grp < G) ys[grp].push_back(d.label[i]);
    }
    parallel_for(G, [&](std::size_t k) {
      if (!ys[k].empty()) median[k] = median_of(ys[k], true);
    });
  }
  std::vector<std::vector<AccurateSum>> dev(ranges.size(), std::vector<AccurateSum>(G));
  parallel_for(ranges.size(), [&](std::size_t r) {
    for (std::size_t i = ranges[r].first; i < ranges[r].second; ++i) {
      std::uint32_t grp = group_of(g, i);
      if (grp >= G) continue;
      const double a = std::fabs(d.label[i] - median[grp]);
      dev[r][grp].add(W ? d.weight[i] * a : a);
    }
  });
  for (std::uint32_t k = 0; k < G; ++k) {
    if (!has_weight(k)) continue;
    AccurateSum sum;
    for (auto& part : dev) sum.add(part[k]);
    const MetricValue d2 = d2_absolute(total[k].abs_e.value(), sum.value(), total[k].n);
    out[k].metrics.set("d2_absolute_error", d2);
  }
  return out;
}

}  // namespace

std::vector<GroupMetrics> regression_metrics(const RegressionData& d, const Grouping& g,
                                             const MetricRequest& req) {
  return d.weight.empty() ? regression_impl<false>(d, g, req) : regression_impl<true>(d, g, req);
}

}  // namespace mlgate