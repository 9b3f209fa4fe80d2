// The decision engine: point and bound decisions, severity, on_inconclusive, Holm.
#include <gtest/gtest.h>

#include "mlgate/decisions/decision.hpp"
#include "mlgate/measures/stats.hpp"

using namespace mlgate;

namespace {

ChangeTest point(double delta, double margin, bool lower = false, bool warn = false) {
  ChangeTest t;
  t.delta = delta;
  t.margin = margin;
  t.lower_is_better = lower;
  t.warn_only = warn;
  return t;
}

ChangeTest delong(double delta, double se, double margin, double p, bool warn = false) {
  ChangeTest t = point(delta, margin, false, warn);
  t.method = BoundMethod::kDelong;
  t.confidence = 0.95;
  t.se = se;
  t.p_value = p;
  return t;
}

ChangeTest bootstrap(std::vector<double> draws, double margin, bool lower, bool warn = false) {
  ChangeTest t = point(0, margin, lower, warn);
  t.method = BoundMethod::kBootstrap;
  t.confidence = 0.9;
  std::size_t worse = 0;
  for (double d : draws) worse += improvement(t, d) < -margin;
  t.p_value = (static_cast<double>(worse) + 1) / (static_cast<double>(draws.size()) + 1);
  t.draws = std::move(draws);
  return t;
}

}  // namespace

TEST(Decision, PointChecksAgainstTheBound) {
  auto d = decide_changes({point(-0.004, 0.005), point(-0.006, 0.005), point(0.006, 0.005, true),
                           point(-0.006, 0.005, false, true)},
                          MultipleTesting::kHolm, OnInconclusive::kFail);
  EXPECT_EQ(d[0].status, Status::kPass);
  EXPECT_TRUE(d[0].within);
  EXPECT_EQ(d[1].status, Status::kFail);
  EXPECT_EQ(d[2].status, Status::kFail);  // lower is better: +0.006 is worse by 0.006
  EXPECT_EQ(d[3].status, Status::kWarn);  // severity: warn
  for (const auto& x : d) EXPECT_EQ(x.verdict, "");
}

TEST(Decision, DelongNormalBounds) {
  // delta 0.01, se 0.004: the one-sided 95% bounds are 0.01 -+ 1.6449 * 0.004.
  auto d = decide_changes({delong(0.01, 0.004, 0.005, normal_cdf(-(0.01 + 0.005) / 0.004))},
                          MultipleTesting::kHolm, OnInconclusive::kFail);
  EXPECT_NEAR(d[0].lo, 0.01 - 1.6448536269514722 * 0.004, 1e-12);
  EXPECT_NEAR(d[0].hi, 0.01 + 1.6448536269514722 * 0.004, 1e-12);
  EXPECT_EQ(d[0].verdict, "non_inferior");
  EXPECT_EQ(d[0].status, Status::kPass);
  EXPECT_FALSE(d[0].holm_adjusted);  // one test: nothing to adjust
}

TEST(Decision, VerdictsAndSeverity) {
  // Clearly worse, clearly fine, and straddling the bound; with severity warn and on_inconclusive.
  std::vector<double> worse, fine, straddle;
  for (int i = 0; i < 1000; ++i) {
    worse.push_back(-0.05 + (i - 500) * 1e-5);
    fine.push_back(0.02 + (i - 500) * 1e-5);
    straddle.push_back(-0.01 + (i - 500) * 4e-5);
  }
  auto d = decide_changes({bootstrap(worse, 0.01, false), bootstrap(fine, 0.01, false),
                           bootstrap(straddle, 0.01, false), bootstrap(worse, 0.01, false, true)},
                          MultipleTesting::kNone, OnInconclusive::kFail);
  EXPECT_EQ(d[0].verdict, "inferior");
  EXPECT_EQ(d[0].status, Status::kFail);
  EXPECT_EQ(d[1].verdict, "non_inferior");
  EXPECT_EQ(d[2].verdict, "inconclusive");
  EXPECT_EQ(d[2].status, Status::kFail);
  EXPECT_EQ(d[3].verdict, "inferior");
  EXPECT_EQ(d[3].status, Status::kWarn);  // severity: warn holds with a confidence too
  auto w = decide_changes({bootstrap(straddle, 0.01, false)}, MultipleTesting::kNone,
                          OnInconclusive::kWarn);
  EXPECT_EQ(w[0].status, Status::kWarn);
  // Lower is better: the same draws negated are the same decisions.
  std::vector<double> neg;
  for (double x : worse) neg.push_back(-x);
  EXPECT_EQ(
      decide_changes({bootstrap(neg, 0.01, true)}, MultipleTesting::kNone, OnInconclusive::kFail)[0]
          .verdict,
      "inferior");
}

TEST(Decision, HolmStepDown) {
  // Draws spread evenly over +-0.012: about 8% fall below -0.01, so alone the test passes at
  // 0.9 (p ~ 0.084 < 0.1) with its 10% quantile above -0.01.
  std::vector<double> strong, weak;
  for (int i = 0; i < 1001; ++i) {
    strong.push_back(0.05 + (i - 500) * 1e-5);
    weak.push_back((i - 500) * 2.4e-5);
  }
  auto alone =
      decide_changes({bootstrap(weak, 0.01, false)}, MultipleTesting::kHolm, OnInconclusive::kFail);
  EXPECT_EQ(alone[0].verdict, "non_inferior");
  // With a strong test beside it, Holm rejects the strong one at 0.1/2 and the weak one at 0.1/1.
  auto mixed = decide_changes({bootstrap(strong, 0.01, false), bootstrap(weak, 0.01, false)},
                              MultipleTesting::kHolm, OnInconclusive::kFail);
  EXPECT_EQ(mixed[0].verdict, "non_inferior");
  EXPECT_EQ(mixed[1].verdict, "non_inferior");
  EXPECT_TRUE(mixed[1].holm_adjusted);
  // Two weak tests: the smaller p (~0.084) is above 0.1/2, so Holm rejects neither.
  auto both = decide_changes({bootstrap(weak, 0.01, false), bootstrap(weak, 0.01, false)},
                             MultipleTesting::kHolm, OnInconclusive::kFail);
  for (const auto& d : both) {
    EXPECT_EQ(d.verdict, "inconclusive");
    EXPECT_EQ(d.status, Status::kFail);
  }
  // Each is decided at its Holm-adjusted level: 1 - 0.1/2 for the first in p order, 1 - 0.1/1 next.
  EXPECT_NEAR(both[0].level, 0.95, 1e-12);
  EXPECT_NEAR(both[1].level, 0.90, 1e-12);
  // Without multiple testing each passes on its own.
  for (const auto& d : decide_changes({bootstrap(weak, 0.01, false), bootstrap(weak, 0.01, false)},
                                      MultipleTesting::kNone, OnInconclusive::kFail))
    EXPECT_EQ(d.verdict, "non_inferior");
}
