// decisions/compare through run_compare: the paired checks against a baseline decided by the one
// engine (point, DeLong, bootstrap), missing_baseline, metrics-only baselines, McNemar.
#include <gtest/gtest.h>

#include <random>

#include "mlgate/decisions/compare.hpp"
#include "unit_files.hpp"

using namespace mlgate;

namespace {
// Two models on the same 400 rows; the candidate ranks better.
void write_pair(const TempDir& t) {
  std::mt19937 rng(11);
  std::string c = "id,label,score\n", b = c;
  for (int i = 0; i < 400; ++i) {
    const int y = static_cast<int>(rng() % 2);
    const double noise = static_cast<double>(rng() % 1000) / 1000.0;
    c += std::to_string(i) + "," + std::to_string(y) + "," +
         std::to_string(0.5 * y + 0.5 * noise).substr(0, 5) + "\n";
    b += std::to_string(i) + "," + std::to_string(y) + "," +
         std::to_string(0.2 * y + 0.8 * noise).substr(0, 5) + "\n";
  }
  t.write("cand.csv", c);
  t.write("base.csv", b);
}
nlohmann::json check(const nlohmann::json& doc, const std::string& id) {
  for (const auto& c : doc["checks"])
    if (c["id"] == id) return c;
  return nullptr;
}
}  // namespace

TEST(Compare, DelongAndBootstrapDecideTheChecks) {
  TempDir t;
  write_pair(t);
  CompareOptions o;
  o.candidate = t.path("cand.csv");
  o.baseline = t.path("base.csv");
  o.output = t.path("c.json");
  o.policy = t.write("p.yaml",
                     "version: 1\ncolumns: {id: id}\nstatistics: {bootstrap_samples: 300}\n"
                     "metrics:\n  roc_auc: {max_regression: 0.01, confidence: 0.95}\n"
                     "  accuracy: {max_regression: 0.01, confidence: 0.95}\n"
                     "  brier: {max_regression: 0.5}\n");
  EXPECT_EQ(run_compare(o), 0);
  const auto doc = t.json("c.json");
  const auto auc = check(doc, "roc_auc.regression");
  EXPECT_EQ(auc["method"], "delong");
  EXPECT_EQ(auc["verdict"], "non_inferior");
  EXPECT_GT(auc["delta"].get<double>(), 0);
  const auto acc = check(doc, "accuracy.regression");
  EXPECT_EQ(acc["method"], "bootstrap");
  EXPECT_TRUE(acc.contains("ci"));
  EXPECT_EQ(check(doc, "brier.regression")["status"], "pass");  // a point check
  EXPECT_EQ(doc["metrics"]["pairing"]["by"], "id");
  EXPECT_EQ(doc["metrics"]["statistics"]["method"], "auto");
  EXPECT_TRUE(doc["metrics"]["tests"].contains("mcnemar"));
  EXPECT_TRUE(check(doc, "accuracy.regression").contains("mcnemar"));

  // Swapped, the baseline is the better model: the candidate is inferior, the gate fails.
  std::swap(o.candidate, o.baseline);
  EXPECT_EQ(run_compare(o), 1);
  EXPECT_EQ(check(t.json("c.json"), "roc_auc.regression")["verdict"], "inferior");
}

TEST(Compare, MissingAndMetricsOnlyBaselines) {
  TempDir t;
  write_pair(t);
  CompareOptions o;
  o.candidate = t.path("cand.csv");
  o.output = t.path("c.json");
  o.baseline = t.path("absent.csv");
  o.policy = t.write("p.yaml",
                     "version: 1\nmissing_baseline: warn\n"
                     "metrics: {roc_auc: {max_regression: 0.01}}\n");
  EXPECT_EQ(run_compare(o), 0);
  EXPECT_EQ(check(t.json("c.json"), "roc_auc.regression")["status"], "warn");
  o.policy = t.write("p.yaml", "version: 1\nmetrics: {roc_auc: {max_regression: 0.01}}\n");
  EXPECT_EQ(run_compare(o), 1);  // missing_baseline: fail by default
  // A result document as the baseline: point checks only; a confidence is an error.
  o.baseline = o.output;
  o.output = t.path("c2.json");
  EXPECT_EQ(run_compare(o), 0);
  o.policy = t.write("p.yaml",
                     "version: 1\nmetrics: {roc_auc: {max_regression: 0.01, confidence: 0.9}}\n");
  EXPECT_EQ(run_compare(o), 2);
  EXPECT_EQ(check(t.json("c2.json"), "roc_auc.regression")["status"], "error");
}
