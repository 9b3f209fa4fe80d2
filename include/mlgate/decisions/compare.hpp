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
  ColumnOptions columns;
  std::vector<std::string> given;
  unsigned threads = 0;
};

int run_compare(const CompareOptions& o);

}  // namespace mlgate
