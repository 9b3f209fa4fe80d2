// mlgate-merge: merges the states of a data set's parts and finishes them into one document.
#include "mlgate/decisions/state.hpp"
#include "mlgate/platforms/cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "mlgate-merge: merges the states mlgate-eval --state-out wrote for the parts of a data set "
      "(on one machine or many) and finishes them into the document one run over all the rows "
      "gives, the same bits whatever the split; with --policy, its checks gate."};
  mlgate::MergeOptions o;
  app.add_option("states", o.states, "State files (mlgate-eval --state-out)")->required();
  app.add_option("--policy", o.policy,
                 "Policy file (YAML or JSON): the checks, and the on-request metrics the states "
                 "can give");
  mlgate::add_stamp_flags(app, o.stamp);
  app.add_option("-o,--output", o.output, "Result document (JSON); default standard output");
  app.add_flag("--no-curves", o.no_curves,
               "Leave the ROC, PR and calibration curves out of the document");
  mlgate::ToolSpec spec;
  spec.examples = {
      "mlgate-eval --data part-0.parquet --slice-col region --state-out part-0.state -o /dev/null",
      "mlgate-merge part-*.state --policy policy.yaml -o eval.json",
  };
  return mlgate::run_main(
      "mlgate-merge", app, argc, argv,
      [&] {
        mlgate::read_stamp_env(o.stamp);
        return mlgate::run_merge(o);
      },
      spec);
}
