// Fuzzes the Parquet reader: any bytes, read as Parquet for three columns of each kind (a number,
// a category, kAuto), give a Table whose columns hold a value for every row, or an mlgate::Error.
#include "fuzz_common.hpp"
#include "mlgate/data/table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  expect_only_mlgate_errors([&] {
    mlgate::ReadOptions o;
    o.threads = 1;
    auto t = mlgate::read_table_buffer("fuzz.parquet", bytes, mlgate::TableFormat::kParquet,
                                       {{"a", mlgate::ColumnType::kNumber, false},
                                        {"b", mlgate::ColumnType::kCategory, false},
                                        {"c", mlgate::ColumnType::kAuto, false}},
                                       o);
    for (const auto& c : t.columns)
      if (c.present && static_cast<std::int64_t>(c.size()) != t.rows) std::abort();
  });
  return 0;
}
