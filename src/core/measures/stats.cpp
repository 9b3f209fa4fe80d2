#include "mlgate/measures/stats.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "metrics_internal.hpp"
#include "mlgate/base/error.hpp"
#include "mlgate/base/parallel.hpp"
#include "mlgate/base/progress.hpp"

namespace mlgate {

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double normal_quantile(double p) {
  if (p <= 0) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return std::numeric_limits<double>::infinity();
  // Acklam's rational approximation, then one Halley step on erfc for full precision.
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double plow = 0.02425;
  double x;
  if (p < plow) {
    double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - plow) {
    double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  for (int i = 0; i < 2; ++i) {
    double e = normal_cdf(x) - p;
    double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
    x = x - u / (1 + x * u / 2);
  }
  return x;
}

double chi2_sf_1df(double x) { return x <= 0 ? 1.0 : std::erfc(std::sqrt(x / 2)); }

double binom_cdf(std::int64_t k, std::int64_t n, double p) {
  if (k < 0) return 0;
  if (k >= n) return 1;
  // Terms from k down to 0 relative to the k-th, whose log comes from lgamma.
  auto lg = [](double v) { return std::lgamma(v); };
  double log_tk = lg(n + 1.0) - lg(k + 1.0) - lg(static_cast<double>(n - k) + 1) + k * std::log(p) +
                  static_cast<double>(n - k) * std::log1p(-p);
  double sum = 0, t = 1;
  for (std::int64_t i = k; i >= 0; --i) {
    sum += t;
    if (i == 0) break;
    t *= static_cast<double>(i) / static_cast<double>(n - i + 1) * (1 - p) / p;
    if (t < 1e-18 * sum) break;
  }
  return std::min(1.0, std::exp(log_tk) * sum);
}

// ---------------------------------------------------------------------------------------------

double DeLong::se_diff() const { return std::sqrt(std::max(0.0, var1 + var2 - 2 * cov)); }

namespace {

// Placements of one score: V10 for positives, V01 for negatives, from one sort (Sun & Xu).
void placements(std::span<const double> score, int places, std::span<const std::uint8_t> label,
                std::size_t m, std::size_t n, std::vector<double>& v10, std::vector<double>& v01,
                double* auc) {
  const std::size_t N = score.size();
  std::vector<std::uint64_t> keys(N);
  std::vector<std::uint32_t> idx(N);
  // Decimal scores (as CSV files hold them) sort as integer keys in a few passes; with the
  // reader's places, only their extremes are looked at for the scale (scores hold no NaN).
  const DecimalScale ds = decimal_scale(score, nullptr, places, false, 1);
  for (std::size_t i = 0; i < N; ++i) {
    keys[i] = order_key(ds, score[i]);
    idx[i] = static_cast<std::uint32_t>(i);
  }
  sort_keys_with_index(keys, idx, 1, order_key_bits(ds));
  v10.assign(N, 0);
  v01.assign(N, 0);
  std::size_t pos_before = 0, neg_before = 0;
  const double M = static_cast<double>(m), Nn = static_cast<double>(n);
  double sum = 0;
  for (std::size_t a = 0; a < N;) {
    std::size_t b = a;
    std::size_t cp = 0, cn = 0;
    while (b < N && keys[b] == keys[a]) {
      if (label[idx[b]])
        ++cp;
      else
        ++cn;
      ++b;
    }
    double tz = (static_cast<double>(a + 1) + static_cast<double>(b)) / 2;  // midrank among all
    double tx = static_cast<double>(pos_before) + (static_cast<double>(cp) + 1) / 2;
    double ty = static_cast<double>(neg_before) + (static_cast<double>(cn) + 1) / 2;
    for (std::size_t k = a; k < b; ++k) {
      std::uint32_t i = idx[k];
      if (label[i]) {
        v10[i] = (tz - tx) / Nn;
        sum += v10[i];
      } else {
        v01[i] = 1 - (tz - ty) / M;
      }
    }
    pos_before += cp;
    neg_before += cn;
    a = b;
  }
  *auc = sum / M;
}

}  // namespace

std::optional<DeLong> delong_paired(std::span<const double> s1, std::span<const double> s2,
                                    std::span<const std::uint8_t> label, int places1, int places2) {
  std::size_t m = 0;
  for (auto y : label) m += y != 0;
  std::size_t n = label.size() - m;
  if (m < 2 || n < 2) return std::nullopt;
  std::vector<double> a10, a01, b10, b01;
  DeLong r;
  std::thread other([&] { placements(s2, places2, label, m, n, b10, b01, &r.auc2); });
  placements(s1, places1, label, m, n, a10, a01, &r.auc1);
  other.join();
  AccurateSum s10_11, s10_22, s10_12, s01_11, s01_22, s01_12;
  for (std::size_t i = 0; i < label.size(); ++i) {
    if (label[i]) {
      double x = a10[i] - r.auc1, y = b10[i] - r.auc2;
      s10_11.add(x * x);
      s10_22.add(y * y);
      s10_12.add(x * y);
    } else {
      double x = a01[i] - r.auc1, y = b01[i] - r.auc2;
      s01_11.add(x * x);
      s01_22.add(y * y);
      s01_12.add(x * y);
    }
  }
  const double M = static_cast<double>(m), N = static_cast<double>(n);
  r.var1 = s10_11.value() / (M - 1) / M + s01_11.value() / (N - 1) / N;
  r.var2 = s10_22.value() / (M - 1) / M + s01_22.value() / (N - 1) / N;
  r.cov = s10_12.value() / (M - 1) / M + s01_12.value() / (N - 1) / N;
  return r;
}

McNemar mcnemar(std::span<const std::uint8_t> c1, std::span<const std::uint8_t> c2) {
  McNemar r;
  for (std::size_t i = 0; i < c1.size(); ++i) {
    r.only_first += c1[i] && !c2[i];
    r.only_second += !c1[i] && c2[i];
  }
  const std::int64_t n1 = r.only_first, n2 = r.only_second, total = n1 + n2;
  r.p_exact = std::min(1.0, 2 * binom_cdf(std::min(n1, n2), total, 0.5));
  if (total == 0) {
    r.statistic = std::numeric_limits<double>::quiet_NaN();
    r.p_asymptotic = std::numeric_limits<double>::quiet_NaN();
  } else {
    double diff = std::fabs(static_cast<double>(n1 - n2)) - 1;  // continuity correction
    r.statistic = diff * diff / static_cast<double>(total);
    r.p_asymptotic = chi2_sf_1df(r.statistic);
  }
  return r;
}

std::vector<HolmDecision> holm(const std::vector<double>& p, const std::vector<double>& alpha) {
  const std::size_t k = p.size();
  std::vector<std::size_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<HolmDecision> out(k);
  bool still = true;
  for (std::size_t j = 0; j < k; ++j) {
    std::size_t i = order[j];
    out[i].alpha = alpha[i] / static_cast<double>(k - j);
    still = still && p[i] <= out[i].alpha;
    out[i].rejected = still;
  }
  return out;
}

double quantile(std::vector<double> v, double q) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  double h = (static_cast<double>(v.size()) - 1) * q;
  auto lo = static_cast<std::size_t>(std::floor(h));
  std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

// ---------------------------------------------------------------------------------------------
// Weighted evaluators: one pass per resample over rows sorted once.

namespace {

// Rows sorted by score, highest first, packed for the walk: the row's position in the low 30
// bits, whether it is positive in bit 31, whether it ends a run of equal scores in bit 30.
struct SortedScores {
  static constexpr std::uint32_t kPos = 1u << 31, kEnd = 1u << 30, kIndex = kEnd - 1;
  std::vector<std::uint32_t> packed;
  // keep(i): whether row i takes part (all by default).
  void build(const std::vector<double>& score, const std::vector<std::uint8_t>& positive) {
    build(score, positive, [](std::size_t) { return true; });
  }
  template <class Keep>
  void build(const std::vector<double>& score, const std::vector<std::uint8_t>& positive,
             Keep keep) {
    if (score.size() > std::size_t{kIndex} + 1)
      throw Error("the bootstrap handles at most 2^30 rows, not " + std::to_string(score.size()),
                  "statistics", "use method: delong for roc_auc, or sample the rows");
    std::vector<std::pair<std::uint64_t, std::uint32_t>> kv;
    kv.reserve(score.size());
    for (std::size_t i = 0; i < score.size(); ++i)
      if (keep(i)) kv.emplace_back(sort_key(score[i]), static_cast<std::uint32_t>(i));
    std::sort(kv.begin(), kv.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    packed.resize(kv.size());
    for (std::size_t i = 0; i < kv.size(); ++i) {
      std::uint32_t v = kv[i].second;
      if (positive[v]) v |= kPos;
      if (i + 1 == kv.size() || kv[i + 1].first != kv[i].first) v |= kEnd;
      packed[i] = v;
    }
  }
};

// AUC (and AP when asked) of weighted rows: the engine's walk, with weights for counts.
// Twice the area counts pairs: at most 2 * TP * FP <= W^2 / 2 for a total weight W, and W is
// the row count of a resample, below 2^30 (kIndex): 64 bits hold it.
// max_fpr > 0: roc_auc_max_fpr too, which needs the totals before the walk (one more pass).
RankSummary weighted_ranks(const SortedScores& s, const std::uint8_t* w, bool with_ap,
                           double max_fpr = 0) {
  std::uint64_t tp = 0, fp = 0, dtp = 0, dfp = 0;
  std::uint64_t area2 = 0;
  AccurateSum ap;  // sum of dtp * precision; divided by P at the end
  PartialAucT<AccurateSum> pauc;
  pauc.max_fpr = max_fpr;
  double P = 0, N = 0;
  if (max_fpr > 0) {
    for (std::uint32_t v : s.packed)
      (v & SortedScores::kPos ? P : N) += static_cast<double>(w[v & SortedScores::kIndex]);
  }
  const bool partial = max_fpr > 0 && max_fpr < 1 && P > 0 && N > 0;
  for (std::uint32_t v : s.packed) {
    const std::uint64_t wi = w[v & SortedScores::kIndex];
    const std::uint64_t pos = v >> 31;  // branchless: labels come in random order
    dtp += wi & (0 - pos);
    dfp += wi & (pos - 1);
    if (v & SortedScores::kEnd) {
      area2 += dfp * (2 * tp + dtp);
      if (partial)
        pauc.step(static_cast<double>(tp), static_cast<double>(fp), static_cast<double>(dtp),
                  static_cast<double>(dfp), P, N);
      tp += dtp;
      fp += dfp;
      if (with_ap && dtp > 0)
        ap.add(static_cast<double>(dtp) * static_cast<double>(tp) / static_cast<double>(tp + fp));
      dtp = dfp = 0;
    }
  }
  RankSummary r;
  r.set_areas(static_cast<double>(area2), static_cast<double>(tp), static_cast<double>(fp), pauc);
  if (with_ap && tp > 0) r.ap = ap.value() / static_cast<double>(tp);
  return r;
}

// The same walk with sample weights: a row drawn c times weighs c * sw (as scikit-learn's
// sample_weight), in doubles. Runs of weight 0 are no thresholds.
RankSummary sample_weighted_ranks(const SortedScores& s, const std::uint8_t* w,
                                  const std::vector<double>& sw, bool with_ap, double max_fpr) {
  double P = 0, N = 0;
  for (std::uint32_t v : s.packed) {
    const std::uint32_t k = v & SortedScores::kIndex;
    (v & SortedScores::kPos ? P : N) += w[k] * sw[k];
  }
  double tp = 0, fp = 0, dtp = 0, dfp = 0;
  AccurateSum area, ap;
  PartialAucT<AccurateSum> pauc;
  pauc.max_fpr = max_fpr;
  const bool partial = max_fpr > 0 && max_fpr < 1 && P > 0 && N > 0;
  for (std::uint32_t v : s.packed) {
    const std::uint32_t k = v & SortedScores::kIndex;
    (v & SortedScores::kPos ? dtp : dfp) += w[k] * sw[k];
    if (!(v & SortedScores::kEnd)) continue;
    area.add(dfp * (2 * tp + dtp));
    if (partial) pauc.step(tp, fp, dtp, dfp, P, N);
    tp += dtp;
    fp += dfp;
    if (with_ap && dtp > 0) ap.add(dtp / P * (tp / (tp + fp)));
    dtp = dfp = 0;
  }
  RankSummary r;
  r.set_areas(area.value(), P, N, pauc);
  if (with_ap && P > 0) r.ap = ap.value();
  return r;
}

// Resamples evaluated per walk. Weights are interleaved L to a row, so one load fetches all L
// and the scattered access costs once instead of L times. Measured on 500k rows with a 2 MiB L2:
// 2 lanes beat 1, 4 and 8 (whose interleaved weights spill out of the cache).
constexpr std::size_t kLanes = 2;

// Kept out of line: inlined, its loop competes for registers with the caller's (measured 5%
// slower when the caller grew).
[[gnu::noinline]] void weighted_auc_lanes(const SortedScores& s, const std::uint8_t* w,
                                          double* auc /*[kLanes]*/) {
  constexpr int L = static_cast<int>(kLanes);
  using Word = std::conditional_t<L == 8, std::uint64_t,
                                  std::conditional_t<L == 4, std::uint32_t, std::uint16_t>>;
  std::uint64_t tp[L] = {}, fp[L] = {}, dtp[L] = {}, dfp[L] = {};
  std::uint64_t area2[L] = {};  // 64 bits hold it (see weighted_ranks); 128 cost a fifth
  for (std::uint32_t v : s.packed) {
    Word word;
    std::memcpy(&word, w + static_cast<std::size_t>(v & SortedScores::kIndex) * L, sizeof word);
    const std::uint64_t pos = 0 - static_cast<std::uint64_t>(v >> 31);
    for (int r = 0; r < L; ++r) {
      const std::uint64_t wi = (word >> (8 * r)) & 0xff;
      dtp[r] += wi & pos;
      dfp[r] += wi & ~pos;
    }
    if (v & SortedScores::kEnd) {
      for (int r = 0; r < L; ++r) {
        area2[r] += dfp[r] * (2 * tp[r] + dtp[r]);
        tp[r] += dtp[r];
        fp[r] += dfp[r];
        dtp[r] = dfp[r] = 0;
      }
    }
  }
  for (int r = 0; r < L; ++r)
    auc[r] = tp[r] > 0 && fp[r] > 0
                 ? static_cast<double>(area2[r]) /
                       (2.0 * static_cast<double>(tp[r]) * static_cast<double>(fp[r]))
                 : std::numeric_limits<double>::quiet_NaN();
}

void pick(const MetricSet& m, const std::vector<std::string>& names, double* out) {
  for (std::size_t k = 0; k < names.size(); ++k) {
    MetricValue v = m.get(names[k]);
    out[k] = v ? *v : std::numeric_limits<double>::quiet_NaN();
  }
}

bool wants(const std::vector<std::string>& names, std::initializer_list<const char*> any) {
  for (const auto& n : names)
    for (const char* a : any)
      if (n == a) return true;
  return false;
}

class WeightedBinary : public WeightedEvaluator {
 public:
  WeightedBinary(const BinaryData& d, std::span<const std::uint32_t> rows,
                 std::vector<std::string> names, MetricRequest req)
      : names_(std::move(names)), req_(std::move(req)) {
    const std::size_t n = rows.size();
    rows_ = n;
    label_.resize(n);
    yhat_.resize(n);
    ll_.resize(n);
    brier_.resize(n);
    bin_.resize(n);
    prob_.resize(n);
    std::vector<double> score(n);
    for (std::size_t k = 0; k < n; ++k) {
      std::uint32_t i = rows[k];
      double p = d.score[i];
      score[k] = p;
      label_[k] = d.label[i] != 0;
      yhat_[k] = d.predicted_positive(i);
      if (d.negated || p < 0 || p > 1) {
        outside_ = true;
      } else {
        ll_[k] = binary_log_loss_term(p, label_[k]);
        double e = p - label_[k];
        brier_[k] = e * e;
        bin_[k] = static_cast<std::uint8_t>(ece_bin(p));
        prob_[k] = p;
      }
    }
    negated_ = d.negated;
    if (!d.weight.empty()) {
      sw_.resize(n);
      for (std::size_t k = 0; k < n; ++k) sw_[k] = d.weight[rows[k]];
    }
    ranks_ = wants(names_, {"roc_auc", "average_precision", "roc_auc_max_fpr"});
    with_ap_ = wants(names_, {"average_precision"});
    max_fpr_ = wants(names_, {"roc_auc_max_fpr"}) ? req_.max_fpr : 0;
    rows_pass_ = false;
    for (const auto& name : names_)
      rows_pass_ = rows_pass_ ||
                   (name != "roc_auc" && name != "average_precision" && name != "roc_auc_max_fpr");
    if (ranks_) sorted_.build(score, label_);
  }
  void evaluate(const std::uint8_t* w, double* out) const override {
    if (!sw_.empty()) {
      evaluate_sample_weighted(w, out);
      return;
    }
    BinaryAccT<std::int64_t, AccurateSum> a;
    a.outside_unit = outside_;
    a.negated = negated_;
    // Only a rank metric asked for: the walk alone has everything (counts come from it).
    for (std::size_t k = 0; rows_pass_ && k < label_.size(); ++k) {
      const std::int64_t wk = w[k];
      if (!wk) continue;
      const double wd = static_cast<double>(wk);
      a.n += wk;
      a.pos += label_[k] * wk;
      a.tp += (label_[k] && yhat_[k]) * wk;
      a.fp += (!label_[k] && yhat_[k]) * wk;
      if (!outside_) {
        a.logloss.add(wd * ll_[k]);
        a.brier.add(wd * brier_[k]);
        a.bin_n[bin_[k]] += wk;
        a.bin_pos[bin_[k]] += label_[k] * wk;
        a.bin_prob[bin_[k]].add(wd * prob_[k]);
      }
    }
    RankSummary rs = ranks_ ? weighted_ranks(sorted_, w, with_ap_, max_fpr_) : RankSummary{};
    if (!rows_pass_) {
      for (std::size_t k = 0; k < names_.size(); ++k) {
        MetricValue v = names_[k] == "roc_auc"             ? rs.auc
                        : names_[k] == "average_precision" ? rs.ap
                                                           : rs.pauc;
        out[k] = v ? *v : std::numeric_limits<double>::quiet_NaN();
      }
      return;
    }
    GroupMetrics gm;
    binary_group_metrics(a, rs, false, req_, gm);
    pick(gm.metrics, names_, out);
  }

 private:
  void evaluate_lanes(const std::uint8_t* w, std::size_t lanes, std::size_t metrics,
                      double* out) const override {
    if (lanes != kLanes || rows_pass_ || with_ap_ || max_fpr_ > 0 || !sw_.empty()) {
      WeightedEvaluator::evaluate_lanes(w, lanes, metrics, out);
      return;
    }
    double auc[kLanes];
    weighted_auc_lanes(sorted_, w, auc);
    for (std::size_t r = 0; r < kLanes; ++r) out[r * metrics] = auc[r];
  }

 private:
  // With sample weights: every count a sum of (times drawn) x (the row's weight).
  void evaluate_sample_weighted(const std::uint8_t* w, double* out) const {
    BinaryAccT<double, AccurateSum> a;
    a.outside_unit = outside_;
    a.negated = negated_;
    for (std::size_t k = 0; k < label_.size(); ++k) {
      if (!w[k]) continue;
      const double wd = w[k] * sw_[k];
      a.rows += w[k];
      a.n += wd;
      a.pos += label_[k] ? wd : 0;
      a.tp += label_[k] && yhat_[k] ? wd : 0;
      a.fp += !label_[k] && yhat_[k] ? wd : 0;
      if (!outside_) {
        a.logloss.add(wd * ll_[k]);
        a.brier.add(wd * brier_[k]);
        a.bin_n[bin_[k]] += wd;
        a.bin_pos[bin_[k]] += label_[k] ? wd : 0;
        a.bin_prob[bin_[k]].add(wd * prob_[k]);
      }
    }
    RankSummary rs =
        ranks_ ? sample_weighted_ranks(sorted_, w, sw_, with_ap_, max_fpr_) : RankSummary{};
    GroupMetrics gm;
    binary_group_metrics(a, rs, false, req_, gm);
    pick(gm.metrics, names_, out);
  }

  std::vector<std::string> names_;
  MetricRequest req_;
  double max_fpr_ = 0;
  std::vector<double> sw_;  // sample weights, by evaluator row; empty: none
  std::vector<std::uint8_t> label_, yhat_, bin_;
  std::vector<double> ll_, brier_, prob_;
  bool outside_ = false, negated_ = false, ranks_ = false, with_ap_ = false, rows_pass_ = true;
  SortedScores sorted_;
};

class WeightedMulticlass : public WeightedEvaluator {
 public:
  WeightedMulticlass(const MulticlassData& d, std::span<const std::uint32_t> rows,
                     std::vector<std::string> names, const MetricRequest& req)
      : names_(std::move(names)), K_(d.n_classes) {
    const std::size_t n = rows.size();
    rows_ = n;
    y_.resize(n);
    yhat_.resize(n);
    has_proba_ = !d.proba.empty();
    if (has_proba_) ll_.resize(n);
    std::vector<double> clipped(K_);
    for (std::size_t k = 0; k < n; ++k) {
      std::uint32_t i = rows[k];
      y_[k] = d.label[i];
      if (!d.pred.empty()) {
        yhat_[k] = d.pred[i];
      } else {
        std::uint32_t best = 0;
        for (std::size_t c = 1; c < K_; ++c)
          if (d.proba[c][i] > d.proba[best][i]) best = static_cast<std::uint32_t>(c);
        yhat_[k] = best;
      }
      if (has_proba_) {
        double s = 0;
        for (std::size_t c = 0; c < K_; ++c) {
          clipped[c] = std::clamp(d.proba[c][i], kLogLossEps, 1 - kLogLossEps);
          s += clipped[c];
        }
        ll_[k] = -std::log(clipped[y_[k]] / s);
      }
    }
    if (!d.weight.empty()) {
      sw_.resize(n);
      for (std::size_t k = 0; k < n; ++k) sw_[k] = d.weight[rows[k]];
    }
    if (has_proba_ && wants(names_, {"top_k_accuracy"})) {
      top_k_.resize(n);
      const int k_top = req.k_of("top_k_accuracy");
      for (std::size_t k = 0; k < n; ++k) top_k_[k] = in_top_k(d, rows[k], y_[k], k_top);
    }
    if (has_proba_ && wants(names_, {"roc_auc_ovo", "roc_auc_ovo_weighted"})) {
      // Class a's probability over the rows of classes a and b, a positive: one sorted walk
      // per ordered pair.
      pairs_.resize(K_ * K_);
      for (std::size_t a = 0; a < K_; ++a)
        for (std::size_t b = 0; b < K_; ++b) {
          if (a == b) continue;
          std::vector<double> col(n);
          std::vector<std::uint8_t> is_a(n);
          for (std::size_t k = 0; k < n; ++k) {
            col[k] = d.proba[a][rows[k]];
            is_a[k] = y_[k] == a;
          }
          pairs_[a * K_ + b].build(col, is_a,
                                   [&](std::size_t k) { return y_[k] == a || y_[k] == b; });
        }
    }
    if (has_proba_ && wants(names_, {"roc_auc_ovr", "roc_auc_ovr_weighted"})) {
      sorted_.resize(K_);
      for (std::size_t c = 0; c < K_; ++c) {
        std::vector<double> col(n);
        std::vector<std::uint8_t> is_class(n);
        for (std::size_t k = 0; k < n; ++k) {
          col[k] = d.proba[c][rows[k]];
          is_class[k] = y_[k] == c;
        }
        sorted_[c].build(col, is_class);
      }
    }
  }
  void evaluate(const std::uint8_t* w, double* out) const override {
    if (sw_.empty())
      evaluate_as<std::int64_t>(w, out);
    else
      evaluate_as<double>(w, out);
  }

 private:
  // C = std::int64_t: rows counted as drawn; C = double: each draw weighs the row's sample
  // weight (scikit-learn's sample_weight; there is no weighted one-vs-one AUC).
  template <class C>
  void evaluate_as(const std::uint8_t* w, double* out) const {
    constexpr bool kSample = std::is_same_v<C, double>;
    auto weight = [&](std::size_t k) -> C {
      if constexpr (kSample)
        return w[k] * sw_[k];
      else
        return w[k];
    };
    std::vector<C> cm(K_ * K_, 0);
    C total = 0;
    AccurateSum ll;
    for (std::size_t k = 0; k < y_.size(); ++k) {
      if (!w[k]) continue;
      const C wk = weight(k);
      cm[y_[k] * K_ + yhat_[k]] += wk;
      total += wk;
      if (has_proba_) ll.add(static_cast<double>(wk) * ll_[k]);
    }
    GroupMetrics gm;
    if (total > 0) confusion_metrics(cm, K_, total, gm.metrics);
    if (has_proba_ && total > 0)
      gm.metrics.set("log_loss", ll.value() / static_cast<double>(total));
    if (!top_k_.empty() && total > 0) {
      C hits = 0;
      for (std::size_t k = 0; k < y_.size(); ++k) hits += top_k_[k] ? weight(k) : 0;
      gm.metrics.set("top_k_accuracy", static_cast<double>(hits) / static_cast<double>(total));
    }
    // Rows per true class: the weights of the weighted averages.
    std::vector<double> support(K_, 0);
    for (std::size_t a = 0; a < K_; ++a)
      for (std::size_t b = 0; b < K_; ++b) support[a] += static_cast<double>(cm[a * K_ + b]);
    if (!sorted_.empty()) {
      double sum = 0, weighted = 0;
      bool defined = true;
      for (std::size_t c = 0; c < K_ && defined; ++c) {
        RankSummary rs = kSample ? sample_weighted_ranks(sorted_[c], w, sw_, false, 0)
                                 : weighted_ranks(sorted_[c], w, false);
        if (rs.auc) {
          sum += *rs.auc;
          weighted += *rs.auc * support[c];
        } else {
          defined = false;
        }
      }
      gm.metrics.set("roc_auc_ovr",
                     defined ? MetricValue(sum / static_cast<double>(K_)) : std::nullopt);
      gm.metrics.set("roc_auc_ovr_weighted",
                     defined ? MetricValue(weighted / static_cast<double>(total)) : std::nullopt);
    }
    if (!pairs_.empty() && kSample) {
      gm.metrics.set("roc_auc_ovo", std::nullopt);
      gm.metrics.set("roc_auc_ovo_weighted", std::nullopt);
    } else if (!pairs_.empty()) {
      double macro = 0, weighted = 0, weights = 0, count = 0;
      bool defined = true;
      for (std::size_t a = 0; a < K_ && defined; ++a)
        for (std::size_t b = a + 1; b < K_ && defined; ++b) {
          const MetricValue ab = weighted_ranks(pairs_[a * K_ + b], w, false).auc;
          const MetricValue ba = weighted_ranks(pairs_[b * K_ + a], w, false).auc;
          defined = ab && ba;
          if (!defined) break;
          const double score = (*ab + *ba) / 2;
          const double prevalence = (support[a] + support[b]) / static_cast<double>(total);
          macro += score;
          weighted += score * prevalence;
          weights += prevalence;
          count += 1;
        }
      gm.metrics.set("roc_auc_ovo", defined ? MetricValue(macro / count) : std::nullopt);
      gm.metrics.set("roc_auc_ovo_weighted",
                     defined ? MetricValue(weighted / weights) : std::nullopt);
    }
    pick(gm.metrics, names_, out);
  }

 private:
  std::vector<std::string> names_;
  std::size_t K_;
  bool has_proba_ = false;
  std::vector<std::uint32_t> y_, yhat_;
  std::vector<double> ll_;
  std::vector<std::uint8_t> top_k_;
  std::vector<SortedScores> sorted_;
  std::vector<SortedScores> pairs_;  // [a * K + b]: roc_auc_ovo's walks
  std::vector<double> sw_;           // sample weights, by evaluator row; empty: none
};

class WeightedRegression : public WeightedEvaluator {
 public:
  WeightedRegression(const RegressionData& d, std::span<const std::uint32_t> rows,
                     std::vector<std::string> names, const MetricRequest& req)
      : names_(std::move(names)) {
    const std::size_t n = rows.size();
    rows_ = n;
    y_.resize(n);
    e_.resize(n);
    ae_.resize(n);
    ape_.resize(n);
    const double eps = std::numeric_limits<double>::epsilon();
    for (std::size_t k = 0; k < n; ++k) {
      double y = d.label[rows[k]], p = d.pred[rows[k]];
      y_[k] = y;
      e_[k] = y - p;
      ae_[k] = std::fabs(p - y);
      ape_[k] = ae_[k] / std::max(std::fabs(y), eps);
    }
    if (wants(names_, {"median_ae"})) {
      by_error_.resize(n);
      std::iota(by_error_.begin(), by_error_.end(), 0);
      std::sort(by_error_.begin(), by_error_.end(),
                [&](std::uint32_t a, std::uint32_t b) { return ae_[a] < ae_[b]; });
    }
    if (wants(names_, {"d2_absolute_error"})) {
      by_label_.resize(n);
      std::iota(by_label_.begin(), by_label_.end(), 0);
      std::sort(by_label_.begin(), by_label_.end(),
                [&](std::uint32_t a, std::uint32_t b) { return y_[a] < y_[b]; });
    }
    // The on-request terms of the metrics asked here, with the policy's parameters.
    MetricRequest asked = req;
    asked.names.clear();
    for (const auto& name : names_)
      if (const MetricInfo* m = find_metric(name, Task::kRegression); m && m->on_request)
        asked.names.push_back(name);
    asked_.ask(asked);
    if (!d.weight.empty()) {
      sw_.resize(n);
      for (std::size_t k = 0; k < n; ++k) sw_[k] = d.weight[rows[k]];
    }
    if (asked_.any_terms()) {
      p_.resize(n);
      for (std::size_t k = 0; k < n; ++k) p_[k] = d.pred[rows[k]];
    }
  }

  // The median of the weighted multiset of values[order[...]]: ranks (W+1)/2, or the middle of
  // W/2 and W/2+1 (as np.median / np.percentile(50) of the rows repeated by their weights).
  static double weighted_median(const std::vector<std::uint32_t>& order,
                                const std::vector<double>& values, const std::uint8_t* w,
                                std::int64_t total, bool lerp) {
    std::int64_t lo_rank = (total + 1) / 2, hi_rank = total / 2 + 1, cum = 0;
    double lo = 0, hi = 0;
    bool have_lo = false;
    for (std::uint32_t k : order) {
      if (!w[k]) continue;
      cum += w[k];
      if (!have_lo && cum >= lo_rank) {
        lo = values[k];
        have_lo = true;
      }
      if (cum >= hi_rank) {
        hi = values[k];
        break;
      }
    }
    if (total % 2) return lo;
    return lerp ? lo + (hi - lo) * 0.5 : (lo + hi) / 2;
  }
  // With sample weights: scikit-learn's _weighted_percentile of the values, each draw weighing
  // the row's sample weight.
  double sample_weighted_median(const std::vector<std::uint32_t>& order,
                                const std::vector<double>& values, const std::uint8_t* w) const {
    double total = 0;
    for (std::uint32_t k : order) total += w[k] * sw_[k];
    double half = 0.5 * total, cum = 0;
    if (half == 0) half = std::nextafter(0.0, 1.0);
    double last = 0;
    for (std::uint32_t k : order) {
      if (!w[k]) continue;
      cum += w[k] * sw_[k];
      last = values[k];
      if (cum >= half) return values[k];
    }
    return last;
  }
  void evaluate(const std::uint8_t* w, double* out) const override {
    RegressionSums s = asked_;
    const bool sample = !sw_.empty();
    s.weighted = sample;
    AccurateSum sy, se, sae, sq, sape;
    for (std::size_t k = 0; k < y_.size(); ++k) {
      if (!w[k]) continue;
      const double wd = sample ? w[k] * sw_[k] : w[k];
      s.wsum += wd;
      s.n += w[k];
      sy.add(wd * y_[k]);
      se.add(wd * e_[k]);
      sae.add(wd * ae_[k]);
      sq.add(wd * e_[k] * e_[k]);
      sape.add(wd * ape_[k]);
      if (!sample || sw_[k] > 0) s.max_e = std::max(s.max_e, ae_[k]);
      if (!p_.empty()) s.add_asked(y_[k], p_[k], wd);
    }
    GroupMetrics gm;
    MetricValue median, d2;
    if (s.n > 0 && s.wsum > 0) {
      const double n_ = s.wsum;
      const double ym = sy.value() / n_, em = se.value() / n_;
      AccurateSum st, sd;
      for (std::size_t k = 0; k < y_.size(); ++k) {
        if (!w[k]) continue;
        const double wd = sample ? w[k] * sw_[k] : w[k];
        double dy = y_[k] - ym, de = e_[k] - em;
        st.add(wd * dy * dy);
        sd.add(wd * de * de);
      }
      s.abs_e = sae.value();
      s.sq_e = sq.value();
      s.ape = sape.value();
      s.ss_tot = st.value();
      s.ss_e = sd.value();
      if (!by_error_.empty())
        median = sample ? sample_weighted_median(by_error_, ae_, w)
                        : weighted_median(by_error_, ae_, w, s.n, false);
      if (!by_label_.empty()) {
        const double med_y = sample ? sample_weighted_median(by_label_, y_, w)
                                    : weighted_median(by_label_, y_, w, s.n, true);
        AccurateSum dev;
        for (std::size_t k = 0; k < y_.size(); ++k)
          if (w[k]) dev.add((sample ? w[k] * sw_[k] : w[k]) * std::fabs(y_[k] - med_y));
        d2 = d2_absolute(s.abs_e, dev.value(), s.n);
      }
    }
    regression_group_metrics(s, median, gm);
    gm.metrics.set("d2_absolute_error", d2);
    pick(gm.metrics, names_, out);
  }

 private:
  std::vector<std::string> names_;
  std::vector<double> y_, p_, e_, ae_, ape_;
  std::vector<std::uint32_t> by_error_, by_label_;
  RegressionSums asked_;    // which on-request metrics, and their parameters
  std::vector<double> sw_;  // sample weights, by evaluator row; empty: none
};

// splitmix64: seeds each resample's stream from (seed, b).
inline std::uint64_t splitmix(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

struct Xoshiro256 {
  std::uint64_t s[4];
  explicit Xoshiro256(std::uint64_t seed) {
    for (auto& v : s) v = splitmix(seed);
  }
  std::uint64_t next() {
    const std::uint64_t result = std::rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = std::rotl(s[3], 45);
    return result;
  }
  // Uniform in [0, n), exactly: Lemire's multiply-shift on 32-bit halves with rejection of the
  // few values that would bias it (rejected with probability n / 2^32).
  std::uint32_t below(std::uint32_t n) {
    for (;;) {
      if (!have_half_) {
        bits_ = next();
        have_half_ = true;
      } else {
        bits_ >>= 32;
        have_half_ = false;
      }
      std::uint64_t m = static_cast<std::uint64_t>(static_cast<std::uint32_t>(bits_)) * n;
      auto low = static_cast<std::uint32_t>(m);
      if (low >= n || low >= (0u - n) % n) return static_cast<std::uint32_t>(m >> 32);
    }
  }

 private:
  std::uint64_t bits_ = 0;
  bool have_half_ = false;
};

}  // namespace

void WeightedEvaluator::evaluate_lanes(const std::uint8_t* w, std::size_t lanes,
                                       std::size_t metrics, double* out) const {
  const std::size_t n = lanes ? rows_ : 0;
  std::vector<std::uint8_t> one(n);
  for (std::size_t r = 0; r < lanes; ++r) {
    for (std::size_t i = 0; i < n; ++i) one[i] = w[i * lanes + r];
    evaluate(one.data(), out + r * metrics);
  }
}

std::unique_ptr<WeightedEvaluator> make_weighted_binary(const BinaryData& d,
                                                        std::span<const std::uint32_t> rows,
                                                        const std::vector<std::string>& names,
                                                        const MetricRequest& req) {
  return std::make_unique<WeightedBinary>(d, rows, names, req);
}
std::unique_ptr<WeightedEvaluator> make_weighted_multiclass(const MulticlassData& d,
                                                            std::span<const std::uint32_t> rows,
                                                            const std::vector<std::string>& names,
                                                            const MetricRequest& req) {
  return std::make_unique<WeightedMulticlass>(d, rows, names, req);
}
std::unique_ptr<WeightedEvaluator> make_weighted_regression(const RegressionData& d,
                                                            std::span<const std::uint32_t> rows,
                                                            const std::vector<std::string>& names,
                                                            const MetricRequest& req) {
  return std::make_unique<WeightedRegression>(d, rows, names, req);
}

Clusters clusters_of(std::span<const std::uint32_t> codes, std::span<const std::uint32_t> rows) {
  Clusters c;
  c.of_row.reserve(rows.size());
  std::unordered_map<std::uint32_t, std::uint32_t> dense;
  for (std::uint32_t r : rows) {
    auto [it, added] = dense.try_emplace(codes[r], c.count);
    if (added) ++c.count;
    c.of_row.push_back(it->second);
  }
  return c;
}

BootstrapDraws paired_bootstrap(const WeightedEvaluator& m1, const WeightedEvaluator& m2,
                                std::size_t n_rows, std::size_t n_metrics, int B,
                                std::uint64_t seed, unsigned threads, const Clusters* clusters) {
  BootstrapDraws out;
  if (clusters && (clusters->of_row.size() != n_rows || clusters->count == 0))
    throw Error("the cluster index does not match the rows", "statistics", "please report this");
  out.first.assign(n_metrics, std::vector<double>(static_cast<std::size_t>(B)));
  out.second.assign(n_metrics, std::vector<double>(static_cast<std::size_t>(B)));
  const unsigned T = threads ? threads : default_threads();
  // Resamples are split into blocks; each block reuses one weight buffer.
  const std::size_t blocks = std::min<std::size_t>(static_cast<std::size_t>(B), std::size_t{T} * 8);
  Progress progress("bootstrap", "resamples", static_cast<std::uint64_t>(B));
  parallel_for(
      blocks,
      [&](std::size_t blk) {
        // Counts fit a byte: reaching 256 has a probability near 1e-500 per row. Should it ever
        // happen, the run fails rather than count wrongly.
        std::vector<std::uint8_t> w(n_rows * kLanes);
        std::vector<std::uint8_t> drawn(clusters ? clusters->count : 0);
        std::vector<double> v1(n_metrics * kLanes), v2(n_metrics * kLanes);
        const std::size_t b0 = static_cast<std::size_t>(B) * blk / blocks;
        const std::size_t b1 = static_cast<std::size_t>(B) * (blk + 1) / blocks;
        const auto n = static_cast<std::uint32_t>(n_rows);
        for (std::size_t base = b0; base < b1; base += kLanes) {
          const std::size_t lanes = std::min(kLanes, b1 - base);
          std::fill(w.begin(), w.end(), 0);
          for (std::size_t r = 0; r < lanes; ++r) {
            const std::size_t b =
                base + r;  // each resample has its own stream, whatever the thread
            Xoshiro256 rng(seed * 0x100000001B3ULL ^ (b + 1) * 0x9E3779B97F4A7C15ULL);
            std::uint8_t* c = w.data() + r;
            if (clusters) {
              // Clusters drawn, then each row weighs its cluster's count.
              std::fill(drawn.begin(), drawn.end(), 0);
              const std::uint32_t m = clusters->count;
              for (std::uint32_t k = 0; k < m; ++k)
                if (__builtin_expect(++drawn[rng.below(m)] == 0, 0))
                  throw Error("a bootstrap weight overflowed", "statistics",
                              "please report this with the seed");
              for (std::size_t k = 0; k < n_rows; ++k) c[k * kLanes] = drawn[clusters->of_row[k]];
              continue;
            }
            for (std::size_t k = 0; k < n_rows; ++k)
              if (__builtin_expect(++c[static_cast<std::size_t>(rng.below(n)) * kLanes] == 0, 0))
                throw Error("a bootstrap weight overflowed", "statistics",
                            "please report this with the seed");
          }
          // Lanes past the last resample keep zero weights; their results are not used.
          m1.evaluate_lanes(w.data(), kLanes, n_metrics, v1.data());
          m2.evaluate_lanes(w.data(), kLanes, n_metrics, v2.data());
          for (std::size_t r = 0; r < lanes; ++r)
            for (std::size_t j = 0; j < n_metrics; ++j) {
              out.first[j][base + r] = v1[r * n_metrics + j];
              out.second[j][base + r] = v2[r * n_metrics + j];
            }
          progress.add(lanes);
        }
      },
      T);
  return out;
}

}  // namespace mlgate
