// The one decision engine: a change of a metric (candidate minus baseline) against the bound a
// policy allows, decided on its point estimate or on a one-sided confidence bound (DeLong's normal
// bound or a bootstrap percentile bound), Holm's step-down across a document's confidence checks,
// then a verdict and a status with `severity` and `on_inconclusive`. mlgate-compare and
// mlgate-fairness decide through it; later gates (latency, robustness) will too.
#pragma once

#include <string>
#include <vector>

#include "mlgate/base/result.hpp"

namespace mlgate {

enum class BoundMethod { kPoint, kDelong, kBootstrap };
// statistics.multiple_testing and statistics.on_inconclusive of a policy.
enum class MultipleTesting { kHolm, kNone };
enum class OnInconclusive { kFail, kWarn };
const char* name_of(BoundMethod m);  // "point", "delong", "bootstrap"
const char* name_of(MultipleTesting m);
const char* name_of(OnInconclusive m);

// One change to decide.
struct ChangeTest {
  bool lower_is_better = false;
  double margin = 0;       // allowed worsening, in the metric's units
  double delta = 0;        // candidate minus baseline: the point estimate
  bool warn_only = false;  // severity: warn
  BoundMethod method = BoundMethod::kPoint;
  double confidence = 0;      // with a bound method
  double se = 0;              // DeLong: standard error of delta
  std::vector<double> draws;  // bootstrap: delta in each resample
  double p_value = 1;         // of "worse by more than the margin"
};

struct ChangeDecision {
  std::string verdict;  // non_inferior | inferior | inconclusive ("" for a point check)
  Status status = Status::kError;
  bool within = false;    // point check: the estimate is within the bound
  double lo = 0, hi = 0;  // one-sided bounds of delta at `level` (confidence checks)
  double level = 0;       // the confidence the decision used (Holm-adjusted)
  bool holm_adjusted = false;
  bool held_back_by_holm = false;  // the bound alone would pass; Holm's correction did not
};

// The improvement (signed so that > 0 is better) of a change.
inline double improvement(const ChangeTest& t, double delta) {
  return t.lower_is_better ? -delta : delta;
}

// Decides every test, in order: point tests on their estimate, the others on their bounds, with
// Holm's step-down across the confidence tests when multiple_testing is kHolm and there is more
// than one.
std::vector<ChangeDecision> decide_changes(const std::vector<ChangeTest>& tests,
                                           MultipleTesting multiple_testing,
                                           OnInconclusive on_inconclusive);

}  // namespace mlgate
