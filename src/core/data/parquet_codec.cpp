// Parquet's page codecs through Debian's libraries: snappy, zlib (gzip), zstd, lz4 (raw blocks)
// and brotli. A page decompresses to exactly its header's uncompressed size, or it is an error.
#include <brotli/decode.h>
#include <lz4.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <climits>
#include <cstring>

#include "mlgate/base/error.hpp"
#include "parquet.hpp"

namespace mlgate::reader::parquet {

const char* codec_name(Codec c) {
  switch (c) {
    case Codec::kUncompressed:
      return "UNCOMPRESSED";
    case Codec::kSnappy:
      return "SNAPPY";
    case Codec::kGzip:
      return "GZIP";
    case Codec::kLzo:
      return "LZO";
    case Codec::kBrotli:
      return "BROTLI";
    case Codec::kLz4:
      return "LZ4";
    case Codec::kZstd:
      return "ZSTD";
    case Codec::kLz4Raw:
      return "LZ4_RAW";
  }
  return "unknown";
}

namespace {

[[noreturn]] void failed(Codec c, const std::string& where, const std::string& why) {
  throw Error(std::string(codec_name(c)) + " decompression failed: " + why, where,
              "the page is damaged");
}

void gunzip(std::string_view src, char* dst, std::size_t size, const std::string& where) {
  z_stream z{};
  // 15 + 32: zlib or gzip headers, told apart by zlib itself.
  if (inflateInit2(&z, 15 + 32) != Z_OK) failed(Codec::kGzip, where, "cannot start zlib");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(src.data()));
  z.avail_in = static_cast<uInt>(src.size());
  z.next_out = reinterpret_cast<Bytef*>(dst);
  z.avail_out = static_cast<uInt>(size);
  int rc = Z_OK;
  while (rc == Z_OK) {
    rc = inflate(&z, Z_FINISH);
    // Writers may concatenate gzip members: continue with the next one.
    if (rc == Z_STREAM_END && z.avail_in > 0 && z.avail_out > 0) rc = inflateReset(&z);
  }
  const std::size_t got = size - z.avail_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END) failed(Codec::kGzip, where, z.msg ? z.msg : "a damaged stream");
  if (got != size)
    failed(Codec::kGzip, where,
           std::to_string(got) + " bytes instead of the header's " + std::to_string(size));
}

}  // namespace

void decompress(Codec codec, std::string_view src, char* dst, std::size_t size,
                const std::string& where) {
  if (size > INT_MAX || src.size() > INT_MAX) failed(codec, where, "a page of more than 2 GiB");
  switch (codec) {
    case Codec::kUncompressed:
      if (src.size() != size) failed(codec, where, "sizes differ");
      std::memcpy(dst, src.data(), size);
      return;
    case Codec::kSnappy: {
      std::size_t n = 0;
      if (!snappy::GetUncompressedLength(src.data(), src.size(), &n) || n != size)
        failed(codec, where, "the length it names is not the header's");
      if (!snappy::RawUncompress(src.data(), src.size(), dst))
        failed(codec, where, "a damaged block");
      return;
    }
    case Codec::kGzip:
      gunzip(src, dst, size, where);
      return;
    case Codec::kZstd: {
      std::size_t n = ZSTD_decompress(dst, size, src.data(), src.size());
      if (ZSTD_isError(n)) failed(codec, where, ZSTD_getErrorName(n));
      if (n != size)
        failed(codec, where,
               std::to_string(n) + " bytes instead of the header's " + std::to_string(size));
      return;
    }
    case Codec::kLz4Raw: {
      int n = LZ4_decompress_safe(src.data(), dst, static_cast<int>(src.size()),
                                  static_cast<int>(size));
      if (n < 0 || static_cast<std::size_t>(n) != size) failed(codec, where, "a damaged block");
      return;
    }
    case Codec::kBrotli: {
      std::size_t n = size;
      if (BrotliDecoderDecompress(src.size(), reinterpret_cast<const std::uint8_t*>(src.data()), &n,
                                  reinterpret_cast<std::uint8_t*>(dst)) !=
              BROTLI_DECODER_RESULT_SUCCESS ||
          n != size)
        failed(codec, where, "a damaged stream");
      return;
    }
    default:
      throw Error(std::string("the ") + codec_name(codec) + " codec is not supported", where,
                  "write the file with SNAPPY, GZIP, ZSTD, LZ4_RAW, BROTLI or no compression");
  }
}

}  // namespace mlgate::reader::parquet
