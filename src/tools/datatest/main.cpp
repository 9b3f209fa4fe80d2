// mlgate-datatest: data expectations and drift against a reference data set.
#include "mlgate/decisions/datatest.hpp"
#include "mlgate/platforms/cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "mlgate-datatest: data expectations and drift against a reference data set; "
      "--infer-suite writes a suite learned from --reference."};
  mlgate::DatatestOptions o;
  std::string format;
  app.add_option(
      "--data", o.data,
      "The data to test (CSV, TSV, JSONL, optionally .gz; Parquet; a folder or glob of parts)");
  app.add_option("--reference", o.reference,
                 "Reference data for drift and overlap checks (and --infer-suite), or its "
                 "profile (--profile-out)");
  app.add_option("--suite", o.suite, "Suite of expectations (YAML or JSON)");
  app.add_option("--weight-col", o.weight_col,
                 "Weight column for the expectations with weighted: true (overrides the suite's "
                 "weight)");
  app.add_option("--profile-out", o.profile_out,
                 "Write the profile of --reference for --suite (the values its checks need, not "
                 "its rows); later runs take the profile as --reference. Without --data, exits");
  app.add_option("--infer-suite", o.infer_suite,
                 "Write a suite inferred from --reference to this file, then exit");
  mlgate::add_format_flag(app, format);
  mlgate::add_stamp_flags(app, o.stamp);
  app.add_option("-o,--output", o.output, "Result document (JSON); default standard output");
  mlgate::ToolSpec spec;
  spec.examples = {
      "mlgate-datatest --reference train.parquet --infer-suite suite.yaml",
      "mlgate-datatest --data batch.csv --reference train.parquet --suite suite.yaml -o "
      "datatest.json",
  };
  return mlgate::run_main(
      "mlgate-datatest", app, argc, argv,
      [&] {
        mlgate::read_stamp_env(o.stamp);
        if (!format.empty()) o.format = mlgate::parse_table_format(format);
        return mlgate::run_datatest(o);
      },
      spec);
}
