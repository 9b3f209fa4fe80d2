// Fuzzes what mlgate-merge reads: a state file, parsed and validated as it is (bounded header,
// declared body size, sha256, every count checked), then merged with itself and finished; the
// input also sealed (fuzz_seal.hpp), so the body's own checks are reached.
#include "fuzz_common.hpp"
#include "fuzz_seal.hpp"
#include "mlgate/decisions/state.hpp"

namespace {

void parse_and_finish(std::string_view bytes) {
  expect_only_mlgate_errors([&] {
    mlgate::EvalState s = mlgate::parse_state(bytes, "fuzz.state");
    mlgate::EvalState twice = s;
    mlgate::merge_state(twice, s, "fuzz.state");
    (void)mlgate::binary_state_metrics(twice.overall, twice.negated, true);
    for (const auto& sl : twice.slices) (void)mlgate::binary_state_metrics(sl.state, false, false);
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  parse_and_finish(bytes);
  if (auto sealed = seal(bytes, "mlgate-state 1")) parse_and_finish(*sealed);
  return 0;
}
