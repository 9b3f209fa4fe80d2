#include "mlgate/measures/drift.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mlgate {

namespace {

constexpr double kMinLog = -708.3964185322641;  // log of the smallest normal double

double clip01(double p) { return std::min(1.0, std::max(0.0, p)); }

// Pr(D_n < d) by Durbin's matrix (Marsaglia, Tsang & Wang 2003): the (k,k) entry of H^n times
// n!/n^n, with d = (k - h)/n. Powers of two keep the intermediate values in range.
double durbin_cdf(std::int64_t n, double d) {
  const double nd = static_cast<double>(n) * d;
  const auto k = static_cast<int>(std::ceil(nd));
  const double h = k - nd;
  const int m = 2 * k - 1;
  std::vector<long double> H(static_cast<std::size_t>(m) * m, 0.0L);
  auto at = [m](std::vector<long double>& M, int i, int j) -> long double& {
    return M[static_cast<std::size_t>(i) * m + j];
  };
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) at(H, i, j) = i - j + 1 < 0 ? 0.0L : 1.0L;
  for (int i = 0; i < m; ++i) {
    at(H, i, 0) -= std::pow(static_cast<long double>(h), i + 1);
    at(H, m - 1, i) -= std::pow(static_cast<long double>(h), m - i);
  }
  if (2 * h - 1 > 0) at(H, m - 1, 0) += std::pow(static_cast<long double>(2 * h - 1), m);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j)
      if (i - j + 1 > 0)
        for (int g = 1; g <= i - j + 1; ++g) at(H, i, j) /= g;

  auto multiply = [m, &at](std::vector<long double>& A, std::vector<long double>& B) {
    std::vector<long double> C(A.size(), 0.0L);
    for (int i = 0; i < m; ++i)
      for (int l = 0; l < m; ++l) {
        long double a = at(A, i, l);
        if (a == 0) continue;
        for (int j = 0; j < m; ++j) at(C, i, j) += a * at(B, l, j);
      }
    return C;
  };
  // Q = H^n by squaring, with a power-of-two exponent beside each matrix.
  std::vector<long double> Q(H.size(), 0.0L);
  for (int i = 0; i < m; ++i) at(Q, i, i) = 1;
  long q_exp = 0, h_exp = 0;
  auto rescale = [&](std::vector<long double>& M, long& e) {
    long double big = 0;
    for (auto v : M) big = std::max(big, std::fabs(v));
    if (big > 1e100L || (big < 1e-100L && big > 0)) {
      int shift;
      std::frexp(big, &shift);
      for (auto& v : M) v = std::ldexp(v, -shift);
      e += shift;
    }
  };
  for (std::int64_t p = n; p > 0; p >>= 1) {
    if (p & 1) {
      Q = multiply(Q, H);
      q_exp += h_exp;
      rescale(Q, q_exp);
    }
    if (p > 1) {
      H = multiply(H, H);
      h_exp *= 2;
      rescale(H, h_exp);
    }
  }
  long double s = at(Q, k - 1, k - 1);
  long e = q_exp;
  for (std::int64_t i = 1; i <= n; ++i) {
    s = s * static_cast<long double>(i) / static_cast<long double>(n);
    if (s < 1e-100L && s > 0) {
      int shift;
      std::frexp(s, &shift);
      s = std::ldexp(s, -shift);
      e += shift;
    }
  }
  return clip01(static_cast<double>(std::ldexp(s, static_cast<int>(e))));
}

// The Pelz-Good asymptotic series for Pr(D_n <= x) (Simard & L'Ecuyer 2011, with the number of
// terms scipy uses).
double pelz_good_cdf(std::int64_t n, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double pi2 = M_PI * M_PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
  const double z = std::sqrt(static_cast<double>(n)) * x;
  const double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2, z8 = z4 * z4;
  const double qlog = -pi2 / 8 / z2;
  if (qlog < -708) return 0;
  const double q = std::exp(qlog);
  const auto maxk = static_cast<int>(std::ceil(16 * z / M_PI));
  double K[4] = {0, 0, 0, 0};
  // Sums over odd m of c_i(m) q^(m^2), largest k first as the terms shrink.
  for (int k = maxk; k >= 1; --k) {
    const double m = 2.0 * k - 1, m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
    const double w = std::pow(q, m2);
    K[0] += w;
    K[1] += w * (-z2 + pi2 / 4 * m2);
    K[2] +=
        w * ((6 * z6 + 2 * z4) + (2 * z4 - 5 * z2) * pi2 / 4 * m2 + pi4 * (1 - 2 * z2) / 16 * m4);
    K[3] += w * ((-30 * z6 - 90 * z8) + pi2 * (135 * z4 - 96 * z6) / 4 * m2 +
                 pi4 * (-60 * z2 + 212 * z4) / 16 * m4 + pi6 * (5 - 30 * z2) / 64 * m6);
  }
  const double s2pi = std::sqrt(2 * M_PI);
  K[0] *= s2pi / z;
  K[1] *= s2pi / (6 * z4);
  K[2] *= s2pi / (72 * z6 * z);
  K[3] *= s2pi / (6480 * z8 * z2);
  const double q2 = std::exp(-pi2 / 2 / z2);
  double e2 = 0, e3 = 0;
  for (int k = maxk; k >= 1; --k) {
    const double k2 = static_cast<double>(k) * k;
    const double w = std::pow(q2, k2);
    e2 += k2 * w;
    e3 += (3 * z2 - pi2 * k2) * k2 * w;
  }
  K[2] += e2 * pi2 * s2pi / (-36 * z3);
  K[3] += e3 * pi2 * s2pi / (216 * z6);
  const double rn = std::sqrt(static_cast<double>(n));
  return K[0] + K[1] / rn + K[2] / (rn * rn) + K[3] / (rn * rn * rn);
}

}  // namespace

double smirnov_sf(std::int64_t n, double x) {
  if (std::isnan(x) || n <= 0) return std::numeric_limits<double>::quiet_NaN();
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  if (n == 1) return 1 - x;
  const long double N = static_cast<long double>(n);
  const long double nx = N * x;
  long double nxfl_ld = std::floor(nx);
  long double alpha = nx - nxfl_ld;
  auto nxfl = static_cast<std::int64_t>(nxfl_ld);
  if (alpha >= 1) {
    ++nxfl;
    alpha = 0;
  }
  if (nxfl == 0 || (nxfl == 1 && alpha == 0)) {  // x <= 1/n: cdf = x (1 + x)^(n-1)
    long double cdf = x * std::pow(1.0L + x, N - 1);
    return clip01(static_cast<double>(1 - cdf));
  }
  if (-2 * static_cast<double>(n) * x * x < kMinLog) return 0;
  if (nxfl >= n - 1) return clip01(static_cast<double>(std::pow(1.0L - x, N)));
  if (n > 1000000) {  // beyond exact computation: e^(-(6nx+1)^2 / 18n)
    double t = 6 * static_cast<double>(n) * x + 1;
    return clip01(std::exp(-t * t / 18.0 / static_cast<double>(n)));
  }
  // Birnbaum & Tingey: sf = x * sum_j C(n,j) (x + j/n)^(j-1) (1 - x - j/n)^(n-j), in logs.
  std::int64_t last = n - nxfl - (alpha == 0 ? 1 : 0);  // largest j with 1 - x - j/n > 0
  last = std::min(last, n - 1);
  const long double lgn = std::lgamma(N + 1);
  long double sum = 0, comp = 0, peak = -INFINITY;
  for (std::int64_t j = 0; j <= last; ++j) {
    const long double J = static_cast<long double>(j);
    const long double a = (J + nx) / N;        // x + j/n
    const long double b = ((N - J) - nx) / N;  // 1 - x - j/n
    if (b <= 0) break;
    long double lt = lgn - std::lgamma(J + 1) - std::lgamma(N - J + 1) + (N - J) * std::log(b);
    lt += j == 0 ? -std::log(static_cast<long double>(x)) : (J - 1) * std::log(a);
    peak = std::max(peak, lt);
    long double t = std::exp(lt);
    long double y = t - comp;
    long double s = sum + y;
    comp = (s - sum) - y;
    sum = s;
    if (lt < peak - 80 && j > 10) break;  // past the peak and below 1e-35 of it
  }
  return clip01(static_cast<double>(x * sum));
}

double kolmogorov_sf(std::int64_t n, double x) {
  if (n <= 0 || std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const double N = static_cast<double>(n);
  const double t = N * x;
  if (t <= 1) {  // Ruben & Gambino: cdf = n!/n^n (2t - 1)^n
    if (t <= 0.5) return 1;
    double cdf;
    if (n <= 140) {
      cdf = 1;
      for (std::int64_t i = 1; i <= n; ++i) cdf *= static_cast<double>(i) * (1.0 / N) * (2 * t - 1);
    } else {
      cdf = std::exp(std::lgamma(N + 1) - N * std::log(N) + N * std::log(2 * t - 1));
    }
    return clip01(1 - cdf);
  }
  if (t >= N - 1) return clip01(2 * std::pow(1 - x, N));  // Ruben & Gambino
  if (x >= 0.5) return clip01(2 * smirnov_sf(n, x));      // exact
  const double nxx = t * x;
  if (n <= 140) {
    if (nxx <= 4) return clip01(1 - durbin_cdf(n, x));  // exact (scipy uses Pomeranz past 0.754693)
    return clip01(2 * smirnov_sf(n, x));
  }
  if (nxx >= 370) return 0;
  if (nxx >= 2.2) return clip01(2 * smirnov_sf(n, x));
  double cdf;
  if (nxx >= 18)
    cdf = 1;
  else if (n <= 100000 && N * std::pow(x, 1.5) <= 1.4)
    cdf = durbin_cdf(n, x);
  else
    cdf = pelz_good_cdf(n, x);
  return clip01(1 - cdf);
}

double chi2_sf(double df, double x) {
  if (std::isnan(x) || df <= 0) return std::numeric_limits<double>::quiet_NaN();
  if (x <= 0) return 1;
  const double a = df / 2, y = x / 2;
  const double lg = std::lgamma(a);
  if (y < a + 1) {  // series for P, then Q = 1 - P
    double term = 1 / a, sum = term;
    for (int i = 1; i < 100000; ++i) {
      term *= y / (a + i);
      sum += term;
      if (std::fabs(term) < std::fabs(sum) * 1e-17) break;
    }
    double p = sum * std::exp(-y + a * std::log(y) - lg);
    return clip01(1 - p);
  }
  // Continued fraction for Q (modified Lentz).
  const double tiny = 1e-300;
  double b = y + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 100000; ++i) {
    double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < 1e-17) break;
  }
  return clip01(std::exp(-y + a * std::log(y) - lg) * h);
}

KsResult ks_2samp(std::span<const double> a, std::span<const double> b) {
  KsResult r;
  const std::size_t n1 = a.size(), n2 = b.size();
  if (n1 == 0 || n2 == 0) {
    r.statistic = std::numeric_limits<double>::quiet_NaN();
    r.p_value = std::numeric_limits<double>::quiet_NaN();
    return r;
  }
  double max_s = -INFINITY, min_s = INFINITY;
  std::size_t i = 0, j = 0;
  while (i < n1 || j < n2) {
    double v = i < n1 && (j >= n2 || a[i] <= b[j]) ? a[i] : b[j];
    while (i < n1 && a[i] <= v) ++i;
    while (j < n2 && b[j] <= v) ++j;
    double diff = static_cast<double>(i) / static_cast<double>(n1) -
                  static_cast<double>(j) / static_cast<double>(n2);
    max_s = std::max(max_s, diff);
    min_s = std::min(min_s, diff);
  }
  double minS = clip01(-min_s);
  r.statistic = minS > max_s ? minS : max_s;
  double m = static_cast<double>(std::max(n1, n2)), n = static_cast<double>(std::min(n1, n2));
  double en = m * n / (m + n);
  r.p_value = clip01(kolmogorov_sf(static_cast<std::int64_t>(std::nearbyint(en)), r.statistic));
  return r;
}

ChiSquare chisquare(const std::vector<double>& obs, const std::vector<double>& exp) {
  ChiSquare r;
  for (std::size_t k = 0; k < obs.size(); ++k) {
    double d = obs[k] - exp[k];
    r.statistic += d * d / exp[k];
  }
  r.df = static_cast<std::int64_t>(obs.size()) - 1;
  r.p_value = r.df > 0 ? chi2_sf(static_cast<double>(r.df), r.statistic)
                       : std::numeric_limits<double>::quiet_NaN();
  return r;
}

double psi(const std::vector<double>& ref, const std::vector<double>& cur) {
  double rs = 0, cs = 0;
  for (double v : ref) rs += v;
  for (double v : cur) cs += v;
  double out = 0;
  for (std::size_t k = 0; k < ref.size(); ++k) {
    double r = std::max(ref[k] / rs, 1e-4), c = std::max(cur[k] / cs, 1e-4);
    out += (c - r) * std::log(c / r);
  }
  return out;
}

double psi_evidently(const std::vector<double>& ref, const std::vector<double>& cur) {
  auto filled = [](const std::vector<double>& counts) {
    double total = 0;
    for (double v : counts) total += v;
    std::vector<double> s(counts.size());
    double smallest = std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < counts.size(); ++k) {
      s[k] = counts[k] / total;
      if (s[k] != 0) smallest = std::min(smallest, s[k]);
    }
    const double fill = smallest <= 1e-4 ? smallest / 1e6 : 1e-4;
    for (double& v : s)
      if (v == 0) v = fill;
    return s;
  };
  const std::vector<double> r = filled(ref), c = filled(cur);
  double out = 0;
  for (std::size_t k = 0; k < r.size(); ++k) out += (r[k] - c[k]) * std::log(r[k] / c[k]);
  return out;
}

double jensenshannon(const std::vector<double>& p_counts, const std::vector<double>& q_counts) {
  double ps = 0, qs = 0;
  for (double v : p_counts) ps += v;
  for (double v : q_counts) qs += v;
  auto rel_entr = [](double x, double y) -> double {
    if (x > 0 && y > 0) return x * std::log(x / y);
    if (x == 0 && y >= 0) return 0.0;
    return std::numeric_limits<double>::infinity();
  };
  double left = 0, right = 0;
  for (std::size_t k = 0; k < p_counts.size(); ++k) {
    double p = p_counts[k] / ps, q = q_counts[k] / qs, m = (p + q) / 2.0;
    left += rel_entr(p, m);
    right += rel_entr(q, m);
  }
  double js = (left + right) / std::log(2.0);
  return std::sqrt(js / 2.0);
}

double wasserstein(std::span<const double> a, std::span<const double> b) {
  const std::size_t na = a.size(), nb = b.size();
  if (na == 0 || nb == 0) return std::numeric_limits<double>::quiet_NaN();
  // Walk the distinct values of both sorted samples; between consecutive ones the CDFs are
  // constant. Ties are consumed as runs (a zero-width step adds exactly nothing, so this is the
  // element-by-element sum without its zero terms).
  std::size_t i = 0, j = 0;
  double prev = std::min(a[0], b[0]);
  double total = 0;
  while (i < na || j < nb) {
    double v = i < na && (j >= nb || a[i] <= b[j]) ? a[i] : b[j];
    double ua = static_cast<double>(i) / static_cast<double>(na),
           ub = static_cast<double>(j) / static_cast<double>(nb);
    total += std::fabs(ua - ub) * (v - prev);
    prev = v;
    while (i < na && a[i] == v) ++i;
    while (j < nb && b[j] == v) ++j;
  }
  return total;
}

const char* name_of(QuantileMethod m) {
  switch (m) {
    case QuantileMethod::kLower:
      return "lower";
    case QuantileMethod::kHigher:
      return "higher";
    case QuantileMethod::kMidpoint:
      return "midpoint";
    case QuantileMethod::kNearest:
      return "nearest";
    case QuantileMethod::kLinear:
      break;
  }
  return "linear";
}

double sorted_quantile(std::span<const double> x, double q, QuantileMethod method) {
  if (x.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double last = static_cast<double>(x.size()) - 1;
  const double vi = last * q;  // numpy's virtual index, (n - 1) q
  auto at = [&](double i) { return x[static_cast<std::size_t>(std::clamp(i, 0.0, last))]; };
  switch (method) {
    case QuantileMethod::kLower:
      return at(std::floor(vi));
    case QuantileMethod::kHigher:
      return at(std::ceil(vi));
    case QuantileMethod::kNearest:
      return at(std::nearbyint(vi));  // np.around: halves to even
    case QuantileMethod::kMidpoint: {
      const double lo = std::floor(vi), hi = std::ceil(vi);
      if (lo == hi) return at(lo);
      const double a = at(lo), b = at(hi);
      return b - (b - a) * 0.5;  // numpy's lerp at t = 0.5
    }
    case QuantileMethod::kLinear:
      break;
  }
  if (vi >= last) return x.back();
  if (vi < 0) return x.front();
  const double lo = std::floor(vi);
  const auto k = static_cast<std::size_t>(lo);
  const double t = vi - lo, a = x[k], b = x[k + 1], diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

std::vector<double> decile_edges(std::span<const double> ref) {
  std::vector<double> e;
  for (int k = 1; k <= 9; ++k) {
    double v = sorted_quantile(ref, k / 10.0);
    if (e.empty() || v != e.back()) e.push_back(v);
  }
  return e;
}

std::vector<double> bin_counts(std::span<const double> sorted, const std::vector<double>& edges) {
  std::vector<double> counts(edges.size() + 1, 0);
  std::size_t b = 0;
  for (double v : sorted) {
    while (b < edges.size() && edges[b] < v) ++b;  // bins are (e_{b-1}, e_b]
    counts[b] += 1;
  }
  return counts;
}

const char* name_of(DriftMethod m) {
  switch (m) {
    case DriftMethod::kKs:
      return "ks";
    case DriftMethod::kPsi:
      return "psi";
    case DriftMethod::kChi2:
      return "chi2";
    case DriftMethod::kJensenShannon:
      return "jensenshannon";
    case DriftMethod::kWasserstein:
      return "wasserstein";
    case DriftMethod::kAnderson:
      return "anderson";
    case DriftMethod::kCramerVonMises:
      return "cramervonmises";
    case DriftMethod::kEnergy:
      return "energy";
    case DriftMethod::kHellinger:
      return "hellinger";
    case DriftMethod::kMannWhitney:
      return "mannwhitney";
    case DriftMethod::kTtest:
      return "ttest";
    case DriftMethod::kFisherExact:
      return "fisher_exact";
    case DriftMethod::kGtest:
      return "g_test";
    default:
      return "auto";
  }
}

bool is_test(DriftMethod m) {
  switch (m) {
    case DriftMethod::kKs:
    case DriftMethod::kChi2:
    case DriftMethod::kAnderson:
    case DriftMethod::kCramerVonMises:
    case DriftMethod::kMannWhitney:
    case DriftMethod::kTtest:
    case DriftMethod::kFisherExact:
    case DriftMethod::kGtest:
      return true;
    default:
      return false;
  }
}

bool numbers_only(DriftMethod m) {
  switch (m) {
    case DriftMethod::kKs:
    case DriftMethod::kWasserstein:
    case DriftMethod::kAnderson:
    case DriftMethod::kCramerVonMises:
    case DriftMethod::kEnergy:
    case DriftMethod::kMannWhitney:
    case DriftMethod::kTtest:
      return true;
    default:
      return false;
  }
}

bool categories_only(DriftMethod m) {
  return m == DriftMethod::kChi2 || m == DriftMethod::kFisherExact || m == DriftMethod::kGtest;
}

double default_drift_threshold(DriftMethod method) { return is_test(method) ? 0.05 : 0.1; }

bool is_drift(DriftMethod method, double statistic, std::optional<double> p, double threshold) {
  if (is_test(method)) return p && *p < threshold;
  return statistic >= threshold;
}

}  // namespace mlgate
