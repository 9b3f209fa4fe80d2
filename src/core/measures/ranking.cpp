// Ranking metrics: each query's items ranked by score, a value per query, averaged over the
// queries. Tied scores are taken at their expected value over every order of the tie, which for
// ndcg_at_k is exactly scikit-learn's tie averaging (ndcg_score with ignore_ties=False), so no
// result depends on the order rows happen to come in.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "metrics_internal.hpp"
#include "mlgate/base/parallel.hpp"
#include "mlgate/measures/metrics.hpp"
#include "mlgate/measures/stats.hpp"

namespace mlgate {

namespace {

// The ranking metrics in the catalog's order.
constexpr std::size_t kNdcg = 0, kMap = 1, kMrr = 2, kPrecision = 3, kRecall = 4, kHit = 5;
constexpr std::size_t kRankingMetrics = 6;
constexpr std::array<const char*, kRankingMetrics> kNames = {
    "ndcg_at_k", "map_at_k", "mrr", "precision_at_k", "recall_at_k", "hit_rate_at_k"};
using QueryValues = std::array<double, kRankingMetrics>;

struct Ks {
  std::size_t ndcg, map, precision, recall, hit;
  explicit Ks(const MetricRequest& req)
      : ndcg(static_cast<std::size_t>(req.k_of("ndcg_at_k"))),
        map(static_cast<std::size_t>(req.k_of("map_at_k"))),
        precision(static_cast<std::size_t>(req.k_of("precision_at_k"))),
        recall(static_cast<std::size_t>(req.k_of("recall_at_k"))),
        hit(static_cast<std::size_t>(req.k_of("hit_rate_at_k"))) {}
};

// One query at a time: its items' scores and relevances, sorted by score, highest first.
class QueryRanker {
 public:
  explicit QueryRanker(const MetricRequest& req) : k_(req) {}

  // The values of one query of m items (NaN where undefined: nothing relevant).
  QueryValues rank(const double* score, const double* rel, std::size_t m) {
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    grow_discounts(std::min(m, std::max(k_.ndcg, std::size_t{1})));
    std::size_t relevant = 0;
    for (std::size_t i = 0; i < m; ++i) relevant += rel[i] > 0;
    QueryValues v{};
    v[kNdcg] = ndcg(score, rel, m);
    // Walk the tie groups once: [a, b) of equal scores, r relevant items among them.
    double hits_precision = 0, hits_recall = 0, ap = 0, rr = kNaN, hit = kNaN;
    std::size_t before = 0;  // relevant items ranked ahead of the group
    for (std::size_t a = 0; a < m;) {
      std::size_t b = a + 1, r = rel[a] > 0;
      while (b < m && score[b] == score[a]) r += rel[b++] > 0;
      const double g = static_cast<double>(b - a), rd = static_cast<double>(r);
      auto taken = [&](std::size_t k) {  // the group's positions inside the top k
        return static_cast<double>(k > a ? std::min(b, k) - a : 0);
      };
      // Expected relevant items inside the top k: r of every g positions.
      hits_precision += rd * taken(k_.precision) / g;
      hits_recall += rd * taken(k_.recall) / g;
      if (r > 0) {
        // Position a + j (1-based j) holds a relevant item with probability r / g, and the pair
        // (j, an earlier position of the group) both relevant with r (r - 1) / (g (g - 1)).
        const double pair = g > 1 ? rd * (rd - 1) / (g * (g - 1)) : 0;
        const std::size_t last = std::min(b, k_.map);
        for (std::size_t p = a; p < last; ++p) {
          const double j = static_cast<double>(p - a);
          ap +=
              (rd / g * (static_cast<double>(before) + 1) + j * pair) / static_cast<double>(p + 1);
        }
        if (std::isnan(rr)) rr = first_relevant(a, b - a, r);
        if (std::isnan(hit)) hit = a >= k_.hit ? 0 : 1 - none_in_top(b - a, r, k_.hit - a);
      }
      before += r;
      a = b;
    }
    if (relevant == 0) {
      v[kMap] = v[kMrr] = v[kRecall] = v[kHit] = kNaN;
    } else {
      v[kMap] = ap / static_cast<double>(std::min(relevant, k_.map));
      v[kMrr] = rr;
      v[kRecall] = hits_recall / static_cast<double>(relevant);
      v[kHit] = hit;
    }
    v[kPrecision] = hits_precision / static_cast<double>(k_.precision);
    return v;
  }

 private:
  Ks k_;
  std::vector<double> discount_;  // 1 / log2(i + 2), scikit-learn's
  std::vector<double> ideal_;

  void grow_discounts(std::size_t n) {
    while (discount_.size() < n)
      discount_.push_back(1 / std::log2(static_cast<double>(discount_.size()) + 2));
  }

  // scikit-learn's ndcg_score for one query: DCG at k with each tie group's gains averaged
  // over the group's discounts, over the DCG of the ideal order; 0 when nothing is relevant.
  double ndcg(const double* score, const double* rel, std::size_t m) {
    const std::size_t k = std::min(k_.ndcg, m);
    double dcg = 0;
    for (std::size_t a = 0; a < k;) {
      std::size_t b = a + 1;
      double gain = rel[a];
      while (b < m && score[b] == score[a]) gain += rel[b++];
      double disc = 0;
      for (std::size_t i = a; i < std::min(b, k); ++i) disc += discount_[i];
      dcg += gain / static_cast<double>(b - a) * disc;
      a = b;
    }
    ideal_.assign(rel, rel + m);
    std::partial_sort(ideal_.begin(), ideal_.begin() + static_cast<std::ptrdiff_t>(k), ideal_.end(),
                      std::greater<>());
    double idcg = 0;
    for (std::size_t i = 0; i < k; ++i) idcg += ideal_[i] * discount_[i];
    return idcg > 0 ? dcg / idcg : 0;
  }

  // E[1 / rank of the first relevant item] when it is in the tie group at [a, a + g) with r
  // relevant items: the first relevant position j of the group has probability
  // C(g - j, r - 1) / C(g, r).
  static double first_relevant(std::size_t a, std::size_t g, std::size_t r) {
    double none_yet = 1, e = 0;
    const double gd = static_cast<double>(g), rd = static_cast<double>(r);
    for (std::size_t j = 1; j + r <= g + 1; ++j) {
      const double left = gd - static_cast<double>(j) + 1;  // positions from j on
      e += none_yet * rd / left / static_cast<double>(a + j);
      none_yet *= (left - rd) / left;
    }
    return e;
  }

  // The probability that t positions drawn from a group of g with r relevant hold none of them
  // (hypergeometric): C(g - r, t) / C(g, t); t >= g means every position is drawn.
  static double none_in_top(std::size_t g, std::size_t r, std::size_t t) {
    if (t >= g) return 0;
    double p = 1;
    for (std::size_t j = 0; j < t && p > 0; ++j)
      p *= static_cast<double>(g - r > j ? g - r - j : 0) / static_cast<double>(g - j);
    return p;
  }
};

// Rows grouped by query (a counting sort by query code), each query's rows in row order.
struct ByQuery {
  std::vector<std::uint32_t> rows;    // row indices, query by query
  std::vector<std::uint32_t> offset;  // query q's rows: rows[offset[q], offset[q + 1])
};
ByQuery by_query(std::span<const std::uint32_t> query, std::uint32_t n_queries,
                 std::span<const std::uint32_t> rows) {
  ByQuery out;
  out.offset.assign(std::size_t{n_queries} + 1, 0);
  for (std::uint32_t i : rows) ++out.offset[query[i] + 1];
  for (std::size_t q = 0; q < n_queries; ++q) out.offset[q + 1] += out.offset[q];
  out.rows.resize(rows.size());
  std::vector<std::uint32_t> next(out.offset.begin(), out.offset.end() - 1);
  for (std::uint32_t i : rows) out.rows[next[query[i]]++] = i;
  return out;
}

// Accumulates a group's queries: per metric the weighted sum of values and of weights.
struct RankAcc {
  std::array<AccurateSum, kRankingMetrics> sum{}, weight{};
  std::int64_t rows = 0, queries = 0, with_relevant = 0;
  void add(const QueryValues& v, double w, std::size_t m) {
    rows += static_cast<std::int64_t>(m);
    ++queries;
    with_relevant += !std::isnan(v[kMap]);
    for (std::size_t j = 0; j < kRankingMetrics; ++j)
      if (!std::isnan(v[j])) {
        sum[j].add(w * v[j]);
        weight[j].add(w);
      }
  }
  void add(const RankAcc& o) {
    rows += o.rows;
    queries += o.queries;
    with_relevant += o.with_relevant;
    for (std::size_t j = 0; j < kRankingMetrics; ++j) {
      sum[j].add(o.sum[j]);
      weight[j].add(o.weight[j]);
    }
  }
};

// Sorts a query's rows by score, highest first, and copies them out for the ranker.
struct QueryRows {
  std::vector<double> score, rel;
  void load(const RankingData& d, std::uint32_t* begin, std::uint32_t* end) {
    std::sort(begin, end,
              [&](std::uint32_t x, std::uint32_t y) { return d.score[x] > d.score[y]; });
    score.clear();
    rel.clear();
    for (auto* it = begin; it != end; ++it) {
      score.push_back(d.score[*it]);
      rel.push_back(d.relevance[*it]);
    }
  }
};

}  // namespace

std::vector<GroupMetrics> ranking_metrics(const RankingData& d, const Grouping& g,
                                          const MetricRequest& req) {
  const std::size_t n = d.relevance.size();
  const std::uint32_t G = g.n_groups;
  std::vector<std::uint32_t> all(n);
  for (std::size_t i = 0; i < n; ++i) all[i] = static_cast<std::uint32_t>(i);
  ByQuery bq = by_query(d.query, d.n_queries, all);
  std::vector<std::uint32_t>().swap(all);
  // Queries in fixed chunks (not by thread count), merged in order: the same sums whatever
  // the threads.
  const std::size_t Q = d.n_queries, chunk = 4096, chunks = (Q + chunk - 1) / chunk;
  std::vector<std::vector<RankAcc>> acc(chunks, std::vector<RankAcc>(G));
  parallel_for(chunks, [&](std::size_t c) {
    QueryRanker ranker(req);
    QueryRows qr;
    std::vector<RankAcc>& A = acc[c];
    for (std::size_t q = c * chunk; q < std::min(Q, (c + 1) * chunk); ++q) {
      std::uint32_t* begin = bq.rows.data() + bq.offset[q];
      std::uint32_t* end = bq.rows.data() + bq.offset[q + 1];
      if (begin == end) continue;
      const double w = d.weight.empty() ? 1.0 : d.weight[*begin];
      if (g.group.empty()) {
        qr.load(d, begin, end);
        A[0].add(ranker.rank(qr.score.data(), qr.rel.data(), qr.score.size()), w, qr.score.size());
        continue;
      }
      // A group's part of the query: the query's rows in the group.
      std::stable_sort(begin, end,
                       [&](std::uint32_t x, std::uint32_t y) { return g.group[x] < g.group[y]; });
      for (std::uint32_t* a = begin; a != end;) {
        const std::uint32_t grp = g.group[*a];
        std::uint32_t* b = a + 1;
        while (b != end && g.group[*b] == grp) ++b;
        if (grp < G) {
          qr.load(d, a, b);
          A[grp].add(ranker.rank(qr.score.data(), qr.rel.data(), qr.score.size()), w,
                     qr.score.size());
        }
        a = b;
      }
    }
  });
  std::vector<RankAcc> total(G);
  for (const auto& A : acc)
    for (std::uint32_t k = 0; k < G; ++k) total[k].add(A[k]);
  std::vector<GroupMetrics> out(G);
  for (std::uint32_t k = 0; k < G; ++k) {
    GroupMetrics& gm = out[k];
    const RankAcc& a = total[k];
    gm.n = a.rows;
    gm.queries = a.queries;
    gm.queries_with_relevant = a.with_relevant;
    for (std::size_t j = 0; j < kRankingMetrics; ++j) {
      const double w = a.weight[j].value();
      gm.metrics.set(kNames[j], w > 0 ? MetricValue(a.sum[j].value() / w) : std::nullopt);
    }
    if (a.rows == 0)
      gm.warnings.emplace_back("no rows");
    else if (a.with_relevant == 0)
      gm.warnings.emplace_back(
          "map_at_k, mrr, recall_at_k and hit_rate_at_k are undefined: no query has a relevant "
          "item (a label above 0)");
  }
  return out;
}

namespace {

// mlgate-compare's ranking evaluator: every query's values computed once over the scope's
// rows; a resample weighs each query by its draw count (a query's rows are drawn together:
// the bootstrap resamples queries).
class WeightedRanking final : public WeightedEvaluator {
 public:
  WeightedRanking(const RankingData& d, std::span<const std::uint32_t> rows,
                  const std::vector<std::string>& names, const MetricRequest& req) {
    rows_ = rows.size();
    for (const auto& name : names) {
      auto it = std::find(kNames.begin(), kNames.end(), name);
      wanted_.push_back(it == kNames.end() ? kRankingMetrics
                                           : static_cast<std::size_t>(it - kNames.begin()));
    }
    // Positions in `rows` (the evaluator's row numbers) grouped by query.
    std::vector<std::uint32_t> pos(rows.size());
    std::vector<std::uint32_t> query_of(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      pos[i] = static_cast<std::uint32_t>(i);
      query_of[i] = d.query[rows[i]];
    }
    ByQuery bq = by_query(query_of, d.n_queries, pos);
    QueryRanker ranker(req);
    QueryRows qr;
    std::vector<std::uint32_t> data_rows;
    for (std::size_t q = 0; q < d.n_queries; ++q) {
      const std::uint32_t* begin = bq.rows.data() + bq.offset[q];
      const std::uint32_t* end = bq.rows.data() + bq.offset[q + 1];
      if (begin == end) continue;
      first_.push_back(*begin);
      data_rows.clear();
      for (const auto* it = begin; it != end; ++it) data_rows.push_back(rows[*it]);
      weight_.push_back(d.weight.empty() ? 1.0 : d.weight[data_rows[0]]);
      qr.load(d, data_rows.data(), data_rows.data() + data_rows.size());
      const QueryValues v = ranker.rank(qr.score.data(), qr.rel.data(), qr.score.size());
      values_.insert(values_.end(), v.begin(), v.end());
    }
  }

  void evaluate(const std::uint8_t* w, double* out) const override {
    evaluate_lanes(w, 1, wanted_.size(), out);
  }

  void evaluate_lanes(const std::uint8_t* w, std::size_t lanes, std::size_t metrics,
                      double* out) const override {
    constexpr std::size_t kMaxLanes = 8;
    for (std::size_t l0 = 0; l0 < lanes; l0 += kMaxLanes) {
      const std::size_t L = std::min(kMaxLanes, lanes - l0);
      for (std::size_t j = 0; j < wanted_.size(); ++j) {
        const std::size_t m = wanted_[j];
        std::array<double, kMaxLanes> sum{}, den{};
        if (m < kRankingMetrics)
          for (std::size_t q = 0; q < first_.size(); ++q) {
            const double v = values_[q * kRankingMetrics + m];
            if (std::isnan(v)) continue;
            const std::uint8_t* c = w + std::size_t{first_[q]} * lanes + l0;
            for (std::size_t l = 0; l < L; ++l) {
              const double cw = c[l] * weight_[q];
              sum[l] += cw * v;
              den[l] += cw;
            }
          }
        for (std::size_t l = 0; l < L; ++l)
          out[(l0 + l) * metrics + j] =
              den[l] > 0 ? sum[l] / den[l] : std::numeric_limits<double>::quiet_NaN();
      }
    }
  }

 private:
  std::vector<std::size_t> wanted_;   // index into kNames per requested metric
  std::vector<std::uint32_t> first_;  // each query's first position in the rows
  std::vector<double> weight_;        // each query's weight
  std::vector<double> values_;        // [query * kRankingMetrics + metric]
};

}  // namespace

std::unique_ptr<WeightedEvaluator> make_weighted_ranking(const RankingData& d,
                                                         std::span<const std::uint32_t> rows,
                                                         const std::vector<std::string>& names,
                                                         const MetricRequest& req) {
  return std::make_unique<WeightedRanking>(d, rows, names, req);
}

}  // namespace mlgate
