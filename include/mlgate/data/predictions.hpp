// One model's predictions with labels, ready for metrics: read from a predictions file, or
// produced by running a model command on a features file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlgate/data/model_command.hpp"
#include "mlgate/data/served_model.hpp"
#include "mlgate/data/table.hpp"
#include "mlgate/data/task.hpp"

namespace mlgate {

// The "Tables in" flags of the contract.
struct ColumnOptions {
  std::string label_col = "label";
  std::string score_col = "score";
  std::string pred_col;
  std::string proba_cols;  // "a,b,c" or a prefix pattern "p_*"
  std::string id_col;
  // --weight-col: scikit-learn's sample_weight (withheld from a model, as the label is).
  std::string weight_col;
  // --cluster-col: rows of one value are not independent (a user's, a patient's): bootstraps
  // resample the clusters.
  std::string cluster_col;
  // --query-col: a ranking task's queries (the rows are a query's items).
  std::string query_col;
  std::vector<std::string> slice_cols;
  // Columns read and kept as they are, not sliced by (mlgate-eval --predictions-out writes
  // them: the sensitive columns mlgate-fairness reads from the same file).
  std::vector<std::string> carry_cols;
  std::string positive_label;
  double threshold = 0.5;
  // --score-direction lower: lower scores mean positive (distances, ranks), as pROC's
  // direction = ">"; the predicted positives are then score <= threshold.
  bool score_lower = false;
  bool drop_missing = false;
  std::optional<Task> task;
  TableFormat format = TableFormat::kAuto;
};

struct SliceColumn {
  std::string column;
  std::vector<std::optional<std::string>> values;  // nullopt: rows with a missing value
  std::vector<std::uint32_t> codes;                // one per row
};

struct Predictions {
  Task task = Task::kBinary;
  std::string path, sha256;
  std::int64_t rows_read = 0, dropped = 0;
  // binary
  std::vector<double> score;
  int score_places = -1;  // the score column's Column::decimal_places (-1: not known)
  std::vector<std::uint8_t> label, pred;  // pred empty: score >= threshold
  double threshold = 0.5;
  bool score_lower = false;  // the scores above are negated (ColumnOptions::score_lower)
  // multiclass
  std::vector<std::string> classes;
  std::vector<std::uint32_t> class_label, class_pred;
  std::vector<std::vector<double>> proba;
  // regression; ranking: target is the relevance, estimate the score
  std::vector<double> target, estimate;
  SliceColumn query;  // ranking: each row's query (codes)
  std::vector<SliceColumn> slices;
  std::vector<SliceColumn> carried;  // ColumnOptions::carry_cols, in their order
  std::vector<std::string> ids;      // with an id column
  std::vector<double> weight;        // with a weight column: finite, >= 0, not all 0
  SliceColumn cluster;               // with a cluster column: each row's cluster (codes)
  std::vector<std::string> warnings;

  std::size_t size() const;
  BinaryData binary() const {
    return BinaryData{score,        label,       pred,  score_lower ? 0.0 - threshold : threshold,
                      score_places, score_lower, weight};
  }
  // Row i's score as the table holds it.
  double original_score(std::size_t i) const { return score_lower ? 0.0 - score[i] : score[i]; }
  MulticlassData multiclass() const;
  RegressionData regression() const { return RegressionData{target, estimate, weight}; }
  RankingData ranking() const {
    return RankingData{target, estimate, query.codes,
                       static_cast<std::uint32_t>(query.values.size()), weight};
  }
};

Predictions load_predictions(const std::string& path, const ColumnOptions& o);

// Runs the model on the features (label column withheld) and joins its output to the labels.
Predictions predictions_from_model(const std::string& features, const ModelCommand& cmd,
                                   const ColumnOptions& o);

// Sends the features (label column withheld) to a served model and joins its answers to the
// labels: one number per row is the score (binary, regression) or the predicted class
// (multiclass); k numbers are class probabilities (binary: the second is the positive class's).
// stats, if given, receives the timings.
Predictions predictions_from_service(const std::string& features, const ServedModel& model,
                                     const ColumnOptions& o, ServingStats* stats);

// Two served models scored interleaved on the same batches (score_served_pair): the candidate's
// and the baseline's predictions of the same rows, already paired by order.
std::pair<Predictions, Predictions> predictions_from_services(
    const std::string& features, const ServedModel& candidate, const ServedModel& baseline,
    const ColumnOptions& o, ServingStats* candidate_stats, ServingStats* baseline_stats);

// A class name as compared: numbers by value ("1.0" is "1"), other text as it is.
std::string canonical_class(const std::string& v);

// Reorders `baseline` to the candidate's rows: by id (every id in both, no duplicates, same
// label) or, without ids, by row order (same count, same labels). Throws Error otherwise.
// Returns "id" or "row_order".
std::string pair_rows(const Predictions& candidate, Predictions& baseline);

}  // namespace mlgate
