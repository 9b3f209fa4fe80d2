// data/parquet: a file written byte by byte here (a Thrift compact-protocol writer of a few
// lines, from the protocol's specification) for what DuckDB, the writer the CLI tests use, does
// not produce: DELTA_BYTE_ARRAY values and page CRCs. Also the footer's bounds.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mlgate/base/error.hpp"
#include "mlgate/data/table.hpp"

using namespace mlgate;

namespace {

// Thrift's compact protocol, writing.
struct Compact {
  std::string b;
  std::vector<int> last{0};
  void byte(int v) { b += static_cast<char>(v); }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      byte(static_cast<int>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    byte(static_cast<int>(v));
  }
  void zigzag(std::int64_t v) {
    varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  void field(int id, int type) {
    int d = id - last.back();
    if (d > 0 && d <= 15) {
      byte(d << 4 | type);
    } else {
      byte(type);
      zigzag(id);
    }
    last.back() = id;
  }
  void i32(int id, std::int64_t v) {
    field(id, 5);
    zigzag(v);
  }
  void i64(int id, std::int64_t v) {
    field(id, 6);
    zigzag(v);
  }
  void str(int id, const std::string& s) {
    field(id, 8);
    varint(s.size());
    b += s;
  }
  void begin(int id) {
    field(id, 12);
    last.push_back(0);
  }
  void end() {
    byte(0);
    last.pop_back();
  }
  void list(int id, int elem, int n) {
    field(id, 9);
    byte(n << 4 | elem);
  }
  void element() { last.push_back(0); }  // a struct inside a list; end() closes it
};

// DELTA_BINARY_PACKED of a few small values: one block of 128, four miniblocks, the first with
// 4-bit deltas (enough for these tests' values).
std::string delta(const std::vector<std::int64_t>& v) {
  Compact c;
  c.varint(128);
  c.varint(4);
  c.varint(v.size());
  c.zigzag(v[0]);
  if (v.size() > 1) {
    std::int64_t min = INT64_MAX;
    for (std::size_t i = 1; i < v.size(); ++i) min = std::min(min, v[i] - v[i - 1]);
    c.zigzag(min);
    for (int w : {4, 0, 0, 0}) c.byte(w);
    std::string bits(16, '\0');
    for (std::size_t i = 1; i < v.size(); ++i) {
      auto x = static_cast<unsigned>(v[i] - v[i - 1] - min);
      EXPECT_LT(x, 16u);
      bits[(i - 1) / 2] = static_cast<char>(bits[(i - 1) / 2] | (x << (4 * ((i - 1) % 2))));
    }
    c.b += bits;
  }
  return c.b;
}

// A file of one required UTF8 column "s" holding `values`, in one DELTA_BYTE_ARRAY page; crc:
// 0 none, 1 right, 2 wrong.
std::string file_with(const std::vector<std::string>& values, int crc) {
  std::vector<std::int64_t> prefix, suffix;
  std::string tails, prev;
  for (const auto& v : values) {
    std::size_t p = 0;
    while (p < prev.size() && p < v.size() && prev[p] == v[p]) ++p;
    prefix.push_back(static_cast<std::int64_t>(p));
    suffix.push_back(static_cast<std::int64_t>(v.size() - p));
    tails += v.substr(p);
    prev = v;
  }
  std::string data = delta(prefix) + delta(suffix) + tails;
  Compact h;
  h.i32(1, 0);  // DATA_PAGE
  h.i32(2, static_cast<std::int64_t>(data.size()));
  h.i32(3, static_cast<std::int64_t>(data.size()));
  if (crc) {
    auto sum = static_cast<std::uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    h.i32(4, static_cast<std::int32_t>(crc == 1 ? sum : sum ^ 1));
  }
  h.begin(5);
  h.i32(1, static_cast<std::int64_t>(values.size()));
  h.i32(2, 7);  // DELTA_BYTE_ARRAY
  h.i32(3, 3);
  h.i32(4, 3);
  h.end();
  h.byte(0);
  const std::string chunk = h.b + data;
  Compact m;
  m.i32(1, 1);
  m.list(2, 12, 2);
  m.element();
  m.str(4, "schema");
  m.i32(5, 1);
  m.end();
  m.element();
  m.i32(1, 6);  // BYTE_ARRAY
  m.i32(3, 0);  // REQUIRED
  m.str(4, "s");
  m.i32(6, 0);  // UTF8
  m.end();
  m.i64(3, static_cast<std::int64_t>(values.size()));
  m.list(4, 12, 1);
  m.element();
  m.list(1, 12, 1);
  m.element();
  m.i64(2, 4);
  m.begin(3);
  m.i32(1, 6);
  m.list(2, 5, 1);
  m.zigzag(7);
  m.list(3, 8, 1);
  m.varint(1);
  m.b += "s";
  m.i32(4, 0);
  m.i64(5, static_cast<std::int64_t>(values.size()));
  m.i64(6, static_cast<std::int64_t>(chunk.size()));
  m.i64(7, static_cast<std::int64_t>(chunk.size()));
  m.i64(9, 4);
  m.end();
  m.end();  // the column chunk
  m.i64(2, static_cast<std::int64_t>(chunk.size()));
  m.i64(3, static_cast<std::int64_t>(values.size()));
  m.end();  // the row group
  m.byte(0);
  std::string out = "PAR1" + chunk + m.b;
  auto len = static_cast<std::uint32_t>(m.b.size());
  out += std::string(reinterpret_cast<const char*>(&len), 4);
  out += "PAR1";
  return out;
}

Table read(const std::string& bytes, ColumnType type = ColumnType::kCategory) {
  return read_table_buffer("hand.parquet", bytes, TableFormat::kParquet, {{"s", type, true}});
}

std::string error_of(const std::string& bytes) {
  try {
    read(bytes);
  } catch (const Error& e) {
    return e.message();
  }
  return "no error";
}

}  // namespace

TEST(Parquet, DeltaByteArrayValues) {
  const std::vector<std::string> v = {"apple", "applesauce", "apply", "banana", "band"};
  for (int crc : {0, 1}) {
    Table t = read(file_with(v, crc));
    ASSERT_EQ(t.rows, 5);
    const Column& c = t.column("s");
    std::vector<std::string> got;
    for (auto code : c.codes) got.push_back(c.dictionary[code]);
    EXPECT_EQ(got, v);
    EXPECT_EQ(t.format, TableFormat::kParquet);
  }
  // The same values read as kAuto: text, nothing parsed as a number.
  Table a = read(file_with(v, 0), ColumnType::kAuto);
  EXPECT_EQ(a.column("s").n_numbers, 0);
}

TEST(Parquet, PageCrcIsChecked) {
  EXPECT_NE(error_of(file_with({"x", "xy"}, 2))
                .find("hand.parquet: row group 0, column \"s\", page 0: the page's CRC-32 does "
                      "not match its bytes"),
            std::string::npos);
}

TEST(Parquet, FooterBounds) {
  const std::string good = file_with({"a", "b"}, 1);
  EXPECT_NE(error_of(good.substr(0, good.size() - 1)).find("truncated"), std::string::npos);
  std::string longer = good;
  longer[longer.size() - 5] = '\x7f';  // a footer longer than the file
  EXPECT_NE(error_of(longer).find("footer's length"), std::string::npos);
  EXPECT_NE(error_of("PAR1PAR1").find("hand.parquet"), std::string::npos);
  EXPECT_EQ(read(good).rows, 2);
}
