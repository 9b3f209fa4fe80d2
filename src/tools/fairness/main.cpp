// mlgate-fairness: per-group metrics and disparities over sensitive attributes.
#include "mlgate/decisions/fairness.hpp"
#include "mlgate/platforms/cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "mlgate-fairness: per-group metrics and disparities (fairlearn, AIF360 definitions) over "
      "sensitive attributes; with --baseline, regressions of disparities against production."};
  mlgate::FairnessOptions o;
  std::string format, task;
  app.add_option("--data", o.data, "Predictions with labels and the sensitive columns")->required();
  app.add_option("--sensitive-col", o.sensitive,
                 "Sensitive column (repeatable, or a comma list: several give intersectional "
                 "groups)")
      ->delimiter(',');
  app.add_option("--policy", o.policy, "Policy file with a fairness section");
  app.add_option("--baseline", o.baseline,
                 "Baseline predictions, to gate on regressions of disparities");
  mlgate::add_stamp_flags(app, o.stamp);
  app.add_option("-o,--output", o.output, "Result document (JSON); default standard output");
  mlgate::add_table_flags(app, o.columns, format, task, true);
  mlgate::add_cluster_flag(app, o.columns);
  mlgate::ToolSpec spec;
  spec.examples = {
      "mlgate-fairness --data preds.csv --sensitive-col sex,region --policy policy.yaml -o "
      "fairness.json",
      "mlgate-fairness --data cand.csv --baseline prod.csv --sensitive-col sex --policy "
      "policy.yaml",
  };
  return mlgate::run_main(
      "mlgate-fairness", app, argc, argv,
      [&] {
        mlgate::read_stamp_env(o.stamp);
        mlgate::finish_table_flags(o.columns, format, task);
        o.given = mlgate::given_flags(app);
        return mlgate::run_fairness(o);
      },
      spec);
}
