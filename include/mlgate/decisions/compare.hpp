// mlgate-compare: a candidate against the production baseline on the same rows, decided on
// confidence bounds of the paired difference.
#pragma once

#include <string>
#include <vector>

#include "mlgate/base/result.hpp"
#include "mlgate/decisions/eval.hpp"
#include "mlgate/decisions/policy.hpp"

namespace mlgate {

struct CompareOptions {
  DocumentStamp stamp;  // --model-version, MLGATE_SIGNING_KEY
  std::string candidate, baseline, policy, output;
  // mlgate-eval documents of the served candidate and baseline (--candidate-eval,
  // --baseline-eval): where latency and throughput bounds read their values. A baseline given
  // as a document serves as its own.
  std::string candidate_eval, baseline_eval;
  // --features with --candidate-url and --baseline-url: both served models scored interleaved
  // on the same batches; latency bounds with a confidence are decided on a paired bootstrap of
  // the batches.
  std::string features;
  ServedModel candidate_model, baseline_model;
  ColumnOptions columns;
  std::vector<std::string> given;
  unsigned threads = 0;
};

int run_compare(const CompareOptions& o);

}  // namespace mlgate
