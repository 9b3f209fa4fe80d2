// mlgate-datatest: data expectations (Great Expectations' semantics) and drift against a
// reference data set (Evidently's choices), one check per expectation and column.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mlgate/base/result.hpp"
#include "mlgate/data/table.hpp"
#include "mlgate/measures/drift.hpp"

namespace mlgate {

// The expectations of a suite, parsed once from their names (Great Expectations' without the
// expect_column_ prefix).
enum class Expect {
  kRowCountBetween,
  kColumnsExist,
  kColumnType,
  kNotNull,
  kUnique,
  kInSet,
  kBetween,
  kMatchRegex,
  kMeanBetween,
  kStdevBetween,
  kQuantileBetween,
  kNoDrift,
  kNoOverlapWithReference
};
const char* expect_name(Expect e);

struct Expectation {
  Expect expect = Expect::kRowCountBetween;
  std::vector<std::string> columns;  // the columns it applies to ("*": every reference column)
  std::optional<double> min, max, mostly, quantile, threshold;
  // Great Expectations' strict_min / strict_max: the bound itself is outside.
  bool strict_min = false, strict_max = false;
  QuantileMethod interpolation = QuantileMethod::kLinear;  // quantile_between
  std::string type, regex;
  DriftMethod method = DriftMethod::kAuto;
  // bins: evidently (psi, jensenshannon, hellinger): Evidently's binning instead of the
  // reference's deciles.
  bool evidently_bins = false;
  // weighted: true (mean_between, stdev_between, quantile_between): weighted by the suite's
  // weight column.
  bool weighted = false;
  std::vector<std::string> values;
  bool warn_only = false;
  std::string where;  // suite.yaml:LINE:COL
};

struct Suite {
  std::string path, sha256;
  std::string weight_col;  // weight: COLUMN (or --weight-col), for weighted expectations
  std::vector<Expectation> expectations;
};

const std::vector<std::string>& expectation_names();
Suite load_suite(const std::string& path);
Suite parse_suite(const std::string& text, const std::string& path);

// Reads the columns of a table as kAuto: every one, or only those named in `only` when given
// (the header is kept whole, for columns_exist).
Table read_all_columns(const std::string& path, TableFormat format,
                       const std::vector<std::string>* only = nullptr);
// The columns a suite reads; nullopt when it needs them all (a "*" in no_drift).
std::optional<std::vector<std::string>> suite_columns(const Suite& suite);

// The checks of a suite on data (and reference, for drift and overlap; may be null). The tables
// are consumed: numeric columns are sorted in place once the checks that read rows are done.
// reference_keys: a profile's key hashes for no_overlap_with_reference (its rows are not kept).
ResultDoc run_suite(
    const Suite& suite, Table& data, Table* reference,
    const std::map<std::string, std::vector<std::uint64_t>>* reference_keys = nullptr);
// The 64-bit hashes (key_hash in profile.hpp) of every row's key of the given columns, as
// no_overlap_with_reference forms keys.
std::vector<std::uint64_t> reference_key_hashes(const Table& t,
                                                const std::vector<std::string>& columns);

// A suite inferred from a reference: types, null rates with a margin, ranges, small sets,
// uniqueness, drift on every column. It passes on the reference itself. Returns YAML.
std::string infer_suite(const Table& reference);

struct DatatestOptions {
  DocumentStamp stamp;  // --model-version, MLGATE_SIGNING_KEY
  std::string data, reference, suite, infer_suite, output;
  // --profile-out: the reference's profile for the suite (--reference then takes it).
  std::string profile_out;
  std::string weight_col;  // --weight-col: overrides the suite's weight
  TableFormat format = TableFormat::kAuto;
};
int run_datatest(const DatatestOptions& o);

}  // namespace mlgate
