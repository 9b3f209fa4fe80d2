// mlgate-promote: promotes a model version to a stage, only with passing evidence, in a git
// (GTO-style tags), file (JSON) or MLflow registry, with an audit line per promotion.
#pragma once

#include <string>
#include <vector>

namespace mlgate {

struct PromoteOptions {
  std::string model, version, stage, registry, registry_path = "mlgate-registry.json", mlflow_uri,
                                               audit_log = "mlgate-audit.jsonl", output;
  std::vector<std::string> evidence;
  std::vector<std::string> require;  // evidence kinds the stage needs: eval, compare, ...
  std::string signing_key;           // MLGATE_SIGNING_KEY: evidence must carry a valid signature
  bool push = false, dry_run = false;
};

int run_promote(const PromoteOptions& o);

}  // namespace mlgate
