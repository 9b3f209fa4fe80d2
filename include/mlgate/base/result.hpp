// The mlgate.result/v1 document: what every gating executable writes and the reports read.
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mlgate {

using ojson = nlohmann::ordered_json;

inline constexpr const char* kResultSchema = "mlgate.result/v1";

enum class Status { kPass, kWarn, kFail, kError };
const char* status_name(Status s);
Status parse_status(const std::string& s);  // throws Error
// The worse of two statuses: error > fail > warn > pass.
Status worse(Status a, Status b);
int exit_code_for(Status s);  // pass/warn 0, fail 1, error 2

struct Check {
  std::string id;
  std::string title;
  Status status = Status::kError;
  std::string metric;
  ojson slice;  // null or {"column": "value"}
  std::optional<double> value, baseline, delta, threshold;
  std::optional<std::array<double, 2>> ci;
  std::optional<double> confidence, p_value;
  std::string method, verdict, message;
  ojson extra = ojson::object();  // tool-specific fields, merged into the check's object
};

struct ResultDoc {
  std::string tool;
  std::string version;
  std::vector<Check> checks;
  ojson metrics = ojson::object();
  ojson inputs = ojson::object();
  ojson provenance = ojson::object();
  std::vector<std::string> warnings;
  ojson extra = ojson::object();  // top-level fields such as groups and disparities

  // error if any check errors; else fail if any fails; else pass.
  Status status() const;
  ojson to_json() const;
  // Reads a document; throws Error naming file and the offending field.
  static ResultDoc from_json(const ojson& j, const std::string& file);
  static ResultDoc from_json(const nlohmann::json& j, const std::string& file);
};

// What makes a gate tool's document evidence for one model version: the version it gated
// (--model-version, in provenance.model_version) and, with MLGATE_SIGNING_KEY, an HMAC-SHA256
// signature over the canonical document.
struct DocumentStamp {
  std::string model_version;
  std::string signing_key;  // empty: unsigned
};

// The gate tools whose documents are evidence, and their kinds for mlgate-promote --require.
inline constexpr const char* kGateTools[] = {"mlgate-eval", "mlgate-compare", "mlgate-fairness",
                                             "mlgate-datatest"};

// At most this many warnings are printed, and at most kMaxDocumentWarnings kept in a document;
// the rest are counted in one last line.
inline constexpr std::size_t kMaxPrintedWarnings = 20, kMaxDocumentWarnings = 1000;
// Prints "warning: ..." lines on stderr, capped and summarised.
void print_warnings(const std::vector<std::string>& warnings, const std::string& prefix = "");

// The canonical form a signature covers: the document without its "signature" member, keys
// sorted by their bytes at every level, no whitespace, UTF-8 as is.
std::string canonical_document(const nlohmann::json& doc);
// "hmac-sha256:HEX" of the canonical document under key.
std::string document_signature(const nlohmann::json& doc, const std::string& key);

// Writes the document atomically to path ("" or "-": standard output) and returns its exit code;
// a document in error also gets the one-line "TOOL: error: ..." message on stderr. The stamp
// adds provenance.model_version and the signature.
int finish_document(const ResultDoc& doc, const std::string& path, const DocumentStamp& stamp = {});

// Provenance: commit, policy hash, creation time.
ojson make_provenance(const std::string& policy_sha256);

// A slice as the document writes it: null, or {"column": "value"} with null for a missing value.
ojson slice_json(const std::vector<std::pair<std::string, std::optional<std::string>>>& parts);
// "[region=eu]" style suffix for check ids and titles; empty for null.
std::string slice_label(const ojson& slice);

}  // namespace mlgate
