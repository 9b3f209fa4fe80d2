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
  app.add_option("--candidate", o.candidate, "Candidate predictions")->required();
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
  mlgate::add_stamp_flags(app, o.stamp);
  app.add_option("-o,--output", o.output, "Result document (JSON); default standard output");
  app.add_option("--threads", o.threads,
                 "Threads for the bootstrap (default: all cores; results do not depend on it)");
  mlgate::add_table_flags(app, o.columns, format, task);
  return mlgate::run_main("mlgate-compare", app, argc, argv, [&] {
    mlgate::read_stamp_env(o.stamp);
    mlgate::finish_table_flags(o.columns, format, task);
    o.given = mlgate::given_flags(app);
    return mlgate::run_compare(o);
  });
}
