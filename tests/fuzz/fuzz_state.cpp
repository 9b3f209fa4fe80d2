// Fuzzes what mlgate-merge reads: a state file, parsed and validated as it is (bounded header,
// declared body size, sha256, every count checked), then merged with itself and finished. An
// input of a header line and a raw body is also sealed into a well-formed file (compressed, its
// size and sha256 filled in), so the body's own checks are reached.
#include <zlib.h>

#include "fuzz_common.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/result.hpp"
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
  const std::size_t eol = bytes.find('\n');
  if (eol == std::string_view::npos) return 0;
  auto header = mlgate::ojson::parse(bytes.substr(0, eol), nullptr, false);
  if (!header.is_object() || header.contains("__")) return 0;
  const std::string raw(bytes.substr(eol + 1));
  header["body"] = {{"size", raw.size()}, {"sha256", mlgate::sha256_hex(raw)}};
  uLongf zsize = compressBound(static_cast<uLong>(raw.size()));
  std::string z(zsize, '\0');
  if (compress2(reinterpret_cast<Bytef*>(z.data()), &zsize,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                1) != Z_OK)
    return 0;
  z.resize(zsize);
  parse_and_finish("mlgate-state 1\n" + header.dump() + "\n" + z);
  return 0;
}
