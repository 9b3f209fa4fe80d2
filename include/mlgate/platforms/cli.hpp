// What every executable shares: the common flags, and the one place that maps failures to exit
// code 2 with a one-line message.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mlgate/base/result.hpp"
#include "mlgate/data/predictions.hpp"
#include "mlgate/data/served_model.hpp"

namespace mlgate {

// What a tool's help says beyond its flags.
struct ToolSpec {
  // Whether --version is the tool's version flag (mlgate-promote takes --version VALUE as the
  // old spelling of --model-version; there a lone --version still prints the tool's version).
  bool version_flag = true;
  std::vector<std::string> examples;  // command lines shown under "Examples:"
  std::string exit_codes;             // "" : the gate tools' 0 pass, 1 gate failed, 2 error
};

// Parses argv and runs body. Every tool gets --threads, -q/--quiet and -v/--verbose; its flags
// are shown in groups (input, columns, model, gate, output, performance) with the examples, exit
// codes and environment variables after them. Usage errors name the flag, with a did-you-mean
// for a mistyped flag or value; CLI usage errors and mlgate::Error become
// "mlgate-NAME: error: ..." on stderr and exit 2; anything unexpected is exit 2 too.
int run_main(const std::string& tool, CLI::App& app, int argc, char** argv,
             const std::function<int()>& body, const ToolSpec& spec = {});

// A validator for a flag with a fixed set of values: checked at parse time, listed in the help,
// and a mistyped value gets "did you mean ...?".
CLI::Validator choice(std::vector<std::string> values);

// --format with its values (csv, tsv, jsonl, parquet).
void add_format_flag(CLI::App& app, std::string& format);

// The "Tables in" flags, bound to o. binary_only: mlgate-fairness, which has no --slice-col (its
// groups are its sensitive columns) and no --proba-cols (its metrics are binary).
void add_table_flags(CLI::App& app, ColumnOptions& o, std::string& format, std::string& task,
                     bool binary_only = false);
// Applies --format and --task strings to o (after parsing).
void finish_table_flags(ColumnOptions& o, const std::string& format, const std::string& task);
// --model-version on the gate tools; read_stamp_env adds MLGATE_SIGNING_KEY (read here, once).
void add_stamp_flags(CLI::App& app, DocumentStamp& stamp);
// --cluster-col, for the tools whose bootstrap resamples rows (compare, fairness).
void add_cluster_flag(CLI::App& app, ColumnOptions& o);
void read_stamp_env(DocumentStamp& stamp);
// The served-model flags (--model-url, --model-protocol, ... --warmup), bound to f; finish
// turns them into f.model after parsing. timeout: --model-timeout when given, else 60 s a
// request.
struct ServedFlags {
  ServedModel model;
  std::string protocol = "mlflow", v2_input = "columns";
  std::vector<std::string> headers;
};
// with_url: --model-url too (mlgate-compare has --candidate-url and --baseline-url instead).
void add_served_flags(CLI::App& app, ServedFlags& f, bool with_url = true);
void finish_served_flags(ServedFlags& f, std::optional<double> timeout);

// The long names of the options given on the command line, e.g. "--label-col".
std::vector<std::string> given_flags(const CLI::App& app);

}  // namespace mlgate
