// data/predictions: labels mapped per distinct value, missing values refused or dropped, classes
// ordered, and rows paired by id or by order, with errors naming file, line and column.
#include <gtest/gtest.h>

#include "mlgate/base/error.hpp"
#include "mlgate/data/predictions.hpp"
#include "unit_files.hpp"

using namespace mlgate;

namespace {
std::string where_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.where() + " | " + e.what_text();
  }
  return "no error";
}
}  // namespace

TEST(Predictions, BinaryLabelsAndPositiveLabel) {
  TempDir t;
  ColumnOptions o;
  Predictions p =
      load_predictions(t.write("p.csv", "label,score\nyes,0.9\nno,0.2\nyes,0.6\n"), [&] {
        ColumnOptions c = o;
        c.positive_label = "yes";
        return c;
      }());
  EXPECT_EQ(p.label, (std::vector<std::uint8_t>{1, 0, 1}));
  EXPECT_EQ(p.score, (std::vector<double>{0.9, 0.2, 0.6}));
  EXPECT_EQ(p.score_places, 1);
  EXPECT_EQ(p.size(), 3u);
  EXPECT_EQ(p.sha256.size(), 64u);
  // 0/1, true/false labels need no positive label.
  Predictions q = load_predictions(t.write("q.csv", "label,score\ntrue,0.9\nfalse,0.2\n"), o);
  EXPECT_EQ(q.label, (std::vector<std::uint8_t>{1, 0}));
  // A third value is an error naming the line where it first appears.
  const std::string path = t.write("r.csv", "label,score\n1,0.9\n0,0.2\n2,0.5\n");
  EXPECT_NE(where_of([&] { load_predictions(path, o); }).find("r.csv:4"), std::string::npos);
}

TEST(Predictions, MissingValuesRefusedOrDropped) {
  TempDir t;
  ColumnOptions o;
  const std::string path = t.write("m.csv", "label,score\n1,0.9\n0,\n1,0.4\n");
  const std::string w = where_of([&] { load_predictions(path, o); });
  EXPECT_NE(w.find("m.csv:3"), std::string::npos) << w;
  EXPECT_NE(w.find("score"), std::string::npos) << w;
  o.drop_missing = true;
  Predictions p = load_predictions(path, o);
  EXPECT_EQ(p.dropped, 1);
  EXPECT_EQ(p.score, (std::vector<double>{0.9, 0.4}));
}

TEST(Predictions, MulticlassClassesInNumericOrder) {
  TempDir t;
  ColumnOptions o;
  o.task = Task::kMulticlass;
  o.pred_col = "pred";
  Predictions p = load_predictions(t.write("c.csv", "label,pred\n10,2\n2,2\n1.0,10\n2,1\n"), o);
  EXPECT_EQ(p.classes, (std::vector<std::string>{"1", "2", "10"}));  // by value; "1.0" is "1"
  EXPECT_EQ(p.class_label, (std::vector<std::uint32_t>{2, 1, 0, 1}));
  EXPECT_EQ(p.class_pred, (std::vector<std::uint32_t>{1, 1, 2, 0}));
  EXPECT_EQ(canonical_class("1.0"), "1");
  EXPECT_EQ(canonical_class("cat"), "cat");
}

TEST(Predictions, PairingByIdAndByOrder) {
  TempDir t;
  ColumnOptions o;
  o.id_col = "id";
  Predictions c =
      load_predictions(t.write("c.csv", "id,label,score\na,1,0.9\nb,0,0.2\nc,1,0.7\n"), o);
  Predictions b =
      load_predictions(t.write("b.csv", "id,label,score\nc,1,0.5\na,1,0.6\nb,0,0.1\n"), o);
  EXPECT_EQ(pair_rows(c, b), "id");
  EXPECT_EQ(b.score, (std::vector<double>{0.6, 0.1, 0.5}));  // in the candidate's order
  Predictions bad =
      load_predictions(t.write("x.csv", "id,label,score\nc,1,0.5\na,0,0.6\nb,0,0.1\n"), o);
  EXPECT_NE(where_of([&] { pair_rows(c, bad); }), "no error");  // a label differs
  ColumnOptions plain;
  Predictions c2 = load_predictions(t.write("c2.csv", "label,score\n1,0.9\n0,0.2\n"), plain);
  Predictions b2 = load_predictions(t.write("b2.csv", "label,score\n1,0.3\n0,0.4\n"), plain);
  EXPECT_EQ(pair_rows(c2, b2), "row_order");
  Predictions short_b = load_predictions(t.write("b3.csv", "label,score\n1,0.3\n"), plain);
  EXPECT_NE(where_of([&] { pair_rows(c2, short_b); }), "no error");
}
