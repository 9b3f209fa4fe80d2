// The columnar read: a chunk source for the file's format, its chunks parsed on workers and
// merged in order (reader.hpp draws the stages), and the Table's own small methods.
#include "mlgate/data/table.hpp"

#include <algorithm>
#include <memory>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glob.h>

#include <cstring>
#include <filesystem>
#include <limits>
#include <thread>
#include <unordered_map>

#include "byte_source.hpp"
#include "format.hpp"
#include "merger.hpp"
#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/log.hpp"
#include "mlgate/base/ordered_stage.hpp"
#include "mlgate/base/parallel.hpp"
#include "mlgate/base/progress.hpp"
#include "mlgate/base/text.hpp"
#include "parquet.hpp"
#include "reader.hpp"
#include "text_source.hpp"

namespace mlgate {

bool Column::is_missing(std::size_t row) const {
  switch (type) {
    case ColumnType::kNumber:
      return std::isnan(numbers[row]);
    case ColumnType::kCategory:
      return codes[row] == kMissingCode;
    default:
      return (numbers.empty() || std::isnan(numbers[row])) && !is_text(row);
  }
}

const Column* Table::find(std::string_view name) const {
  for (const auto& c : columns)
    if (c.name == name && c.present) return &c;
  return nullptr;
}

Column* Table::find(std::string_view name) {
  for (auto& c : columns)
    if (c.name == name && c.present) return &c;
  return nullptr;
}

const Column& Table::column(std::string_view name) const {
  const Column* c = find(name);
  if (!c) throw Error("column " + quote(std::string(name)) + " was not read", path);
  return *c;
}

void Table::filter_rows(const std::vector<std::uint8_t>& keep) {
  std::size_t kept = 0;
  for (auto& c : columns) {
    if (!c.present) continue;
    std::size_t j = 0;
    if (c.type != ColumnType::kCategory) {
      for (std::size_t i = 0; i < c.numbers.size(); ++i)
        if (keep[i]) c.numbers[j++] = c.numbers[i];
      c.numbers.resize(j);
      c.numbers.shrink_to_fit();
    }
    if (!c.codes.empty()) {
      j = 0;
      for (std::size_t i = 0; i < c.codes.size(); ++i)
        if (keep[i]) c.codes[j++] = c.codes[i];
      c.codes.resize(j);
      c.codes.shrink_to_fit();
    }
    c.missing = 0;
    for (std::size_t i = 0; i < j; ++i) c.missing += c.is_missing(i);
    kept = j;
  }
  if (columns.empty()) {
    for (auto k : keep) kept += k != 0;
  }
  rows = static_cast<std::int64_t>(kept);
}

namespace reader {

std::string did_you_mean_list(const std::string& name, const std::vector<std::string>& header) {
  std::string best = closest_name(name, header);
  std::string hint;
  if (!best.empty()) hint = "did you mean " + quote(best) + "? ";
  hint += "columns are:";
  std::size_t shown = 0;
  for (const auto& h : header) {
    if (shown++ == 12) {
      hint += " ...";
      break;
    }
    hint += " " + h;
  }
  if (header.empty()) hint = "the file has no columns";
  return hint;
}

namespace {

// Runs a source's chunks through the parse-and-merge stage: the first chunk on this thread (it
// sizes the columns), the rest on `threads` workers while this thread reads ahead.
void read_chunks(ChunkSource& src, Merger& merger, unsigned threads, bool first_only,
                 const std::string& name) {
  std::unique_ptr<Chunk> first = src.next();
  if (!first) return;
  ChunkResult r0;
  src.parse(*first, r0);
  const std::size_t est = src.estimate_rows(*first, r0);
  if (est) merger.reserve(est);
  src.release(*first);
  merger.merge(r0);
  if (first_only) return;
  Progress progress("reading " + name, "rows", est);
  Pool<ChunkResult> results;  // the first chunk's result is the first one reused
  results.give(std::move(r0));
  run_ordered<Chunk, ChunkResult>(
      threads, std::int64_t{threads} * 2, results, [&] { return src.next(); },
      [&](Chunk& c, ChunkResult& r) {
        src.parse(c, r);
        src.release(c);
      },
      [&](ChunkResult& r) {
        merger.merge(r);
        progress.set(static_cast<std::uint64_t>(merger.rows()));
      });
}

Table read_from(const std::string& name, InputStream in, const std::vector<ColumnSpec>& specs,
                const ReadOptions& opt, std::uint64_t size_hint) {
  Table t;
  t.path = name;
  t.columns.resize(specs.size());
  Layout L;
  L.specs = specs;
  L.file = name;
  TextSource src(in, L, t, opt.format, opt.chunk_bytes, size_hint);
  Merger merger(L, t);
  merger.set_base_line(src.header_lines());
  const bool jsonl = t.format == TableFormat::kJsonl;
  if (opt.header_only && !jsonl) {
    t.sha256 = in.sha256();
    t.bytes = in.stored_bytes();
    return t;
  }
  const unsigned threads = opt.threads ? opt.threads : std::min(4u, default_threads());
  read_chunks(src, merger, threads, opt.header_only, name);
  merger.finish();
  if (opt.header_only) return t;
  t.sha256 = in.sha256();
  t.bytes = in.stored_bytes();
  if (jsonl) {
    for (std::size_t s = 0; s < specs.size(); ++s)
      if (!t.columns[s].present && specs[s].required)
        throw Error("missing column " + quote(specs[s].name), name,
                    t.rows == 0 ? "the file has no rows"
                                : "no row has the key " + quote(specs[s].name) + "; " +
                                      did_you_mean_list(specs[s].name, t.header));
  }
  return t;
}

// A Parquet file's bytes: mapped where it is a regular file, else read whole (standard input).
class WholeFile {
 public:
  WholeFile(const std::string& path) : path_(path) {
    if (path == "-") {
      char buf[1 << 16];
      for (;;) {
        ssize_t n = ::read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
          throw Error(std::string("cannot read: ") + std::strerror(errno), "standard input");
        if (n == 0) break;
        owned_.append(buf, static_cast<std::size_t>(n));
      }
      bytes_ = owned_;
      return;
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(std::string("cannot open: ") + std::strerror(errno), path);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      throw Error("not a regular file", path, "give a Parquet file's path");
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (m == MAP_FAILED) {
        ::close(fd);
        throw Error(std::string("cannot map: ") + std::strerror(errno), path);
      }
      ::madvise(m, size_, MADV_WILLNEED);
      map_ = m;
      bytes_ = std::string_view(static_cast<const char*>(m), size_);
    }
    ::close(fd);
  }
  ~WholeFile() {
    if (map_) ::munmap(map_, size_);
  }
  WholeFile(const WholeFile&) = delete;
  WholeFile& operator=(const WholeFile&) = delete;
  std::string_view bytes() const { return bytes_; }

 private:
  std::string path_, owned_;
  void* map_ = nullptr;
  std::size_t size_ = 0;
  std::string_view bytes_;
};

// Whether path is to be read as Parquet: asked for, named so, or starting with its magic.
bool parquet_input(const std::string& path, TableFormat asked) {
  if (asked == TableFormat::kParquet) return true;
  if (asked != TableFormat::kAuto || path == "-") return false;
  if (is_parquet_name(path)) return true;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // the text path reports the error
  char magic[4] = {};
  ssize_t n = ::read(fd, magic, 4);
  ::close(fd);
  return n == 4 && std::memcmp(magic, "PAR1", 4) == 0;
}

Table read_parquet_bytes(const std::string& path, const std::string& name, std::string_view bytes,
                         const std::vector<ColumnSpec>& specs, const ReadOptions& opt) {
  Table t;
  t.path = path;
  t.columns.resize(specs.size());
  Layout L;
  L.specs = specs;
  L.file = name;
  L.format = TableFormat::kParquet;
  auto src = parquet::open_source(name, bytes, L, t);
  // The bytes are hashed on a thread of their own while the row groups are decoded.
  std::string digest;
  std::thread hasher([&] { digest = sha256_hex(bytes); });
  try {
    Merger merger(L, t);
    const unsigned threads = opt.threads ? opt.threads : std::min(4u, default_threads());
    if (!opt.header_only) read_chunks(*src, merger, threads, false, name);
    merger.finish();
  } catch (...) {
    hasher.join();
    throw;
  }
  hasher.join();
  t.sha256 = digest;
  t.bytes = bytes.size();
  return t;
}

Table read_parquet(const std::string& path, const std::vector<ColumnSpec>& specs,
                   const ReadOptions& opt) {
  WholeFile f(path);
  return read_parquet_bytes(path, path == "-" ? "standard input" : path, f.bytes(), specs, opt);
}

// One column may serve several roles (a label that is also a slice, an id that is also a sensitive
// attribute): it is read once. Two roles that would read it differently are an error.
std::vector<ColumnSpec> merge_specs(const std::vector<ColumnSpec>& specs, const std::string& name) {
  std::vector<ColumnSpec> out;
  out.reserve(specs.size());
  for (const auto& s : specs) {
    auto it =
        std::find_if(out.begin(), out.end(), [&](const ColumnSpec& o) { return o.name == s.name; });
    if (it == out.end()) {
      out.push_back(s);
      continue;
    }
    if (it->type != s.type)
      throw Error("column " + quote(s.name) + " is named for two roles that read it differently (" +
                      (it->type == ColumnType::kNumber ? "numbers" : "categories") + " and " +
                      (s.type == ColumnType::kNumber ? "numbers" : "categories") + ")",
                  name, "give each role its own column");
    it->required = it->required || s.required;
  }
  return out;
}

}  // namespace

}  // namespace reader

namespace reader {
namespace {

Table read_one(const std::string& path, const std::vector<ColumnSpec>& merged,
               const ReadOptions& opt) {
  if (parquet_input(path, opt.format)) return read_parquet(path, merged, opt);
  std::uint64_t size = 0;
  InputStream in = InputStream::open(path, &size);
  return read_from(path, std::move(in), merged, opt, size);
}

bool table_part_name(const std::string& name) {
  if (name.empty() || name[0] == '.' || name[0] == '_') return false;  // hidden, _SUCCESS, ...
  std::string b;
  for (char ch : name) b += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (ends_with(b, ".gz")) b.resize(b.size() - 3);
  for (const char* ext : {".parquet", ".pq", ".csv", ".tsv", ".tab", ".jsonl", ".ndjson"})
    if (ends_with(b, ext)) return true;
  return false;
}

// Appends part's rows to t, column by column; text columns' codes are mapped onto t's
// dictionary. Lines and first-appearance lines continue from the parts before.
void append_part(Table& t, Table&& part, std::int64_t line_base) {
  for (std::size_t s = 0; s < t.columns.size(); ++s) {
    Column& c = t.columns[s];
    Column& pc = part.columns[s];
    if (!pc.present) continue;
    const auto rows_before = static_cast<std::size_t>(t.rows);
    const bool had = c.present;
    c.present = true;
    c.field_index = pc.field_index;
    // kAuto pads a vector not in use: make both sides agree before appending.
    auto pad = [&](std::vector<double>& v, std::size_t n) {
      if (v.size() < n) v.resize(n, std::numeric_limits<double>::quiet_NaN());
    };
    auto pad_codes = [&](std::vector<std::uint32_t>& v, std::size_t n) {
      if (v.size() < n) v.resize(n, kMissingCode);
    };
    const bool numbers =
        c.type != ColumnType::kCategory &&
        (c.type == ColumnType::kNumber || !c.numbers.empty() || !pc.numbers.empty());
    const bool codes = c.type != ColumnType::kNumber &&
                       (c.type == ColumnType::kCategory || !c.codes.empty() || !pc.codes.empty());
    const auto part_rows = static_cast<std::size_t>(part.rows);
    if (numbers) {
      pad(c.numbers, rows_before);
      pad(pc.numbers, part_rows);
      c.numbers.insert(c.numbers.end(), pc.numbers.begin(), pc.numbers.end());
    }
    if (codes) {
      pad_codes(c.codes, rows_before);
      std::vector<std::uint32_t> remap(pc.dictionary.size());
      std::unordered_map<std::string, std::uint32_t> index;
      index.reserve(c.dictionary.size() + pc.dictionary.size());
      for (std::size_t k = 0; k < c.dictionary.size(); ++k)
        index.emplace(c.dictionary[k], static_cast<std::uint32_t>(k));
      for (std::size_t k = 0; k < pc.dictionary.size(); ++k) {
        auto [it, fresh] =
            index.emplace(pc.dictionary[k], static_cast<std::uint32_t>(c.dictionary.size()));
        if (fresh) {
          c.dictionary.push_back(pc.dictionary[k]);
          c.first_line.push_back(line_base + pc.first_line[k]);
        }
        remap[k] = it->second;
      }
      pad_codes(pc.codes, part_rows);
      for (auto code : pc.codes) c.codes.push_back(code == kMissingCode ? code : remap[code]);
    }
    if (c.missing == 0 && pc.missing > 0) c.first_missing_line = line_base + pc.first_missing_line;
    c.missing += pc.missing;
    c.n_numbers += pc.n_numbers;
    c.integers_only = (had ? c.integers_only : true) && pc.integers_only;
    if (!had)
      c.decimal_places = pc.decimal_places;
    else if (c.decimal_places < 0 || pc.decimal_places < 0)
      c.decimal_places = -1;
    else
      c.decimal_places = std::max(c.decimal_places, pc.decimal_places);
    pc = Column{};
  }
  t.rows += part.rows;
  t.bytes += part.bytes;
  for (auto& u : part.units)
    if (std::find(t.units.begin(), t.units.end(), u) == t.units.end()) t.units.push_back(u);
}

}  // namespace

// The parts of a data set: a folder's table files (sorted by name; hidden and _-prefixed files
// skipped) or a glob pattern's matches; empty when path is one file.
std::vector<std::string> dataset_parts(const std::string& path) {
  struct stat st {};
  std::vector<std::string> parts;
  if (path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(path, ec))
      if (e.is_regular_file() && table_part_name(e.path().filename().string()))
        parts.push_back(e.path().string());
    if (ec) throw Error("cannot list the folder: " + ec.message(), path);
    if (parts.empty())
      throw Error("the folder holds no table files", path,
                  "expected part files such as part-0.parquet or part-0.csv");
  } else if (path.find_first_of("*?[") != std::string::npos && ::stat(path.c_str(), &st) != 0) {
    glob_t g{};
    int rc = ::glob(path.c_str(), GLOB_ERR, nullptr, &g);
    for (std::size_t i = 0; rc == 0 && i < g.gl_pathc; ++i) {
      std::string p = g.gl_pathv[i];
      std::string base = p.substr(p.find_last_of('/') + 1);
      if (!base.empty() && base[0] != '.' && base[0] != '_') parts.push_back(p);
    }
    globfree(&g);
    if (parts.empty())
      throw Error("no file matches the pattern", path, "check the pattern and the folder");
  }
  std::sort(parts.begin(), parts.end());
  return parts;
}

}  // namespace reader

namespace {

// --verbose: what a read found.
void describe_read(const Table& t, std::size_t parts, const ReadOptions& opt) {
  if (!verbose() || opt.header_only) return;
  std::string cols;
  for (const auto& c : t.columns)
    if (c.present) cols += (cols.empty() ? "" : ", ") + c.name;
  log_verbose("read %s: %s%s, %lld rows, columns %s; sha256 %s", t.path.c_str(),
              format_name(t.format), parts ? (", " + std::to_string(parts) + " parts").c_str() : "",
              static_cast<long long>(t.rows), cols.empty() ? "(none asked for)" : cols.c_str(),
              t.sha256.c_str());
}

}  // namespace

Table read_table(const std::string& path, const std::vector<ColumnSpec>& specs,
                 const ReadOptions& opt) {
  std::vector<ColumnSpec> merged = reader::merge_specs(specs, path);
  std::vector<std::string> parts = reader::dataset_parts(path);
  if (parts.empty()) {
    Table t = reader::read_one(path, merged, opt);
    describe_read(t, 0, opt);
    return t;
  }
  // A data set: each part read as a table of its own, appended in name order; every part has
  // the first one's columns. The digest covers every part in order: the SHA-256 of the lines
  // "<part's sha256>  <part's name>" (a SHA256SUMS file of the parts).
  Table t;
  std::string sums;
  std::int64_t line_base = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    Table part = reader::read_one(parts[i], merged, opt);
    if (i == 0) {
      t.path = path;
      t.format = part.format;
      t.header = part.header;
      t.columns.resize(part.columns.size());
      for (std::size_t s = 0; s < part.columns.size(); ++s) {
        t.columns[s].name = part.columns[s].name;
        t.columns[s].type = part.columns[s].type;
      }
    } else if (part.format != TableFormat::kJsonl && part.header != t.header) {
      std::string diff;
      for (std::size_t k = 0; k < std::max(part.header.size(), t.header.size()); ++k)
        if (k >= part.header.size() || k >= t.header.size() || part.header[k] != t.header[k]) {
          diff = "column " + std::to_string(k + 1) + " is " +
                 (k < part.header.size() ? quote(part.header[k]) : std::string("missing")) +
                 ", in " + parts[0] + " " +
                 (k < t.header.size() ? quote(t.header[k]) : std::string("missing"));
          break;
        }
      throw Error("this part's columns differ from the first part's: " + diff, parts[i],
                  "every part of a data set has the same columns");
    }
    sums += part.sha256 + "  " + parts[i].substr(parts[i].find_last_of('/') + 1) + "\n";
    const std::int64_t lines = part.rows;
    reader::append_part(t, std::move(part), line_base);
    line_base += lines;
  }
  t.sha256 = sha256_hex(sums);
  describe_read(t, parts.size(), opt);
  return t;
}

Table read_table_buffer(const std::string& name, std::string_view data, TableFormat format,
                        const std::vector<ColumnSpec>& specs, const ReadOptions& opt) {
  ReadOptions o = opt;
  o.format = format;
  if (format == TableFormat::kParquet)
    return reader::read_parquet_bytes(name, name, data, reader::merge_specs(specs, name), o);
  return reader::read_from(name, reader::InputStream(name, reader::memory_source(data)),
                           reader::merge_specs(specs, name), o, data.size());
}

}  // namespace mlgate
