#include "mlgate/platforms/cli.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <new>

#include "http.hpp"
#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/log.hpp"
#include "mlgate/base/parallel.hpp"
#include "mlgate/base/progress.hpp"
#include "mlgate/base/runtime.hpp"
#include "mlgate/base/text.hpp"
#include "mlgate/data/served_model.hpp"

namespace mlgate {

namespace {

// The help's groups, by long flag name; a flag in none is under "Options".
const char* group_of(const std::string& name) {
  static const std::vector<std::pair<const char*, std::vector<std::string>>> groups = {
      {"Input",
       {"data", "features", "candidate", "baseline", "reference", "suite", "infer-suite",
        "candidate-eval", "baseline-eval", "format", "drop-missing", "body", "evidence"}},
      {"Columns",
       {"label-col", "score-col", "pred-col", "proba-cols", "id-col", "weight-col", "cluster-col",
        "query-col", "slice-col", "sensitive-col", "positive-label", "threshold", "score-direction",
        "task"}},
      {"Model",
       {"model-cmd",
        "model-shell",
        "model-timeout",
        "model-url",
        "model-protocol",
        "model-name",
        "model-version-path",
        "model-output",
        "v2-input",
        "v2-input-name",
        "batch-size",
        "model-concurrency",
        "model-ready-timeout",
        "model-retries",
        "model-header",
        "cacert",
        "cert",
        "key",
        "warmup",
        "candidate-url",
        "baseline-url"}},
      {"Gate",
       {"policy", "model-version", "model", "stage", "require", "registry", "registry-path",
        "mlflow-uri", "push", "dry-run", "audit-log", "soft-fail"}},
      {"Output",
       {"output", "no-curves", "predictions-out", "markdown", "html", "junit", "github",
        "gitlab-codequality", "gitlab-metrics", "warnings-ng", "details-url", "quiet", "verbose"}},
      {"Performance", {"threads"}},
  };
  for (const auto& [group, names] : groups)
    if (std::find(names.begin(), names.end(), name) != names.end()) return group;
  return "Options";
}

// The help's groups in the order a user reads them (CLI11 would order them by first flag).
class GroupedFormatter : public CLI::Formatter {
 public:
  std::string make_help(const CLI::App* app, std::string name,
                        CLI::AppFormatMode mode) const override {
    if (mode == CLI::AppFormatMode::Sub) return make_expanded(app);
    std::string out =
        make_description(app) + make_usage(app, std::move(name)) + make_positionals(app);
    for (const char* g :
         {"Input", "Columns", "Model", "Gate", "Output", "Options", "Performance", "Other"}) {
      auto opts = app->get_options(
          [&](const CLI::Option* o) { return o->get_group() == g && o->nonpositional(); });
      if (!opts.empty()) out += make_group(g, false, opts);
    }
    return out + "\n" + make_footer(app);
  }
};

std::string footer(const std::string& tool, const ToolSpec& spec) {
  std::string f;
  if (!spec.examples.empty()) {
    f += "Examples:\n";
    for (const auto& e : spec.examples) f += "  " + e + "\n";
    f += "\n";
  }
  f += "Exit codes:\n";
  f += spec.exit_codes.empty()
           ? "  0  the gate passed (or there was nothing to gate)\n"
             "  1  the gate failed\n"
             "  2  error: a bad flag, input or environment (one line on stderr says where); a "
             "gate that errors never passes\n"
           : spec.exit_codes;
  f += "\nEnvironment:\n"
       "  MLGATE_THREADS       threads when --threads is not given (1-64); default: the CPUs this "
       "process may use (its affinity mask and its cgroup's CPU quota)\n"
       "  MLGATE_MEMORY_LIMIT  memory a read may hold (bytes, or with K, M, G); default: 80% of "
       "what is available (a container's cgroup limit included)\n"
       "  MLGATE_PROGRESS      auto (default: after 2 s, an updating line on a terminal, a line "
       "every 10 s in a CI log), always or never\n"
       "  MLGATE_TIMING        1: each phase's time and memory on stderr\n"
       "  MLGATE_SIGNING_KEY   key that signs the result document (HMAC-SHA256)\n"
       "\nSee also: mlgate help, man " +
       tool + "\n";
  return f;
}

// 'unknown flag "--dat" (did you mean "--data"?)' for each argument nothing took.
std::string extras_message(const CLI::App& app, const std::vector<std::string>& extras) {
  std::vector<std::string> flags;
  for (const CLI::Option* opt : app.get_options())
    for (const auto& n : opt->get_lnames()) flags.push_back("--" + n);
  std::string out;
  bool after_unknown_flag = false;
  for (const auto& a : extras) {
    std::string part;
    if (a.size() > 1 && a[0] == '-') {
      const std::string name = a.substr(0, a.find('='));
      std::string best = closest_name(name, flags);
      if (best.empty())
        for (const auto& f : flags)
          if (starts_with(f, name) && name.size() >= 3) best = f;
      part = "unknown flag " + quote(name) +
             (best.empty() ? "" : " (did you mean " + quote(best) + "?)");
      after_unknown_flag = a.find('=') == std::string::npos;
    } else {
      if (after_unknown_flag) {  // the unknown flag's value
        after_unknown_flag = false;
        continue;
      }
      part = "unexpected argument " + quote(a);
    }
    out += (out.empty() ? "" : "; ") + part;
  }
  return out.empty() ? "unexpected arguments" : out;
}

}  // namespace

CLI::Validator choice(std::vector<std::string> values) {
  std::string desc = "{";
  for (std::size_t i = 0; i < values.size(); ++i) desc += (i ? "," : "") + values[i];
  desc += "}";
  return CLI::Validator(
      [values](std::string& v) -> std::string {
        if (std::find(values.begin(), values.end(), v) != values.end()) return {};
        return quote(v) + " is not allowed: " + did_you_mean(v, values);
      },
      desc);
}

void add_format_flag(CLI::App& app, std::string& format) {
  app.add_option("--format", format,
                 "Table format (default: Parquet by its magic, else from the extension)")
      ->check(choice({"csv", "tsv", "jsonl", "parquet"}));
}

int run_main(const std::string& tool, CLI::App& app, int argc, char** argv,
             const std::function<int()>& body, const ToolSpec& spec) {
  if (!spec.version_flag && argc == 2 && std::string(argv[1]) == "--version") {
    std::printf("%s %s\n", tool.c_str(), MLGATE_VERSION);
    return 0;
  }
  app.name(tool);  // "Usage: mlgate-eval", not the path the tool was called by
  std::optional<unsigned> threads;
  bool quiet = false, verbose_flag = false;
  app.add_option("--threads", threads,
                 "Threads to use (1-64; results do not depend on it); default: MLGATE_THREADS, "
                 "else the CPUs this process may use")
      ->check(CLI::Range(1, 64));
  app.add_flag("-q,--quiet", quiet, "Nothing on stderr but warnings and errors");
  app.add_flag("-v,--verbose", verbose_flag,
               "What was read, chosen and sent (columns, formats, methods, requests), credentials "
               "redacted");
  // Help and version last, under "Other".
  app.set_help_flag();
  app.set_help_flag("-h,--help", "Print this help and exit");
  if (spec.version_flag) app.set_version_flag("--version", tool + " " + MLGATE_VERSION);
  for (CLI::Option* opt : app.get_options()) {
    const auto& names = opt->get_lnames();
    if (!names.empty())
      opt->group(group_of(names.front()));
    else if (opt->get_positional())
      opt->group("Input");
  }
  if (CLI::Option* h = app.get_help_ptr()) h->group("Other");
  if (CLI::Option* v = app.get_version_ptr()) v->group("Other");
  app.footer(footer(tool, spec));
  app.formatter(std::make_shared<GroupedFormatter>());
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion&) {
    std::printf("%s %s\n", tool.c_str(), MLGATE_VERSION);
    return 0;
  } catch (const CLI::ExtrasError&) {
    log_printf("%s: error: %s (see %s --help)\n", tool.c_str(),
               extras_message(app, app.remaining()).c_str(), tool.c_str());
    return kError;
  } catch (const CLI::ParseError& e) {
    log_printf("%s: error: %s (see %s --help)\n", tool.c_str(), e.what(), tool.c_str());
    return kError;
  }
  if (quiet && verbose_flag) {
    log_printf("%s: error: --quiet and --verbose contradict each other (see %s --help)\n",
               tool.c_str(), tool.c_str());
    return kError;
  }
  install_interrupt_cleanup(tool.c_str());
  try {
    Runtime r = runtime_from_env();
    if (threads) r.threads = *threads;
    r.quiet = quiet;
    r.verbose = verbose_flag;
    const MachineLimits m = probe_machine(r.cgroup_root);
    r.cpus = m.cpus;
    set_runtime(r);  // once, here: the library only reads it
    set_tool_name(tool);
    log_verbose("version %s, %u threads (%s%s); memory: %s", MLGATE_VERSION, default_threads(),
                threads     ? "--threads, "
                : r.threads ? "MLGATE_THREADS, "
                            : "",
                m.cpus_from.c_str(),
                r.memory_limit ? "MLGATE_MEMORY_LIMIT" : m.memory_from.c_str());
    install_http_channel_factory(make_curl_channel);
    return body();
  } catch (const Error& e) {
    log_printf("%s: error: %s\n", tool.c_str(), e.message().c_str());
  } catch (const std::bad_alloc&) {
    log_printf("%s: error: out of memory (the input is larger than this machine can hold)\n",
               tool.c_str());
  } catch (const std::exception& e) {
    log_printf("%s: error: internal error: %s (please report this)\n", tool.c_str(), e.what());
  }
  return kError;
}

void add_table_flags(CLI::App& app, ColumnOptions& o, std::string& format, std::string& task,
                     bool binary_only) {
  add_format_flag(app, format);
  app.add_option("--label-col", o.label_col, "Label column")->capture_default_str();
  app.add_option("--score-col", o.score_col,
                 "Score column: positive-class probability, or the predicted value")
      ->capture_default_str();
  app.add_option("--pred-col", o.pred_col,
                 "Hard predictions column (binary default: score >= threshold)");
  if (!binary_only)
    app.add_option("--proba-cols", o.proba_cols,
                   "Multiclass probability columns: a comma list, or a pattern like p_*");
  app.add_option("--id-col", o.id_col, "Row key column");
  app.add_option("--weight-col", o.weight_col,
                 "Sample weight column (scikit-learn's sample_weight: finite, >= 0, not all 0)");
  if (!binary_only)
    app.add_option("--query-col", o.query_col,
                   "Query column of a ranking task (rows are a query's items; the label is each "
                   "item's relevance)");
  if (!binary_only)
    app.add_option("--slice-col", o.slice_cols,
                   "Column to slice metrics by (repeatable, or a comma list)")
        ->delimiter(',');
  app.add_option("--positive-label", o.positive_label,
                 "The positive class, for labels that are not 0/1 or true/false");
  app.add_option("--threshold", o.threshold, "Decision threshold on the score")
      ->capture_default_str();
  app.add_option_function<std::string>(
         "--score-direction", [&o](const std::string& v) { o.score_lower = v == "lower"; },
         "higher (default): a higher score means positive; lower: a lower one does (distances, "
         "ranks; pROC's direction \">\"), predicted positive when score <= threshold")
      ->check(choice({"higher", "lower"}));
  app.add_flag("--drop-missing", o.drop_missing,
               "Drop rows with a missing label or score, and report how many");
  app.add_option("--task", task, "The task (default: the policy's, else binary)")
      ->check(choice({"binary", "multiclass", "regression", "ranking"}));
}

void finish_table_flags(ColumnOptions& o, const std::string& format, const std::string& task) {
  // A slice column named twice is one slicing, not two with the same check ids.
  std::vector<std::string> slices;
  for (const auto& s : o.slice_cols)
    if (std::find(slices.begin(), slices.end(), s) == slices.end()) slices.push_back(s);
  o.slice_cols = std::move(slices);
  if (!format.empty()) o.format = parse_table_format(format);
  if (!task.empty()) {
    try {
      o.task = parse_task(task);
    } catch (const Error& e) {
      throw Error(e.what_text(), "--task", e.hint());
    }
  }
  if (!(o.threshold >= 0 || o.threshold < 0))
    throw Error("--threshold is not a number", "--threshold");
}

void add_cluster_flag(CLI::App& app, ColumnOptions& o) {
  app.add_option("--cluster-col", o.cluster_col,
                 "Column of clusters (user, session, patient) whose rows are not independent: "
                 "the bootstrap resamples clusters, not rows");
}

void add_stamp_flags(CLI::App& app, DocumentStamp& stamp) {
  app.add_option("--model-version", stamp.model_version,
                 "The model version this gate is about (recorded in provenance.model_version; "
                 "mlgate-promote refuses evidence about another version)");
}

void read_stamp_env(DocumentStamp& stamp) {
  if (const char* k = std::getenv("MLGATE_SIGNING_KEY")) stamp.signing_key = k;
}

void add_served_flags(CLI::App& app, ServedFlags& f, bool with_url) {
  ServedModel& m = f.model;
  if (with_url)
    app.add_option("--model-url", m.url,
                   "A served model's base URL (http://127.0.0.1:8080, https://...): the features "
                   "are sent to it in batches");
  app.add_option("--model-protocol", f.protocol,
                 "How the server speaks: mlflow (POST /invocations), v2 (Open Inference "
                 "Protocol: KServe, Seldon, Triton) or tfserving (POST /v1/models/NAME:predict)")
      ->check(choice({"mlflow", "v2", "tfserving"}))
      ->capture_default_str();
  app.add_option("--model-name", m.name, "The model's name on the server (v2, tfserving)");
  app.add_option("--model-version-path", m.version_path,
                 "A model version on the server: .../versions/V (v2, tfserving)");
  app.add_option("--model-output", m.output,
                 "The output to gate: a v2 output tensor's name, or the field of predictions "
                 "that are objects (default: the first output)");
  app.add_option("--v2-input", f.v2_input,
                 "v2 inputs: one tensor per feature column, or one [batch, features] FP32 tensor")
      ->check(choice({"columns", "tensor"}))
      ->capture_default_str();
  app.add_option("--v2-input-name", m.v2_input_name, "The tensor's name with --v2-input tensor")
      ->capture_default_str();
  app.add_option("--batch-size", m.batch_size, "Rows per request")->capture_default_str();
  app.add_option("--model-concurrency", m.concurrency,
                 "Requests in flight (answers are put back in row order)")
      ->capture_default_str();
  app.add_option("--model-ready-timeout", m.ready_timeout_s,
                 "Seconds to wait for the server's health endpoint to say ready (0: do not ask)")
      ->capture_default_str();
  app.add_option("--model-retries", m.retries,
                 "Retries of a request on connection errors, 429 and 5xx (with backoff; "
                 "Retry-After honoured)")
      ->capture_default_str();
  app.add_option("--model-header", f.headers,
                 "An HTTP header for the server, 'Name: value' (repeatable); a value env:VAR is "
                 "read from the environment. Values are never printed");
  app.add_option("--cacert", m.cacert, "CA certificates (PEM) to verify the server with");
  app.add_option("--cert", m.cert, "Client certificate (PEM) for mutual TLS");
  app.add_option("--key", m.key, "Client certificate's private key (PEM)");
  app.add_option("--warmup", m.warmup, "Untimed requests before the timed run")
      ->capture_default_str();
}

void finish_served_flags(ServedFlags& f, std::optional<double> timeout) {
  ServedModel& m = f.model;
  m.protocol = parse_serve_protocol(f.protocol);
  m.v2_tensor = f.v2_input == "tensor";
  m.timeout_s = timeout ? *timeout : 60;
  m.headers.clear();
  for (const auto& h : f.headers) m.headers.push_back(parse_model_header(h));
  for (const std::string* file : {&m.cacert, &m.cert, &m.key})
    if (!file->empty() && !std::ifstream(*file))
      throw Error("cannot read " + quote(*file),
                  file == &m.cacert ? "--cacert"
                  : file == &m.cert ? "--cert"
                                    : "--key",
                  "give a PEM file's path");
  if (m.url.empty()) {
    for (const auto& flag : {std::pair<bool, const char*>{!f.headers.empty(), "--model-header"},
                             {!m.name.empty(), "--model-name"},
                             {!m.cacert.empty(), "--cacert"}})
      if (flag.first) throw Error(std::string(flag.second) + " needs --model-url", "flags");
  }
}

std::vector<std::string> given_flags(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::Option* opt : app.get_options())
    if (opt->count() > 0 && !opt->get_lnames().empty())
      out.push_back("--" + opt->get_lnames().front());
  return out;
}

}  // namespace mlgate
