// decisions/eval: evaluate() against scikit-learn on hand data, per slice with min_size, and the
// absolute checks a policy asks for (bounds, severity, undefined metrics are errors).
#include <gtest/gtest.h>

#include <cmath>

#include "mlgate/decisions/eval.hpp"
#include "mlgate/decisions/policy.hpp"

using namespace mlgate;

namespace {
Predictions binary() {
  Predictions p;
  p.task = Task::kBinary;
  p.label = {1, 0, 1, 1, 0, 0, 1, 0, 1, 0};
  p.score = {0.9, 0.3, 0.8, 0.55, 0.6, 0.1, 0.7, 0.35, 0.45, 0.2};
  SliceColumn s;
  s.column = "region";
  s.values = {std::string("north"), std::string("south")};
  s.codes = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1};  // south: 2 rows
  p.slices.push_back(s);
  return p;
}
double value(const GroupMetrics& g, const char* name) { return *g.metrics.get(name); }
}  // namespace

TEST(Eval, BinaryMetricsMatchScikitLearn) {
  EvalResult r = evaluate(binary(), true, 3);
  EXPECT_EQ(r.n, 10);
  EXPECT_NEAR(value(r.overall, "roc_auc"), 0.92, 1e-12);
  EXPECT_NEAR(value(r.overall, "average_precision"), 0.9266666666666665, 1e-12);
  EXPECT_NEAR(value(r.overall, "log_loss"), 0.4113776366761538, 1e-12);
  EXPECT_NEAR(value(r.overall, "brier"), 0.12675, 1e-12);
  EXPECT_NEAR(value(r.overall, "accuracy"), 0.8, 1e-12);
  EXPECT_NEAR(value(r.overall, "f1"), 0.8, 1e-12);
  ASSERT_EQ(r.slices.size(), 2u);
  EXPECT_TRUE(r.slices[0].gated);
  EXPECT_FALSE(r.slices[1].gated);  // 2 rows < min_size 3: reported, not gated
  EXPECT_EQ(r.slices[1].n, 2);
  const ojson j = eval_metrics_json(r, binary());
  EXPECT_TRUE(j.contains("overall"));
}

TEST(Eval, RegressionMetricsMatchScikitLearn) {
  Predictions p;
  p.task = Task::kRegression;
  p.target = {3.0, -0.5, 2.0, 7.0};
  p.estimate = {2.5, 0.0, 2.0, 8.0};
  EvalResult r = evaluate(p, false);
  EXPECT_NEAR(value(r.overall, "mse"), 0.375, 1e-12);
  EXPECT_NEAR(value(r.overall, "mae"), 0.5, 1e-12);
  EXPECT_NEAR(value(r.overall, "r2"), 0.9486081370449679, 1e-12);
  EXPECT_NEAR(value(r.overall, "rmse"), std::sqrt(0.375), 1e-12);
}

TEST(Eval, AbsoluteChecksFromThePolicy) {
  Policy pol = parse_policy(
      "version: 1\nmetrics:\n  roc_auc: {min: 0.95}\n  accuracy: {min: 0.7}\n"
      "  log_loss: {max: 0.3, severity: warn}\n",
      "p.yaml", Task::kBinary);
  EvalResult r = evaluate(binary(), false);
  std::vector<Check> checks = absolute_checks(r, pol);
  auto status = [&](const std::string& id) {
    for (const auto& c : checks)
      if (c.id == id) return c.status;
    ADD_FAILURE() << "no check " << id;
    return Status::kError;
  };
  EXPECT_EQ(status("roc_auc.min"), Status::kFail);
  EXPECT_EQ(status("accuracy.min"), Status::kPass);
  EXPECT_EQ(status("log_loss.max"), Status::kWarn);
  // An undefined metric is never a pass.
  Check undefined = bound_check("roc_auc", nullptr, std::nullopt, 0.5, std::nullopt, false,
                                "roc_auc is undefined: one class only");
  EXPECT_EQ(undefined.status, Status::kError);
  EXPECT_NE(undefined.message.find("one class only"), std::string::npos);
  Check warned = bound_check("roc_auc", nullptr, std::nullopt, 0.5, std::nullopt, true, "x");
  EXPECT_EQ(warned.status, Status::kError);  // severity: warn does not soften an error
}
