#include "mlgate/decisions/decision.hpp"

#include "mlgate/measures/stats.hpp"

namespace mlgate {

const char* name_of(BoundMethod m) {
  switch (m) {
    case BoundMethod::kDelong:
      return "delong";
    case BoundMethod::kBootstrap:
      return "bootstrap";
    default:
      return "point";
  }
}
const char* name_of(MultipleTesting m) { return m == MultipleTesting::kHolm ? "holm" : "none"; }
const char* name_of(OnInconclusive m) { return m == OnInconclusive::kWarn ? "warn" : "fail"; }

std::vector<ChangeDecision> decide_changes(const std::vector<ChangeTest>& tests,
                                           MultipleTesting multiple_testing,
                                           OnInconclusive on_inconclusive) {
  std::vector<ChangeDecision> out(tests.size());
  std::vector<std::size_t> bounded;
  std::vector<double> pvals, alphas;
  for (std::size_t k = 0; k < tests.size(); ++k)
    if (tests[k].method != BoundMethod::kPoint) {
      bounded.push_back(k);
      pvals.push_back(tests[k].p_value);
      alphas.push_back(1 - tests[k].confidence);
    }
  const bool use_holm = multiple_testing == MultipleTesting::kHolm && bounded.size() > 1;
  std::vector<HolmDecision> holm_dec = use_holm ? holm(pvals, alphas) : std::vector<HolmDecision>{};
  const auto failing = [](const ChangeTest& t) {
    return t.warn_only ? Status::kWarn : Status::kFail;
  };
  for (std::size_t k = 0; k < tests.size(); ++k) {
    const ChangeTest& t = tests[k];
    if (t.method != BoundMethod::kPoint) continue;
    ChangeDecision& d = out[k];
    d.within = improvement(t, t.delta) >= -t.margin;
    d.status = d.within ? Status::kPass : failing(t);
  }
  for (std::size_t b = 0; b < bounded.size(); ++b) {
    const ChangeTest& t = tests[bounded[b]];
    ChangeDecision& d = out[bounded[b]];
    d.holm_adjusted = use_holm;
    d.level = use_holm ? 1 - holm_dec[b].alpha : t.confidence;
    if (t.method == BoundMethod::kDelong) {
      const double z = normal_quantile(d.level);
      d.lo = t.delta - z * t.se;
      d.hi = t.delta + z * t.se;
    } else {
      d.lo = quantile(t.draws, 1 - d.level);
      d.hi = quantile(t.draws, d.level);
    }
    // Bounds of the improvement.
    const double L = t.lower_is_better ? -d.hi : d.lo, U = t.lower_is_better ? -d.lo : d.hi;
    const bool holm_ok = !use_holm || holm_dec[b].rejected;
    if (L >= -t.margin && holm_ok) {
      d.verdict = "non_inferior";
      d.status = Status::kPass;
    } else if (U < -t.margin) {
      d.verdict = "inferior";
      d.status = failing(t);
    } else {
      d.verdict = "inconclusive";
      d.status =
          on_inconclusive == OnInconclusive::kWarn || t.warn_only ? Status::kWarn : Status::kFail;
      d.held_back_by_holm = L >= -t.margin && !holm_ok;
    }
  }
  return out;
}

}  // namespace mlgate
