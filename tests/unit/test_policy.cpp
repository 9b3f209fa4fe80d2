#include <gtest/gtest.h>

#include "mlgate/base/error.hpp"
#include "mlgate/decisions/policy.hpp"

using namespace mlgate;

namespace {
std::string error_of(const std::string& text, const std::string& name = "policy.yaml") {
  try {
    parse_policy(text, name);
  } catch (const Error& e) {
    return e.message();
  }
  return "no error";
}
}  // namespace

TEST(Policy, ParsesTheContractExample) {
  Policy p = parse_policy(R"(version: 1
task: binary
columns: {label: label, score: score, id: id}
threshold: 0.5
metrics:
  roc_auc: {min: 0.80, max_regression: 0.01, confidence: 0.95}
  log_loss: {max_regression: 0.005}
  f1: {max_relative_regression: 0.02}
slices:
  columns: [region]
  min_size: 100
  metrics: {roc_auc: {max_regression: 0.03}}
statistics:
  method: auto
  bootstrap_samples: 2000
  seed: 42
  on_inconclusive: fail
  multiple_testing: holm
missing_baseline: fail
fairness:
  sensitive: [sex, race]
  min_group_size: 30
  method: between_groups
  reference_group: {sex: M}
  metrics:
    demographic_parity_ratio: {min: 0.8}
    equalized_odds_difference: {max: 0.1, max_regression: 0.02}
)",
                          "p.yaml");
  ASSERT_EQ(p.metrics.size(), 3u);
  EXPECT_EQ(p.metrics[0].metric, "roc_auc");
  EXPECT_EQ(*p.metrics[0].min, 0.80);
  EXPECT_EQ(*p.metrics[0].confidence, 0.95);
  EXPECT_EQ(p.slice_columns, std::vector<std::string>{"region"});
  EXPECT_EQ(p.slice_min_size, 100);
  EXPECT_EQ(p.fairness.sensitive.size(), 2u);
  EXPECT_EQ(p.fairness.reference_group[0].second, "M");
  EXPECT_EQ(*p.id_col, "id");
  EXPECT_EQ(p.sha256.size(), 64u);
}

TEST(Policy, UnknownKeysNameThePathAndSuggest) {
  std::string e = error_of("version: 1\nmetrics:\n  roc_auc: {max_regresion: 0.01}\n");
  EXPECT_EQ(e,
            "policy.yaml:3:13: metrics.roc_auc.max_regresion: unknown key (did you mean "
            "max_regression?)");
  EXPECT_NE(error_of("version: 1\nmetrics:\n  roc_acu: {min: 0.5}\n").find("did you mean roc_auc?"),
            std::string::npos);
  EXPECT_NE(error_of("version: 1\nthreshhold: 0.5\n").find("threshhold: unknown key"),
            std::string::npos);
}

TEST(Policy, WrongTypesAndValues) {
  EXPECT_NE(
      error_of("metrics:\n  roc_auc: {min: high}\n").find("metrics.roc_auc.min: expected a number"),
      std::string::npos);
  EXPECT_NE(error_of("statistics: {on_inconclusive: maybe}\n").find("unknown value \"maybe\""),
            std::string::npos);
  EXPECT_NE(
      error_of("metrics:\n  roc_auc: {min: 0.5, confidence: 0.95}\n").find("confidence applies"),
      std::string::npos);
  EXPECT_NE(error_of("metrics:\n  roc_auc: {}\n").find("no bound given"), std::string::npos);
  EXPECT_NE(error_of("version: 2\n").find("unsupported policy version"), std::string::npos);
  EXPECT_NE(error_of("metrics: [1, 2\n").find("invalid YAML"), std::string::npos);
  EXPECT_NE(
      error_of("metrics:\n  roc_auc: {min: 0.5}\n  roc_auc: {min: 0.6}\n").find("duplicate key"),
      std::string::npos);
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
}

TEST(Policy, JsonPoliciesUseTheSameRules) {
  Policy p = parse_policy(
      R"({"version": 1, "task": "regression", "metrics": {"rmse": {"max": 3}}})", "p.json");
  EXPECT_EQ(*p.metrics[0].max, 3);
  EXPECT_NE(error_of(R"({"version": 1, "metrics": {"rmse": {"max": 3}}})", "p.json")
                .find("metrics.rmse: unknown key"),
            std::string::npos);  // rmse is not a binary metric
  EXPECT_NE(error_of("{\"version\": 1,\n \"metrics\": }", "p.json").find("p.json:2:"),
            std::string::npos);
}

TEST(Policy, MetricParametersAreCheckedAndGathered) {
  Policy p = parse_policy(R"(version: 1
task: binary
score_direction: lower
metrics:
  roc_auc_max_fpr: {min: 0.6, max_fpr: 0.1}
  fbeta: {min: 0.5, beta: 2}
slices:
  columns: [region]
  metrics: {roc_auc_max_fpr: {min: 0.5, max_fpr: 0.1}}
)",
                          "p.yaml");
  ASSERT_TRUE(p.score_lower.has_value());
  EXPECT_TRUE(*p.score_lower);
  MetricRequest req = metric_request(p, Task::kBinary);
  EXPECT_EQ(req.names, (std::vector<std::string>{"roc_auc_max_fpr", "fbeta"}));
  EXPECT_EQ(req.max_fpr, 0.1);
  EXPECT_EQ(req.beta, 2);

  Policy r = parse_policy(
      "version: 1\ntask: regression\nmetrics:\n  mean_tweedie_deviance: {max: 3}\n"
      "  mean_pinball_loss: {max: 2, alpha: 0.9}\n  msle: {max: 1}\n",
      "r.yaml");
  MetricRequest rq = metric_request(r, Task::kRegression);
  EXPECT_EQ(rq.power, 0);  // scikit-learn's default
  EXPECT_EQ(rq.alpha, 0.9);
  EXPECT_TRUE(rq.asks("msle"));
  // Metrics every document lists are not requests.
  EXPECT_FALSE(metric_request(parse_policy("version: 1\nmetrics: {roc_auc: {min: 0.5}}\n", "x"),
                              Task::kBinary)
                   .any());

  const std::string bin = "version: 1\ntask: binary\nmetrics:\n";
  EXPECT_NE(error_of(bin + "  roc_auc_max_fpr: {min: 0.5}\n").find("needs its parameter max_fpr"),
            std::string::npos);
  EXPECT_NE(error_of(bin + "  fbeta: {min: 0.5}\n").find("needs its parameter beta"),
            std::string::npos);
  EXPECT_NE(error_of(bin + "  roc_auc_max_fpr: {min: 0.5, max_fpr: 0}\n").find("(0, 1]"),
            std::string::npos);
  EXPECT_NE(error_of(bin + "  fbeta: {min: 0.5, beta: -1}\n").find("above 0"), std::string::npos);
  // A parameter on a metric that takes none is an unknown key.
  EXPECT_NE(error_of(bin + "  roc_auc: {min: 0.5, max_fpr: 0.1}\n").find("unknown key"),
            std::string::npos);
  EXPECT_NE(error_of("version: 1\ntask: regression\nmetrics:\n"
                     "  mean_tweedie_deviance: {max: 1, power: 0.5}\n")
                .find("0 < power < 1"),
            std::string::npos);
  EXPECT_NE(error_of("version: 1\ntask: multiclass\nmetrics:\n  top_k_accuracy: {min: 0.5, k: 0}\n")
                .find("top_k_accuracy.k"),
            std::string::npos);
  EXPECT_NE(error_of(bin + "  roc_auc_max_fpr: {min: 0.5, max_fpr: 0.1}\n"
                           "slices:\n  columns: [r]\n  metrics:\n"
                           "    roc_auc_max_fpr: {min: 0.5, max_fpr: 0.2}\n")
                .find("differs"),
            std::string::npos);
  EXPECT_NE(error_of("version: 1\nscore_direction: down\n").find("score_direction"),
            std::string::npos);
}
