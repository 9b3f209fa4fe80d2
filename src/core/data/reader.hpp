// The reader's stages and what passes between them (private to the data wing).
//
//   byte source (byte_source.hpp) -> chunk source (text_source.hpp: CSV, TSV, JSONL cut at
//   record ends) -> parsed on workers into ChunkResults (csv_chunks.cpp, jsonl_chunks.cpp,
//   column_store.hpp) -> merged in order into the Table (merger.hpp); the ordered-chunks stage
//   (base/ordered_stage.hpp) runs the middle on several threads.
//
// A new format is one more ChunkSource: it yields chunks in order and parses each into the same
// ChunkResult (numbers as doubles with NaN for missing, text as per-chunk dictionary codes); the
// merger, the pipeline and the Table do not change.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dictionary.hpp"
#include "mlgate/data/table.hpp"

namespace mlgate::reader {

// What the reader knows of the file once its start is read: the columns asked for and, for
// CSV/TSV, where each field goes.
struct Layout {
  TableFormat format = TableFormat::kCsv;
  char delim = ',';
  std::size_t n_fields = 0;        // CSV: fields per record
  std::vector<int> field_to_spec;  // CSV: spec index per field, or -1
  std::vector<ColumnSpec> specs;
  std::string file;
};

// An error found while parsing a chunk, reported with the table's line once the chunks before
// it are merged (chunks are parsed out of order; messages name the first bad line).
struct PendingError {
  std::int64_t line = 0;  // local to the chunk
  std::string column;     // empty when not about one column
  std::string what, hint;
};

// The columns of one chunk's rows, as the merger takes them.
struct ChunkResult {
  std::int64_t lines = 0;  // physical lines in the chunk
  std::int64_t rows = 0;
  std::vector<std::int64_t> n_numbers;      // kAuto
  std::vector<std::uint8_t> integers_only;  // kAuto
  std::vector<int> places;  // kNumber, kAuto: most decimal places of a plain decimal; -1: other
  std::vector<std::vector<double>> numbers;
  std::vector<std::vector<std::uint32_t>> codes;
  std::vector<LocalDict> dicts;
  std::vector<std::int64_t> missing, first_missing_line;
  std::vector<std::uint8_t> seen;  // whether the column appeared (JSONL keys)
  std::vector<std::string> keys;   // JSONL: keys in order of first appearance
  std::optional<PendingError> error;
};

// Resets r for a new chunk; a reused result keeps the capacity of its vectors, so memory the
// previous chunk touched is written again instead of fresh pages being faulted in.
void init_result(const Layout& L, ChunkResult& r);

// A piece of a source's rows, not yet parsed; each source has its own kind.
struct Chunk {
  virtual ~Chunk() = default;
};

class ChunkSource {
 public:
  virtual ~ChunkSource() = default;
  // The next chunk, or null at the end; called on one thread, in order.
  virtual std::unique_ptr<Chunk> next() = 0;
  // Parses a chunk into r (resetting it first); called on workers, several at once.
  virtual void parse(Chunk& c, ChunkResult& r) const = 0;
  // Done with a parsed chunk: its storage is taken back for later chunks (thread-safe), so the
  // same few megabytes are reused instead of fresh pages for every chunk.
  virtual void release(Chunk& c) = 0;
  // The rows the whole source likely holds, judged from its first chunk (0: unknown); the
  // table's columns are reserved at that size once instead of growing.
  virtual std::size_t estimate_rows(const Chunk& first, const ChunkResult& r) const = 0;
};

// "did you mean ...? columns are: ..." for a column the file lacks.
std::string did_you_mean_list(const std::string& name, const std::vector<std::string>& header);

}  // namespace mlgate::reader
