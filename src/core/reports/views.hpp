// The report's shared views of result documents, for every output format (reports wing,
// private): checks in order of importance and once each, what a check's value and bound read as,
// the series the charts draw, safe lookups into documents.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlgate/reports/report.hpp"

namespace mlgate::views {

struct Counts {
  int checks = 0, passed = 0, failed = 0, warned = 0, errors = 0;
  void add(Status s) {
    ++checks;
    passed += s == Status::kPass;
    failed += s == Status::kFail;
    warned += s == Status::kWarn;
    errors += s == Status::kError;
  }
};

struct Ref {
  const LoadedDoc* doc;
  const Check* check;
};

// Rows of (label, value) series for charts: per-slice metric of eval/compare, per-group rate of
// fairness.
struct Series {
  std::string title, metric;
  std::vector<std::pair<std::string, double>> points;
  std::vector<bool> ungated;  // per point, for groups; empty for slices
};

std::string num(const std::optional<double>& v, int digits = 4);  // "—" when absent
const char* icon(Status s);
int rank(Status s);  // most important first
Counts count(const std::vector<LoadedDoc>& docs);
Counts count(const std::vector<Ref>& checks);  // of the checks given (e.g. unique_checks)
// Every check, most important first (stable within a status).
std::vector<Ref> ordered_checks(const std::vector<LoadedDoc>& docs);
// Every check once: the same id about the same input (eval and compare with one policy) keeps
// its first, worst, occurrence.
std::vector<Ref> unique_checks(const std::vector<LoadedDoc>& docs);
std::string primary_input(const LoadedDoc& d);  // the sha256 of the input it is about
std::string interval(const Check& c);
std::string doc_label(const LoadedDoc& d);  // "mlgate-compare on data/candidate.csv"
std::string input_path(const LoadedDoc& d);
std::string slice_text(const ojson& slice);
// The member key of o, or nullptr when o is not an object or lacks it (never operator[] on a
// const document: a missing key there reads out of bounds).
const ojson* member(const ojson& o, const std::string& key);
std::optional<double> number_in(const ojson& o, const char* set, const std::string& key);
const ojson* eval_metrics(const ResultDoc& d);  // the metrics of eval, or compare's candidate's
std::vector<Series> chart_series(const ResultDoc& d);
bool is_share(const Check& c);  // a data test's share of rows meeting it
std::string value_text(const Check& c);
std::string bound_text(const Check& c);

}  // namespace mlgate::views
