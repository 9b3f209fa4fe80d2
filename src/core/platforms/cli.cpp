#include "mlgate/platforms/cli.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <new>

#include "http.hpp"
#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/log.hpp"
#include "mlgate/base/runtime.hpp"
#include "mlgate/data/served_model.hpp"

namespace mlgate {

int run_main(const std::string& tool, CLI::App& app, int argc, char** argv,
             const std::function<int()>& body, bool version_flag) {
  if (version_flag) {
    app.set_version_flag("--version", tool + " " + MLGATE_VERSION);
  } else if (argc == 2 && std::string(argv[1]) == "--version") {
    std::printf("%s %s\n", tool.c_str(), MLGATE_VERSION);
    return 0;
  }
  app.name(tool);  // "Usage: mlgate-eval", not the path the tool was called by
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion&) {
    std::printf("%s %s\n", tool.c_str(), MLGATE_VERSION);
    return 0;
  } catch (const CLI::ParseError& e) {
    log_printf("%s: error: %s (see %s --help)\n", tool.c_str(), e.what(), tool.c_str());
    return kError;
  }
  install_interrupt_cleanup(tool.c_str());
  try {
    set_runtime(runtime_from_env());  // once, here: the library only reads it
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

void add_table_flags(CLI::App& app, ColumnOptions& o, std::string& format, std::string& task) {
  app.add_option("--format", format,
                 "Table format: csv, tsv or jsonl (default: from the extension)");
  app.add_option("--label-col", o.label_col, "Label column")->capture_default_str();
  app.add_option("--score-col", o.score_col,
                 "Score column: positive-class probability, or the predicted value")
      ->capture_default_str();
  app.add_option("--pred-col", o.pred_col,
                 "Hard predictions column (binary default: score >= threshold)");
  app.add_option("--proba-cols", o.proba_cols,
                 "Multiclass probability columns: a comma list, or a pattern like p_*");
  app.add_option("--id-col", o.id_col, "Row key column");
  app.add_option("--slice-col", o.slice_cols, "Column to slice metrics by (repeatable)");
  app.add_option("--positive-label", o.positive_label,
                 "The positive class, for labels that are not 0/1 or true/false");
  app.add_option("--threshold", o.threshold, "Decision threshold on the score")
      ->capture_default_str();
  app.add_flag("--drop-missing", o.drop_missing,
               "Drop rows with a missing label or score, and report how many");
  app.add_option("--task", task,
                 "binary, multiclass or regression (default: the policy's, else binary)");
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
      ->check(CLI::IsMember({"mlflow", "v2", "tfserving"}))
      ->capture_default_str();
  app.add_option("--model-name", m.name, "The model's name on the server (v2, tfserving)");
  app.add_option("--model-version-path", m.version_path,
                 "A model version on the server: .../versions/V (v2, tfserving)");
  app.add_option("--model-output", m.output,
                 "The output to gate: a v2 output tensor's name, or the field of predictions "
                 "that are objects (default: the first output)");
  app.add_option("--v2-input", f.v2_input,
                 "v2 inputs: one tensor per feature column, or one [batch, features] FP32 tensor")
      ->check(CLI::IsMember({"columns", "tensor"}))
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
