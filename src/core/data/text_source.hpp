// Text tables (CSV, TSV, JSON lines) as a chunk source: the bytes are cut into chunks of about
// ReadOptions::chunk_bytes at record ends (outside quotes), each followed by zero padding that
// the parsers may read ahead into (simdjson's, and the eight-byte decimal scan's).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>

#include "byte_source.hpp"
#include "mlgate/base/ordered_stage.hpp"
#include "reader.hpp"

namespace mlgate::reader {

inline constexpr std::size_t kPadding = simdjson::SIMDJSON_PADDING;
static_assert(kPadding >= 34, "scan_plain_decimal_padded reads ahead");
// No record may be longer: past it a file without line ends fails instead of filling memory.
inline constexpr std::size_t kMaxRecordBytes = std::size_t{256} << 20;

struct TextChunk : Chunk {
  ByteBuffer bytes;  // the records, then kPadding zero bytes
  std::size_t size = 0;
};

void parse_csv_chunk(const Layout& L, TextChunk& c, ChunkResult& r);
void parse_jsonl_chunk(const Layout& L, TextChunk& c, ChunkResult& r);

// Where the last complete record in buf[0, n) ends (one past its newline), or 0 if none does.
std::size_t last_record_end(const char* buf, std::size_t n, TableFormat format);

class TextSource : public ChunkSource {
 public:
  // Reads the start of `in`: settles the format (detect_format) into L and t and, for CSV/TSV,
  // reads the header into t.header and L's field map, marking the columns asked for present
  // (a required one missing, or a duplicate name, is an Error). size_hint: the stored size when
  // known and not compressed (else 0), to estimate the rows.
  TextSource(InputStream& in, Layout& L, Table& t, TableFormat asked, std::size_t chunk_bytes,
             std::uint64_t size_hint);
  // Physical lines the header took (0 for JSONL).
  std::int64_t header_lines() const { return header_lines_; }
  bool at_end() const { return eof_ && pending_.empty(); }

  std::unique_ptr<Chunk> next() override;
  void parse(Chunk& c, ChunkResult& r) const override;
  void release(Chunk& c) override;
  std::size_t estimate_rows(const Chunk& first, const ChunkResult& r) const override;

 private:
  void fill(std::size_t want) { fill_to(in_, pending_, want, eof_); }
  void read_header(Table& t);

  InputStream& in_;
  Layout& L_;
  std::size_t chunk_bytes_;
  std::uint64_t size_hint_;
  ByteBuffer pending_;  // bytes read and not yet handed out
  bool eof_ = false;
  std::int64_t header_lines_ = 0;
  Pool<ByteBuffer> buffers_;
};

}  // namespace mlgate::reader
