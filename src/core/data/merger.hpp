// Merges parsed chunks, in order, into the Table: appends each column's values, maps each
// chunk's dictionary onto the table's, turns chunk-local lines into the file's, reports a
// chunk's first error, and stops with an error before the columns outgrow the memory limit.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "reader.hpp"

namespace mlgate::reader {

class Merger {
 public:
  Merger(const Layout& L, Table& t);
  // Reserves every column for about this many rows.
  void reserve(std::size_t rows);
  void merge(ChunkResult& r);  // leaves r's vectors empty, their capacity kept
  // kAuto: pads both vectors in use to every row, and a column of nothing but missing values
  // to NaNs, once every chunk is merged.
  void finish();
  void set_base_line(std::int64_t b) { base_line_ = b; }
  std::int64_t rows() const { return t_.rows; }

 private:
  void merge_codes(std::size_t s, ChunkResult& r);

  const Layout& L_;
  Table& t_;
  std::int64_t base_line_ = 0;
  std::size_t est_rows_ = 0;
  std::uint64_t limit_;
  std::vector<std::unordered_map<std::string, std::uint32_t>> maps_;
};

}  // namespace mlgate::reader
