// Mergeable states: what mlgate-eval learned from a part of the rows (--state-out), merged with
// the other parts' and finished by mlgate-merge into the document one run over all the rows
// gives. The file: a line "mlgate-state 1", a line of JSON (the header: tool, version, task,
// columns, threshold, policy digest, slices, inputs, the body's size and sha256), then the body,
// zlib-compressed: each scope's counts, exact sums and score histogram (docs in README).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlgate/base/json.hpp"
#include "mlgate/base/result.hpp"
#include "mlgate/data/predictions.hpp"
#include "mlgate/measures/metrics.hpp"

namespace mlgate {

struct EvalState {
  // What parts must share to merge: tool, version, task, columns, threshold, score_direction,
  // policy_sha256, slice_columns.
  ojson identity = ojson::object();
  std::vector<ojson> inputs;  // each part's {path, sha256, rows, dropped}
  std::int64_t rows = 0, dropped = 0;
  bool negated = false;  // --score-direction lower
  BinaryState overall;
  struct Slice {
    std::string column;
    std::optional<std::string> value;  // nullopt: rows with a missing value
    BinaryState state;
  };
  std::vector<Slice> slices;  // per slice column, its values in the order first seen
};

// The state of mlgate-eval's rows (binary, unweighted); policy_sha256 empty without a policy.
EvalState eval_state(const Predictions& p, const ColumnOptions& cols,
                     const std::string& policy_sha256);
void write_state(const std::string& path, const EvalState& s);
// Reads and validates a state file (bounded; a bad one is an Error naming the file and where).
EvalState read_state(const std::string& path);
EvalState parse_state(std::string_view bytes, const std::string& name);
// Adds part (read from part_path) to into; throws Error when they cannot merge.
void merge_state(EvalState& into, const EvalState& part, const std::string& part_path);

struct MergeOptions {
  DocumentStamp stamp;
  std::vector<std::string> states;
  std::string policy, output;
  bool no_curves = false;
};
// Runs mlgate-merge; returns the exit code. Throws Error for anticipated failures.
int run_merge(const MergeOptions& o);

}  // namespace mlgate
