// mlgate-compare: candidate vs production baseline under a gate policy, with paired statistics.
#include <malloc.h>

#include "mlgate/decisions/compare.hpp"
#include "mlgate/platforms/cli.hpp"

int main(int argc, char** argv) {
  // Two files' columns, then sort buffers, placements, bootstrap weights: large buffers of a
  // few sizes, each freed before the next is needed. Kept in the heap and not handed back to
  // the system, the next one reuses pages already there instead of faulting fresh ones in
  // (DeLong on 1M rows: 0.33 s -> 0.26 s, peak 113 -> 147 MiB; buffers above 32 MiB, as for
  // 4M rows and more, are mapped and unmapped as before). Process-wide, so set here, not in the
  // library.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  CLI::App app{
      "mlgate-compare: a candidate model against the production baseline on the same rows, "
      "decided on confidence bounds of the paired difference (DeLong, paired bootstrap)."};
  mlgate::CompareOptions o;
  std::string format, task;
  app.add_option("--candidate", o.candidate,
                 "Candidate predictions (or --candidate-url, --baseline-url and --features)");
  app.add_option("--baseline", o.baseline,
                 "Baseline predictions, or an mlgate result document (point checks only); absent: "
                 "see missing_baseline");
  app.add_option("--policy", o.policy, "Policy file (YAML or JSON)")->required();
  app.add_option("--candidate-eval", o.candidate_eval,
                 "The candidate's mlgate-eval document from its served model (--model-url): "
                 "latency and throughput bounds read it");
  app.add_option("--baseline-eval", o.baseline_eval,
                 "The baseline's mlgate-eval document from its served model (a --baseline that is "
                 "a document serves as its own)");
  std::string candidate_url, baseline_url;
  app.add_option("--features", o.features,
                 "Features (with the label column) to score both served models on");
  app.add_option("--candidate-url", candidate_url,
                 "The candidate's served model: scored with the baseline's on the same batches, "
                 "interleaved, so latency changes are decided on a paired bootstrap");
  app.add_option("--baseline-url", baseline_url, "The baseline's served model");
  mlgate::ServedFlags served;
  app.add_option("--model-timeout", served.model.timeout_s,
                 "Seconds before a request to a served model fails")
      ->capture_default_str();
  mlgate::add_served_flags(app, served, false);
  mlgate::add_stamp_flags(app, o.stamp);
  app.add_option("-o,--output", o.output, "Result document (JSON); default standard output");
  mlgate::add_table_flags(app, o.columns, format, task);
  mlgate::add_cluster_flag(app, o.columns);
  mlgate::ToolSpec spec;
  spec.examples = {
      "mlgate-compare --candidate cand.csv --baseline prod.csv --id-col id --policy policy.yaml "
      "-o compare.json",
      "mlgate-compare --features test.csv --candidate-url http://cand:8080 --baseline-url "
      "http://prod:8080 --policy policy.yaml",
  };
  return mlgate::run_main(
      "mlgate-compare", app, argc, argv,
      [&] {
        mlgate::read_stamp_env(o.stamp);
        mlgate::finish_table_flags(o.columns, format, task);
        o.given = mlgate::given_flags(app);
        served.model.url = candidate_url.empty() ? baseline_url : candidate_url;
        mlgate::finish_served_flags(served, served.model.timeout_s);
        o.candidate_model = served.model;
        o.candidate_model.url = candidate_url;
        o.baseline_model = served.model;
        o.baseline_model.url = baseline_url;
        return mlgate::run_compare(o);
      },
      spec);
}
