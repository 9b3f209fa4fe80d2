// mlgate-promote: promotes a model version to a stage, only with passing evidence.
#include <cstdlib>

#include "mlgate/platforms/cli.hpp"
#include "mlgate/platforms/promote.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "mlgate-promote: promotes a model version to a stage only when every evidence document "
      "passes; "
      "records it in a git (GTO tags), file or MLflow registry and appends an audit line."};
  mlgate::PromoteOptions o;
  app.add_option("--model", o.model, "Model name")->required();
  app.add_option("--model-version,--version", o.version,
                 "Model version (--version VALUE is the old spelling; a lone --version prints "
                 "mlgate-promote's own)")
      ->required();
  app.add_option("--require", o.require,
                 "Evidence kinds the stage needs, e.g. compare,fairness,datatest")
      ->delimiter(',');
  app.add_option("--stage", o.stage, "Stage, e.g. staging")->required();
  app.add_option("--evidence", o.evidence, "Result documents that must all pass")->required();
  app.add_option("--registry", o.registry, "The registry (default: git inside a git work tree)")
      ->check(mlgate::choice({"git", "file", "mlflow"}));
  app.add_option("--registry-path", o.registry_path, "File registry path")->capture_default_str();
  app.add_option("--mlflow-uri", o.mlflow_uri,
                 "MLflow tracking server (default MLFLOW_TRACKING_URI)");
  app.add_flag("--push", o.push, "Push the git tags to origin");
  app.add_flag("--dry-run", o.dry_run, "Show what would happen; change nothing");
  app.add_option("--audit-log", o.audit_log, "Audit log (JSON lines)")->capture_default_str();
  app.add_option("-o,--output", o.output, "Result document (JSON)");
  mlgate::ToolSpec spec;
  spec.version_flag = false;
  spec.examples = {
      "mlgate-promote --model churn --model-version 1.4.0 --stage production --evidence "
      "compare.json --evidence fairness.json --require compare,fairness",
      "mlgate-promote --model churn --model-version 1.4.0 --stage staging --evidence eval.json "
      "--registry file --dry-run",
  };
  spec.exit_codes =
      "  0  promoted (or, with --dry-run, would be)\n"
      "  1  refused: the evidence does not suffice (nothing changed)\n"
      "  2  error: unreadable evidence, a registry or audit log that cannot be written\n";
  return mlgate::run_main(
      "mlgate-promote", app, argc, argv,
      [&] {
        if (const char* k = std::getenv("MLGATE_SIGNING_KEY")) o.signing_key = k;
        return mlgate::run_promote(o);
      },
      spec);
}
