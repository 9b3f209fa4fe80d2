// parse_json: bounded nesting, no duplicate keys, located errors.
#include <gtest/gtest.h>

#include "mlgate/base/error.hpp"
#include "mlgate/base/json.hpp"
#include "mlgate/base/number.hpp"

using namespace mlgate;

namespace {
std::string error_of(const std::string& text, JsonLimits limits = {}) {
  try {
    parse_json(text, "f.json", limits);
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}
}  // namespace

TEST(Json, ParsesAndKeepsValues) {
  auto j = parse_json(R"({"a": [1, 2, {"b": "x"}], "c": null})", "f.json");
  EXPECT_EQ(j["a"][2]["b"], "x");
  auto o = parse_ordered_json(R"({"z": 1, "a": 2})", "f.json");
  EXPECT_EQ(o.begin().key(), "z");  // order kept
}

TEST(Json, DepthIsBounded) {
  std::string ok = std::string(128, '[') + std::string(128, ']');
  EXPECT_NO_THROW(parse_json(ok, "f.json"));
  std::string deep = std::string(129, '[') + std::string(129, ']');
  EXPECT_EQ(
      error_of(deep),
      "f.json:1:129: JSON nested deeper than 128 levels (no mlgate document nests this deep)");
  // Brackets inside strings do not count.
  EXPECT_NO_THROW(parse_json("[\"" + std::string(500, '[') + "\"]", "f.json"));
  std::string nl = "{\n  \"a\":\n" + std::string(200, '[');
  EXPECT_NE(error_of(nl).find("f.json:3:128:"), std::string::npos) << error_of(nl);
}

TEST(Json, DuplicateKeysNamed) {
  EXPECT_EQ(
      error_of(R"({"m": {"roc_auc": {"min": 0.9}, "roc_auc": {"min": 0.1}}})"),
      "f.json: /m/roc_auc: duplicate key \"roc_auc\" (each key may appear once in an object)");
  EXPECT_EQ(error_of(R"([{"a": 1}, {"a~/b": 1, "a~/b": 2}])"),
            "f.json: /1/a~0~1b: duplicate key \"a~/b\" (each key may appear once in an object)");
  EXPECT_EQ(error_of(R"({"a": 1, "a": 2})", {kMaxJsonDepth, false}), "");  // where allowed
  EXPECT_EQ(error_of(R"([{"a": 1}, {"a": 1}])"), "");  // same key in two objects
}

TEST(Json, SyntaxAndRange) {
  EXPECT_NE(error_of("{\n  \"a\": }").find("f.json:2:8: invalid JSON"), std::string::npos)
      << error_of("{\n  \"a\": }");
  EXPECT_EQ(error_of("[1e999]"),
            "f.json: invalid JSON: a number is out of range (numbers must fit a double)");
}

TEST(Json, NestingScan) {
  auto n = scan_nesting(R"({"a": "}"} tail)", 10, true);
  EXPECT_EQ(n.first_end, 10u);
  EXPECT_EQ(scan_nesting("[[[", 2).too_deep_at, 2u);
  EXPECT_EQ(scan_nesting("\"[[[\"", 2).too_deep_at, std::string_view::npos);
}

TEST(Number, ParsesAsTheReadersDo) {
  double v = 0;
  bool inf = false;
  EXPECT_TRUE(parse_number("0.1", &v));
  EXPECT_EQ(v, 0.1);
  EXPECT_TRUE(parse_number(" +2.5e3 ", &v));
  EXPECT_EQ(v, 2500);
  EXPECT_FALSE(parse_number("inf", &v, &inf));
  EXPECT_TRUE(inf);
  EXPECT_FALSE(parse_number("nan", &v));
  EXPECT_FALSE(parse_number("1.2.3", &v));
  int places = -1;
  EXPECT_TRUE(parse_plain_decimal("-12.340", &v, &places));
  EXPECT_EQ(places, 3);
  EXPECT_TRUE(is_missing_marker("NA"));
  EXPECT_TRUE(is_missing_marker(""));
  EXPECT_FALSE(is_missing_marker("NAN!"));
}
