// A numeric column sorted for the order statistics (quantiles, KS, Wasserstein, unique runs),
// with its mean and sum of squared deviations. How fast it sorts is this room's business: the
// column's decimal places (Column::decimal_places, what the reader vouches for) give 32-bit
// integer keys that sort in two or three radix passes, or by counting for a small range, and
// whose integer sums give the moments exactly; other columns sort as doubles.
#pragma once

#include <cstdint>
#include <vector>

#include "mlgate/data/table.hpp"

namespace mlgate {

// Buffers for the sorts, kept from one column to the next: memory reused is memory whose pages
// are already there.
struct SortScratch {
  std::vector<std::uint32_t> keys, tmp;
  std::vector<double> spare;  // a column's numbers once sorted apart: the next one's result
};

struct SortedColumn {
  std::vector<double> values;  // the numbers without NaN (missing, or text in kAuto), ascending;
                               // -0.0 written as 0.0
  // Mean and sum of squared deviations, when the sort gave them exactly (decimals, from integer
  // sums of their keys: the moments of the decimals the values stand for).
  bool exact_moments = false;
  double mean = 0, ss = 0;
};

// Sorts a number column (kNumber or kAuto). With storage, the result takes that vector's memory:
// a spare whose pages are already there, or c.numbers itself, which sorts the column in place
// (its rows are gone after). threads 0: the runtime's.
SortedColumn sort_column(const Column& c, std::vector<double>* storage = nullptr,
                         SortScratch* scratch = nullptr, unsigned threads = 0);

// Mean and sum of squared deviations of sorted values with compensated sums (when the sort did
// not give them exactly).
void accurate_moments(const std::vector<double>& sorted, double* mean, double* ss);

}  // namespace mlgate
