// The two-sample tests and distances of scipy that drift checks offer beside KS and chi2:
// Mann-Whitney U, Welch's t, k-sample Anderson-Darling, Cramér-von Mises, the energy distance,
// Fisher's exact test, the G-test; and the Hellinger distance and numpy's Sturges histogram
// that Evidently's definitions use. Each follows the scipy 1.10 function it names.
#include <algorithm>
#include <array>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/bessel.hpp>
#include <cmath>
#include <limits>
#include <numeric>

#include "mlgate/measures/drift.hpp"
#include "mlgate/measures/stats.hpp"

namespace mlgate {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One pass over two sorted samples, a run of equal values at a time: f(value, count in a,
// count in b, values of either below it).
template <class F>
void merged_runs(std::span<const double> a, std::span<const double> b, F f) {
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    double v;
    if (i == a.size())
      v = b[j];
    else if (j == b.size())
      v = a[i];
    else
      v = std::min(a[i], b[j]);
    const std::size_t i0 = i, j0 = j;
    while (i < a.size() && a[i] == v) ++i;
    while (j < b.size() && b[j] == v) ++j;
    f(v, static_cast<double>(i - i0), static_cast<double>(j - j0), static_cast<double>(i0 + j0));
  }
}

// Counts of the Mann-Whitney U statistic of samples of m and n rows without ties: the
// coefficients of the Gaussian binomial [m + n choose m]_q, built as prod (1 - q^(n+i)) /
// (1 - q^i) for i = 1..m, each step leaving [n + i choose i]_q (nonnegative coefficients).
std::vector<double> mwu_counts(std::size_t m, std::size_t n) {
  std::vector<double> c(m * n + 1, 0.0);
  c[0] = 1;
  std::size_t deg = 0;
  for (std::size_t i = 1; i <= m; ++i) {
    const std::size_t up = n + i, new_deg = deg + n;
    for (std::size_t k = new_deg + 1; k-- > up;) c[k] -= c[k - up];  // times (1 - q^(n+i))
    for (std::size_t k = i; k <= new_deg; ++k) c[k] += c[k - i];     // divided by (1 - q^i)
    deg = new_deg;
  }
  return c;
}

}  // namespace

TestResult mannwhitneyu(std::span<const double> a, std::span<const double> b) {
  TestResult r;
  const double n1 = static_cast<double>(a.size()), n2 = static_cast<double>(b.size());
  if (a.empty() || b.empty()) return {kNaN, kNaN};
  // Ranks with ties averaged: a run of t equal values below `below` others takes below + (t+1)/2.
  double r1 = 0, tie_term = 0;
  bool ties = false;
  merged_runs(a, b, [&](double, double ca, double cb, double below) {
    const double t = ca + cb;
    r1 += ca * (below + (t + 1) / 2);
    tie_term += t * t * t - t;
    ties = ties || t > 1;
  });
  const double u1 = r1 - n1 * (n1 + 1) / 2, u2 = n1 * n2 - u1;
  const double u = std::max(u1, u2);
  r.statistic = u1;
  double p;
  if ((a.size() <= 8 || b.size() <= 8) && !ties) {
    // Exact: P(U >= u) = P(U <= m n - u) by symmetry, from the counts.
    const std::size_t m = std::min(a.size(), b.size()), n = std::max(a.size(), b.size());
    const std::vector<double> c = mwu_counts(m, n);
    const auto k = static_cast<std::size_t>(n1 * n2 - u);
    double below = 0, total = 0;
    for (std::size_t j = 0; j < c.size(); ++j) {
      total += c[j];
      if (j <= k) below += c[j];
    }
    p = 2 * below / total;
  } else {
    const double n = n1 + n2;
    const double s = std::sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))));
    const double z = (u - n1 * n2 / 2 - 0.5) / s;
    p = 2 * normal_cdf(-z);
  }
  r.p_value = std::clamp(p, 0.0, 1.0);
  return r;
}

TestResult welch_ttest(double n1, double mean1, double var1, double n2, double mean2, double var2) {
  const double vn1 = var1 / n1, vn2 = var2 / n2;
  const double df = (vn1 + vn2) * (vn1 + vn2) / (vn1 * vn1 / (n1 - 1) + vn2 * vn2 / (n2 - 1));
  const double t = (mean1 - mean2) / std::sqrt(vn1 + vn2);
  TestResult r{t, kNaN};
  if (!std::isfinite(t) || !(df > 0)) return r;
  namespace bm = boost::math;
  using Policy = bm::policies::policy<bm::policies::overflow_error<bm::policies::ignore_error>,
                                      bm::policies::underflow_error<bm::policies::ignore_error>>;
  const bm::students_t_distribution<double, Policy> dist(df);
  r.p_value = std::min(1.0, 2 * bm::cdf(dist, -std::fabs(t)));
  return r;
}

TestResult anderson_ksamp(std::span<const double> a, std::span<const double> b) {
  // Scholz and Stephens (1987), the midrank statistic A2akN (their equation 7), standardized.
  const double N = static_cast<double>(a.size() + b.size());
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  double A2 = 0, ma = 0, mb = 0, distinct = 0;
  merged_runs(a, b, [&](double, double ca, double cb, double below) {
    const double l = ca + cb, B = below + l / 2;
    ma += ca;
    mb += cb;
    distinct += 1;
    const double den = B * (N - B) - N * l / 4;
    const double Ma = ma - ca / 2, Mb = mb - cb / 2;
    A2 += l / N * (N * Ma - B * na) * (N * Ma - B * na) / den / na;
    A2 += l / N * (N * Mb - B * nb) * (N * Mb - B * nb) / den / nb;
  });
  if (distinct < 2 || a.empty() || b.empty() || N < 4) return {kNaN, kNaN};
  A2 *= (N - 1) / N;
  // The variance of A2akN under the null (their equation 4 and what follows), k = 2.
  const double k = 2, H = 1 / na + 1 / nb;
  const auto n = static_cast<std::size_t>(N);
  double h = 0, g = 0, cum = 0;
  // cum runs over 1/(N-1), 1/(N-2), ..., 1/2 (numpy's cumsum); g adds cum / (2, 3, ..., N-1).
  for (std::size_t j = 0; j + 2 < n; ++j) {
    cum += 1 / static_cast<double>(n - 1 - j);
    g += cum / static_cast<double>(j + 2);
  }
  h = cum + 1;
  const double aa = (4 * g - 6) * (k - 1) + (10 - 6 * g) * H;
  const double bb = (2 * g - 4) * k * k + 8 * h * k + (2 * g - 14 * h - 4) * H - 8 * h + 4 * g - 6;
  const double cc = (6 * h + 2 * g - 2) * k * k + (4 * h - 4 * g + 6) * k + (2 * h - 6) * H + 4 * h;
  const double dd = (2 * h + 6) * k * k - 4 * h * k;
  const double sigmasq =
      (aa * N * N * N + bb * N * N + cc * N + dd) / ((N - 1) * (N - 2) * (N - 3));
  const double stat = (A2 - (k - 1)) / std::sqrt(sigmasq);
  // The p-value: log significance fitted by a quadratic in the critical values of their Table 2
  // (m = k - 1 = 1), clipped to the table's range [0.001, 0.25] as scipy does.
  static const std::array<double, 7> sig = {0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001};
  static const std::array<double, 7> crit = {
      0.675 - 0.245 - 0.105, 1.281 + 0.25 - 0.305,  1.645 + 0.678 - 0.362, 1.96 + 1.149 - 0.391,
      2.326 + 1.822 - 0.396, 2.573 + 2.364 - 0.345, 3.085 + 3.615 - 0.154};
  static const std::array<double, 3> fit = [] {
    // Least squares of log(sig) on (1, c, c^2): the normal equations, in long double.
    long double s[5] = {}, t[3] = {};
    for (std::size_t i = 0; i < crit.size(); ++i) {
      long double p = 1;
      for (int e = 0; e < 5; ++e, p *= crit[i]) s[e] += p;
      const long double y = std::log(static_cast<long double>(sig[i]));
      t[0] += y;
      t[1] += y * crit[i];
      t[2] += y * crit[i] * crit[i];
    }
    long double M[3][4] = {
        {s[0], s[1], s[2], t[0]}, {s[1], s[2], s[3], t[1]}, {s[2], s[3], s[4], t[2]}};
    for (int c = 0; c < 3; ++c)
      for (int r = 0; r < 3; ++r) {
        if (r == c) continue;
        const long double f = M[r][c] / M[c][c];
        for (int j = c; j < 4; ++j) M[r][j] -= f * M[c][j];
      }
    return std::array<double, 3>{static_cast<double>(M[0][3] / M[0][0]),
                                 static_cast<double>(M[1][3] / M[1][1]),
                                 static_cast<double>(M[2][3] / M[2][2])};
  }();
  double p;
  if (stat < crit.front())
    p = sig.front();
  else if (stat > crit.back())
    p = sig.back();
  else
    p = std::exp(fit[0] + fit[1] * stat + fit[2] * stat * stat);
  return {stat, p};
}

namespace {

// scipy's _cdf_cvm_inf: the limiting distribution of the Cramér-von Mises statistic (Csörgő and
// Faraway 1996), terms added until one is below 1e-7.
double cvm_inf_cdf(double x) {
  const double pi15 = std::pow(M_PI, 1.5);
  double total = 0;
  for (int k = 0; k < 1000; ++k) {
    const double u = std::exp(std::lgamma(k + 0.5) - std::lgamma(k + 1.0)) / (pi15 * std::sqrt(x));
    const double y = 4.0 * k + 1, q = y * y / (16 * x);
    const double term = u * std::sqrt(y) * std::exp(-q) * boost::math::cyl_bessel_k(0.25, q);
    total += term;
    if (!(std::fabs(term) >= 1e-7)) break;
  }
  return total;
}

// The exact p-value of the two-sample statistic U (Xiao, Gordon and Yakovlev 2006): counts of
// the lattice paths by their value of sum (a v - b u)^2, from (0, 0) to (n, m).
double cvm_exact_p(double u, std::int64_t m, std::int64_t n) {
  const std::int64_t l = std::lcm(m, n), a = l / m, b = l / n, mn = m * n;
  const double zeta = std::floor(static_cast<double>(l * l * (m + n)) *
                                 (6 * u - static_cast<double>(mn * (4 * mn - 1))) /
                                 static_cast<double>(6 * mn * mn));
  using Table = std::vector<std::pair<std::int64_t, double>>;  // (value, paths), by value
  auto merge = [](const Table& x, const Table& y) {
    Table out;
    out.reserve(x.size() + y.size());
    std::size_t i = 0, j = 0;
    while (i < x.size() || j < y.size()) {
      if (j == y.size() || (i < x.size() && x[i].first < y[j].first)) {
        out.push_back(x[i++]);
      } else if (i == x.size() || y[j].first < x[i].first) {
        out.push_back(y[j++]);
      } else {
        out.emplace_back(x[i].first, x[i].second + y[j].second);
        ++i;
        ++j;
      }
    }
    return out;
  };
  std::vector<Table> gs(static_cast<std::size_t>(m) + 1);
  gs[0] = {{0, 1.0}};
  for (std::int64_t uu = 0; uu <= n; ++uu) {
    std::vector<Table> next(gs.size());
    Table tmp;
    for (std::size_t v = 0; v < gs.size(); ++v) {
      tmp = merge(tmp, gs[v]);
      const std::int64_t d = a * static_cast<std::int64_t>(v) - b * uu;
      for (auto& e : tmp) e.first += d * d;
      next[v] = tmp;
    }
    gs = std::move(next);
  }
  double hit = 0, all = 0;
  for (const auto& [value, paths] : gs.back()) {
    all += paths;
    if (static_cast<double>(value) >= zeta) hit += paths;
  }
  return hit / all;
}

}  // namespace

TestResult cramervonmises_2samp(std::span<const double> a, std::span<const double> b) {
  if (a.size() < 2 || b.size() < 2) return {kNaN, kNaN};
  const double nx = static_cast<double>(a.size()), ny = static_cast<double>(b.size());
  // U = nx sum (rx_i - i)^2 + ny sum (ry_j - j)^2 over each sample's sorted midranks.
  double u = 0, ia = 0, ib = 0;
  merged_runs(a, b, [&](double, double ca, double cb, double below) {
    const double rank = below + (ca + cb + 1) / 2;
    for (double t = 0; t < ca; ++t) {
      ia += 1;
      u += nx * (rank - ia) * (rank - ia);
    }
    for (double t = 0; t < cb; ++t) {
      ib += 1;
      u += ny * (rank - ib) * (rank - ib);
    }
  });
  const double k = nx * ny, N = nx + ny;
  const double t = u / (k * N) - (4 * k - 1) / (6 * N);
  double p;
  if (std::max(a.size(), b.size()) <= 20) {
    p = cvm_exact_p(u, static_cast<std::int64_t>(a.size()), static_cast<std::int64_t>(b.size()));
  } else {
    const double et = (1 + 1 / N) / 6;
    double vt = (N + 1) * (4 * k * N - 3 * (nx * nx + ny * ny) - 2 * k);
    vt = vt / (45 * N * N * 4 * k);
    const double tn = 1.0 / 6 + (t - et) / std::sqrt(45 * vt);
    p = tn < 0.003 ? 1.0 : std::max(0.0, 1 - cvm_inf_cdf(tn));
  }
  return {t, p};
}

double energy_distance(std::span<const double> a, std::span<const double> b) {
  // sqrt(2) times the L2 distance of the two empirical CDFs (scipy's _cdf_distance(2, ...)).
  if (a.empty() || b.empty()) return kNaN;
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  double sum = 0, ca = 0, cb = 0, prev = 0;
  bool first = true;
  merged_runs(a, b, [&](double v, double da, double db, double) {
    if (!first) {
      const double d = ca / na - cb / nb;
      sum += (v - prev) * d * d;
    }
    first = false;
    prev = v;
    ca += da;
    cb += db;
  });
  return std::sqrt(2 * sum);
}

double hellinger(const std::vector<double>& p_counts, const std::vector<double>& q_counts) {
  // sqrt(1 - BC), BC = sum sqrt(p_i q_i) over the shares, clipped to [0, 1] (Evidently).
  const double ps = std::accumulate(p_counts.begin(), p_counts.end(), 0.0);
  const double qs = std::accumulate(q_counts.begin(), q_counts.end(), 0.0);
  double bc = 0;
  for (std::size_t i = 0; i < p_counts.size(); ++i)
    bc += std::sqrt(p_counts[i] / ps * (q_counts[i] / qs));
  return std::sqrt(1 - std::clamp(bc, 0.0, 1.0));
}

double fisher_exact(double a, double b, double c, double d) {
  // Two-sided: the probability of every table with the margins of [[a, b], [c, d]] that is no
  // more likely than it (up to scipy's factor 1 + 1e-14), summed outward from the mode by the
  // hypergeometric's ratio of neighbours.
  const double n1 = a + b, n2 = c + d, n = a + c;
  if (n1 == 0 || n2 == 0 || n == 0 || b + d == 0) return 1.0;
  const double lo = std::max(0.0, n - n2), hi = std::min(n, n1);
  const double mode = std::floor((n + 1) * (n1 + 1) / (n1 + n2 + 2));
  // Unnormalised pmf relative to the mode: pmf(x + 1) / pmf(x) = (n1 - x)(n - x) /
  // ((x + 1)(n2 - n + x + 1)).
  auto ratio_up = [&](double x) { return (n1 - x) * (n - x) / ((x + 1) * (n2 - n + x + 1)); };
  double total = 1, at_a = a == mode ? 1.0 : 0.0;
  std::vector<std::pair<double, double>> tail;  // (x, relative pmf) away from the mode
  double w = 1;
  for (double x = mode; x < hi; ++x) {
    w *= ratio_up(x);
    total += w;
    tail.emplace_back(x + 1, w);
    if (x + 1 == a) at_a = w;
    if (w < 1e-300 && x + 1 > a) break;
  }
  w = 1;
  for (double x = mode; x > lo; --x) {
    w /= ratio_up(x - 1);
    total += w;
    tail.emplace_back(x - 1, w);
    if (x - 1 == a) at_a = w;
    if (w < 1e-300 && x - 1 < a) break;
  }
  const double bound = at_a * (1 + 1e-14);
  double p = 0;
  if (1.0 <= bound) p += 1;
  for (const auto& [x, v] : tail)
    if (v <= bound) p += v;
  return std::min(1.0, p / total);
}

ChiSquare g_test(const std::vector<double>& obs, const std::vector<double>& exp) {
  // power_divergence(obs, exp, lambda_="log-likelihood"): 2 sum obs ln(obs / exp).
  ChiSquare r;
  for (std::size_t k = 0; k < obs.size(); ++k)
    if (obs[k] > 0) r.statistic += 2 * obs[k] * std::log(obs[k] / exp[k]);
  r.df = static_cast<std::int64_t>(obs.size()) - 1;
  r.p_value = r.df > 0 ? chi2_sf(static_cast<double>(r.df), r.statistic) : kNaN;
  return r;
}

std::vector<double> sturges_edges(double lo, double hi, double count) {
  // numpy.histogram_bin_edges(x, bins="sturges"): width ptp / (log2(n) + 1), ceil(ptp / width)
  // equal bins from min to max (one bin of min +- 0.5 when they are equal), np.linspace's edges.
  std::size_t bins = 1;
  if (lo == hi) {
    lo -= 0.5;
    hi += 0.5;
  } else {
    const double width = (hi - lo) / (std::log2(count) + 1);
    bins = static_cast<std::size_t>(std::ceil((hi - lo) / width));
  }
  std::vector<double> edges(bins + 1);
  const double step = (hi - lo) / static_cast<double>(bins);
  for (std::size_t i = 0; i < bins; ++i) edges[i] = static_cast<double>(i) * step + lo;
  edges[bins] = hi;
  return edges;
}

std::vector<double> histogram_counts(std::span<const double> sorted,
                                     const std::vector<double>& edges) {
  // numpy.histogram: bins [e_i, e_{i+1}), the last closed; values outside are not counted.
  std::vector<double> counts(edges.size() - 1, 0);
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
    const auto from = std::lower_bound(sorted.begin(), sorted.end(), edges[i]);
    const auto to = i + 2 == edges.size()
                        ? std::upper_bound(sorted.begin(), sorted.end(), edges[i + 1])
                        : std::lower_bound(sorted.begin(), sorted.end(), edges[i + 1]);
    counts[i] = static_cast<double>(to - from);
  }
  return counts;
}

}  // namespace mlgate
