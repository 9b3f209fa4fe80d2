#include "format.hpp"

#include <cctype>

#include "mlgate/base/error.hpp"
#include "mlgate/base/text.hpp"

namespace mlgate {

TableFormat parse_table_format(const std::string& name) {
  if (name == "csv") return TableFormat::kCsv;
  if (name == "tsv") return TableFormat::kTsv;
  if (name == "jsonl" || name == "ndjson") return TableFormat::kJsonl;
  if (name == "parquet") return TableFormat::kParquet;
  throw Error("unknown table format " + quote(name), "--format", "use csv, tsv, jsonl or parquet");
}

const char* format_name(TableFormat f) {
  switch (f) {
    case TableFormat::kCsv:
      return "csv";
    case TableFormat::kTsv:
      return "tsv";
    case TableFormat::kJsonl:
      return "jsonl";
    case TableFormat::kParquet:
      return "parquet";
    default:
      return "auto";
  }
}

namespace reader {

namespace {

TableFormat format_from_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string b;
  for (char ch : slash == std::string::npos ? path : path.substr(slash + 1))
    b += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (ends_with(b, ".gz")) b.resize(b.size() - 3);
  if (ends_with(b, ".csv")) return TableFormat::kCsv;
  if (ends_with(b, ".tsv") || ends_with(b, ".tab")) return TableFormat::kTsv;
  if (ends_with(b, ".jsonl") || ends_with(b, ".ndjson")) return TableFormat::kJsonl;
  return TableFormat::kAuto;
}

TableFormat sniff_format(std::string_view head) {
  std::string_view t = head;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  if (!t.empty() && t.front() == '{') return TableFormat::kJsonl;
  auto nl = t.find('\n');
  std::string_view first = t.substr(0, nl);
  if (first.find('\t') != std::string_view::npos && first.find(',') == std::string_view::npos)
    return TableFormat::kTsv;
  return TableFormat::kCsv;
}

}  // namespace

bool is_parquet_name(const std::string& path) {
  std::string b;
  for (char ch : path) b += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return ends_with(b, ".parquet") || ends_with(b, ".pq");
}

// What a file that is not text looks like, from its first bytes ("" for text): binary input is
// refused with a name instead of being read as a CSV with a header of garbage.
std::string binary_kind(std::string_view head) {
  auto starts = [&](std::string_view magic) { return head.substr(0, magic.size()) == magic; };
  if (starts("PAR1")) return "a Parquet file";
  if (starts("ARROW1")) return "an Arrow IPC file";
  if (starts(std::string_view("PK\x03\x04", 4))) return "a zip archive (or an .xlsx workbook)";
  if (starts("BZh")) return "a bzip2 file";
  if (starts(std::string_view("\xFD"
                              "7zXZ",
                              5)))
    return "an xz file";
  if (starts(std::string_view("\x28\xB5\x2F\xFD", 4))) return "a zstd file";
  if (starts(std::string_view("SQLite format 3\0", 16))) return "an SQLite database";
  if (starts("%PDF")) return "a PDF document";
  if (starts(std::string_view("\x89HDF", 4))) return "an HDF5 file";
  if (starts(std::string_view("\x93NUMPY", 6))) return "a NumPy array file";
  if (starts(std::string_view("\x80", 1))) return "a Python pickle";
  if (head.substr(0, 1024).find('\0') != std::string_view::npos) return "binary data (NUL bytes)";
  return {};
}

TextStart detect_format(const std::string& name, std::string_view head, TableFormat asked) {
  TextStart s;
  if (head.substr(0, 3) == "\xEF\xBB\xBF") {
    s.skip = 3;
    head.remove_prefix(3);
  }
  std::string kind = binary_kind(head);
  // Parquet reaches this text path only where rows go out as text: a model command's stdin.
  if (kind == "a Parquet file")
    throw Error("a model command is fed CSV, TSV or JSON lines, and this is a Parquet file", name,
                "convert the features to CSV, or serve the model and use --model-url");
  if (!kind.empty())
    throw Error("this looks like " + kind + ", not a table", name,
                "mlgate reads CSV, TSV and JSON lines (optionally gzipped), and Parquet");
  s.format = asked;
  if (s.format == TableFormat::kAuto) s.format = format_from_name(name);
  if (s.format == TableFormat::kAuto) s.format = sniff_format(head);
  return s;
}

}  // namespace reader

}  // namespace mlgate
