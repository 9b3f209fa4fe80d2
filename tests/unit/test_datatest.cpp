// decisions/datatest: suites parsed strictly, every expectation on a small table with values
// from numpy and counted by hand, drift between two tables, and the inferred suite.
#include <gtest/gtest.h>

#include <map>

#include "mlgate/base/error.hpp"
#include "mlgate/decisions/datatest.hpp"

using namespace mlgate;

namespace {
const char* kData =
    "id,x,city,email\n"
    "1,1.5,Oslo,a@b.io\n"
    "2,2.5,Oslo,c@d.io\n"
    "3,2.5,Rome,bad\n"
    "4,4.0,,e@f.io\n"
    "4,3.25,Paris,g@h.io\n";

Table table(const std::string& name, const std::string& csv) {
  std::vector<ColumnSpec> specs;
  for (const char* c : {"id", "x", "city", "email"}) specs.push_back({c, ColumnType::kAuto, false});
  return read_table_buffer(name, csv, TableFormat::kCsv, specs);
}

std::map<std::string, Check> run(const std::string& suite_yaml, const std::string& csv = kData,
                                 const std::string* ref_csv = nullptr) {
  Suite s = parse_suite(suite_yaml, "suite.yaml");
  Table data = table("d.csv", csv);
  std::optional<Table> ref;
  if (ref_csv) ref = table("r.csv", *ref_csv);
  ResultDoc doc = run_suite(s, data, ref ? &*ref : nullptr);
  std::map<std::string, Check> by_id;
  for (auto& c : doc.checks) by_id[c.id] = c;
  return by_id;
}
}  // namespace

TEST(Datatest, ExpectationsOnOneTable) {
  auto c =
      run("expectations:\n"
          "  - {expect: row_count_between, min: 5, max: 5}\n"
          "  - {expect: columns_exist, columns: [id, x, zip]}\n"
          "  - {expect: not_null, column: city}\n"
          "  - {expect: not_null, column: city, mostly: 0.8}\n"
          "  - {expect: unique, column: id}\n"
          "  - {expect: in_set, column: city, values: [Oslo, Rome, Paris]}\n"
          "  - {expect: between, column: x, min: 1, max: 3}\n"
          "  - {expect: match_regex, column: email, regex: '^[^@]+@[^@]+$'}\n"
          "  - {expect: mean_between, column: x, min: 2.7, max: 2.8}\n"
          "  - {expect: stdev_between, column: x, min: 0.9, max: 1.0}\n"
          "  - {expect: quantile_between, column: x, quantile: 0.9, min: 3.7, max: 3.7}\n"
          "  - {expect: column_type, column: x, type: number}\n");
  ASSERT_GE(c.size(), 12u);
  EXPECT_EQ(c["row_count_between"].status, Status::kPass);
  EXPECT_EQ(c["columns_exist"].status, Status::kFail);  // zip
  EXPECT_EQ(c["not_null.city"].status, Status::kFail);
  EXPECT_EQ(c["not_null.city#2"].status, Status::kPass);  // 4 of 5 >= mostly 0.8; ids unique
  EXPECT_EQ(c["unique.id"].status, Status::kFail);
  EXPECT_EQ(c["in_set.city"].status, Status::kPass);  // missing values are not judged
  EXPECT_EQ(c["between.x"].status, Status::kFail);    // 4.0 and 3.25
  EXPECT_EQ(c["match_regex.email"].status, Status::kFail);
  EXPECT_DOUBLE_EQ(*c["mean_between.x"].value, 2.75);                   // numpy mean
  EXPECT_NEAR(*c["stdev_between.x"].value, 0.9354143466934853, 1e-15);  // std(ddof=1)
  EXPECT_NEAR(*c["quantile_between.x"].value, 3.7, 1e-15);              // quantile linear
  EXPECT_EQ(c["mean_between.x"].status, Status::kPass);
  EXPECT_EQ(c["column_type.x"].status, Status::kPass);
}

TEST(Datatest, DriftAgainstAReference) {
  std::string ref = "id,x,city,email\n", cur = ref;
  for (int i = 0; i < 200; ++i) {
    ref += std::to_string(i) + "," + std::to_string(i % 50) + "," + (i % 2 ? "Oslo" : "Rome") +
           ",a@b\n";
    cur += std::to_string(i) + "," + std::to_string(20 + i % 50) + "," + (i % 3 ? "Oslo" : "Lima") +
           ",a@b\n";
  }
  auto c = run("expectations:\n  - {expect: no_drift, columns: [x, city]}\n", cur, &ref);
  EXPECT_EQ(c["no_drift.x"].method, "ks");  // a small reference of numbers: a test
  EXPECT_EQ(c["no_drift.x"].status, Status::kFail);
  EXPECT_EQ(c["no_drift.city"].method, "chi2");
  EXPECT_EQ(c["no_drift.city.unseen"].status, Status::kFail);  // Lima is new
  auto same = run("expectations:\n  - {expect: no_drift, column: x, method: psi}\n", ref, &ref);
  EXPECT_EQ(same["no_drift.x"].status, Status::kPass);
  EXPECT_DOUBLE_EQ(*same["no_drift.x"].value, 0);
  // Without a reference, drift is an error, never a pass.
  auto none = run("expectations:\n  - {expect: no_drift, column: x}\n");
  EXPECT_EQ(none["no_drift.x"].status, Status::kError);
}

TEST(Datatest, SuitesAreParsedStrictly) {
  auto err = [](const std::string& yaml) {
    try {
      parse_suite(yaml, "s.yaml");
    } catch (const Error& e) {
      return e.where() + ": " + e.what_text();
    }
    return std::string("no error");
  };
  EXPECT_NE(err("expectations:\n  - {expect: not_nul, column: a}\n").find("s.yaml:2"),
            std::string::npos);
  EXPECT_NE(err("expectations:\n  - {expect: between, column: a, min: 1, mn: 2}\n"), "no error");
  EXPECT_NE(err("expectations:\n  - {expect: match_regex, column: a, regex: '(a)\\1'}\n"),
            "no error");  // RE2 has no backreferences
  EXPECT_NE(err("expectations:\n  - {expect: no_drift, column: a, method: magic}\n"), "no error");
  Suite s = parse_suite("expectations:\n  - {expect: no_drift, column: a, method: wasserstein}\n",
                        "s.yaml");
  EXPECT_EQ(s.expectations[0].method, DriftMethod::kWasserstein);
  EXPECT_EQ(*suite_columns(s), std::vector<std::string>{"a"});
}

TEST(Datatest, InferredSuitePassesOnItsOwnData) {
  Table ref = table("r.csv", kData);
  const std::string yaml = infer_suite(ref);
  Suite s = parse_suite(yaml, "inferred.yaml");
  EXPECT_FALSE(s.expectations.empty());
  Table again = table("r.csv", kData);
  Table ref2 = table("r.csv", kData);
  ResultDoc doc = run_suite(s, again, &ref2);
  for (const auto& c : doc.checks) EXPECT_NE(c.status, Status::kFail) << c.id << ": " << c.message;
}
