// Fuzzes the table readers: the first byte picks the format and chunking, the rest is the file.
#include "fuzz_common.hpp"
#include "mlgate/table.hpp"

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
  expect_only_mlgate_errors([&] {
    Table t = read_table_buffer((mode & 32) ? "fuzz.csv.gz" : "fuzz", body, formats[mode & 3],
                                specs, opt);
    for (const auto& c : t.columns)
      if (c.present && static_cast<std::int64_t>(c.size()) != t.rows) std::abort();
  });
  return 0;
}
