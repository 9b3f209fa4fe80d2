#include "merger.hpp"

#include <algorithm>
#include <limits>

#include "mlgate/base/error.hpp"
#include "mlgate/base/runtime.hpp"
#include "mlgate/base/text.hpp"

namespace mlgate {

// The runtime's limit (MLGATE_MEMORY_LIMIT), else 80% of what is available to us when the read
// starts: the machine's free memory, or less where a cgroup (a container's memory limit) leaves
// less. Past it a read stops with an error instead of being killed by the kernel.
std::uint64_t memory_limit() {
  if (runtime().memory_limit > 0) return runtime().memory_limit;
  const MachineLimits m = probe_machine(runtime().cgroup_root);
  if (m.memory_from.empty()) return std::numeric_limits<std::uint64_t>::max();  // unknown
  return m.memory_available / 10 * 8;
}

namespace reader {

void init_result(const Layout& L, ChunkResult& r) {
  std::size_t n = L.specs.size();
  r.lines = r.rows = 0;
  r.error.reset();
  r.keys.clear();
  r.numbers.resize(n);
  r.codes.resize(n);
  for (auto& v : r.numbers) v.clear();
  for (auto& v : r.codes) v.clear();
  r.dicts.assign(n, LocalDict());
  r.missing.assign(n, 0);
  r.first_missing_line.assign(n, 0);
  r.seen.assign(n, 0);
  r.n_numbers.assign(n, 0);
  r.integers_only.assign(n, 1);
  r.places.assign(n, 0);
}

Merger::Merger(const Layout& L, Table& t) : L_(L), t_(t), limit_(memory_limit()) {
  maps_.resize(L.specs.size());
  for (std::size_t s = 0; s < L.specs.size(); ++s) {
    t_.columns[s].name = L.specs[s].name;
    t_.columns[s].type = L.specs[s].type;
  }
}

void Merger::reserve(std::size_t rows) {
  est_rows_ = rows;
  for (auto& c : t_.columns) {
    if (c.type == ColumnType::kNumber) c.numbers.reserve(rows);
    if (c.type == ColumnType::kCategory) c.codes.reserve(rows);
  }
}

void Merger::finish() {
  const auto rows = static_cast<std::size_t>(t_.rows);
  for (auto& c : t_.columns) {
    if (c.type != ColumnType::kAuto) continue;
    if (!c.numbers.empty() || c.codes.empty())
      c.numbers.resize(rows, std::numeric_limits<double>::quiet_NaN());
    if (!c.codes.empty()) c.codes.resize(rows, kMissingCode);
  }
}

void Merger::merge(ChunkResult& r) {
  if (r.error) {
    const PendingError& e = *r.error;
    std::int64_t line = base_line_ + e.line;
    std::string where =
        e.column.empty() ? location(L_.file, line) : location(L_.file, line, e.column);
    throw Error(e.what, where, e.hint);
  }
  for (std::size_t s = 0; s < L_.specs.size(); ++s) {
    Column& col = t_.columns[s];
    if (r.seen[s]) col.present = true;
    if (r.missing[s] > 0) {
      if (col.missing == 0) col.first_missing_line = base_line_ + r.first_missing_line[s];
      col.missing += r.missing[s];
    }
    if (col.type != ColumnType::kCategory)
      col.decimal_places = col.decimal_places < 0 || r.places[s] < 0
                               ? -1
                               : std::max(col.decimal_places, r.places[s]);
    if (col.type == ColumnType::kNumber) {
      col.numbers.insert(col.numbers.end(), r.numbers[s].begin(), r.numbers[s].end());
      r.numbers[s].clear();
      continue;
    }
    if (col.type == ColumnType::kAuto) {
      // Either vector starts when some chunk first needs it: pad the rows before (and, in a
      // chunk without it, the chunk's rows) with NaN or the missing code.
      const auto before = static_cast<std::size_t>(t_.rows);
      const auto after = before + static_cast<std::size_t>(r.rows);
      auto& nums = r.numbers[s];
      if (!nums.empty() || !col.numbers.empty()) {
        if (col.numbers.capacity() == 0) col.numbers.reserve(std::max(est_rows_, after));
        col.numbers.resize(before, std::numeric_limits<double>::quiet_NaN());
        col.numbers.insert(col.numbers.end(), nums.begin(), nums.end());
        col.numbers.resize(after, std::numeric_limits<double>::quiet_NaN());
        nums.clear();
      }
      col.n_numbers += r.n_numbers[s];
      col.integers_only = col.integers_only && r.integers_only[s];
      if (r.codes[s].empty()) {
        if (!col.codes.empty()) col.codes.resize(after, kMissingCode);
        continue;
      }
      if (col.codes.capacity() == 0) col.codes.reserve(std::max(est_rows_, after));
      col.codes.resize(before, kMissingCode);
    }
    merge_codes(s, r);
  }
  for (auto& k : r.keys)
    if (std::find(t_.header.begin(), t_.header.end(), k) == t_.header.end() &&
        t_.header.size() < 10000)
      t_.header.push_back(k);
  t_.rows += r.rows;
  base_line_ += r.lines;
  std::uint64_t held = 0;
  for (const auto& c : t_.columns)
    held += c.numbers.capacity() * sizeof(double) + c.codes.capacity() * 4;
  if (held > limit_)
    throw Error(
        "the table needs more memory than this machine has available: " + std::to_string(t_.rows) +
            " rows already take " + std::to_string(held >> 20) + " MiB of the " +
            std::to_string(limit_ >> 20) + " MiB limit",
        L_.file,
        "read fewer columns, split the file, or raise MLGATE_MEMORY_LIMIT on a bigger machine");
}

// Maps the chunk's dictionary onto the table's and appends its codes.
void Merger::merge_codes(std::size_t s, ChunkResult& r) {
  Column& col = t_.columns[s];
  const auto& vals = r.dicts[s].values();
  const auto& lines = r.dicts[s].lines();
  std::vector<std::uint32_t> remap(vals.size());
  bool identity = true;
  for (std::size_t i = 0; i < vals.size(); ++i) {
    auto it = maps_[s].find(vals[i]);
    std::uint32_t code;
    if (it == maps_[s].end()) {
      code = static_cast<std::uint32_t>(col.dictionary.size());
      col.dictionary.push_back(vals[i]);
      col.first_line.push_back(base_line_ + lines[i]);
      maps_[s].emplace(vals[i], code);
    } else {
      code = it->second;
    }
    remap[i] = code;
    identity = identity && code == i;
  }
  auto& codes = r.codes[s];
  if (identity) {
    col.codes.insert(col.codes.end(), codes.begin(), codes.end());
  } else {
    const std::size_t at = col.codes.size();
    col.codes.resize(at + codes.size());
    std::uint32_t* out = col.codes.data() + at;
    for (std::size_t i = 0; i < codes.size(); ++i)
      out[i] = codes[i] == kMissingCode ? kMissingCode : remap[codes[i]];
  }
  codes.clear();
}

}  // namespace reader

}  // namespace mlgate
