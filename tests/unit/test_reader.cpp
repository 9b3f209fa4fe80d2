// The reader's rooms on their own: the ordered-chunks stage, format detection, byte sources
// (gzip, hashing) and the chunk dictionary.
#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../../src/core/data/byte_source.hpp"
#include "../../src/core/data/dictionary.hpp"
#include "../../src/core/data/format.hpp"
#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/ordered_stage.hpp"

using namespace mlgate;
using namespace mlgate::reader;

namespace {

struct Item {
  int value;
};

// Runs the stage over 0..n-1 with work squaring each; returns what consume saw, in order.
std::vector<long> squares(int n, unsigned threads, std::int64_t in_flight,
                          std::atomic<int>* max_seen = nullptr) {
  int next = 0;
  std::atomic<int> live{0};
  std::vector<long> seen;
  Pool<long> results;
  run_ordered<Item, long>(
      threads, in_flight, results,
      [&]() -> std::unique_ptr<Item> {
        if (next == n) return nullptr;
        int now = ++live;
        if (max_seen && now > *max_seen) *max_seen = now;
        return std::make_unique<Item>(Item{next++});
      },
      [&](Item& it, long& r) {
        if (it.value % 7 == 0) std::this_thread::yield();  // finish out of order
        r = static_cast<long>(it.value) * it.value;
      },
      [&](long& r) {
        seen.push_back(r);
        --live;
      });
  return seen;
}

}  // namespace

TEST(OrderedStage, ConsumesInProductionOrderWhateverTheThreads) {
  for (unsigned threads : {1u, 2u, 4u, 8u}) {
    std::vector<long> seen = squares(1000, threads, threads * 2);
    ASSERT_EQ(seen.size(), 1000u) << threads;
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(seen[i], static_cast<long>(i) * i) << threads;
  }
  EXPECT_TRUE(squares(0, 4, 8).empty());
}

TEST(OrderedStage, BoundsTheItemsInFlight) {
  std::atomic<int> max_seen{0};
  squares(500, 4, 3, &max_seen);
  EXPECT_LE(max_seen.load(), 3);
  EXPECT_GE(max_seen.load(), 1);
}

TEST(OrderedStage, RethrowsTheFirstFailureFromAnyStep) {
  int consumed = 0;  // of the last run
  auto run = [&consumed](int bad_produce, int bad_work, int bad_consume) {
    int next = 0;
    consumed = 0;
    Pool<int> results;
    run_ordered<Item, int>(
        2, 4, results,
        [&]() -> std::unique_ptr<Item> {
          if (next == bad_produce) throw Error("produce failed", "p");
          if (next == 200) return nullptr;
          return std::make_unique<Item>(Item{next++});
        },
        [&](Item& it, int& r) {
          if (it.value == bad_work) throw std::runtime_error("work failed");
          r = it.value;
        },
        [&](int& r) {
          if (r == bad_consume) throw Error("consume failed", "c");
          EXPECT_EQ(r, consumed);
          ++consumed;
        });
    return consumed;
  };
  EXPECT_EQ(run(-1, -1, -1), 200);
  EXPECT_THROW(run(50, -1, -1), Error);
  EXPECT_THROW(run(-1, 60, -1), std::runtime_error);
  EXPECT_THROW(run(-1, -1, 70), Error);
  // Nothing at or after the failed item is consumed (in order, before it, some may be).
  EXPECT_LE(consumed, 70);
  EXPECT_THROW(run(-1, 60, -1), std::runtime_error);
  EXPECT_LE(consumed, 60);
  EXPECT_THROW(run(-1, 0, -1), std::runtime_error);
  EXPECT_EQ(consumed, 0);
}

TEST(OrderedStage, PoolReusesWhatWasGiven) {
  Pool<std::vector<int>> pool;
  std::vector<int> v;
  v.reserve(1000);
  const int* data = v.data();
  pool.give(std::move(v));
  std::vector<int> again = pool.take();
  EXPECT_EQ(again.data(), data);
  EXPECT_EQ(pool.take().capacity(), 0u);  // empty pool: a fresh one
}

TEST(Format, AskedThenNameThenSniffed) {
  EXPECT_EQ(detect_format("a.txt", "a,b\n1,2\n", TableFormat::kTsv).format, TableFormat::kTsv);
  EXPECT_EQ(detect_format("a.tsv", "a,b\n", TableFormat::kAuto).format, TableFormat::kTsv);
  EXPECT_EQ(detect_format("dir.csv/A.TAB.GZ", "a,b\n", TableFormat::kAuto).format,
            TableFormat::kTsv);
  EXPECT_EQ(detect_format("x.NDJSON", "a,b\n", TableFormat::kAuto).format, TableFormat::kJsonl);
  EXPECT_EQ(detect_format("x", "  \n{\"a\": 1}\n", TableFormat::kAuto).format, TableFormat::kJsonl);
  EXPECT_EQ(detect_format("x", "a\tb\n1\t2\n", TableFormat::kAuto).format, TableFormat::kTsv);
  EXPECT_EQ(detect_format("x", "a\tb,c\n", TableFormat::kAuto).format, TableFormat::kCsv);
  EXPECT_EQ(detect_format("x", "", TableFormat::kAuto).format, TableFormat::kCsv);
}

TEST(Format, ByteOrderMarkIsSkippedAndNotSniffed) {
  TextStart s = detect_format("x", "\xEF\xBB\xBF{\"a\":1}\n", TableFormat::kAuto);
  EXPECT_EQ(s.skip, 3u);
  EXPECT_EQ(s.format, TableFormat::kJsonl);
  EXPECT_EQ(detect_format("x", "a,b\n", TableFormat::kAuto).skip, 0u);
}

TEST(Format, BinaryInputIsRefusedByName) {
  EXPECT_EQ(binary_kind("PAR1\x15\x04"), "a Parquet file");
  EXPECT_EQ(binary_kind(std::string_view("PK\x03\x04rest", 8)),
            "a zip archive (or an .xlsx workbook)");
  EXPECT_EQ(binary_kind(std::string_view("a,b\n1,\0", 7)), "binary data (NUL bytes)");
  EXPECT_EQ(binary_kind("a,b\n1,2\n"), "");
  try {
    detect_format("m.csv", "\xEF\xBB\xBFPAR1....", TableFormat::kCsv);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.what_text().find("Parquet"), std::string::npos);
    EXPECT_EQ(e.where(), "m.csv");
  }
}

namespace {
std::string gzip(const std::string& s) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(compressBound(static_cast<uLong>(s.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
  z.avail_in = static_cast<uInt>(s.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
std::string drain(InputStream& in) {
  ByteBuffer buf;
  bool eof = false;
  fill_to(in, buf, std::size_t{1} << 30, eof);
  EXPECT_TRUE(eof);
  return std::string(buf.begin(), buf.end());
}
}  // namespace

TEST(ByteSource, HashesTheBytesAsStoredAndInflatesGzip) {
  const std::string text = "label,score\n1,0.5\n0,0.25\n";
  InputStream plain("t.csv", memory_source(text));
  EXPECT_FALSE(plain.compressed());
  EXPECT_EQ(drain(plain), text);
  EXPECT_EQ(plain.sha256(), sha256_hex(text));
  EXPECT_EQ(plain.stored_bytes(), text.size());

  // Two gzip members back to back read as one stream; the hash is of the compressed bytes.
  const std::string gz = gzip("label,score\n") + gzip("1,0.5\n0,0.25\n");
  InputStream packed("t.csv.gz", memory_source(gz));
  EXPECT_TRUE(packed.compressed());
  EXPECT_EQ(drain(packed), text);
  EXPECT_EQ(packed.sha256(), sha256_hex(gz));
  EXPECT_EQ(packed.stored_bytes(), gz.size());
}

TEST(ByteSource, RefusesWhatIsNotWhatItSays) {
  EXPECT_THROW(InputStream("t.csv.gz", memory_source("a,b\n")), Error);
  EXPECT_THROW(InputStream("t.csv", memory_source("\xFF\xFE"
                                                  "a\0,\0")),
               Error);
  const std::string gz = gzip(std::string(10000, 'x'));
  InputStream cut("t.gz", memory_source(std::string_view(gz).substr(0, gz.size() / 2)));
  EXPECT_THROW(drain(cut), Error);
  const std::string garbage = std::string("\x1f\x8b") + std::string(40, 'z');
  InputStream bad("t.gz", memory_source(garbage));
  EXPECT_THROW(drain(bad), Error);
}

TEST(Dictionary, CodesInOrderOfFirstAppearanceWithTheirLines) {
  LocalDict d;
  const std::string big(40, 'q');
  std::vector<std::string> values = {"a", "b", "", "a", "sixteen-bytes-xx", big, "b", big + "r"};
  std::vector<std::uint32_t> codes;
  for (std::size_t i = 0; i < values.size(); ++i)
    codes.push_back(d.code(values[i], static_cast<std::int64_t>(i + 1)));
  EXPECT_EQ(codes, (std::vector<std::uint32_t>{0, 1, 2, 0, 3, 4, 1, 5}));
  ASSERT_EQ(d.values().size(), 6u);
  EXPECT_EQ(d.values()[3], "sixteen-bytes-xx");
  EXPECT_EQ(d.lines(), (std::vector<std::int64_t>{1, 2, 3, 5, 6, 8}));
  // Growth keeps every code.
  LocalDict g;
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(g.code(std::to_string(i), i), std::uint32_t(i));
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(g.code(std::to_string(i), 0), std::uint32_t(i));
}

TEST(Dictionary, ReadsPaddedValuesWordWiseWithTheSameCodes) {
  // Inside the bounds values are read 16 bytes at a time; bytes past a value must not matter.
  std::string buf = "abc,abcdefghij,abcdefghijklmnop,abc";
  buf.append(32, 'Z');
  LocalDict d;
  d.set_bounds(buf.data(), buf.data() + buf.size());
  std::string_view s(buf);
  EXPECT_EQ(d.code(s.substr(0, 3), 1), 0u);
  EXPECT_EQ(d.code(s.substr(4, 10), 1), 1u);
  EXPECT_EQ(d.code(s.substr(15, 16), 1), 2u);
  EXPECT_EQ(d.code(s.substr(32, 3), 2), 0u);
  EXPECT_EQ(d.code("abcdefghij", 3), 1u);  // outside the bounds: read byte-wise
}

TEST(OrderedStage, ResultsComeFromThePoolAndGoBack) {
  // The caller's pool is drawn on first, and every consumed result returns to it: with one
  // worker and one item in flight, every item is worked in the very storage given.
  Pool<std::vector<int>> results;
  std::vector<int> seed;
  seed.reserve(4096);
  const int* storage = seed.data();
  results.give(std::move(seed));
  int next = 0, reused = 0;
  run_ordered<Item, std::vector<int>>(
      1, 1, results,
      [&]() -> std::unique_ptr<Item> {
        return next == 50 ? nullptr : std::make_unique<Item>(Item{next++});
      },
      [&](Item& it, std::vector<int>& r) {
        reused += r.data() == storage;
        r.assign(1, it.value);
      },
      [&](std::vector<int>& r) { EXPECT_EQ(r.size(), 1u); });
  EXPECT_EQ(reused, 50);
  EXPECT_EQ(results.take().data(), storage);
}
