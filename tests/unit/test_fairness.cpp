// decisions/fairness: group rates and disparities with fairlearn's and AIF360's definitions on
// hand-counted data, and the verdicts of run_fairness (severity with a confidence included).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "mlgate/decisions/fairness.hpp"
#include "unit_files.hpp"

using namespace mlgate;

namespace {
// Group A: 4 rows, labels 1 1 0 0, predicted 1 0 1 0. Group B: 4 rows, labels 1 1 0 0,
// predicted 1 1 1 0. Selection rate A 2/4, B 3/4; TPR A 1/2, B 1; FPR A 1/2, B 1/2.
Predictions two_groups() {
  Predictions p;
  p.task = Task::kBinary;
  p.label = {1, 1, 0, 0, 1, 1, 0, 0};
  p.score = {0.9, 0.2, 0.7, 0.1, 0.8, 0.6, 0.55, 0.3};
  p.threshold = 0.5;
  SliceColumn s;
  s.column = "g";
  s.values = {std::string("A"), std::string("B")};
  s.codes = {0, 0, 0, 0, 1, 1, 1, 1};
  p.slices.push_back(s);
  return p;
}
}  // namespace

TEST(Fairness, GroupRatesAndDisparities) {
  Predictions p = two_groups();
  FairnessGroups g = make_groups(p);
  GroupRates overall;
  std::vector<GroupRates> r = group_rates(p, g, true, &overall);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].n, 4);
  EXPECT_DOUBLE_EQ(*r[0].selection_rate, 0.5);
  EXPECT_DOUBLE_EQ(*r[1].selection_rate, 0.75);
  EXPECT_DOUBLE_EQ(*r[0].tpr, 0.5);
  EXPECT_DOUBLE_EQ(*r[1].tpr, 1.0);
  EXPECT_DOUBLE_EQ(*r[0].fpr, 0.5);
  EXPECT_DOUBLE_EQ(*r[1].fpr, 0.5);
  EXPECT_DOUBLE_EQ(*overall.selection_rate, 5.0 / 8);
  EXPECT_DOUBLE_EQ(*r[0].roc_auc, 0.75);  // A: positives 0.9, 0.2 vs negatives 0.7, 0.1
  const std::vector<bool> gated = {true, true};
  auto d = [&](const char* name) {
    return disparity(name, r, overall, gated, -1, FairnessMethod::kBetweenGroups, g);
  };
  EXPECT_DOUBLE_EQ(*d("demographic_parity_difference").value, 0.25);   // fairlearn: max - min
  EXPECT_DOUBLE_EQ(*d("demographic_parity_ratio").value, 0.5 / 0.75);  // min / max
  EXPECT_DOUBLE_EQ(*d("equalized_odds_difference").value, 0.5);        // max(TPR gap, FPR gap)
  EXPECT_DOUBLE_EQ(*d("equal_opportunity_difference").value, 0.5);
  EXPECT_TRUE(disparity_lower_is_better("demographic_parity_difference"));
  EXPECT_FALSE(disparity_lower_is_better("demographic_parity_ratio"));
  // Against the overall (fairlearn's method="to_overall"): the largest gap to 5/8.
  auto to_overall = disparity("demographic_parity_difference", r, overall, gated, -1,
                              FairnessMethod::kToOverall, g);
  EXPECT_DOUBLE_EQ(*to_overall.value, 0.125);
  // An ungated group does not count: one group left, no disparity to speak of.
  auto alone = disparity("demographic_parity_difference", r, overall, {true, false}, -1,
                         FairnessMethod::kBetweenGroups, g);
  EXPECT_FALSE(alone.value && *alone.value != 0);
}

// The defect issue 14 found: with a confidence, severity: warn was ignored and the gate failed.
TEST(Fairness, SeverityWarnHoldsWithAConfidence) {
  TempDir t;
  std::mt19937 rng(5);
  std::string cand = "id,label,score,sex\n", base = cand;
  for (int i = 0; i < 600; ++i) {
    const bool f = i % 2;
    const int y = static_cast<int>(rng() % 2);
    cand += std::to_string(i) + "," + std::to_string(y) + "," + (f ? "0.90" : "0.10") + "," +
            (f ? "F" : "M") + "\n";
    base += std::to_string(i) + "," + std::to_string(y) + ",0." + std::to_string(10 + rng() % 80) +
            "," + (f ? "F" : "M") + "\n";
  }
  FairnessOptions o;
  o.data = t.write("cand.csv", cand);
  o.baseline = t.write("base.csv", base);
  o.sensitive = {"sex"};
  o.output = t.path("f.json");
  for (const std::string severity : {"warn", "fail"}) {
    for (const std::string extra : {"", ", confidence: 0.95"}) {
      o.policy = t.write("p.yaml",
                         "version: 1\nstatistics: {bootstrap_samples: 200}\nfairness:\n  metrics:\n"
                         "    demographic_parity_difference: {max_regression: 0.01, severity: " +
                             severity + extra + "}\n");
      const int rc = run_fairness(o);
      std::string status;
      const auto doc = t.json("f.json");
      for (const auto& c : doc["checks"])
        if (c["id"] == "demographic_parity_difference.regression") status = c["status"];
      EXPECT_EQ(status, severity) << severity << extra;
      EXPECT_EQ(rc, severity == "warn" ? 0 : 1) << severity << extra;
    }
  }
}
