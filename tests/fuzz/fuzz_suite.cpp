// Fuzzes the datatest suite parser, YAML and JSON.
#include "fuzz_common.hpp"
#include "mlgate/decisions/datatest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  expect_only_mlgate_errors(
      [&] { mlgate::parse_suite(text, (data[0] & 1) ? "s.json" : "s.yaml"); });
  return 0;
}
