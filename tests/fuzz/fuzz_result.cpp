// Fuzzes what mlgate-report and mlgate-promote read: a result document, parsed as they parse it
// (bounded depth, no duplicate keys), validated, and rendered in every report format.
#include "fuzz_common.hpp"
#include "mlgate/base/json.hpp"
#include "mlgate/base/result.hpp"
#include "mlgate/reports/report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  expect_only_mlgate_errors([&] {
    auto j = mlgate::parse_ordered_json(text, "fuzz.json");
    std::vector<mlgate::LoadedDoc> docs{
        {"fuzz.json", mlgate::ResultDoc::from_json(j, "fuzz.json")}};
    (void)docs[0].doc.to_json().dump();
    (void)mlgate::markdown_report(docs, {});
    (void)mlgate::junit_xml(docs);
    (void)mlgate::gitlab_codequality(docs);
    (void)mlgate::openmetrics(docs);
    (void)mlgate::warnings_ng(docs);
    (void)mlgate::github_annotations(docs);
    // promote's own reading of the same bytes: the canonical form its signature check uses.
    (void)mlgate::canonical_document(mlgate::parse_json(text, "fuzz.json"));
  });
  return 0;
}
