// reports/report: escaping per destination (nothing from data becomes markup, a link, a mention
// or a CI command), the combined status, and each format from one document.
#include <gtest/gtest.h>

#include "mlgate/reports/report.hpp"

using namespace mlgate;

namespace {
LoadedDoc doc_with(Status s, const std::string& message) {
  LoadedDoc d;
  d.path = "eval.json";
  d.doc.tool = "mlgate-eval";
  d.doc.version = "test";
  Check c;
  c.id = "roc_auc.min";
  c.title = "roc_auc is at least 0.8";
  c.metric = "roc_auc";
  c.status = s;
  c.value = 0.75;
  c.message = message;
  d.doc.checks.push_back(c);
  return d;
}
}  // namespace

TEST(Report, MarkdownEscapesFormattingLinksAndMentions) {
  const std::string m = md_text("*bold* [x](http://e.com) <b>@team</b> `c` | pipe");
  EXPECT_EQ(m.find("<b>"), std::string::npos);
  EXPECT_EQ(m.find("[x]("), std::string::npos);
  EXPECT_EQ(m.find("@team"), std::string::npos);
  EXPECT_EQ(m.find("*bold*"), std::string::npos);
  const std::string code = md_code("a`b|c");
  EXPECT_NE(code.find("\\|"), std::string::npos);  // a pipe cannot end the table cell
  EXPECT_EQ(code.find(" | "), std::string::npos);
}

TEST(Report, HtmlXmlAndWorkflowCommandsEscape) {
  EXPECT_EQ(html_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  const std::string x = xml_text(std::string("a\x01<b>\"", 6));
  EXPECT_EQ(x.find('\x01'), std::string::npos);
  EXPECT_EQ(x.find('<'), std::string::npos);
  EXPECT_EQ(gh_command_data("50%\r\n::error::x"), "50%25%0D%0A::error::x");
  EXPECT_EQ(gh_command_property("a:b,c"), "a%3Ab%2Cc");
}

TEST(Report, TheSameCheckOnTheSameInputAppearsOnce) {
  // eval and compare run with one policy both report roc_auc.min on the candidate's file.
  LoadedDoc a = doc_with(Status::kFail, "from eval"), b = doc_with(Status::kFail, "from compare");
  a.doc.inputs["data"] = {{"path", "c.csv"}, {"sha256", "abc"}};
  b.doc.tool = "mlgate-compare";
  b.doc.inputs["candidate"] = {{"path", "c.csv"}, {"sha256", "abc"}};
  std::string md = markdown_report({a, b}, {});
  EXPECT_NE(md.find("from eval"), std::string::npos);
  EXPECT_EQ(md.find("from compare"), std::string::npos);
  EXPECT_NE(md.find("1 checks: 0 passed, 1 failed"), std::string::npos);
  b.doc.inputs["candidate"]["sha256"] = "other";  // another file: another check
  md = markdown_report({a, b}, {});
  EXPECT_NE(md.find("from compare"), std::string::npos);
}

TEST(Report, RawMarkdownReadsCleanly) {
  // Paths and snake_case names need no escapes; emphasis, code and tables still cannot start.
  EXPECT_EQ(md_text("data/candidate.csv roc_auc 0.5 >= 0.4"),
            "data/candidate.csv roc_auc 0.5 >= 0.4");
  EXPECT_EQ(md_text("_x_ *y* `z` a|b"), "\\_x\\_ \\*y\\* \\`z\\` a\\|b");
}

TEST(Report, CombinedStatusIsTheWorst) {
  EXPECT_EQ(combined_status({doc_with(Status::kPass, "ok")}), Status::kPass);
  // Warnings are reported, not gated: a document with warnings only passes.
  EXPECT_EQ(combined_status({doc_with(Status::kPass, "ok"), doc_with(Status::kWarn, "w")}),
            Status::kPass);
  EXPECT_EQ(combined_status({doc_with(Status::kWarn, "w"), doc_with(Status::kFail, "f")}),
            Status::kFail);
  EXPECT_EQ(combined_status({doc_with(Status::kFail, "f"), doc_with(Status::kError, "e")}),
            Status::kError);
}

TEST(Report, EveryFormatCarriesTheCheckEscaped) {
  const std::vector<LoadedDoc> docs = {doc_with(Status::kFail, "<script>@all ##vso[task.x]")};
  const std::string md = markdown_report(docs, {});
  EXPECT_NE(md.find("roc_auc"), std::string::npos);
  EXPECT_NE(md.find("&lt;script>"), std::string::npos);
  EXPECT_EQ(md.find("<script>"), std::string::npos);
  EXPECT_NE(md.find("mlgate-report"), std::string::npos);  // the sticky marker
  const std::string junit = junit_xml(docs);
  EXPECT_NE(junit.find("<failure"), std::string::npos);
  EXPECT_EQ(junit.find("<script>"), std::string::npos);
  EXPECT_NE(gitlab_codequality(docs).find("\"severity\""), std::string::npos);
  EXPECT_NE(openmetrics(docs).find("# EOF"), std::string::npos);
  auto ann = github_annotations(docs);
  ASSERT_EQ(ann.size(), 1u);
  EXPECT_EQ(ann[0].rfind("::error", 0), 0u);
  EXPECT_EQ(ann[0].find("##vso["), std::string::npos);
  // A long report is cut to the limit, not past it.
  MarkdownOptions small;
  small.max_chars = 4000;
  std::vector<LoadedDoc> many;
  for (int i = 0; i < 50; ++i) {
    many.push_back(doc_with(Status::kFail, std::string(200, 'x')));
    many.back().doc.checks[0].id = "check" + std::to_string(i);
  }
  const std::string cut = markdown_report(many, small);
  EXPECT_LE(cut.size(), 4000u);
  EXPECT_NE(cut.find("Report truncated"), std::string::npos);
}
