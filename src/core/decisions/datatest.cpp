#include "mlgate/decisions/datatest.hpp"

#include "mlgate/decisions/profile.hpp"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/log.hpp"
#include "mlgate/base/parallel.hpp"
#include "mlgate/base/progress.hpp"
#include "mlgate/base/runtime.hpp"
#include "mlgate/base/text.hpp"
#include "mlgate/data/predictions.hpp"
#include "mlgate/measures/drift.hpp"
#include "mlgate/measures/metrics.hpp"
#include "mlgate/measures/sorted_column.hpp"
#include "yaml_reader.hpp"

namespace mlgate {

const char* expect_name(Expect e) {
  return expectation_names()[static_cast<std::size_t>(e)].c_str();
}

const std::vector<std::string>& expectation_names() {
  static const std::vector<std::string> names = {"row_count_between",
                                                 "columns_exist",
                                                 "column_type",
                                                 "not_null",
                                                 "unique",
                                                 "in_set",
                                                 "between",
                                                 "match_regex",
                                                 "mean_between",
                                                 "stdev_between",
                                                 "quantile_between",
                                                 "no_drift",
                                                 "no_overlap_with_reference"};
  return names;
}

// ---------------------------------------------------------------------------------------------
// The suite

Suite parse_suite(const std::string& text, const std::string& path) {
  YamlReader R(path);
  YAML::Node root;
  try {
    root = parse_config_text(text, path);
  } catch (const YAML::Exception& e) {
    throw Error(e.msg, path, "check the suite's structure");
  }
  if (!root.IsDefined() || root.IsNull())
    throw Error("the suite is empty", path, "start with version: 1");
  Suite s;
  s.path = path;
  s.sha256 = sha256_hex(text);
  try {
    R.keys(root, "", {"version", "weight", "expectations"});
    if (root["weight"]) s.weight_col = R.string(root["weight"], "weight");
    if (root["version"] && R.integer(root["version"], "version", 1, 1000) != 1)
      R.fail(root["version"], "version", "unsupported suite version",
             "this mlgate reads version 1");
    const YAML::Node list = root["expectations"];
    if (!list || !list.IsSequence())
      R.fail(root, "expectations", "expected a list of expectations");
    std::size_t i = 0;
    for (const auto& e : list) {
      std::string at = "expectations[" + std::to_string(i++) + "]";
      if (!e.IsMap())
        R.fail(e, at, "an expectation is a mapping", "e.g. {expect: not_null, column: age}");
      if (!e["expect"])
        R.fail(e, at, "missing \"expect\"", "name the expectation, e.g. expect: not_null");
      Expectation x;
      x.where = R.at(e);
      const std::string name = R.choice(e["expect"], at + ".expect", expectation_names());
      x.expect = static_cast<Expect>(
          std::find(expectation_names().begin(), expectation_names().end(), name) -
          expectation_names().begin());
      at += "(" + name + ")";
      std::vector<std::string> keys = {"expect", "severity"};
      auto add = [&](std::initializer_list<const char*> more) {
        for (const char* k : more) keys.emplace_back(k);
      };
      const Expect k = x.expect;
      if (k == Expect::kRowCountBetween)
        add({"min", "max", "strict_min", "strict_max"});
      else if (k == Expect::kColumnsExist || k == Expect::kNoOverlapWithReference)
        add({"columns"});
      else if (k == Expect::kColumnType)
        add({"column", "columns", "type", "mostly"});
      else if (k == Expect::kNotNull || k == Expect::kUnique)
        add({"column", "columns", "mostly"});
      else if (k == Expect::kInSet)
        add({"column", "columns", "values", "mostly"});
      else if (k == Expect::kBetween)
        add({"column", "columns", "min", "max", "strict_min", "strict_max", "mostly"});
      else if (k == Expect::kMatchRegex)
        add({"column", "columns", "regex", "mostly"});
      else if (k == Expect::kMeanBetween || k == Expect::kStdevBetween)
        add({"column", "columns", "min", "max", "strict_min", "strict_max", "weighted"});
      else if (k == Expect::kQuantileBetween)
        add({"column", "columns", "quantile", "min", "max", "strict_min", "strict_max",
             "interpolation", "weighted"});
      else if (k == Expect::kNoDrift)
        add({"column", "columns", "method", "threshold", "bins"});
      R.keys(e, at, keys);
      if (e["column"]) x.columns.push_back(R.string(e["column"], at + ".column"));
      if (e["columns"]) {
        if (e["columns"].IsScalar() && e["columns"].Scalar() == "*")
          x.columns = {"*"};
        else
          for (const auto& c : R.strings(e["columns"], at + ".columns")) x.columns.push_back(c);
      }
      if (e["min"]) x.min = R.number(e["min"], at + ".min");
      if (e["max"]) x.max = R.number(e["max"], at + ".max");
      if (x.min && x.max && *x.min > *x.max) R.fail(e, at, "min is greater than max");
      for (const bool lower : {true, false}) {
        const char* key = lower ? "strict_min" : "strict_max";
        if (!e[key]) continue;
        const bool v = R.choice(e[key], at + "." + key, {"true", "false"}) == "true";
        if (v && !(lower ? x.min : x.max))
          R.fail(e[key], at + "." + key, lower ? "needs min" : "needs max");
        (lower ? x.strict_min : x.strict_max) = v;
      }
      if (x.min && x.max && *x.min == *x.max && (x.strict_min || x.strict_max))
        R.fail(e, at, "a strict bound equal to the other leaves nothing between them");
      if (e["interpolation"]) {
        std::vector<std::pair<std::string, QuantileMethod>> methods;
        for (QuantileMethod m : kQuantileMethods) methods.emplace_back(name_of(m), m);
        x.interpolation = R.choice(e["interpolation"], at + ".interpolation", methods);
      }
      if (e["weighted"]) {
        x.weighted = R.choice(e["weighted"], at + ".weighted", {"true", "false"}) == "true";
        if (x.weighted && e["interpolation"])
          R.fail(e["interpolation"], at + ".interpolation",
                 "a weighted quantile has one definition (statsmodels' DescrStatsW.quantile)",
                 "remove interpolation, or weighted");
      }
      if (e["mostly"]) {
        x.mostly = R.number(e["mostly"], at + ".mostly");
        if (!(*x.mostly >= 0 && *x.mostly <= 1))
          R.fail(e["mostly"], at + ".mostly", "must be between 0 and 1");
      }
      if (e["type"])
        x.type = R.choice(e["type"], at + ".type", {"integer", "number", "string", "boolean"});
      if (e["values"]) x.values = R.strings(e["values"], at + ".values");
      if (e["regex"]) {
        x.regex = R.string(e["regex"], at + ".regex");
        RE2 re(x.regex, RE2::Quiet);
        if (!re.ok())
          R.fail(e["regex"], at + ".regex", "invalid regex: " + re.error(),
                 "RE2 syntax: no backreferences or lookaround (matching stays linear in time)");
      }
      if (e["quantile"]) {
        x.quantile = R.number(e["quantile"], at + ".quantile");
        if (!(*x.quantile >= 0 && *x.quantile <= 1))
          R.fail(e["quantile"], at + ".quantile", "must be between 0 and 1");
      }
      if (e["method"]) {
        std::vector<std::pair<std::string, DriftMethod>> methods = {{"auto", DriftMethod::kAuto}};
        for (DriftMethod m : kDriftMethods) methods.emplace_back(name_of(m), m);
        x.method = R.choice<DriftMethod>(e["method"], at + ".method", methods);
      }
      if (e["bins"]) {
        x.evidently_bins =
            R.choice(e["bins"], at + ".bins", {"deciles", "evidently"}) == "evidently";
        if (x.method != DriftMethod::kPsi && x.method != DriftMethod::kJensenShannon &&
            x.method != DriftMethod::kHellinger)
          R.fail(e["bins"], at + ".bins", "applies to psi, jensenshannon and hellinger",
                 "set method: psi, jensenshannon or hellinger");
      }
      if (e["threshold"]) x.threshold = R.number(e["threshold"], at + ".threshold");
      if (e["severity"])
        x.warn_only = R.choice(e["severity"], at + ".severity", {"fail", "warn"}) == "warn";
      // What each expectation needs.
      bool per_column = k != Expect::kRowCountBetween && k != Expect::kColumnsExist &&
                        k != Expect::kNoOverlapWithReference;
      if ((per_column || k == Expect::kColumnsExist || k == Expect::kNoOverlapWithReference) &&
          x.columns.empty())
        R.fail(e, at, "no column given", "add column: NAME (or columns: [...])");
      if (k == Expect::kColumnType && x.type.empty())
        R.fail(e, at, "no type given", "type: integer, number, string or boolean");
      if (k == Expect::kInSet && x.values.empty())
        R.fail(e, at, "no values given", "values: [a, b, c]");
      if (k == Expect::kMatchRegex && !e["regex"]) R.fail(e, at, "no regex given");
      if (k == Expect::kQuantileBetween && !x.quantile)
        R.fail(e, at, "no quantile given", "quantile: 0.5");
      if ((k == Expect::kRowCountBetween || k == Expect::kBetween || k == Expect::kMeanBetween ||
           k == Expect::kStdevBetween || k == Expect::kQuantileBetween) &&
          !x.min && !x.max)
        R.fail(e, at, "no bound given", "give min, max or both");
      if (x.columns.size() == 1 && x.columns[0] == "*" && k != Expect::kNoDrift)
        R.fail(e, at, "\"*\" applies to no_drift only", "list the columns");
      s.expectations.push_back(std::move(x));
    }
  } catch (const YAML::Exception& ex) {
    throw Error(
        ex.msg,
        path + ":" + std::to_string(ex.mark.line + 1) + ":" + std::to_string(ex.mark.column + 1),
        "check the suite's structure");
  }
  return s;
}

Suite load_suite(const std::string& path) { return parse_suite(read_file(path), path); }

std::optional<std::vector<std::string>> suite_columns(const Suite& suite) {
  std::vector<std::string> cols;
  for (const auto& x : suite.expectations) {
    if (x.expect == Expect::kColumnsExist) continue;  // the header answers it
    for (const auto& c : x.columns) {
      if (c == "*") return std::nullopt;
      if (std::find(cols.begin(), cols.end(), c) == cols.end()) cols.push_back(c);
    }
    if (x.weighted && !suite.weight_col.empty() &&
        std::find(cols.begin(), cols.end(), suite.weight_col) == cols.end())
      cols.push_back(suite.weight_col);
  }
  return cols;
}

Table read_all_columns(const std::string& path, TableFormat format,
                       const std::vector<std::string>* only) {
  ReadOptions ho;
  ho.format = format;
  ho.header_only = true;
  Table head = read_table(path, {}, ho);
  std::vector<ColumnSpec> specs;
  for (const auto& h : head.header)
    if (!only || std::find(only->begin(), only->end(), h) != only->end())
      specs.push_back({h, ColumnType::kAuto, false});
  ReadOptions ro;
  ro.format = format;
  Table t = read_table(path, specs, ro);
  for (auto& c : t.columns)
    if (c.present && c.n_numbers == 0 && !c.codes.empty())
      std::vector<double>().swap(c.numbers);  // text only
  return t;
}

// ---------------------------------------------------------------------------------------------
// Column views: values as numbers or text, and what is derived from them once.

namespace {

// MLGATE_TIMING=1: each phase's wall time on stderr (to see where a run's time goes).
void lap(const char* what) {
  const bool on = runtime().timing;
  static auto last = std::chrono::steady_clock::now();
  if (!on) return;
  const auto now = std::chrono::steady_clock::now();
  long rss = 0, hwm = 0;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
      std::sscanf(line, "VmRSS: %ld", &rss);
      std::sscanf(line, "VmHWM: %ld", &hwm);
    }
    std::fclose(f);
  }
  log_printf("mlgate-datatest: %-24s %.3f s  rss %ld MiB, peak %ld MiB\n", what,
             std::chrono::duration<double>(now - last).count(), rss / 1024, hwm / 1024);
  last = now;
}

bool is_bool_word(const std::string& s) {
  std::string l;
  for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l == "true" || l == "false";
}

// Mean and sum of squared deviations of a column's sorted numbers, computed once for every
// check that needs them (mean_between, stdev_between, wasserstein's scale).
struct Moments {
  std::once_flag once;
  double mean = 0, ss = 0;
};

// How often each dictionary code (distinct text) occurs, counted once per column.
struct CodeCounts {
  std::once_flag once;
  std::vector<std::int64_t> n;
};

struct ColumnData {
  const Column* col = nullptr;
  std::shared_ptr<CodeCounts> code_counts_cache = std::make_shared<CodeCounts>();
  // Shared by the checks of text (unique, in_set, match_regex, drift): one pass over the codes,
  // in four interleaved tallies (a run of one value does not wait on its own increments).
  const std::vector<std::int64_t>& code_counts() const {
    std::call_once(code_counts_cache->once, [&] {
      const std::size_t k = col->dictionary.size();
      std::vector<std::int64_t> part(4 * (k + 1), 0);  // slot k: missing
      const std::uint32_t* c = col->codes.data();
      const std::size_t n = col->codes.size(), whole = n / 4 * 4;
      auto slot = [k](std::uint32_t code) { return code == kMissingCode ? k : code; };
      for (std::size_t i = 0; i < whole; i += 4)
        for (std::size_t j = 0; j < 4; ++j) ++part[j * (k + 1) + slot(c[i + j])];
      for (std::size_t i = whole; i < n; ++i) ++part[slot(c[i])];
      auto& out = code_counts_cache->n;
      out.assign(k, 0);
      for (std::size_t j = 0; j < 4; ++j)
        for (std::size_t v = 0; v < k; ++v) out[v] += part[j * (k + 1) + v];
    });
    return code_counts_cache->n;
  }
  std::shared_ptr<Moments> moments = std::make_shared<Moments>();
  const Moments& moments_of_sorted() const {
    std::call_once(moments->once, [&] { accurate_moments(sorted, &moments->mean, &moments->ss); });
    return *moments;
  }
  // The sorted numbers, and their moments when the sort gave them exactly.
  void take(SortedColumn&& s) {
    sorted = std::move(s.values);
    sorted_ready = true;
    if (s.exact_moments)
      std::call_once(moments->once, [&] {
        moments->mean = s.mean;
        moments->ss = s.ss;
      });
  }
  std::size_t rows = 0;
  std::int64_t missing = 0, numbers = 0, texts = 0;
  std::vector<double> sorted;  // the numbers, ascending
  bool sorted_ready = false;   // sorted has been filled
  bool moved = false;          // sorted holds the column's own numbers: rows are gone
  bool has_text() const { return texts > 0; }
  bool has_numbers() const { return numbers > 0; }

  bool missing_at(std::size_t i) const {
    return (col->numbers.empty() || std::isnan(col->numbers[i])) && !col->is_text(i);
  }
  bool text_at(std::size_t i) const { return col->is_text(i); }
  const std::string& text(std::size_t i) const { return col->dictionary[col->codes[i]]; }
  double number(std::size_t i) const { return col->numbers[i]; }
  // A value as one canonical string: numbers formatted the shortest way.
  std::string canonical(std::size_t i) const {
    if (text_at(i)) return text(i);
    return format_number(number(i) == 0 ? 0.0 : number(i));
  }
  ojson json_value(std::size_t i) const {
    if (missing_at(i)) return nullptr;
    if (text_at(i)) return text(i);
    return std::isfinite(number(i)) ? ojson(number(i)) : ojson(format_number(number(i)));
  }
  std::string observed_type() const {
    if (numbers + texts == 0) return "null";
    if (texts == 0) return col->integers_only ? "integer" : "number";
    if (numbers > 0) return "mixed";
    for (const auto& d : col->dictionary)
      if (!is_bool_word(d)) return "string";
    return "boolean";
  }
};

ColumnData column_data(const Column& c, bool sort) {
  ColumnData d;
  d.col = &c;
  d.rows = c.numbers.empty() ? c.codes.size() : c.numbers.size();
  d.missing = c.missing;
  d.numbers = c.n_numbers;
  d.texts = static_cast<std::int64_t>(d.rows) - d.missing - d.numbers;
  if (sort && d.numbers > 0) {
    d.take(sort_column(c));
  }
  return d;
}

std::string check_id(const Expectation& x, const std::string& column) {
  return column.empty() ? std::string(expect_name(x.expect))
                        : expect_name(x.expect) + std::string(".") + column;
}

Check base_check(const Expectation& x, const std::string& column, const std::string& title) {
  Check c;
  c.id = check_id(x, column);
  c.title = title;
  c.status = Status::kPass;
  if (!column.empty()) c.extra["column"] = column;
  return c;
}

void fail_or_warn(Check& c, const Expectation& x) {
  c.status = x.warn_only ? Status::kWarn : Status::kFail;
}

std::string bounds_text(const Expectation& x) {
  const std::string lo =
      x.min ? (x.strict_min ? "greater than " : "at least ") + format_short(*x.min, 6) : "";
  const std::string hi =
      x.max ? (x.strict_max ? "less than " : "at most ") + format_short(*x.max, 6) : "";
  if (x.min && x.max) {
    if (!x.strict_min && !x.strict_max)
      return "between " + format_short(*x.min, 6) + " and " + format_short(*x.max, 6);
    return lo + " and " + hi;
  }
  return x.min ? lo : hi;
}

// The closed interval a value must lie in: a strict bound is the next double inward, which is
// exact (no double lies between a bound and its neighbour).
double lower_bound(const Expectation& x) {
  if (!x.min) return -std::numeric_limits<double>::infinity();
  return x.strict_min ? std::nextafter(*x.min, std::numeric_limits<double>::infinity()) : *x.min;
}
double upper_bound(const Expectation& x) {
  if (!x.max) return std::numeric_limits<double>::infinity();
  return x.strict_max ? std::nextafter(*x.max, -std::numeric_limits<double>::infinity()) : *x.max;
}

bool within(const Expectation& x, double v) { return v >= lower_bound(x) && v <= upper_bound(x); }

// How many of v are below lo or above hi (NaN is neither), in eight double lanes: the loop
// vectorizes (an integer count over scalar compares runs four times slower here).
std::size_t count_outside(std::span<const double> v, double lo, double hi) {
  constexpr std::size_t kLanes = 8;
  double lane[kLanes] = {};
  const std::size_t whole = v.size() / kLanes * kLanes;
  for (std::size_t i = 0; i < whole; i += kLanes)
    for (std::size_t j = 0; j < kLanes; ++j)
      lane[j] += (static_cast<int>(v[i + j] < lo) | static_cast<int>(v[i + j] > hi)) ? 1.0 : 0.0;
  std::size_t n = 0;
  for (const double l : lane) n += static_cast<std::size_t>(l);  // exact below 2^53
  for (std::size_t i = whole; i < v.size(); ++i)
    n += static_cast<std::size_t>(static_cast<int>(v[i] < lo) | static_cast<int>(v[i] > hi));
  return n;
}

// Great Expectations' "mostly": the share of non-null values that meet the expectation.
struct Tally {
  std::int64_t considered = 0, unexpected = 0;
  ojson examples = ojson::array();
  void miss(const ojson& v) {
    ++unexpected;
    if (examples.size() < 20) examples.push_back(v);
  }
  // The example is only built for the first 20.
  template <class MakeExample>
  void miss_lazy(MakeExample&& make) {
    ++unexpected;
    if (examples.size() < 20) examples.push_back(make());
  }
};

// A column of text only, each distinct text judged once (code_ok): the tally from the code
// counts, then the rows only as far as the first 20 examples. False for a column with numbers.
bool text_only_by_codes(const ColumnData& d, const std::vector<std::uint8_t>& code_ok, Tally& t) {
  if (d.has_numbers()) return false;
  const auto& counts = d.code_counts();
  for (std::size_t k = 0; k < counts.size(); ++k) {
    t.considered += counts[k];
    if (!code_ok[k]) t.unexpected += counts[k];
  }
  const auto want = std::min<std::int64_t>(20, t.unexpected);
  const auto& codes = d.col->codes;
  for (std::size_t i = 0; i < codes.size() && static_cast<std::int64_t>(t.examples.size()) < want;
       ++i)
    if (codes[i] != kMissingCode && !code_ok[codes[i]]) t.examples.push_back(d.json_value(i));
  return true;
}

void finish_mostly(Check& c, const Expectation& x, const Tally& t, const std::string& what) {
  double share =
      t.considered ? static_cast<double>(t.unexpected) / static_cast<double>(t.considered) : 0.0;
  double need = x.mostly.value_or(1.0);
  c.extra["unexpected_count"] = t.unexpected;
  c.extra["unexpected_share"] = share;
  c.extra["unexpected_examples"] = t.examples;
  if (x.mostly) c.extra["mostly"] = *x.mostly;
  c.value = 1 - share;
  c.threshold = need;
  bool ok = t.considered == 0 || 1 - share >= need;
  if (!ok) fail_or_warn(c, x);
  c.message = std::to_string(t.unexpected) + " of " + std::to_string(t.considered) + " values " +
              what +
              (x.mostly ? " (" + format_short(100 * (1 - share), 6) + "% meet it; mostly " +
                              format_short(need, 6) + ")"
                        : "");
  if (t.considered == 0) c.message = "no non-null values to check";
}

struct Context {
  Table& data;
  Table* ref;
  std::map<std::string, ColumnData> cols, ref_cols;
  const Column* weight = nullptr;  // the suite's weight column, when an expectation is weighted
  // A profile's key hashes in place of the reference's rows (no_overlap_with_reference).
  const std::map<std::string, std::vector<std::uint64_t>>* ref_keys = nullptr;
};

// A row's key for no_overlap_with_reference: each column's canonical value (a code for a
// missing one), each followed by \x1f.
std::string row_key(const std::vector<const ColumnData*>& cs, std::size_t i) {
  std::string s;
  for (const auto* d : cs) {
    s += d->missing_at(i) ? std::string("\x01") : d->canonical(i);
    s += '\x1f';
  }
  return s;
}

// A weighted statistic of a column's numbers (statsmodels' DescrStatsW with frequency weights):
// the mean, the standard deviation with ddof 1 (sum w (x - m)^2 / (sum w - 1)), or the quantile
// of its documentation (weights summed over ties; p W strictly between cumulative sums s_j and
// s_j+1 gives y_j+1, p W equal to s_j the middle of y_j and y_j+1). Rows whose value is null are
// left out. False (with the check an error) when it cannot be computed.
bool weighted_statistic(const Expectation& x, const Table& data, const Column& col,
                        const Column& weight, Check& c, double& out) {
  std::vector<std::pair<double, double>> vw;
  if (col.numbers.empty()) {
    c.status = Status::kError;
    c.message = "column " + quote(col.name) + " has no values";
    return false;
  }
  for (std::size_t i = 0; i < col.numbers.size(); ++i) {
    const double v = col.numbers[i];
    if (std::isnan(v)) continue;
    const double w = weight.numbers.empty() ? std::nan("") : weight.numbers[i];
    if (!(w >= 0) || !std::isfinite(w)) {
      c.status = Status::kError;
      const std::string what = weight.is_text(i)
                                   ? "text " + quote(weight.dictionary[weight.codes[i]])
                               : std::isnan(w) ? std::string("a missing value")
                                               : format_number(w);
      c.message = location(data.path, 0, weight.name) + ": weight " + what + " in data row " +
                  std::to_string(i + 1) + " is not a finite number >= 0";
      return false;
    }
    vw.emplace_back(v, w);
  }
  if (vw.empty()) {
    c.status = Status::kError;
    c.message = "column " + quote(col.name) + " has no values";
    return false;
  }
  AccurateSum sw, swx;
  for (const auto& [v, w] : vw) {
    sw.add(w);
    swx.add(w * v);
  }
  const double W = sw.value();
  if (W == 0) {
    c.status = Status::kError;
    c.message = "the weights of column " + quote(col.name) + "'s values sum to 0";
    return false;
  }
  const double mean = swx.value() / W;
  c.extra["weighted"] = true;
  c.extra["weight_total"] = W;
  if (x.expect == Expect::kMeanBetween) {
    out = mean;
    return true;
  }
  if (x.expect == Expect::kStdevBetween) {
    AccurateSum ss;
    for (const auto& [v, w] : vw) ss.add(w * (v - mean) * (v - mean));
    if (!(W > 1)) {
      c.status = Status::kError;
      c.message = "the weighted standard deviation needs weights summing to more than 1";
      return false;
    }
    out = std::sqrt(ss.value() / (W - 1));
    return true;
  }
  std::sort(vw.begin(), vw.end());
  std::vector<double> values, cum;
  double run = 0;
  for (std::size_t i = 0; i < vw.size(); ++i) {
    run += vw[i].second;
    if (i + 1 < vw.size() && vw[i + 1].first == vw[i].first) continue;
    values.push_back(vw[i].first);
    cum.push_back(run);
  }
  const double target = *x.quantile * cum.back();
  std::size_t j =
      static_cast<std::size_t>(std::lower_bound(cum.begin(), cum.end(), target) - cum.begin());
  if (j >= values.size()) j = values.size() - 1;
  out = values[j];
  if (std::fabs(target - cum[j]) < 1e-10 && j + 1 < values.size())
    out = (values[j] + values[j + 1]) / 2;
  return true;
}

const ColumnData* find_column(Context& ctx, const std::string& name, Check& c,
                              bool reference = false) {
  auto& m = reference ? ctx.ref_cols : ctx.cols;
  auto it = m.find(name);
  if (it != m.end()) return &it->second;
  const Table& t = reference ? *ctx.ref : ctx.data;
  std::string best = closest_name(name, t.header);
  c.status = Status::kError;
  c.message = "column " + quote(name) + " is not in " + (reference ? "the reference " : "") +
              t.path + (best.empty() ? "" : " (did you mean " + quote(best) + "?)");
  return nullptr;
}

void check_not_null(const Expectation& x, const ColumnData* d, Check& c) {
  Tally t;
  // The reader counted the missing values; rows are scanned only for the first 20.
  t.considered = static_cast<std::int64_t>(d->rows);
  t.unexpected = d->missing;
  const auto wanted = static_cast<std::size_t>(std::min<std::int64_t>(20, d->missing));
  for (std::size_t i = 0; i < d->rows && t.examples.size() < wanted; ++i)
    if (d->missing_at(i)) t.examples.push_back(static_cast<std::int64_t>(i) + 1);  // row numbers
  finish_mostly(c, x, t, "are null");
  c.extra["examples_are_rows"] = true;
}

void check_column_type(const Expectation& x, const ColumnData* d, Check& c) {
  Tally t;
  c.extra["observed_type"] = d->observed_type();
  // A column of numbers only is of type number, one of text only of type string: no scan.
  const bool all_numbers = !d->has_text(), all_text = !d->has_numbers();
  if ((x.type == "number" && all_numbers) || (x.type == "string" && all_text)) {
    t.considered = static_cast<std::int64_t>(d->rows) - d->missing;
    finish_mostly(c, x, t, "are not of type " + x.type);
    return;
  }
  for (std::size_t i = 0; i < d->rows; ++i) {
    if (d->missing_at(i)) continue;
    ++t.considered;
    bool ok;
    if (x.type == "number")
      ok = !d->text_at(i);
    else if (x.type == "integer")
      ok =
          !d->text_at(i) && std::floor(d->number(i)) == d->number(i) && std::isfinite(d->number(i));
    else if (x.type == "boolean")
      ok = d->text_at(i) && is_bool_word(d->text(i));
    else
      ok = d->text_at(i);
    if (!ok) t.miss_lazy([&] { return d->json_value(i); });
  }
  finish_mostly(c, x, t, "are not of type " + x.type);
}

void check_unique(const Expectation& x, const ColumnData* d, Check& c) {
  Tally t;
  // Text by dictionary code; numbers from their sorted values, whose runs give the count and
  // the repeated values. Rows are then scanned only until the first 20 examples are found.
  std::vector<std::int64_t> code_count(d->col->dictionary.size(), 0);
  if (d->has_text()) code_count = d->code_counts();
  std::vector<double> repeated;  // ascending, as the runs come
  auto runs = [&](const std::vector<double>& v) {
    for (std::size_t a = 0; a < v.size();) {
      std::size_t b = a + 1;
      while (b < v.size() && v[b] == v[a]) ++b;
      if (b - a > 1) {
        repeated.push_back(v[a]);
        t.unexpected += static_cast<std::int64_t>(b - a);
      }
      a = b;
    }
  };
  if (d->sorted_ready) {
    runs(d->sorted);  // sorted already, for the order-free checks
  } else if (d->has_numbers()) {
    // One column at a time: the sort's buffers are the largest this check holds.
    static std::mutex one_at_a_time;
    std::lock_guard lk(one_at_a_time);
    runs(sort_column(*d->col).values);
  }
  for (auto n : code_count)
    if (n > 1) t.unexpected += n;
  t.considered = static_cast<std::int64_t>(d->rows) - d->missing;
  std::int64_t found = 0;
  for (std::size_t i = 0; i < d->rows && found < t.unexpected && t.examples.size() < 20; ++i) {
    if (d->missing_at(i)) continue;
    if (d->text_at(i) ? code_count[d->col->codes[i]] > 1
                      : std::binary_search(repeated.begin(), repeated.end(), d->number(i))) {
      t.examples.push_back(d->json_value(i));
      ++found;
    }
  }
  finish_mostly(c, x, t, "are duplicated");
}

void check_in_set(const Expectation& x, const ColumnData* d, Check& c) {
  Tally t;
  // Decided once per distinct text (dictionary entry) and per allowed number.
  std::unordered_set<std::string> allowed;
  std::vector<double> allowed_numbers;
  for (const auto& v : x.values) {
    allowed.insert(canonical_class(v));
    double num;
    if (parse_number(v, &num)) allowed_numbers.push_back(num);
  }
  std::sort(allowed_numbers.begin(), allowed_numbers.end());
  std::vector<std::uint8_t> code_ok(d->col->dictionary.size());
  for (std::size_t k2 = 0; k2 < code_ok.size(); ++k2)
    code_ok[k2] = allowed.count(d->col->dictionary[k2]) > 0;
  if (text_only_by_codes(*d, code_ok, t)) {
    finish_mostly(c, x, t, "are outside the set");
    return;
  }
  for (std::size_t i = 0; i < d->rows; ++i) {
    if (d->missing_at(i)) continue;
    ++t.considered;
    bool ok = d->text_at(i) ? code_ok[d->col->codes[i]] != 0
                            : std::binary_search(allowed_numbers.begin(), allowed_numbers.end(),
                                                 d->number(i));
    if (!ok) t.miss_lazy([&] { return d->json_value(i); });
  }
  finish_mostly(c, x, t, "are outside the set");
}

void check_between(const Expectation& x, const ColumnData* d, Check& c) {
  Tally t;
  if (!d->has_text() && d->has_numbers()) {
    // Numbers only: a vectorized count (NaN, the missing, compares false both ways), then
    // the rows only as far as the first 20 examples.
    const double lo = lower_bound(x), hi = upper_bound(x);
    const auto& v = d->col->numbers;
    const std::size_t outside = count_outside(v, lo, hi);
    t.considered = static_cast<std::int64_t>(v.size()) - d->missing;
    for (std::size_t i = 0; i < v.size() && t.examples.size() < std::min<std::size_t>(20, outside);
         ++i)
      if (v[i] < lo || v[i] > hi) t.examples.push_back(d->json_value(i));
    t.unexpected = static_cast<std::int64_t>(outside);
    finish_mostly(c, x, t, "are not " + bounds_text(x));
    return;
  }
  for (std::size_t i = 0; i < d->rows; ++i) {
    if (d->missing_at(i)) continue;
    ++t.considered;
    if (d->text_at(i) || !within(x, d->number(i))) t.miss_lazy([&] { return d->json_value(i); });
  }
  finish_mostly(c, x, t, "are not " + bounds_text(x));
}

void check_match_regex(const Expectation& x, const ColumnData* d, Check& c) {
  Tally t;
  RE2 re(x.regex, RE2::Quiet);
  std::vector<std::uint8_t> code_ok(d->col->dictionary.size());  // once per distinct text
  for (std::size_t k2 = 0; k2 < code_ok.size(); ++k2)
    code_ok[k2] = RE2::PartialMatch(d->col->dictionary[k2], re);
  if (text_only_by_codes(*d, code_ok, t)) {
    finish_mostly(c, x, t, "do not match " + quote(x.regex));
    return;
  }
  for (std::size_t i = 0; i < d->rows; ++i) {
    if (d->missing_at(i)) continue;
    ++t.considered;
    bool ok =
        d->text_at(i) ? code_ok[d->col->codes[i]] != 0 : RE2::PartialMatch(d->canonical(i), re);
    if (!ok) t.miss_lazy([&] { return d->json_value(i); });
  }
  finish_mostly(c, x, t, "do not match " + quote(x.regex));
}

// The column expectations that read values; each kind is a function of its own above, the
// order statistics (mean, stdev, quantile) are here.
void check_column(const Expectation& x, const std::string& name, Context& ctx, Check& c) {
  const ColumnData* d = find_column(ctx, name, c);
  if (!d) return;
  const Expect k = x.expect;
  switch (k) {
    case Expect::kNotNull:
      check_not_null(x, d, c);
      return;
    case Expect::kColumnType:
      check_column_type(x, d, c);
      return;
    case Expect::kUnique:
      check_unique(x, d, c);
      return;
    case Expect::kInSet:
      check_in_set(x, d, c);
      return;
    case Expect::kBetween:
      check_between(x, d, c);
      return;
    case Expect::kMatchRegex:
      check_match_regex(x, d, c);
      return;
    default:
      break;
  }
  Tally t;
  // Statistics of the numbers.
  if (d->has_text()) {
    c.status = Status::kError;
    c.message = "column " + quote(name) + " holds text values (" + d->observed_type() +
                "), so its " +
                (k == Expect::kMeanBetween    ? "mean"
                 : k == Expect::kStdevBetween ? "standard deviation"
                                              : "quantile") +
                " is undefined";
    return;
  }
  if (d->sorted.empty() && !x.weighted) {  // weighted checks read the rows, not the sort
    c.status = Status::kError;
    c.message = "column " + quote(name) + " has no values";
    return;
  }
  double v;
  if (x.weighted) {
    if (!ctx.weight) {
      c.status = Status::kError;
      c.message = "weighted: true needs the suite's weight column";
      return;
    }
    if (!weighted_statistic(x, ctx.data, *d->col, *ctx.weight, c, v)) return;
    if (k == Expect::kQuantileBetween) c.extra["quantile"] = *x.quantile;
  } else if (k == Expect::kMeanBetween || k == Expect::kStdevBetween) {
    const Moments& mo = d->moments_of_sorted();
    v = mo.mean;
    if (k == Expect::kStdevBetween) {
      if (d->sorted.size() < 2) {
        c.status = Status::kError;
        c.message = "the standard deviation needs two values";
        return;
      }
      v = std::sqrt(mo.ss / static_cast<double>(d->sorted.size() - 1));
    }
  } else {
    v = sorted_quantile(d->sorted, *x.quantile, x.interpolation);
    c.extra["quantile"] = *x.quantile;
    c.extra["interpolation"] = name_of(x.interpolation);
  }
  c.value = v;
  c.extra["min"] = x.min ? ojson(*x.min) : ojson(nullptr);
  c.extra["max"] = x.max ? ojson(*x.max) : ojson(nullptr);
  if (x.strict_min) c.extra["strict_min"] = true;
  if (x.strict_max) c.extra["strict_max"] = true;
  bool ok = within(x, v);
  if (!ok) fail_or_warn(c, x);
  c.message = std::string(k == Expect::kMeanBetween    ? "mean"
                          : k == Expect::kStdevBetween ? "standard deviation"
                                                       : "quantile") +
              " is " + format_short(v, 6) + (ok ? ", " : ", not ") + bounds_text(x);
}

// Counts per category (canonical text) of a column's non-null values.
std::map<std::string, double> category_counts(const ColumnData& d) {
  if (d.moved) {  // numbers only, already sorted: count runs
    std::map<std::string, double> m;
    for (std::size_t a = 0; a < d.sorted.size();) {
      std::size_t b = a;
      while (b < d.sorted.size() && d.sorted[b] == d.sorted[a]) ++b;
      m[format_number(d.sorted[a] == 0 ? 0.0 : d.sorted[a])] += static_cast<double>(b - a);
      a = b;
    }
    return m;
  }
  std::vector<double> per_code(d.col->dictionary.size(), 0);
  std::map<double, double> per_number;
  if (!d.has_numbers()) {  // text only: the shared code counts
    const auto& counts = d.code_counts();
    for (std::size_t k = 0; k < counts.size(); ++k) per_code[k] = static_cast<double>(counts[k]);
  } else {
    for (std::size_t i = 0; i < d.rows; ++i) {
      if (d.text_at(i))
        per_code[d.col->codes[i]] += 1;
      else if (!d.missing_at(i))
        per_number[d.number(i) == 0 ? 0.0 : d.number(i)] += 1;
    }
  }
  std::map<std::string, double> m;
  for (std::size_t k = 0; k < per_code.size(); ++k)
    if (per_code[k] > 0) m[d.col->dictionary[k]] += per_code[k];
  for (const auto& [v, n] : per_number) m[format_number(v)] += n;
  return m;
}

struct DriftOutcome {
  bool drift = false, computed = false;
};

using CategoryCounts = std::map<std::string, double>;

// Evidently's choice of method: small references get tests, large ones distances; numbers with
// more than five distinct values (both samples together) are numbers, fewer are categories.
DriftMethod auto_drift_method(bool numeric, const ColumnData& ref, const ColumnData& cur,
                              const CategoryCounts& ref_cat, const CategoryCounts& cur_cat,
                              std::int64_t reference_rows) {
  // Distinct values counted up to 6 (all the choice needs) by walking the two sorted arrays:
  // no merged copy.
  std::size_t distinct = 0;
  if (numeric) {
    const auto& a = ref.sorted;
    const auto& b = cur.sorted;
    std::size_t i = 0, j = 0;
    while ((i < a.size() || j < b.size()) && distinct <= 5) {
      const double v = j >= b.size() || (i < a.size() && a[i] <= b[j]) ? a[i] : b[j];
      ++distinct;
      while (i < a.size() && a[i] == v) ++i;
      while (j < b.size() && b[j] == v) ++j;
    }
  } else {
    std::set<std::string> u;
    for (const auto& kv : ref_cat) u.insert(kv.first);
    for (const auto& kv : cur_cat) u.insert(kv.first);
    distinct = u.size();
  }
  const bool small = reference_rows <= 1000;
  if (numeric && distinct > 5) return small ? DriftMethod::kKs : DriftMethod::kWasserstein;
  return small ? DriftMethod::kChi2 : DriftMethod::kJensenShannon;
}

// A category unseen in the reference is its own failure (the .unseen check), whatever the
// column holds.
void check_unseen(const Expectation& x, const std::string& name, const Check& c,
                  const CategoryCounts& ref_cat, const CategoryCounts& cur_cat, std::size_t n_cur,
                  std::vector<Check>& extra_checks) {
  Tally t;
  std::int64_t unseen_rows = 0;
  for (const auto& [k, n] : cur_cat)
    if (!ref_cat.count(k)) {
      unseen_rows += static_cast<std::int64_t>(n);
      if (t.examples.size() < 20) t.examples.push_back(k);
    }
  if (unseen_rows == 0) return;
  Check u = base_check(x, name, name + " has no categories unseen in the reference");
  u.id = c.id + ".unseen";
  t.unexpected = unseen_rows;
  t.considered = static_cast<std::int64_t>(n_cur);
  u.extra["unexpected_count"] = unseen_rows;
  u.extra["unexpected_share"] = static_cast<double>(unseen_rows) / static_cast<double>(n_cur);
  u.extra["unexpected_examples"] = t.examples;
  fail_or_warn(u, x);
  u.message = std::to_string(t.examples.size()) + " categor" +
              (t.examples.size() == 1 ? "y" : "ies") + " in " + std::to_string(unseen_rows) +
              " rows never appear in the reference";
  extra_checks.push_back(std::move(u));
}

// A numeric column's counts over bins, computed once per drift check for the binned methods
// and the report's histograms: the reference's deciles (interior edges, bins (e, e']), or
// numpy's Sturges histogram that Evidently uses (all edges, bins [e, e'), the last closed).
struct Deciles {
  std::vector<double> edges, ref, cur;
  bool histogram = false;
};

Deciles deciles_of(const ColumnData& ref, const ColumnData& cur) {
  Deciles d;
  d.edges = decile_edges(ref.sorted);
  d.ref = bin_counts(ref.sorted, d.edges);
  d.cur = bin_counts(cur.sorted, d.edges);
  return d;
}

std::size_t distinct_values(std::span<const double> sorted) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) n += i == 0 || sorted[i] != sorted[i - 1];
  return n;
}

// Evidently's bins for a numeric column (bins: evidently), or nullopt where it compares the
// values as categories (psi and jensenshannon with at most 20 distinct reference values):
// hellinger takes Sturges' bins over the distinct values of both samples, psi and
// jensenshannon over all their values.
std::optional<Deciles> evidently_bins(DriftMethod method, const ColumnData& ref,
                                      const ColumnData& cur) {
  const double lo = std::min(ref.sorted.front(), cur.sorted.front());
  const double hi = std::max(ref.sorted.back(), cur.sorted.back());
  double count;
  if (method == DriftMethod::kHellinger) {
    std::vector<double> both;
    both.reserve(ref.sorted.size() + cur.sorted.size());
    std::merge(ref.sorted.begin(), ref.sorted.end(), cur.sorted.begin(), cur.sorted.end(),
               std::back_inserter(both));
    count = static_cast<double>(distinct_values(both));
  } else {
    if (distinct_values(ref.sorted) <= 20) return std::nullopt;
    count = static_cast<double>(ref.sorted.size() + cur.sorted.size());
  }
  Deciles d;
  d.histogram = true;
  d.edges = sturges_edges(lo, hi, count);
  d.ref = histogram_counts(ref.sorted, d.edges);
  d.cur = histogram_counts(cur.sorted, d.edges);
  return d;
}

// Numbers compared as categories: each distinct value one, named by its shortest form.
void number_categories(const ColumnData& col, CategoryCounts& cats) {
  for (double y : col.sorted) cats[format_number(y)] += 1;
}

// Counts per bin (deciles of a numeric reference, or the categories of both) for psi and
// Jensen-Shannon.
void binned_counts(const Deciles* deciles, const CategoryCounts& ref_cat,
                   const CategoryCounts& cur_cat, std::vector<double>& rc, std::vector<double>& cc,
                   Check& c) {
  if (deciles) {
    rc = deciles->ref;
    cc = deciles->cur;
    c.extra["bin_edges"] = deciles->edges;
    return;
  }
  std::set<std::string> u;
  for (const auto& kv : ref_cat) u.insert(kv.first);
  for (const auto& kv : cur_cat) u.insert(kv.first);
  for (const auto& k : u) {
    rc.push_back(ref_cat.count(k) ? ref_cat.at(k) : 0.0);
    cc.push_back(cur_cat.count(k) ? cur_cat.at(k) : 0.0);
  }
}

// chi2: current counts against the reference's shares, over the reference's categories. False
// when it decided the check itself (too few categories, or no support at all).
// g: the G-test (log-likelihood ratio) over the same counts instead of Pearson's statistic.
bool chi2_drift(const Expectation& x, const CategoryCounts& rcat, const CategoryCounts& ccat,
                std::size_t n_ref, Check& c, DriftOutcome& out, double& stat,
                std::optional<double>& p, bool g) {
  const char* what = g ? "g_test" : "chi2";
  double seen = 0;
  for (const auto& [k, n] : ccat)
    if (rcat.count(k)) seen += n;
  std::vector<double> obs, exp;
  for (const auto& [k, n] : rcat) {
    obs.push_back(ccat.count(k) ? ccat.at(k) : 0.0);
    exp.push_back(n / static_cast<double>(n_ref) * seen);
  }
  if (obs.size() < 2) {
    c.status = Status::kError;
    c.message = std::string(what) + " needs at least two categories in the reference";
    return false;
  }
  if (seen == 0) {
    // No current value has support in the reference: the statistic is infinite (scipy and
    // Evidently give p = 0). That is drift, never a pass.
    c.p_value = 0.0;
    c.extra["statistic"] = nullptr;
    out.computed = true;
    out.drift = true;
    c.extra["drift"] = true;
    fail_or_warn(c, x);
    c.message = std::string("drift (no current value appears in the reference: ") + what +
                " is infinite, p-value 0)";
    return false;
  }
  ChiSquare r = g ? g_test(obs, exp) : chisquare(obs, exp);
  stat = r.statistic;
  p = r.p_value;
  c.extra["df"] = r.df;
  return true;
}

// The histograms a report draws for a drift check, kept small (at most 30 bins): numbers over
// the reference's deciles, categories as the 29 most frequent plus "other"; shares of each
// sample's non-null rows.
void record_bins(Check& c, const Deciles* deciles, const CategoryCounts& ref_cat,
                 const CategoryCounts& cur_cat) {
  ojson labels = ojson::array(), rs = ojson::array(), cs = ojson::array();
  auto shares = [](const std::vector<double>& counts) {
    double total = 0;
    for (double v : counts) total += v;
    ojson out = ojson::array();
    for (double v : counts) out.push_back(total > 0 ? v / total : 0.0);
    return out;
  };
  if (deciles && deciles->histogram) {
    const std::vector<double>& e = deciles->edges;
    for (std::size_t i = 0; i + 1 < e.size(); ++i)
      labels.push_back(format_short(e[i], 4) + " to " + format_short(e[i + 1], 4));
    rs = shares(deciles->ref);
    cs = shares(deciles->cur);
  } else if (deciles) {
    const std::vector<double>& e = deciles->edges;
    if (e.empty()) labels.push_back("all");
    for (std::size_t i = 0; i < e.size(); ++i)
      labels.push_back(i == 0 ? "<= " + format_short(e[0], 4)
                              : format_short(e[i - 1], 4) + " to " + format_short(e[i], 4));
    if (!e.empty()) labels.push_back("> " + format_short(e.back(), 4));
    rs = shares(deciles->ref);
    cs = shares(deciles->cur);
  } else {
    std::vector<std::pair<double, std::string>> by_total;
    std::map<std::string, double> total;
    for (const auto& [k, n] : ref_cat) total[k] += n;
    for (const auto& [k, n] : cur_cat) total[k] += n;
    by_total.reserve(total.size());
    for (const auto& [k, n] : total) by_total.emplace_back(-n, k);
    std::sort(by_total.begin(), by_total.end());
    const std::size_t keep = by_total.size() <= 30 ? by_total.size() : 29;
    std::vector<double> rc, cc;
    for (std::size_t i = 0; i < keep; ++i) {
      const std::string& k = by_total[i].second;
      labels.push_back(k.size() > 40 ? k.substr(0, 40) : k);
      rc.push_back(ref_cat.count(k) ? ref_cat.at(k) : 0.0);
      cc.push_back(cur_cat.count(k) ? cur_cat.at(k) : 0.0);
    }
    if (keep < by_total.size()) {
      double ro = 0, co = 0;
      for (std::size_t i = keep; i < by_total.size(); ++i) {
        const std::string& k = by_total[i].second;
        ro += ref_cat.count(k) ? ref_cat.at(k) : 0.0;
        co += cur_cat.count(k) ? cur_cat.at(k) : 0.0;
      }
      labels.push_back("other");
      rc.push_back(ro);
      cc.push_back(co);
    }
    rs = shares(rc);
    cs = shares(cc);
  }
  // The contract's names beside the report's: the edges (numbers) or the categories, and each
  // sample's shares.
  ojson bins = {{"labels", labels}, {"reference", rs}, {"current", cs}};
  if (deciles)
    bins["edges"] = deciles->edges;
  else
    bins["categories"] = labels;
  bins["reference_shares"] = rs;
  bins["current_shares"] = cs;
  c.extra["bins"] = std::move(bins);
}

DriftOutcome check_drift(const Expectation& x, const std::string& name, Context& ctx, Check& c,
                         std::vector<Check>& extra_checks) {
  DriftOutcome out;
  if (!ctx.ref) {
    c.status = Status::kError;
    c.message = "no_drift needs --reference";
    return out;
  }
  const ColumnData* cur = find_column(ctx, name, c);
  if (!cur) return out;
  const ColumnData* ref = find_column(ctx, name, c, true);
  if (!ref) return out;
  const bool numeric = !cur->has_text() && !ref->has_text() && ref->has_numbers();
  auto cur_cat = numeric ? CategoryCounts{} : category_counts(*cur);
  auto ref_cat = numeric ? CategoryCounts{} : category_counts(*ref);
  DriftMethod method = x.method;
  if (method == DriftMethod::kAuto)
    method = auto_drift_method(numeric, *ref, *cur, ref_cat, cur_cat, ctx.ref->rows);
  const std::string method_name = name_of(method);
  if (!numeric && numbers_only(method)) {
    c.status = Status::kError;
    c.message = method_name + " needs numbers, but column " + quote(name) + " holds text";
    return out;
  }
  const double threshold = x.threshold.value_or(default_drift_threshold(method));
  c.method = method_name;
  c.threshold = threshold;
  const std::size_t n_ref =
      numeric ? ref->sorted.size() : static_cast<std::size_t>(ref->rows - ref->missing);
  const std::size_t n_cur =
      numeric ? cur->sorted.size() : static_cast<std::size_t>(cur->rows - cur->missing);
  c.extra["n_reference"] = n_ref;
  c.extra["n_current"] = n_cur;
  if (n_ref == 0 || n_cur == 0) {
    c.status = Status::kError;
    c.message = std::string("no non-null values in the ") +
                (n_ref == 0 ? "reference" : "current data") + " to compare";
    return out;
  }
  double stat = 0;
  std::optional<double> p;
  // chi2, fisher_exact and g_test treat numbers as categories too: each distinct value is one.
  // With bins: evidently, so do psi and jensenshannon on a reference of few distinct values.
  std::optional<Deciles> deciles;
  bool as_categories = !numeric || categories_only(method);
  if (numeric && !as_categories) {
    if (x.evidently_bins)
      deciles = evidently_bins(method, *ref, *cur);
    else
      deciles = deciles_of(*ref, *cur);
    as_categories = !deciles;
  }
  if (numeric && as_categories) {
    number_categories(*ref, ref_cat);
    number_categories(*cur, cur_cat);
  }
  if (!numeric || method == DriftMethod::kChi2 || method == DriftMethod::kGtest)
    check_unseen(x, name, c, ref_cat, cur_cat, n_cur, extra_checks);
  record_bins(c, deciles ? &*deciles : nullptr, ref_cat, cur_cat);
  auto test = [&](TestResult r) {
    stat = r.statistic;
    p = r.p_value;
  };
  if (method == DriftMethod::kKs) {
    KsResult r = ks_2samp(ref->sorted, cur->sorted);
    stat = r.statistic;
    p = r.p_value;
  } else if (method == DriftMethod::kMannWhitney) {
    test(mannwhitneyu(ref->sorted, cur->sorted));
  } else if (method == DriftMethod::kAnderson) {
    test(anderson_ksamp(ref->sorted, cur->sorted));
    if (*p == 0.25 || *p == 0.001)
      c.extra["p_value_clipped"] = true;  // scipy's table ends: the true p is beyond it
  } else if (method == DriftMethod::kCramerVonMises) {
    test(cramervonmises_2samp(ref->sorted, cur->sorted));
  } else if (method == DriftMethod::kEnergy) {
    stat = energy_distance(ref->sorted, cur->sorted);
  } else if (method == DriftMethod::kTtest) {
    if (n_ref < 2 || n_cur < 2) {
      c.status = Status::kError;
      c.message = "ttest needs at least two values in each sample";
      return out;
    }
    const Moments& mr = ref->moments_of_sorted();
    const Moments& mc = cur->moments_of_sorted();
    const double nr = static_cast<double>(n_ref), nc = static_cast<double>(n_cur);
    test(welch_ttest(nr, mr.mean, mr.ss / (nr - 1), nc, mc.mean, mc.ss / (nc - 1)));
  } else if (method == DriftMethod::kFisherExact) {
    std::set<std::string> u;
    for (const auto& kv : ref_cat) u.insert(kv.first);
    for (const auto& kv : cur_cat) u.insert(kv.first);
    if (u.size() > 2) {
      c.status = Status::kError;
      c.message = "fisher_exact needs a column of two categories, not " + std::to_string(u.size()) +
                  "; use chi2 or g_test";
      return out;
    }
    auto count = [](const CategoryCounts& m, const std::string& k) {
      auto it = m.find(k);
      return it == m.end() ? 0.0 : it->second;
    };
    const std::string a = *u.begin(), b = u.size() > 1 ? *u.rbegin() : std::string();
    const double ca = count(cur_cat, a), cb = count(cur_cat, b), ra = count(ref_cat, a),
                 rb = count(ref_cat, b);
    stat = fisher_exact(ca, cb, ra, rb);
    p = stat;
    c.extra["table"] = {{ca, cb}, {ra, rb}};
    c.extra["categories"] = u.size() > 1 ? ojson::array({a, b}) : ojson::array({a});
  } else if (method == DriftMethod::kWasserstein) {
    double sd = std::sqrt(ref->moments_of_sorted().ss / static_cast<double>(n_ref));
    c.extra["reference_std"] = sd;
    // A constant reference is scaled by 0.001, as Evidently does.
    stat = wasserstein(ref->sorted, cur->sorted) / std::max(sd, 0.001);
  } else if (method == DriftMethod::kPsi || method == DriftMethod::kJensenShannon ||
             method == DriftMethod::kHellinger) {
    std::vector<double> rc, cc;
    binned_counts(deciles ? &*deciles : nullptr, ref_cat, cur_cat, rc, cc, c);
    if (method == DriftMethod::kPsi)
      stat = x.evidently_bins ? psi_evidently(rc, cc) : psi(rc, cc);
    else if (method == DriftMethod::kJensenShannon)
      stat = jensenshannon(rc, cc);
    else
      stat = hellinger(rc, cc);
    c.extra["binning"] = x.evidently_bins ? "evidently" : "deciles";
  } else if (!chi2_drift(x, ref_cat, cur_cat, n_ref, c, out, stat, p,
                         method == DriftMethod::kGtest)) {
    return out;
  }
  if (!std::isfinite(stat) || (p && !std::isfinite(*p))) {
    c.status = Status::kError;
    c.message = method_name + " cannot be computed on these values (the statistic is not finite)";
    return out;
  }
  c.value = stat;
  c.p_value = p;
  c.extra["statistic"] = stat;
  out.computed = true;
  out.drift = is_drift(method, stat, p, threshold);
  c.extra["drift"] = out.drift;
  if (out.drift) fail_or_warn(c, x);
  std::string measure = p ? method_name + " p-value " + format_short(*p, 4) +
                                (out.drift ? " < " : " >= ") + format_short(threshold, 4)
                          : method_name + " " + format_short(stat, 4) +
                                (out.drift ? " >= " : " < ") + format_short(threshold, 4);
  c.message = std::string(out.drift ? "drift" : "no drift") + " (" + measure + ")";
  return out;
}

}  // namespace

void check_row_count(const Expectation& x, const Table& data, Check& c) {
  c = base_check(x, "", "row count is " + bounds_text(x));
  c.value = static_cast<double>(data.rows);
  bool ok = within(x, static_cast<double>(data.rows));
  if (!ok) fail_or_warn(c, x);
  c.message = std::to_string(data.rows) + " rows" + (ok ? "" : ", not " + bounds_text(x));
}

void check_columns_exist(const Expectation& x, const Table& data, Check& c) {
  c = base_check(x, "", "columns exist");
  Tally t;
  for (const auto& name : x.columns) {
    ++t.considered;
    if (std::find(data.header.begin(), data.header.end(), name) == data.header.end()) t.miss(name);
  }
  c.extra["unexpected_count"] = t.unexpected;
  c.extra["unexpected_examples"] = t.examples;
  if (t.unexpected) fail_or_warn(c, x);
  c.message = t.unexpected ? std::to_string(t.unexpected) + " of " + std::to_string(t.considered) +
                                 " columns are missing"
                           : "all " + std::to_string(t.considered) + " columns exist";
}

void check_no_overlap(const Expectation& x, Context& ctx, Check& c) {
  std::string joined;
  for (const auto& n : x.columns) joined += (joined.empty() ? "" : "+") + n;
  c = base_check(x, "", "no rows shared with the reference by " + joined);
  c.id = expect_name(x.expect) + std::string(".") + joined;
  c.extra["columns"] = x.columns;
  if (!ctx.ref) {
    c.status = Status::kError;
    c.message = "no_overlap_with_reference needs --reference";
    return;
  }
  std::vector<const ColumnData*> cur, ref;
  for (const auto& n : x.columns) {
    const ColumnData* a = find_column(ctx, n, c);
    const ColumnData* b = a ? find_column(ctx, n, c, true) : nullptr;
    if (!a || !b) return;
    cur.push_back(a);
    ref.push_back(b);
  }
  const auto key = row_key;
  if (ctx.ref_keys) {
    // A profile keeps 64-bit hashes of the keys: a current key whose hash is among them counts
    // as shared (a false match has probability about n_reference / 2^64 per row).
    auto it = ctx.ref_keys->find(joined);
    if (it == ctx.ref_keys->end()) {
      c.status = Status::kError;
      c.message = "the reference profile keeps no keys of " + joined +
                  ": write it with a suite that has this expectation";
      return;
    }
    c.extra["key_hashes"] = it->second.size();
    Tally t;
    for (std::size_t i = 0; i < static_cast<std::size_t>(ctx.data.rows); ++i) {
      ++t.considered;
      if (std::binary_search(it->second.begin(), it->second.end(), key_hash(key(cur, i)))) {
        ojson ex = ojson::object();
        for (std::size_t j = 0; j < cur.size(); ++j) ex[x.columns[j]] = cur[j]->json_value(i);
        t.miss(ex);
      }
    }
    finish_mostly(c, x, t, "are also in the reference");
    return;
  }
  std::unordered_set<std::string> keys;
  keys.reserve(static_cast<std::size_t>(ctx.ref->rows));
  for (std::size_t i = 0; i < static_cast<std::size_t>(ctx.ref->rows); ++i)
    keys.insert(key(ref, i));
  Tally t;
  for (std::size_t i = 0; i < static_cast<std::size_t>(ctx.data.rows); ++i) {
    ++t.considered;
    if (keys.count(key(cur, i))) {
      ojson ex = ojson::object();
      for (std::size_t j = 0; j < cur.size(); ++j) ex[x.columns[j]] = cur[j]->json_value(i);
      t.miss(ex);
    }
  }
  finish_mostly(c, x, t, "are also in the reference");
}

// The title of a per-column expectation's check.
std::string column_check_title(const Expectation& x, const std::string& col) {
  const Expect k = x.expect;
  std::string title = col + " " + expect_name(k);
  if (k == Expect::kNotNull)
    title = col + " is not null";
  else if (k == Expect::kUnique)
    title = col + " is unique";
  else if (k == Expect::kColumnType)
    title = col + " is of type " + x.type;
  else if (k == Expect::kInSet)
    title = col + " is in the set";
  else if (k == Expect::kBetween)
    title = col + " is " + bounds_text(x);
  else if (k == Expect::kMatchRegex)
    title = col + " matches " + x.regex;
  else if (k == Expect::kMeanBetween)
    title = "mean of " + col + " is " + bounds_text(x);
  else if (k == Expect::kStdevBetween)
    title = "standard deviation of " + col + " is " + bounds_text(x);
  else if (k == Expect::kQuantileBetween)
    title = "quantile " + format_short(*x.quantile, 4) + " of " + col + " is " + bounds_text(x);
  if (x.mostly) title += " (mostly " + format_short(*x.mostly, 6) + ")";
  return title;
}

// Checks that need a column's numbers sorted (and nothing of its rows).
bool order_free(Expect k) {
  return k == Expect::kNoDrift || k == Expect::kQuantileBetween || k == Expect::kMeanBetween ||
         k == Expect::kStdevBetween;
}

// The columns an expectation names ("*": every column of the reference, else of the data).
std::vector<std::string> expectation_columns(const Expectation& x, const Table& data,
                                             const Table* reference) {
  if (x.columns.size() == 1 && x.columns[0] == "*")
    return reference ? reference->header : data.header;
  return x.columns;
}

// One task per (expectation, column).
struct SuiteTask {
  const Expectation* x;
  std::string column;
};

// The document: each task's check and those it added, ids kept unique, and the drift summary.
ResultDoc suite_document(const Table& data, const Table* reference, std::vector<Check>& checks,
                         std::vector<std::vector<Check>>& extra,
                         const std::vector<DriftOutcome>& drift) {
  ResultDoc doc;
  doc.tool = "mlgate-datatest";
  doc.version = MLGATE_VERSION;
  std::map<std::string, int> seen_ids;
  std::size_t drift_cols = 0, drifted = 0;
  for (std::size_t ti = 0; ti < checks.size(); ++ti) {
    auto add = [&](Check c) {
      int n = ++seen_ids[c.id];
      if (n > 1) c.id += "#" + std::to_string(n);  // the same expectation twice: ids stay unique
      doc.checks.push_back(std::move(c));
    };
    add(std::move(checks[ti]));
    for (auto& e : extra[ti]) add(std::move(e));
    if (drift[ti].computed) {
      ++drift_cols;
      drifted += drift[ti].drift;
    }
  }
  doc.extra["drift"] = {
      {"columns", drift_cols},
      {"drifted", drifted},
      {"share", drift_cols ? ojson(static_cast<double>(drifted) / static_cast<double>(drift_cols))
                           : ojson(nullptr)}};
  doc.metrics["rows"] = data.rows;
  doc.metrics["columns"] = data.header.size();
  if (reference) doc.metrics["reference_rows"] = reference->rows;
  return doc;
}

std::vector<std::uint64_t> reference_key_hashes(const Table& t,
                                                const std::vector<std::string>& columns) {
  std::vector<ColumnData> ds;
  ds.reserve(columns.size());
  for (const auto& n : columns) {
    const Column* c = t.find(n);
    if (!c || !c->present)
      throw Error(
          "no_overlap_with_reference names column " + quote(n) + ", which is not in the reference",
          t.path, "profile a reference that has the key's columns");
    ds.push_back(column_data(*c, false));
  }
  std::vector<const ColumnData*> cs;
  cs.reserve(ds.size());
  for (const auto& d : ds) cs.push_back(&d);
  std::vector<std::uint64_t> out;
  out.reserve(static_cast<std::size_t>(t.rows));
  for (std::size_t i = 0; i < static_cast<std::size_t>(t.rows); ++i)
    out.push_back(key_hash(row_key(cs, i)));
  return out;
}

ResultDoc run_suite(const Suite& suite, Table& data, Table* reference,
                    const std::map<std::string, std::vector<std::uint64_t>>* reference_keys) {
  Context ctx{data, reference, {}, {}};
  ctx.ref_keys = reference_keys;
  // Columns the suite touches; which need sorted numbers; which need their rows kept.
  std::set<std::string> used, used_ref, needs_sort, keep_rows;
  for (const auto& x : suite.expectations) {
    for (const auto& c : expectation_columns(x, data, reference)) {
      used.insert(c);
      if (x.expect == Expect::kNoDrift || x.expect == Expect::kNoOverlapWithReference)
        used_ref.insert(c);
      if (order_free(x.expect) && !x.weighted) needs_sort.insert(c);
    }
  }
  for (const auto& c : used) ctx.cols[c] = ColumnData();
  for (auto it = ctx.cols.begin(); it != ctx.cols.end();) {
    if (const Column* col = data.find(it->first)) {
      it->second = column_data(*col, false);
      ++it;
    } else {
      it = ctx.cols.erase(it);
    }
  }
  if (reference)
    for (const auto& c : used_ref)
      if (const Column* col = reference->find(c)) ctx.ref_cols[c] = column_data(*col, false);
  bool weighted = false;
  for (const auto& x : suite.expectations) weighted = weighted || x.weighted;
  if (weighted && !suite.weight_col.empty()) {
    ctx.weight = data.find(suite.weight_col);
    if (!ctx.weight || !ctx.weight->present)
      throw Error("the weight column " + quote(suite.weight_col) + " is not in the data",
                  suite.path, "name a column of the data in the suite's weight (or --weight-col)");
  }

  // One task per (expectation, column). Checks that read rows run first; then each purely
  // numeric column's numbers are sorted in place (no second copy) for the order-free ones.
  std::vector<SuiteTask> tasks;
  for (const auto& x : suite.expectations) {
    bool per_column = x.expect != Expect::kRowCountBetween && x.expect != Expect::kColumnsExist &&
                      x.expect != Expect::kNoOverlapWithReference;
    if (!per_column) {
      tasks.push_back({&x, ""});
      continue;
    }
    for (const auto& c : expectation_columns(x, data, reference)) tasks.push_back({&x, c});
  }
  std::vector<Check> checks(tasks.size());
  std::vector<std::vector<Check>> extra(tasks.size());
  std::vector<DriftOutcome> drift(tasks.size());
  auto run_task = [&](std::size_t ti) {
    const Expectation& x = *tasks[ti].x;
    const std::string& col = tasks[ti].column;
    Check& c = checks[ti];
    const Expect k = x.expect;
    if (k == Expect::kRowCountBetween) {
      check_row_count(x, data, c);
    } else if (k == Expect::kColumnsExist) {
      check_columns_exist(x, data, c);
    } else if (k == Expect::kNoOverlapWithReference) {
      check_no_overlap(x, ctx, c);
    } else if (k == Expect::kNoDrift) {
      c = base_check(x, col, col + " does not drift from the reference");
      drift[ti] = check_drift(x, col, ctx, c, extra[ti]);
    } else {
      c = base_check(x, col, column_check_title(x, col));
      check_column(x, col, ctx, c);
    }
  };
  std::vector<std::size_t> first, second;
  std::map<std::string, std::vector<std::size_t>> with_sort;  // unique checks run with the sort
  for (std::size_t ti = 0; ti < tasks.size(); ++ti) {
    const std::string& col = tasks[ti].column;
    if (tasks[ti].x->expect == Expect::kUnique && needs_sort.count(col) && ctx.cols.count(col) &&
        ctx.cols[col].has_numbers())
      with_sort[col].push_back(ti);
    else
      (order_free(tasks[ti].x->expect) && !tasks[ti].x->weighted ? second : first).push_back(ti);
  }
  lap("prepare");
  parallel_for(first.size(), [&](std::size_t j) { run_task(first[j]); });
  lap("row checks");

  // Then the sorts. A purely numeric column's own vector is sorted: its rows are gone after.
  // unique checks on a column sorted anyway run here, from the sorted values, while its rows
  // are still there.
  std::vector<std::pair<Table*, ColumnData*>> sorts;
  for (auto& [name, d] : ctx.cols)
    if (needs_sort.count(name)) sorts.emplace_back(&data, &d);
  for (auto& [name, d] : ctx.ref_cols)
    if (needs_sort.count(name)) sorts.emplace_back(reference, &d);
  // Two columns at a time, each on one core (a column alone gets both). Columns sorted in place
  // (their rows are not needed after) add only the buffer beside each; columns whose rows are
  // still needed (text, or a unique check's examples) also need a new vector, so they come
  // after the in-place ones, when the reference's numbers have become its sorted values.
  auto sort_one = [&](Table* table, ColumnData& d, SortScratch& scratch, unsigned threads) {
    Column* col = table->find(d.col->name);
    auto deferred = table == &data ? with_sort.find(d.col->name) : with_sort.end();
    const bool keep_rows = d.has_text() || deferred != with_sort.end();
    d.take(sort_column(*col, keep_rows ? &scratch.spare : &col->numbers, &scratch, threads));
    if (!keep_rows) d.moved = true;
    if (deferred != with_sort.end()) {
      for (std::size_t ti : deferred->second) run_task(ti);
      if (!d.has_text()) {  // its rows are done with: their storage serves the next column
        scratch.spare = std::move(col->numbers);
        col->numbers = {};
        d.moved = true;
      }
    }
  };
  std::vector<std::pair<Table*, ColumnData*>> in_place, with_rows;
  for (auto& e : sorts) {
    const bool keep_rows =
        e.second->has_text() || (e.first == &data && with_sort.count(e.second->col->name));
    (keep_rows ? with_rows : in_place).push_back(e);
  }
  std::vector<SortScratch> scratch(2);
  Progress sorting("sorting", "columns", sorts.size());
  for (const auto* list : {&in_place, &with_rows}) {
    if (list->size() == 1) {
      sort_one((*list)[0].first, *(*list)[0].second, scratch[0], default_threads());
      sorting.add(1);
      continue;
    }
    std::atomic<std::size_t> next{0};
    parallel_for(2, [&](std::size_t t) {
      for (std::size_t j; (j = next.fetch_add(1)) < list->size();) {
        sort_one((*list)[j].first, *(*list)[j].second, scratch[t], 1);
        sorting.add(1);
      }
    });
    lap(list == &in_place ? "sorts in place" : "sorts keeping rows");
  }
  scratch.clear();  // the buffers and spares go before the checks

  parallel_for(second.size(), [&](std::size_t j) { run_task(second[j]); });
  lap("order-free checks");

  ResultDoc doc = suite_document(data, reference, checks, extra, drift);
  return doc;
}

// ---------------------------------------------------------------------------------------------

std::string infer_suite(const Table& ref) {
  YAML::Emitter out;
  out << YAML::Comment("Inferred by mlgate-datatest --infer-suite from " + ref.path + " (" +
                       std::to_string(ref.rows) + " rows). Review before use.");
  out << YAML::BeginMap << YAML::Key << "version" << YAML::Value << 1;
  out << YAML::Key << "expectations" << YAML::Value << YAML::BeginSeq;
  auto flow = [&](const std::function<void()>& body) {
    out << YAML::Flow << YAML::BeginMap;
    body();
    out << YAML::EndMap;
  };
  const auto n = static_cast<double>(ref.rows);
  auto num = [](double v) {
    return format_number(v);
  };  // the shortest text that reads back the same
  std::vector<std::string> drift_columns;
  flow([&] {
    out << YAML::Key << "expect" << YAML::Value << "row_count_between";
    out << YAML::Key << "min" << YAML::Value << static_cast<std::int64_t>(std::floor(n * 0.5));
    out << YAML::Key << "max" << YAML::Value << static_cast<std::int64_t>(std::ceil(n * 2));
  });
  flow([&] {
    out << YAML::Key << "expect" << YAML::Value << "columns_exist";
    out << YAML::Key << "columns" << YAML::Value << YAML::Flow << ref.header;
  });
  for (const auto& name : ref.header) {
    const Column* col = ref.find(name);
    if (!col) continue;
    ColumnData d = column_data(*col, true);
    std::string type = d.observed_type();
    if (type == "null") continue;
    if (type != "mixed")
      flow([&] {
        out << YAML::Key << "expect" << YAML::Value << "column_type" << YAML::Key << "column"
            << YAML::Value << name;
        out << YAML::Key << "type" << YAML::Value << type;
      });
    // Null rate with a margin: the share of non-null values, less one point.
    double non_null = 1 - static_cast<double>(d.missing) / n;
    flow([&] {
      out << YAML::Key << "expect" << YAML::Value << "not_null" << YAML::Key << "column"
          << YAML::Value << name;
      out << YAML::Key << "mostly" << YAML::Value
          << num(std::max(0.0, std::floor((non_null - 0.01) * 1e4) / 1e4));
    });
    if (type == "integer" || type == "number") {
      double lo = d.sorted.front(), hi = d.sorted.back(), pad = (hi - lo) * 0.1;
      if (type == "integer") {
        lo = std::floor(lo - pad);
        hi = std::ceil(hi + pad);
      } else {
        lo -= pad;
        hi += pad;
      }
      flow([&] {
        out << YAML::Key << "expect" << YAML::Value << "between" << YAML::Key << "column"
            << YAML::Value << name;
        out << YAML::Key << "min" << YAML::Value << num(lo) << YAML::Key << "max" << YAML::Value
            << num(hi);
      });
    }
    auto counts = category_counts(d);
    if (type == "string" || type == "boolean") {
      if (counts.size() <= 20 && counts.size() * 2 <= static_cast<std::size_t>(n))
        flow([&] {
          out << YAML::Key << "expect" << YAML::Value << "in_set" << YAML::Key << "column"
              << YAML::Value << name;
          out << YAML::Key << "values" << YAML::Value << YAML::Flow << YAML::BeginSeq;
          for (const auto& kv : counts) out << kv.first;
          out << YAML::EndSeq;
        });
    }
    const bool all_distinct = d.missing == 0 && counts.size() == static_cast<std::size_t>(ref.rows);
    if ((type == "string" || type == "integer") && n >= 10 && all_distinct)
      flow([&] {
        out << YAML::Key << "expect" << YAML::Value << "unique" << YAML::Key << "column"
            << YAML::Value << name;
      });
    // Identifiers and free text do not drift in any useful sense: keep numbers and categories.
    bool categorical = counts.size() * 2 <= static_cast<std::size_t>(n);
    if ((type == "integer" || type == "number") ? !all_distinct || type == "number" : categorical)
      drift_columns.push_back(name);
  }
  if (!drift_columns.empty())
    flow([&] {
      out << YAML::Key << "expect" << YAML::Value << "no_drift" << YAML::Key << "columns"
          << YAML::Value << YAML::Flow << drift_columns;
      out << YAML::Key << "method" << YAML::Value << "auto";
    });
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

int run_datatest(const DatatestOptions& o) {
  if (!o.infer_suite.empty()) {
    if (o.reference.empty())
      throw Error("--infer-suite needs --reference", "flags",
                  "the suite is learned from the reference");
    if (is_profile(o.reference))
      throw Error("--infer-suite learns from the reference table, not its profile", o.reference,
                  "give the table the profile was made from");
    Table ref = read_all_columns(o.reference, o.format);
    std::string yaml = infer_suite(ref);
    write_file_atomic(o.infer_suite, yaml);
    log_info("mlgate-datatest: wrote a suite inferred from %s (%lld rows) to %s\n",
             o.reference.c_str(), static_cast<long long>(ref.rows), o.infer_suite.c_str());
    return 0;
  }
  const bool profiling = !o.profile_out.empty();
  if (profiling && (o.reference.empty() || o.suite.empty()))
    throw Error("--profile-out needs --reference and --suite", "--profile-out",
                "the profile keeps what the suite's checks need of the reference");
  if ((o.data.empty() && !profiling) || o.suite.empty())
    throw Error("give --data and --suite (or --reference with --infer-suite)", "flags",
                "see --help");
  lap("start");
  Suite suite = load_suite(o.suite);
  if (!o.weight_col.empty()) suite.weight_col = o.weight_col;
  auto needed = suite_columns(suite);  // read only what the suite looks at
  const bool from_profile = !o.reference.empty() && is_profile(o.reference);
  if (profiling) {
    if (from_profile)
      throw Error("--reference is already a profile", o.reference,
                  "profile the reference table itself");
    Table ref = read_all_columns(o.reference, o.format, needed ? &*needed : nullptr);
    write_profile(o.profile_out, ref, o.reference, suite);
    log_info("mlgate-datatest: wrote the profile of %s (%lld rows) to %s\n", o.reference.c_str(),
             static_cast<long long>(ref.rows), o.profile_out.c_str());
    if (o.data.empty()) return 0;
  }
  Table data = read_all_columns(o.data, o.format, needed ? &*needed : nullptr);
  lap("read data");
  std::optional<Table> ref;
  std::optional<ReferenceProfile> profile;
  if (from_profile) {
    profile = read_profile(o.reference);
    ref = std::move(profile->table);
    if (needed)
      for (const auto& n : *needed)
        if (std::find(ref->header.begin(), ref->header.end(), n) != ref->header.end() &&
            !ref->find(n))
          throw Error("the profile has no column " + quote(n), o.reference,
                      "write the profile with this suite (--profile-out)");
  } else if (!o.reference.empty()) {
    ref = read_all_columns(o.reference, o.format, needed ? &*needed : nullptr);
  }
  lap("read reference");
  ResultDoc doc =
      run_suite(suite, data, ref ? &*ref : nullptr, profile ? &profile->key_hashes : nullptr);
  // A table's description: where from, its digest and rows, its format, and what the numbers
  // of date and time columns count (Parquet).
  auto describe = [](const std::string& path, const Table& t) {
    ojson d = {{"path", path}, {"sha256", t.sha256}, {"rows", t.rows}};
    d["format"] = format_name(t.format);
    if (!t.units.empty()) {
      ojson u = ojson::object();
      for (const auto& [col, unit] : t.units) u[col] = unit;
      d["units"] = std::move(u);
    }
    return d;
  };
  doc.inputs["data"] = describe(o.data, data);
  doc.inputs["reference"] = ref ? describe(o.reference, *ref) : ojson(nullptr);
  if (profile) {
    // The reference the profile was made from, and the profile itself.
    ojson r = profile->source;
    r["profile"] = {{"path", o.reference}, {"sha256", sha256_file(o.reference)}};
    doc.inputs["reference"] = std::move(r);
  }
  doc.inputs["suite"] = {{"path", o.suite}, {"sha256", suite.sha256}};
  doc.provenance = make_provenance(suite.sha256);
  for (const auto& c : doc.checks) {
    log_info("%-5s %s: %s\n", status_name(c.status), c.id.c_str(), c.message.c_str());
    if (!c.method.empty()) log_verbose("%s: method %s", c.id.c_str(), c.method.c_str());
  }
  const auto& dr = doc.extra["drift"];
  if (dr["columns"].get<std::size_t>() > 0)
    log_info("mlgate-datatest: %zu of %zu columns drifted\n", dr["drifted"].get<std::size_t>(),
             dr["columns"].get<std::size_t>());
  const int rc = finish_document(doc, o.output, o.stamp);
  lap("document");
  return rc;
}

}  // namespace mlgate
