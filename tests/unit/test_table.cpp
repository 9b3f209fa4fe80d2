#include <gtest/gtest.h>
#include <zlib.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <random>

#include "mlgate/base/error.hpp"
#include "mlgate/data/table.hpp"

using namespace mlgate;

namespace {

std::vector<ColumnSpec> specs_ls() {
  return {{"label", ColumnType::kCategory, true}, {"score", ColumnType::kNumber, true}};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.message();
  }
  return "no error";
}

// The error reading CSV text as p.csv with label and score columns gives ("no error" if none).
std::string csv_error(const std::string& csv) {
  return error_of([&] { read_table_buffer("p.csv", csv, TableFormat::kCsv, specs_ls()); });
}

std::string tmp_path(const std::string& name) { return ::testing::TempDir() + name; }

}  // namespace

TEST(Table, ReadsQuotedFieldsEscapesAndEmbeddedNewlines) {
  std::string csv =
      "id,label,score,note\n1,1,0.5,\"a, b\"\n2,\"0\",\"0.25\",\"say "
      "\"\"hi\"\"\"\n3,1,1e-3,\"two\nlines\"\n";
  Table t = read_table_buffer(
      "x.csv", csv, TableFormat::kCsv,
      {{"note", ColumnType::kCategory, true}, {"score", ColumnType::kNumber, true}});
  ASSERT_EQ(t.rows, 3);
  const Column& note = t.column("note");
  EXPECT_EQ(note.dictionary[note.codes[0]], "a, b");
  EXPECT_EQ(note.dictionary[note.codes[1]], "say \"hi\"");
  EXPECT_EQ(note.dictionary[note.codes[2]], "two\nlines");
  EXPECT_DOUBLE_EQ(t.column("score").numbers[2], 1e-3);
  EXPECT_EQ(note.field_index, 4);
}

TEST(Table, HandlesBomCrlfAndMissingMarkers) {
  std::string csv = "\xEF\xBB\xBFlabel,score\r\n1,0.9\r\n0,NA\r\n1,\r\n0,null\r\n";
  Table t = read_table_buffer("x.csv", csv, TableFormat::kAuto, specs_ls());
  ASSERT_EQ(t.rows, 4);
  const Column& s = t.column("score");
  EXPECT_EQ(s.missing, 3);
  EXPECT_EQ(s.first_missing_line, 3);
  EXPECT_TRUE(std::isnan(s.numbers[1]));
  EXPECT_EQ(t.column("label").dictionary.size(), 2u);
}

TEST(Table, ErrorsNameFileLineAndColumn) {
  std::string csv = "label,score\n1,0.5\n0,abc\n";
  EXPECT_EQ(csv_error(csv),
            "p.csv:3: column \"score\": \"abc\" is not a number (expected a number)");
  EXPECT_NE(csv_error("label,score\n1,inf\n")
                .find("p.csv:2: column \"score\": \"inf\" is not a finite number"),
            std::string::npos);
  std::string missing_col = csv_error("label,scor\n1,0.5\n");
  EXPECT_NE(missing_col.find("missing column \"score\""), std::string::npos) << missing_col;
  EXPECT_NE(missing_col.find("did you mean \"scor\""), std::string::npos) << missing_col;
  EXPECT_NE(csv_error("label,score\n1,0.5,7\n").find("p.csv:2: expected 2 fields, found 3"),
            std::string::npos);
  EXPECT_NE(csv_error("label,score\n1,\"0.5\n").find("unterminated quoted field"),
            std::string::npos);
  EXPECT_NE(csv_error("label,label\n1,1\n").find("duplicate column name \"label\""),
            std::string::npos);
  EXPECT_NE(csv_error("").find("empty"), std::string::npos);
}

TEST(Table, LineNumbersCountEmbeddedNewlines) {
  std::string csv = "label,score,note\n1,0.5,\"a\nb\nc\"\n0,x,ok\n";
  EXPECT_NE(
      error_of([&] {
        read_table_buffer("p.csv", csv, TableFormat::kCsv, {{"score", ColumnType::kNumber, true}});
      }).find("p.csv:5:"),
      std::string::npos);
}

TEST(Table, SmallChunksGiveTheSameTableAsOneChunk) {
  std::string csv = "label,score,group\n";
  for (int i = 0; i < 5000; ++i)
    csv += std::to_string(i % 3 == 0) + "," + std::to_string(i * 0.001) + ",\"g" +
           std::to_string(i % 7) + "\"\n";
  std::vector<ColumnSpec> specs = {{"label", ColumnType::kCategory, true},
                                   {"score", ColumnType::kNumber, true},
                                   {"group", ColumnType::kCategory, true}};
  ReadOptions small;
  small.chunk_bytes = 97;  // many chunks, merged out of order by the workers
  small.threads = 4;
  Table a = read_table_buffer("x.csv", csv, TableFormat::kCsv, specs);
  Table b = read_table_buffer("x.csv", csv, TableFormat::kCsv, specs, small);
  ASSERT_EQ(a.rows, 5000);
  ASSERT_EQ(b.rows, 5000);
  EXPECT_EQ(a.column("score").numbers, b.column("score").numbers);
  const Column& ga = a.column("group");
  const Column& gb = b.column("group");
  for (std::size_t i = 0; i < 5000; ++i)
    EXPECT_EQ(ga.dictionary[ga.codes[i]], gb.dictionary[gb.codes[i]]);
  // An error deep in the file is reported at its own line whatever the chunking.
  std::string bad = csv + "1,oops,g1\n";
  EXPECT_NE(error_of([&] {
              read_table_buffer("x.csv", bad, TableFormat::kCsv, specs, small);
            }).find("x.csv:5002:"),
            std::string::npos);
}

TEST(Table, ReadsJsonLines) {
  std::string jl =
      "{\"label\": true, \"score\": 0.75, \"x\": [1]}\n\n{\"label\": false, \"score\": "
      "null}\n{\"score\": \"0.5\", \"label\": 1}\n";
  Table t = read_table_buffer("x.jsonl", jl, TableFormat::kAuto, specs_ls());
  ASSERT_EQ(t.rows, 3);
  const Column& l = t.column("label");
  EXPECT_EQ(l.dictionary[l.codes[0]], "true");
  EXPECT_EQ(l.dictionary[l.codes[2]], "1");
  EXPECT_EQ(t.column("score").missing, 1);
  EXPECT_DOUBLE_EQ(t.column("score").numbers[2], 0.5);
  EXPECT_NE(error_of([&] {
              read_table_buffer("x.jsonl", "{\"label\":1,\"score\":0.1}\n{\"label\":1,\n",
                                TableFormat::kJsonl, specs_ls());
            }).find("x.jsonl:2"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              read_table_buffer("x.jsonl", "{\"label\":1}\n", TableFormat::kJsonl, specs_ls());
            }).find("missing column \"score\""),
            std::string::npos);
}

TEST(Table, ReadsGzipFilesAndHashesStoredBytes) {
  std::string csv = "label,score\n1,0.5\n0,0.25\n";
  std::string path = tmp_path("t.csv.gz");
  gzFile gz = gzopen(path.c_str(), "wb");
  gzwrite(gz, csv.data(), static_cast<unsigned>(csv.size()));
  gzclose(gz);
  Table t = read_table(path, specs_ls());
  EXPECT_EQ(t.rows, 2);
  EXPECT_EQ(t.format, TableFormat::kCsv);
  EXPECT_EQ(t.sha256.size(), 64u);
  // Truncated gzip is an error, not a short table.
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::string cut = tmp_path("cut.csv.gz");
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 12);
  EXPECT_NE(error_of([&] { read_table(cut, specs_ls()); }).find("gzip"), std::string::npos);
}

TEST(Table, TsvAndSniffing) {
  Table t = read_table_buffer("data.txt", "label\tscore\n1\t0.5\n", TableFormat::kAuto, specs_ls());
  EXPECT_EQ(t.format, TableFormat::kTsv);
  EXPECT_EQ(t.rows, 1);
}

TEST(Table, ParseNumber) {
  double v;
  bool inf;
  EXPECT_TRUE(parse_number(" +1.5 ", &v));
  EXPECT_EQ(v, 1.5);
  EXPECT_FALSE(parse_number("1.5x", &v));
  EXPECT_FALSE(parse_number("inf", &v, &inf));
  EXPECT_TRUE(inf);
  EXPECT_FALSE(parse_number("nan", &v));
  EXPECT_TRUE(parse_number("1e-320", &v));  // subnormal
  EXPECT_TRUE(is_missing_marker("NA"));
  EXPECT_FALSE(is_missing_marker("0"));
}

TEST(Table, PlainDecimalsParseExactlyAsFromChars) {
  std::mt19937_64 rng(11);
  std::vector<std::string> cases = {"0",
                                    "-0",
                                    "7",
                                    ".5",
                                    "1.",
                                    "-.25",
                                    "00012.500",
                                    "0.591017",
                                    "9007199254740993",
                                    "9007199254740992.5",
                                    "0.1234567890123456789",
                                    "12345678901234567890",
                                    "0.0000000000000000000001",
                                    "0.00000000000000000000001",
                                    "123.456e2",
                                    "-"};
  for (int i = 0; i < 200000; ++i) {
    std::string t = rng() % 2 ? "-" : "";
    int int_digits = static_cast<int>(rng() % 12), frac_digits = static_cast<int>(rng() % 14);
    for (int d = 0; d < int_digits; ++d) t += static_cast<char>('0' + rng() % 10);
    if (frac_digits > 0 || int_digits == 0) t += '.';
    for (int d = 0; d < std::max(frac_digits, int_digits == 0 ? 1 : 0); ++d)
      t += static_cast<char>('0' + rng() % 10);
    cases.push_back(t);
  }
  for (const auto& t : cases) {
    double got = 0, want = 0;
    const char* b = t.data();
    auto r = std::from_chars(b, b + t.size(), want);
    const bool ok = r.ec == std::errc() && r.ptr == b + t.size();
    ASSERT_EQ(parse_number(t, &got), ok) << t;
    if (ok) {
      ASSERT_EQ(got, want) << t;
      ASSERT_EQ(std::signbit(got), std::signbit(want)) << t;
    }
  }
}

TEST(Table, MissingMarkersAreExactlyTheListedSpellings) {
  for (const char* m :
       {"", "NA", "NaN", "nan", "NAN", "N/A", "n/a", "null", "NULL", "None", "<NA>", "Null"})
    EXPECT_TRUE(is_missing_marker(m)) << m;
  for (const char* m :
       {"N", "NB", "na", "NaM", "nul", "nulL", "none", "<NA", "NULLS", "0", "eu", "apac", "mena"})
    EXPECT_FALSE(is_missing_marker(m)) << m;
}

TEST(Table, UnquotedFastPathAgreesWithTheQuotedPath) {
  // The same rows with no quote anywhere (the fast path) and with one quoted field in every
  // chunk (the general path): blank lines, CRLF, a NUL byte, a last line without a newline,
  // and values around the 8- and 16-byte boundaries of the dictionary's packed keys.
  std::vector<std::string> words = {"a",
                                    std::string("a\0", 2),
                                    "abcdefgh",
                                    "abcdefghi",
                                    "abcdefghijklmnop",
                                    "abcdefghijklmnopq",
                                    "abcdefghijklmnopr",
                                    "",
                                    "NA"};
  for (int i = 0; i < 3000; ++i) words.push_back("v" + std::to_string(i * 7919 % 10007));
  std::string plain = "label,score,word\n", quoted = plain;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    std::string w = words[rng() % words.size()];
    std::string row = std::to_string(rng() % 2) + "," + std::to_string((rng() % 100000) / 1000.0);
    std::string end = i % 5 == 0 ? "\r\n" : "\n";
    plain += row + "," + w + end;
    quoted += row + ",\"" + w + "\"" + end;
    if (i % 1000 == 7) {
      plain += "\n";
      quoted += "\n";
    }
  }
  plain += "1,0.5,last";  // no newline at the end
  quoted += "1,0.5,last";
  std::vector<ColumnSpec> specs = {{"label", ColumnType::kCategory, true},
                                   {"score", ColumnType::kNumber, true},
                                   {"word", ColumnType::kCategory, true}};
  for (std::size_t chunk : {std::size_t{101}, std::size_t{4096}, std::size_t{4} << 20}) {
    ReadOptions o;
    o.chunk_bytes = chunk;
    Table a = read_table_buffer("x.csv", plain, TableFormat::kCsv, specs, o);
    Table b = read_table_buffer("x.csv", quoted, TableFormat::kCsv, specs, o);
    ASSERT_EQ(a.rows, 20001);
    ASSERT_EQ(b.rows, 20001);
    EXPECT_EQ(a.column("score").numbers, b.column("score").numbers);
    const Column& wa = a.column("word");
    const Column& wb = b.column("word");
    EXPECT_EQ(wa.dictionary, wb.dictionary);
    EXPECT_EQ(wa.codes, wb.codes);
    EXPECT_EQ(wa.missing, wb.missing);
    EXPECT_EQ(wa.first_missing_line, wb.first_missing_line);
    std::vector<std::string> distinct(wa.dictionary.begin(), wa.dictionary.end());
    std::sort(distinct.begin(), distinct.end());
    EXPECT_EQ(std::unique(distinct.begin(), distinct.end()), distinct.end());
    EXPECT_EQ(wa.dictionary[wa.codes.back()], "last");
  }
  // Errors keep their lines on the fast path, blank lines counted.
  std::string bad = "label,score\n1,0.5\n\n0,0.25\r\n1,0.5,9\n";
  EXPECT_NE(csv_error(bad).find("p.csv:5: expected 2 fields, found 3"), std::string::npos);
  EXPECT_NE(csv_error("label,score\n1\n").find("p.csv:2: expected 2 fields, found 1"),
            std::string::npos);
  EXPECT_NE(csv_error("label,score\n1,0.5\n\n0,x\n").find("p.csv:4: column \"score\""),
            std::string::npos);
}

TEST(Table, EightByteNumberScanAgreesWithTheQuotedPath) {
  // The unquoted path scans plain decimals eight bytes at a time; the quoted path byte by byte.
  // Runs of 0 to 25 digits before and after a point, signs, second points, trailing letters,
  // exponents, bytes above 0xF9 right after the digits: numbers, places, text and the column's
  // decimal places must come out the same.
  std::mt19937_64 rng(11);
  const std::string tails[] = {"",
                               "",
                               "",
                               "",
                               ".",
                               "..5",
                               "e3",
                               "x",
                               "\xFA",
                               "\xFF"
                               "1",
                               " ",
                               "-",
                               "/",
                               ":",
                               ";",
                               "?",
                               "@",
                               "\x7F"};
  auto digits = [&](std::size_t n) {
    std::string d;
    for (std::size_t i = 0; i < n; ++i) d += static_cast<char>('0' + rng() % 10);
    return d;
  };
  std::string plain = "v,w\n", quoted = plain;
  for (int i = 0; i < 30000; ++i) {
    std::string v = rng() % 4 == 0 ? "-" : "";
    const std::size_t a = rng() % 3 == 0 ? rng() % 26 : rng() % 9;
    v += digits(a);
    if (rng() % 3) v += "." + digits(rng() % 3 == 0 ? rng() % 26 : rng() % 10);
    if (rng() % 6 == 0) v += tails[rng() % std::size(tails)];
    // A second column of short decimals only, whose places stay known.
    const std::string w = std::to_string(rng() % 1000) + "." + digits(1 + rng() % 3);
    plain += v + "," + w + "\n";
    quoted += "\"" + v + "\"," + w + "\n";
  }
  std::vector<ColumnSpec> specs = {{"v", ColumnType::kAuto, true}, {"w", ColumnType::kAuto, true}};
  for (std::size_t chunk : {std::size_t{37}, std::size_t{4} << 20}) {
    ReadOptions o;
    o.chunk_bytes = chunk;
    Table a = read_table_buffer("x.csv", plain, TableFormat::kCsv, specs, o);
    Table b = read_table_buffer("x.csv", quoted, TableFormat::kCsv, specs, o);
    ASSERT_EQ(a.rows, 30000);
    ASSERT_EQ(b.rows, 30000);
    for (const char* name : {"v", "w"}) {
      const Column& ca = a.column(name);
      const Column& cb = b.column(name);
      ASSERT_EQ(ca.numbers.size(), cb.numbers.size()) << name;
      for (std::size_t i = 0; i < ca.numbers.size(); ++i) {
        if (std::isnan(ca.numbers[i])) {
          ASSERT_TRUE(std::isnan(cb.numbers[i])) << name << " row " << i;
          continue;
        }
        ASSERT_EQ(ca.numbers[i], cb.numbers[i]) << name << " row " << i;
      }
      EXPECT_EQ(ca.codes, cb.codes) << name;
      EXPECT_EQ(ca.dictionary, cb.dictionary) << name;
      EXPECT_EQ(ca.n_numbers, cb.n_numbers) << name;
      EXPECT_EQ(ca.missing, cb.missing) << name;
      EXPECT_EQ(ca.integers_only, cb.integers_only) << name;
      EXPECT_EQ(ca.decimal_places, cb.decimal_places) << name;
    }
    EXPECT_GE(a.column("w").decimal_places, 1);
    EXPECT_GT(a.column("v").n_numbers, 10000);  // most are numbers, some are text
    EXPECT_GT(a.column("v").dictionary.size(), 100u);
  }
}

TEST(Table, AutoColumnsHoldOnlyWhatTheyNeedWhateverTheChunking) {
  // text: only text (no numbers array); num: only numbers (no codes); gap: nothing but
  // missing values; mix: runs of text, numbers and missing values across chunks.
  std::string csv = "text,num,gap,mix\n";
  std::vector<std::string> mix_values;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 3000; ++i) {
    std::string m;
    int kind = static_cast<int>((i / 250) % 3);  // long runs: whole chunks of one kind
    if (rng() % 17 == 0) kind = 3;
    m = kind == 0   ? "t" + std::to_string(i % 5)
        : kind == 1 ? std::to_string(i)
        : kind == 2 ? "NA"
                    : "";
    mix_values.push_back(m);
    csv += "w" + std::to_string(i % 9) + "," + std::to_string(i) + ".5,," + m + "\n";
  }
  std::vector<ColumnSpec> specs;
  for (const char* n : {"text", "num", "gap", "mix"}) specs.push_back({n, ColumnType::kAuto, true});
  ReadOptions whole, small;
  small.chunk_bytes = 211;
  Table a = read_table_buffer("a.csv", csv, TableFormat::kCsv, specs, whole);
  Table b = read_table_buffer("a.csv", csv, TableFormat::kCsv, specs, small);
  for (const Table* t : {&a, &b}) {
    ASSERT_EQ(t->rows, 3000);
    EXPECT_TRUE(t->column("text").numbers.empty());
    EXPECT_EQ(t->column("text").codes.size(), 3000u);
    EXPECT_TRUE(t->column("num").codes.empty());
    EXPECT_EQ(t->column("num").numbers.size(), 3000u);
    const Column& gap = t->column("gap");
    EXPECT_EQ(gap.size(), 3000u);
    EXPECT_EQ(gap.missing, 3000);
    EXPECT_TRUE(gap.is_missing(2999));
    const Column& mix = t->column("mix");
    ASSERT_EQ(mix.size(), 3000u);
    ASSERT_EQ(mix.codes.size(), 3000u);
    ASSERT_EQ(mix.numbers.size(), 3000u);
    for (std::size_t i = 0; i < 3000; ++i) {
      const std::string& m = mix_values[i];
      if (m.empty() || m == "NA") {
        EXPECT_TRUE(mix.is_missing(i)) << i;
      } else if (m[0] == 't') {
        ASSERT_TRUE(mix.is_text(i)) << i;
        EXPECT_EQ(mix.dictionary[mix.codes[i]], m) << i;
      } else {
        ASSERT_FALSE(mix.is_text(i)) << i;
        EXPECT_EQ(mix.numbers[i], std::stod(m)) << i;
      }
    }
  }
  EXPECT_EQ(a.column("mix").codes, b.column("mix").codes);
}

TEST(Table, AutoColumnsTellTextNumbersAndMissingApartAtAnyFirstByte) {
  // value, then what it must be read as: n number, m missing, t text
  std::vector<std::pair<std::string, char>> cases = {
      {"12", 'n'},   {"-0.5", 'n'},  {".5", 'n'},
      {"+3", 'n'},   {" 4 ", 'n'},   {"1e5", 'n'},
      {"1.", 'n'},   {"inf", 'n'},   {"-Infinity", 'n'},
      {"", 'm'},     {"NA", 'm'},    {" NA", 'm'},
      {"nan", 'm'},  {"NaN", 'm'},   {"null", 'm'},
      {"None", 'm'}, {"<NA>", 'm'},  {"N/A", 'm'},
      {"n/a", 'm'},  {"\rNA", 'm'},  {"c2", 't'},
      {"NAB", 't'},  {"nope", 't'},  {"<x>", 't'},
      {"-", 't'},    {"1.2.3", 't'}, {"12abc", 't'},
      {"true", 't'}, {"~", 't'},     {"\xc3\xa9t\xc3\xa9", 't'}};
  std::string csv = "v\n";
  for (const auto& [v, kind] : cases) csv += "\"" + v + "\"\n";  // quoted: "\r" can be inside
  std::string plain = "v\n";
  for (const auto& [v, kind] : cases)
    if (v.find('\r') == std::string::npos) plain += v + "\n";
  for (const std::string* text : {&csv, &plain}) {
    Table t =
        read_table_buffer("a.csv", *text, TableFormat::kCsv, {{"v", ColumnType::kAuto, true}});
    const Column& c = t.column("v");
    std::size_t row = 0;
    for (const auto& [v, kind] : cases) {
      if (text == &plain && v.find('\r') != std::string::npos) continue;
      if (v.empty()) continue;  // a line with one empty field is a blank line, skipped
      const char got = c.is_missing(row) ? 'm' : c.is_text(row) ? 't' : 'n';
      EXPECT_EQ(got, kind) << "value #" << row << " of " << (text == &csv ? "quoted" : "plain");
      ++row;
    }
    EXPECT_EQ(static_cast<std::int64_t>(row), t.rows);
  }
}

TEST(Table, DecimalPlacesAreTrackedPerColumnAcrossChunks) {
  std::string csv = "a,b,c,d,e\n";
  for (int i = 0; i < 3000; ++i)
    csv += std::to_string(i) + ".5," + std::to_string(i) + ",x" + std::to_string(i % 3) + "," +
           (i == 2500 ? "1e5" : "7") + "," + (i == 2999 ? "0.1234567891" : "-0.25") + "\n";
  std::vector<ColumnSpec> specs = {{"a", ColumnType::kNumber, true},
                                   {"b", ColumnType::kAuto, true},
                                   {"c", ColumnType::kAuto, true},
                                   {"d", ColumnType::kNumber, true},
                                   {"e", ColumnType::kAuto, true}};
  ReadOptions small;
  small.chunk_bytes = 333;
  for (const ReadOptions& o : {ReadOptions{}, small}) {
    Table t = read_table_buffer("d.csv", csv, TableFormat::kCsv, specs, o);
    EXPECT_EQ(t.column("a").decimal_places, 1);
    EXPECT_EQ(t.column("b").decimal_places, 0);
    EXPECT_EQ(t.column("d").decimal_places, -1);  // one value written with an exponent
    EXPECT_EQ(t.column("e").decimal_places, -1);  // one value with 10 places
  }
  Table j = read_table_buffer("d.jsonl", "{\"a\": 1.25}\n{\"a\": 3}\n", TableFormat::kJsonl,
                              {{"a", ColumnType::kNumber, true}});
  EXPECT_EQ(j.column("a").decimal_places, 2);
}

TEST(Table, StreamRowsDropsAColumnAndRequotes) {
  std::string path = tmp_path("f.csv");
  std::ofstream(path) << "a,label,b\n1,0,\"x,y\"\n2,1,\"q\"\"q\"\n";
  std::string out;
  stream_rows(path, TableFormat::kAuto, {"label"}, [&](std::string_view s) { out += s; });
  EXPECT_EQ(out, "a,b\n1,\"x,y\"\n2,\"q\"\"q\"\n");
  std::string jpath = tmp_path("f.jsonl");
  std::ofstream(jpath) << "{\"a\":1,\"label\":0}\n{\"label\":1,\"a\":2}\n";
  out.clear();
  stream_rows(jpath, TableFormat::kAuto, {"label"}, [&](std::string_view s) { out += s; });
  EXPECT_EQ(out, "{\"a\":1}\n{\"a\":2}\n");
}

TEST(Table, AutoColumnsKeepNumbersAndTextApart) {
  std::string csv = "v\n1\n2.5\nabc\nNA\n-7\n";  // (a blank line would be skipped, as pandas does)
  ReadOptions small;
  small.chunk_bytes = 4;  // text first appears in a later chunk than the numbers
  for (const ReadOptions& opt : {ReadOptions{}, small}) {
    Table t =
        read_table_buffer("a.csv", csv, TableFormat::kCsv, {{"v", ColumnType::kAuto, true}}, opt);
    const Column& c = t.column("v");
    ASSERT_EQ(t.rows, 5);
    EXPECT_EQ(c.n_numbers, 3);
    EXPECT_FALSE(c.integers_only);
    EXPECT_EQ(c.missing, 1);
    EXPECT_TRUE(c.is_text(2));
    EXPECT_EQ(c.dictionary[c.codes[2]], "abc");
    EXPECT_TRUE(c.is_missing(3));
    EXPECT_FALSE(c.is_text(4));
    EXPECT_EQ(c.numbers[4], -7);
  }
  // JSON strings stay text even when they look like numbers.
  Table j = read_table_buffer("a.jsonl", "{\"v\": \"12\"}\n{\"v\": 12}\n{\"v\": true}\n",
                              TableFormat::kJsonl, {{"v", ColumnType::kAuto, true}});
  const Column& c = j.column("v");
  EXPECT_TRUE(c.is_text(0));
  EXPECT_FALSE(c.is_text(1));
  EXPECT_TRUE(c.integers_only);
  EXPECT_EQ(c.dictionary[c.codes[2]], "true");
}
