#include "mlgate/decisions/profile.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "body.hpp"
#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/json.hpp"
#include "mlgate/base/text.hpp"

namespace mlgate {

namespace {

constexpr const char* kMagic = "mlgate-profile 1";
constexpr const char* kHint =
    "the profile is damaged or not one mlgate wrote; write it again with mlgate-datatest "
    "--profile-out";
constexpr std::uint64_t kMaxBody = std::uint64_t{1} << 34;
constexpr std::size_t kMaxHeader = 64 << 20;  // the header holds the reference's column names
constexpr std::int64_t kMaxRows = std::int64_t{1} << 40;

// A column's multiset: distinct numbers ascending with their counts, text values (in the
// order first seen) with theirs, and the missing count.
struct Multiset {
  std::vector<double> numbers;
  std::vector<std::int64_t> number_counts;
  std::vector<std::string> texts;
  std::vector<std::int64_t> text_counts;
  std::int64_t missing = 0;
};

Multiset multiset_of(const Column& c, std::size_t rows) {
  Multiset m;
  std::vector<double> xs;
  std::vector<std::int64_t> tc(c.dictionary.size(), 0);
  for (std::size_t i = 0; i < rows; ++i) {
    if (c.is_text(i)) {
      ++tc[c.codes[i]];
    } else if (!c.numbers.empty() && !std::isnan(c.numbers[i])) {
      xs.push_back(c.numbers[i] == 0 ? 0.0 : c.numbers[i]);
    } else {
      ++m.missing;
    }
  }
  std::sort(xs.begin(), xs.end());
  for (std::size_t i = 0; i < xs.size();) {
    std::size_t j = i;
    while (j < xs.size() && xs[j] == xs[i]) ++j;
    m.numbers.push_back(xs[i]);
    m.number_counts.push_back(static_cast<std::int64_t>(j - i));
    i = j;
  }
  for (std::size_t k = 0; k < tc.size(); ++k)
    if (tc[k] > 0) {
      m.texts.push_back(c.dictionary[k]);
      m.text_counts.push_back(tc[k]);
    }
  return m;
}

// The column a table would hold for the multiset: its numbers ascending, then its texts, then
// the missing values.
Column column_of(const std::string& name, const Multiset& m, std::size_t rows, int places,
                 bool integers_only) {
  Column c;
  c.name = name;
  c.type = ColumnType::kAuto;
  c.present = true;
  c.numbers.assign(rows, std::nan(""));
  std::size_t at = 0;
  for (std::size_t k = 0; k < m.numbers.size(); ++k)
    for (std::int64_t j = 0; j < m.number_counts[k]; ++j) c.numbers[at++] = m.numbers[k];
  c.n_numbers = static_cast<std::int64_t>(at);
  if (!m.texts.empty()) {
    c.codes.assign(rows, kMissingCode);
    c.dictionary = m.texts;
    c.first_line.assign(m.texts.size(), 0);
    for (std::size_t k = 0; k < m.texts.size(); ++k)
      for (std::int64_t j = 0; j < m.text_counts[k]; ++j)
        c.codes[at++] = static_cast<std::uint32_t>(k);
  }
  c.missing = m.missing;
  c.decimal_places = places;
  c.integers_only = integers_only;
  return c;
}

}  // namespace

std::uint64_t key_hash(std::string_view key) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char ch : key) {
    h ^= ch;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

bool is_profile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::string first(std::char_traits<char>::length(kMagic) + 1, '\0');
  f.read(first.data(), static_cast<std::streamsize>(first.size()));
  return f.gcount() == static_cast<std::streamsize>(first.size()) &&
         first == std::string(kMagic) + "\n";
}

void write_profile(const std::string& path, const Table& ref, const std::string& reference_path,
                   const Suite& suite) {
  body::Writer w;
  ojson cols = ojson::array();
  const auto rows = static_cast<std::size_t>(ref.rows);
  for (const Column& c : ref.columns) {
    if (!c.present) continue;
    const Multiset m = multiset_of(c, rows);
    cols.push_back({{"name", c.name},
                    {"decimal_places", c.decimal_places},
                    {"integers_only", c.integers_only}});
    w.var(static_cast<std::uint64_t>(m.missing));
    body::write_ascending(w, m.numbers);
    for (std::int64_t k : m.number_counts) w.var(static_cast<std::uint64_t>(k));
    w.var(m.texts.size());
    for (std::size_t k = 0; k < m.texts.size(); ++k) {
      w.text(m.texts[k]);
      w.var(static_cast<std::uint64_t>(m.text_counts[k]));
    }
  }
  ojson keys = ojson::array();
  for (const auto& x : suite.expectations) {
    if (x.expect != Expect::kNoOverlapWithReference) continue;
    std::vector<std::uint64_t> hashes = reference_key_hashes(ref, x.columns);
    std::sort(hashes.begin(), hashes.end());
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
    std::string joined;
    for (const auto& n : x.columns) joined += (joined.empty() ? "" : "+") + n;
    keys.push_back({{"columns", x.columns}, {"name", joined}, {"hashes", hashes.size()}});
    std::uint64_t last = 0;
    for (std::uint64_t h : hashes) {
      w.var(h - last);
      last = h;
    }
  }
  const std::string& raw = w.bytes();
  ojson h;
  h["tool"] = "mlgate-datatest";
  h["version"] = MLGATE_VERSION;
  h["reference"] = {{"path", reference_path},
                    {"sha256", ref.sha256},
                    {"rows", ref.rows},
                    {"format", format_name(ref.format)}};
  h["header"] = ref.header;
  h["columns"] = std::move(cols);
  h["keys"] = std::move(keys);
  h["suite_sha256"] = suite.sha256;
  h["body"] = {{"size", raw.size()}, {"sha256", sha256_hex(raw)}, {"compression", "zlib"}};
  write_file_atomic(path, std::string(kMagic) + "\n" + h.dump() + "\n" + body::deflate(raw));
}

ReferenceProfile read_profile(const std::string& path) {
  return parse_profile(read_file(path), path);
}

ReferenceProfile parse_profile(std::string_view all, const std::string& path) {
  const std::string magic = std::string(kMagic) + "\n";
  if (all.compare(0, magic.size(), magic) != 0)
    throw Error("not an mlgate reference profile", path, kHint);
  const std::size_t eol = all.find('\n', magic.size());
  if (eol == std::string::npos || eol - magic.size() > kMaxHeader)
    throw Error("the profile's header line is missing or too long", location(path, 2), kHint);
  const ojson h = parse_ordered_json(all.substr(magic.size(), eol - magic.size()), path);
  auto bad = [&](const std::string& what) {
    return Error("the profile's header " + what, location(path, 2), kHint);
  };
  auto has = [&](const ojson& o, const char* k) { return o.is_object() && o.contains(k); };
  if (!h.is_object() || !has(h, "tool") || h["tool"] != "mlgate-datatest" || !has(h, "version") ||
      !has(h, "reference") || !has(h["reference"], "rows") ||
      !h["reference"]["rows"].is_number_unsigned() || !has(h, "header") ||
      !h["header"].is_array() || !has(h, "columns") || !h["columns"].is_array() ||
      !has(h, "keys") || !h["keys"].is_array() || !has(h, "body") || !has(h["body"], "size") ||
      !h["body"]["size"].is_number_unsigned() || !has(h["body"], "sha256") ||
      !h["body"]["sha256"].is_string())
    throw bad("is not a profile's");
  if (h["version"] != MLGATE_VERSION)
    throw bad("is from mlgate " + h["version"].dump() + ", not " + MLGATE_VERSION);
  const std::uint64_t size = h["body"]["size"].get<std::uint64_t>();
  if (size > kMaxBody) throw bad("declares a body larger than 16 GiB");
  const std::string raw = body::inflate(all.substr(eol + 1), size, path, kHint);
  if (sha256_hex(raw) != h["body"]["sha256"].get<std::string>())
    throw Error("the profile's body does not match its sha256", path, kHint);
  ReferenceProfile p;
  p.source = h["reference"];
  const std::uint64_t rows64 = h["reference"]["rows"].get<std::uint64_t>();
  if (rows64 > static_cast<std::uint64_t>(kMaxRows)) throw bad("counts too many rows");
  const auto rows = static_cast<std::size_t>(rows64);
  Table& t = p.table;
  t.path = path;
  t.rows = static_cast<std::int64_t>(rows);
  t.sha256 = h["reference"].value("sha256", "");
  for (const auto& name : h["header"]) {
    if (!name.is_string()) throw bad("has a column name that is not a text");
    t.header.push_back(name.get<std::string>());
  }
  body::Reader r(raw, path, "profile", kHint);
  for (const auto& col : h["columns"]) {
    if (!has(col, "name") || !col["name"].is_string() || !has(col, "decimal_places") ||
        !col["decimal_places"].is_number_integer() || !has(col, "integers_only") ||
        !col["integers_only"].is_boolean())
      throw bad("has a column that is not {name, decimal_places, integers_only}");
    const int places = col["decimal_places"].get<int>();
    if (places < -1 || places > 9) throw bad("has decimal places out of range");
    Multiset m;
    const std::uint64_t missing = r.var();
    if (missing > rows) r.fail("a column has more missing values than rows");
    m.missing = static_cast<std::int64_t>(missing);
    std::uint64_t left = rows - missing;
    m.numbers = body::read_ascending(r, left);
    for (std::size_t k = 0; k < m.numbers.size(); ++k) {
      const std::uint64_t n = r.var();
      if (n == 0 || n > left) r.fail("a column's counts exceed its rows");
      left -= n;
      m.number_counts.push_back(static_cast<std::int64_t>(n));
    }
    const std::uint64_t texts = r.var();
    if (texts > left) r.fail("a column has more text values than rows");
    for (std::uint64_t k = 0; k < texts; ++k) {
      m.texts.push_back(r.text(1 << 20));
      const std::uint64_t n = r.var();
      if (n == 0 || n > left) r.fail("a column's counts exceed its rows");
      left -= n;
      m.text_counts.push_back(static_cast<std::int64_t>(n));
    }
    if (left != 0) r.fail("a column's counts do not add up to the rows");
    t.columns.push_back(column_of(col["name"].get<std::string>(), m, rows, places,
                                  col["integers_only"].get<bool>()));
  }
  for (const auto& key : h["keys"]) {
    if (!has(key, "name") || !key["name"].is_string() || !has(key, "hashes") ||
        !key["hashes"].is_number_unsigned())
      throw bad("has a key that is not {columns, name, hashes}");
    const std::uint64_t n = key["hashes"].get<std::uint64_t>();
    if (n > rows || n > r.left()) r.fail("a key claims more hashes than the body holds");
    std::vector<std::uint64_t> hs;
    hs.reserve(n);
    std::uint64_t last = 0;
    for (std::uint64_t k = 0; k < n; ++k) {
      const std::uint64_t step = r.var();
      if (k > 0 && (step == 0 || last > UINT64_MAX - step))
        r.fail("a key's hashes are not ascending");
      last += step;
      hs.push_back(last);
    }
    p.key_hashes[key["name"].get<std::string>()] = std::move(hs);
  }
  if (r.left() != 0) r.fail("bytes follow the last key");
  return p;
}

}  // namespace mlgate
