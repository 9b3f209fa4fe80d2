// mlgate-eval: metrics of one model's predictions, overall and per slice.
#include "mlgate/decisions/eval.hpp"
#include "mlgate/platforms/cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "mlgate-eval: metrics of one model's predictions (or of a model command run on features), "
      "overall and per slice; with --policy, absolute min/max checks that gate."};
  mlgate::EvalOptions o;
  std::string format, task;
  app.add_option("--data", o.data,
                 "Predictions table: labels with scores, probabilities or predictions");
  app.add_option("--features", o.features,
                 "Features table to run --model-cmd or --model-url on (with the label column)");
  app.add_option("--model-cmd", o.model_cmd,
                 "Model command: reads feature rows on stdin, prints one prediction per row");
  app.add_flag("--model-shell", o.model_shell, "Run --model-cmd through /bin/sh");
  app.add_option("--model-timeout", o.model_timeout,
                 "Seconds before the model command is killed (default 600), or a request to "
                 "--model-url fails (default 60)");
  mlgate::ServedFlags served;
  mlgate::add_served_flags(app, served);
  app.add_option("--predictions-out", o.predictions_out,
                 "Write the scored rows (label, score or probabilities, slice columns) as CSV, so "
                 "one scoring run feeds mlgate-compare and mlgate-fairness");
  app.add_option("--state-out", o.state_out,
                 "Write the mergeable state of these rows (binary tasks): mlgate-merge merges the "
                 "states of a data set's parts into the document of all its rows");
  app.add_option("--policy", o.policy, "Policy file (YAML or JSON) with min/max bounds");
  mlgate::add_stamp_flags(app, o.stamp);
  app.add_option("-o,--output", o.output, "Result document (JSON); default standard output");
  app.add_flag("--no-curves", o.no_curves,
               "Leave the ROC, PR and calibration curves out of the document");
  mlgate::add_table_flags(app, o.columns, format, task);
  mlgate::ToolSpec spec;
  spec.examples = {
      "mlgate-eval --data preds.csv --slice-col region --policy policy.yaml -o eval.json",
      "mlgate-eval --features test.parquet --model-cmd 'python3 predict.py' -o eval.json",
      "mlgate-eval --features test.csv --model-url http://127.0.0.1:5000 --model-protocol mlflow",
  };
  return mlgate::run_main(
      "mlgate-eval", app, argc, argv,
      [&] {
        mlgate::read_stamp_env(o.stamp);
        mlgate::finish_table_flags(o.columns, format, task);
        o.given = mlgate::given_flags(app);
        const bool timeout_given = app.count("--model-timeout") > 0;
        mlgate::finish_served_flags(
            served, timeout_given ? std::optional<double>(o.model_timeout) : std::nullopt);
        o.served = served.model;
        return mlgate::run_eval(o);
      },
      spec);
}
