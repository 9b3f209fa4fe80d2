// The columnar read: a chunk source for the file's format, its chunks parsed on workers and
// merged in order (reader.hpp draws the stages), and the Table's own small methods.
#include "mlgate/data/table.hpp"

#include <algorithm>
#include <memory>

#include "byte_source.hpp"
#include "merger.hpp"
#include "mlgate/base/error.hpp"
#include "mlgate/base/ordered_stage.hpp"
#include "mlgate/base/parallel.hpp"
#include "mlgate/base/text.hpp"
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
void read_chunks(ChunkSource& src, Merger& merger, unsigned threads, bool first_only) {
  std::unique_ptr<Chunk> first = src.next();
  if (!first) return;
  ChunkResult r0;
  src.parse(*first, r0);
  if (std::size_t est = src.estimate_rows(*first, r0)) merger.reserve(est);
  src.release(*first);
  merger.merge(r0);
  if (first_only) return;
  Pool<ChunkResult> results;  // the first chunk's result is the first one reused
  results.give(std::move(r0));
  run_ordered<Chunk, ChunkResult>(
      threads, std::int64_t{threads} * 2, results, [&] { return src.next(); },
      [&](Chunk& c, ChunkResult& r) {
        src.parse(c, r);
        src.release(c);
      },
      [&](ChunkResult& r) { merger.merge(r); });
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
  read_chunks(src, merger, threads, opt.header_only);
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

Table read_table(const std::string& path, const std::vector<ColumnSpec>& specs,
                 const ReadOptions& opt) {
  std::vector<ColumnSpec> merged = reader::merge_specs(specs, path);
  std::uint64_t size = 0;
  reader::InputStream in = reader::InputStream::open(path, &size);
  return reader::read_from(path, std::move(in), merged, opt, size);
}

Table read_table_buffer(const std::string& name, std::string_view data, TableFormat format,
                        const std::vector<ColumnSpec>& specs, const ReadOptions& opt) {
  ReadOptions o = opt;
  o.format = format;
  return reader::read_from(name, reader::InputStream(name, reader::memory_source(data)),
                           reader::merge_specs(specs, name), o, data.size());
}

}  // namespace mlgate
