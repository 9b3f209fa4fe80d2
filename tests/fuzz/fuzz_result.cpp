// Fuzzes the result document reader that mlgate-report and mlgate-promote use.
#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"
#include "mlgate/result.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  expect_only_mlgate_errors([&] {
    auto doc = mlgate::ResultDoc::from_json(j, "fuzz.json");
    (void)doc.to_json().dump();
  });
  return 0;
}
