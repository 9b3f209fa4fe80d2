// Fuzzes the table readers: the first byte picks the format and chunking, the rest is the file.
#include <cmath>

#include "fuzz_common.hpp"
#include "mlgate/data/table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  using namespace mlgate;
  const std::uint8_t mode = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  TableFormat formats[] = {TableFormat::kCsv, TableFormat::kTsv, TableFormat::kJsonl,
                           TableFormat::kAuto};
  ReadOptions opt;
  opt.chunk_bytes = (mode & 8) ? 7 : (1u << 16);  // tiny chunks exercise the ordered merge
  opt.threads = (mode & 16) ? 2 : 1;
  std::vector<ColumnSpec> specs = {{"label", ColumnType::kCategory, false},
                                   {"score", ColumnType::kNumber, false},
                                   {"g", ColumnType::kCategory, false}};
  if (mode & 64)  // data tests read every column as what it holds
    for (auto& s : specs) s.type = ColumnType::kAuto;
  expect_only_mlgate_errors([&] {
    Table t = read_table_buffer((mode & 32) ? "fuzz.csv.gz" : "fuzz", body, formats[mode & 3],
                                specs, opt);
    for (const auto& c : t.columns) {
      if (c.present && static_cast<std::int64_t>(c.size()) != t.rows) std::abort();
      if (c.type != ColumnType::kAuto || !c.present) continue;
      // Each row is exactly one of: missing, a number, text; each vector is empty or full.
      const auto rows = static_cast<std::size_t>(t.rows);
      if (!c.numbers.empty() && c.numbers.size() != rows) std::abort();
      if (!c.codes.empty() && c.codes.size() != rows) std::abort();
      std::int64_t numbers = 0, missing = 0;
      for (std::size_t i = 0; i < rows; ++i) {
        const bool text = c.is_text(i), missing_row = c.is_missing(i);
        if (text && !c.numbers.empty() && !std::isnan(c.numbers[i])) std::abort();
        missing += missing_row;
        numbers += !text && !missing_row;
      }
      if (numbers != c.n_numbers || missing != c.missing) std::abort();
    }
  });
  return 0;
}
