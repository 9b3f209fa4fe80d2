// Fuzzes what mlgate-datatest reads as --reference PROFILE: the header line, the declared body
// (size, sha256) and every column's counts. An input of a header line and a raw body is also
// sealed into a well-formed file (compressed, its size and sha256 filled in), so the body's own
// checks are reached.
#include <zlib.h>

#include "fuzz_common.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/result.hpp"
#include "mlgate/decisions/profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  expect_only_mlgate_errors([&] { (void)mlgate::parse_profile(bytes, "fuzz.profile"); });
  const std::size_t eol = bytes.find('\n');
  if (eol == std::string_view::npos) return 0;
  auto header = mlgate::ojson::parse(bytes.substr(0, eol), nullptr, false);
  if (!header.is_object()) return 0;
  const std::string raw(bytes.substr(eol + 1));
  header["body"] = {{"size", raw.size()}, {"sha256", mlgate::sha256_hex(raw)}};
  uLongf zsize = compressBound(static_cast<uLong>(raw.size()));
  std::string z(zsize, '\0');
  if (compress2(reinterpret_cast<Bytef*>(z.data()), &zsize,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                1) != Z_OK)
    return 0;
  z.resize(zsize);
  const std::string sealed = "mlgate-profile 1\n" + header.dump() + "\n" + z;
  expect_only_mlgate_errors([&] { (void)mlgate::parse_profile(sealed, "fuzz.profile"); });
  return 0;
}
