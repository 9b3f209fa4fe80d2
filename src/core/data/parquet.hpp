// Parquet, read natively (private to the data wing): the footer's metadata in Thrift's compact
// protocol (parquet_meta.cpp), pages decoded and decompressed (parquet_pages.cpp), and a
// ChunkSource that yields one row group at a time (parquet_source.cpp). Written from the format's
// specification (apache/parquet-format: parquet.thrift, Encodings.md) and Thrift's compact
// protocol specification; flat schemas only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reader.hpp"

namespace mlgate::reader::parquet {

enum class Physical : int {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixed = 7
};

enum class Codec : int {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,
  kZstd = 6,
  kLz4Raw = 7
};

enum class Encoding : int {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9
};

// What a leaf column's values mean beyond their physical type.
enum class Meaning { kPlain, kString, kDecimal, kDate, kTimestamp, kTime, kInteger, kOther };

struct LeafColumn {
  std::string name;  // top-level field name (the column's name in mlgate)
  Physical type = Physical::kInt32;
  int type_length = 0;  // FIXED_LEN_BYTE_ARRAY
  int max_def = 0;      // 0: required, 1: optional
  bool nested = false;  // under a group, or repeated: not readable as a flat column
  Meaning meaning = Meaning::kPlain;
  int scale = 0, precision = 0;  // DECIMAL
  bool is_signed = true;         // INTEGER
  std::string unit;              // DATE, TIMESTAMP, TIME: "days", "milliseconds", ...
};

struct ChunkMeta {  // one column of one row group
  Physical type = Physical::kInt32;
  Codec codec = Codec::kUncompressed;
  std::int64_t num_values = 0;
  std::int64_t data_page_offset = 0;
  std::int64_t dictionary_page_offset = -1;
  std::int64_t total_compressed_size = 0;
};

struct RowGroupMeta {
  std::int64_t num_rows = 0;
  std::vector<ChunkMeta> columns;  // one per leaf
};

struct FileMeta {
  std::int64_t num_rows = 0;
  std::vector<LeafColumn> leaves;
  std::vector<std::string> header;  // top-level field names, in order
  std::vector<RowGroupMeta> row_groups;
};

enum class PageType : int { kData = 0, kIndex = 1, kDictionary = 2, kDataV2 = 3 };

struct PageHeader {
  PageType type = PageType::kData;
  std::int32_t uncompressed_size = 0, compressed_size = 0;
  std::int32_t num_values = 0;  // data and dictionary pages
  Encoding encoding = Encoding::kPlain;
  Encoding def_encoding = Encoding::kRle;
  // v2
  std::int32_t num_nulls = 0;
  std::int32_t def_bytes = 0, rep_bytes = 0;
  bool v2_compressed = true;
  bool has_crc = false;
  std::uint32_t crc = 0;  // CRC-32 of the page's bytes as stored, when the writer gave one
};

// Parses the footer (FileMetaData) of a whole file's bytes; throws Error naming `file`.
FileMeta read_footer(std::string_view file_bytes, const std::string& file);
// Parses a page header at data; *used is set to its length. Throws Error naming `where`.
PageHeader read_page_header(std::string_view data, std::size_t* used, const std::string& where);

// Decompresses src into dst (exactly `size` bytes); throws Error naming `where`.
void decompress(Codec codec, std::string_view src, char* dst, std::size_t size,
                const std::string& where);
const char* codec_name(Codec c);

// The file as a chunk source: one chunk per row group, the requested columns decoded into the
// ChunkResult as the text readers would store them (numbers, codes, kAuto). t's header, format
// and row count are set here.
std::unique_ptr<ChunkSource> open_source(const std::string& file, std::string_view bytes,
                                         const Layout& L, Table& t);

}  // namespace mlgate::reader::parquet
