// What a model predicts (the task) and the views of one model's predictions that the measures
// read: spans over columns the data wing owns, nothing copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mlgate {

enum class Task { kBinary, kMulticlass, kRegression, kRanking };
Task parse_task(const std::string& name);  // throws Error
const char* task_name(Task t);

struct BinaryData {
  std::span<const double> score;        // score or probability of the positive class
  std::span<const std::uint8_t> label;  // 0 or 1
  std::span<const std::uint8_t> pred;   // hard predictions; empty: score >= threshold
  double threshold = 0.5;
  int score_places = -1;  // the reader's decimal places of the scores, when known
  // The scores are negated ones (lower meant positive): not probabilities, whatever their range.
  bool negated = false;
  std::span<const double> weight{};  // sample weights; empty: every row weighs 1

  // The hard prediction of row i: the given one, else score >= threshold. The one place it is
  // computed.
  bool predicted_positive(std::size_t i) const { return predicted_positive(i, !pred.empty()); }
  // The same with has_pred (= !pred.empty()) hoisted out of a hot loop.
  bool predicted_positive(std::size_t i, bool has_pred) const {
    return has_pred ? pred[i] != 0 : score[i] >= threshold;
  }
};

struct MulticlassData {
  std::size_t n_classes = 0;
  std::span<const std::uint32_t> label;        // class index in [0, n_classes)
  std::vector<std::span<const double>> proba;  // one column per class, or empty
  std::span<const std::uint32_t> pred;         // class index; empty: argmax of proba
  std::span<const double> weight{};            // sample weights; empty: every row weighs 1
};

struct RegressionData {
  std::span<const double> label;
  std::span<const double> pred;
  std::span<const double> weight{};  // sample weights; empty: every row weighs 1
};

// Ranking (search, recommendation): rows are (query, item) pairs with a graded relevance label
// (>= 0; an item is relevant when its label is above 0) and the model's score; the metrics rank
// each query's items by score.
struct RankingData {
  std::span<const double> relevance;
  std::span<const double> score;
  std::span<const std::uint32_t> query;  // each row's query, in [0, n_queries)
  std::uint32_t n_queries = 0;
  std::span<const double> weight{};  // a query's weight on each of its rows; empty: 1
};

}  // namespace mlgate
