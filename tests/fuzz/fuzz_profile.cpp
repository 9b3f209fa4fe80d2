// Fuzzes what mlgate-datatest reads as --reference PROFILE: the header line, the declared body
// (size, sha256) and every column's counts; the input also sealed (fuzz_seal.hpp), so the
// body's own checks are reached.
#include "fuzz_common.hpp"
#include "fuzz_seal.hpp"
#include "mlgate/decisions/profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  expect_only_mlgate_errors([&] { (void)mlgate::parse_profile(bytes, "fuzz.profile"); });
  if (auto sealed = seal(bytes, "mlgate-profile 1"))
    expect_only_mlgate_errors([&] { (void)mlgate::parse_profile(*sealed, "fuzz.profile"); });
  return 0;
}
