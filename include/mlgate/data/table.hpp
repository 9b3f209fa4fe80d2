// Columnar tables read from CSV, TSV and JSONL files (optionally gzip-compressed). Only the
// columns asked for are kept; numbers as doubles, everything else dictionary-encoded.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlgate/base/number.hpp"

namespace mlgate {

enum class TableFormat { kAuto, kCsv, kTsv, kJsonl, kParquet };
// "csv", "tsv", "jsonl" (or "ndjson"), "parquet"; throws Error otherwise.
TableFormat parse_table_format(const std::string& name);
const char* format_name(TableFormat f);

// kAuto keeps each value as what it is: a number where it parses as one (numbers), text
// otherwise (codes); for data tests, where a column's type is itself under test.
enum class ColumnType { kNumber, kCategory, kAuto };
inline constexpr std::uint32_t kMissingCode = std::numeric_limits<std::uint32_t>::max();

struct ColumnSpec {
  std::string name;
  ColumnType type = ColumnType::kNumber;
  bool required = true;
};

struct Column {
  std::string name;
  ColumnType type = ColumnType::kNumber;
  bool present = false;
  int field_index = 0;          // 1-based position in a CSV/TSV header; 0 for JSONL
  std::vector<double> numbers;  // kNumber: NaN marks a missing value; kAuto: NaN unless a number
  std::vector<std::uint32_t> codes;  // kCategory: index into dictionary or kMissingCode; kAuto: the
                                     // same for text values, empty while the column has none
  std::vector<std::string> dictionary;  // kCategory: distinct values, in order of first appearance
  std::vector<std::int64_t>
      first_line;  // kCategory: line where each dictionary value first appears
  std::int64_t missing = 0;
  std::int64_t first_missing_line = 0;
  std::int64_t n_numbers = 0;  // kAuto: values that are numbers
  bool integers_only = true;   // kAuto: every number was written as an integer
  // kNumber, kAuto: every number was written as a plain decimal ("-12.5") with at most this
  // many places (up to 9), so it is an integer over 10^places exactly; -1 when not.
  int decimal_places = 0;

  bool is_missing(std::size_t row) const;
  // kAuto: whether the row holds text (else a number or nothing).
  bool is_text(std::size_t row) const { return !codes.empty() && codes[row] != kMissingCode; }
  std::size_t size() const {
    return type == ColumnType::kCategory || (type == ColumnType::kAuto && numbers.empty())
               ? codes.size()
               : numbers.size();
  }
};

struct Table {
  std::string path;  // as the user gave it; every message names it
  TableFormat format = TableFormat::kCsv;
  std::int64_t rows = 0;
  std::vector<std::string> header;  // CSV/TSV header; for JSONL the keys seen, in order
  std::vector<Column> columns;      // one per ColumnSpec, in the same order
  std::string sha256;               // of the bytes as stored (compressed, if they are)
  // Parquet: what the numbers of date, time and timestamp columns count ("days since
  // 1970-01-01", "microseconds since 1970-01-01 UTC", ...), by column name, for the columns read.
  std::vector<std::pair<std::string, std::string>> units;
  std::uint64_t bytes = 0;

  const Column& column(std::string_view name) const;  // throws Error if not read
  const Column* find(std::string_view name) const;
  Column* find(std::string_view name);
  // Keeps the rows whose keep[row] is nonzero, in every column.
  void filter_rows(const std::vector<std::uint8_t>& keep);
};

struct ReadOptions {
  TableFormat format = TableFormat::kAuto;
  unsigned threads = 0;  // 0: the machine's cores (at most 4)
  std::size_t chunk_bytes = 4u << 20;
  bool header_only = false;  // stop after the header (CSV/TSV) or the first chunk (JSONL)
};

// How much memory tables may take: MLGATE_MEMORY_LIMIT (bytes, or with K/M/G), else 80% of what
// the machine has available now.
std::uint64_t memory_limit();

// Reads path ("-" for standard input). Throws Error naming file, line and column on bad input.
Table read_table(const std::string& path, const std::vector<ColumnSpec>& specs,
                 const ReadOptions& options = {});
// The same over bytes already in memory; name is used in messages.
Table read_table_buffer(const std::string& name, std::string_view data, TableFormat format,
                        const std::vector<ColumnSpec>& specs, const ReadOptions& options = {});

// Streams the rows of a table in its own format with the named columns left out (header
// included for CSV/TSV), a block at a time, to sink. Throws Error on malformed input.
void stream_rows(const std::string& path, TableFormat format, const std::vector<std::string>& drop,
                 const std::function<void(std::string_view)>& sink);

// Splits CSV/TSV records without interpretation, for streaming rows to a model command.
class RecordSplitter {
 public:
  explicit RecordSplitter(char delimiter) : delim_(delimiter) {}
  // Parses one record starting at *p (which advances past it). Fields are unescaped in place,
  // so buf must be writable. Returns false at end. Throws Error on an unterminated quote.
  bool next(char*& p, char* end, std::vector<std::string_view>& fields, std::int64_t& line,
            const std::string& file);

 private:
  char delim_;
};

// Appends field to out, quoted per RFC 4180 when it needs to be.
void append_csv_field(std::string& out, std::string_view field, char delimiter);

}  // namespace mlgate
