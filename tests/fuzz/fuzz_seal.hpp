// For the fuzzers of mlgate's sealed files (states, profiles): an input of a JSON header line
// and a raw body, sealed as the writer seals it (the body compressed, its size and sha256 in
// the header), so a fuzzer reaches the body's own checks past the digest.
#pragma once

#include <zlib.h>

#include <optional>
#include <string>
#include <string_view>

#include "mlgate/base/io.hpp"
#include "mlgate/base/result.hpp"

inline std::optional<std::string> seal(std::string_view input, const char* magic) {
  const std::size_t eol = input.find('\n');
  if (eol == std::string_view::npos) return std::nullopt;
  auto header = mlgate::ojson::parse(input.substr(0, eol), nullptr, false);
  if (!header.is_object()) return std::nullopt;
  const std::string raw(input.substr(eol + 1));
  header["body"] = {{"size", raw.size()}, {"sha256", mlgate::sha256_hex(raw)}};
  uLongf zsize = compressBound(static_cast<uLong>(raw.size()));
  std::string z(zsize, '\0');
  if (compress2(reinterpret_cast<Bytef*>(z.data()), &zsize,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                1) != Z_OK)
    return std::nullopt;
  z.resize(zsize);
  return std::string(magic) + "\n" + header.dump() + "\n" + z;
}
