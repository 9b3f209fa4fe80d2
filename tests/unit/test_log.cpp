// log_safe: what data may put into a CI log line.
#include <gtest/gtest.h>

#include "mlgate/base/log.hpp"

using namespace mlgate;

TEST(Log, ControlBytesAndNewlinesAreEscaped) {
  EXPECT_EQ(log_safe("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(log_safe(std::string("x\0y", 3)), "x\\x00y");
  EXPECT_EQ(log_safe("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(log_safe("bel\x07 del\x7f"), "bel\\x07 del\\x7f");
}

TEST(Log, InvalidUtf8IsEscapedValidUtf8Kept) {
  EXPECT_EQ(log_safe("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(log_safe("caf\xc3\xa9 \xe2\x82\xac"), "caf\xc3\xa9 \xe2\x82\xac");
  EXPECT_EQ(log_safe("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(log_safe("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(log_safe("\xe2\x82"), "\\xe2\\x82");           // cut short
}

TEST(Log, InvisibleControlsAreShown) {
  EXPECT_EQ(log_safe("a\xc2\x85"
                     "b"),
            "a\\u{0085}b");  // NEL
  EXPECT_EQ(log_safe("a\xe2\x80\xa8"
                     "b"),
            "a\\u{2028}b");  // line separator
  EXPECT_EQ(log_safe("a\xe2\x80\xae"
                     "b"),
            "a\\u{202e}b");  // right-to-left override
}

TEST(Log, CiCommandsAreDefused) {
  EXPECT_EQ(log_safe("::error::x"), ":\\x3aerror::x");
  EXPECT_EQ(log_safe("  ::add-mask::s"), "  :\\x3aadd-mask::s");
  EXPECT_EQ(log_safe("pass  a: ::b"), "pass  a: ::b");  // not at a line start: inert
  EXPECT_EQ(log_safe("::x", 100, false), "::x");        // after a prefix of ours
  EXPECT_EQ(log_safe("v ##vso[task.setvariable variable=x]1"),
            "v #\\x23vso[task.setvariable variable=x]1");
  EXPECT_EQ(log_safe("##[group]g"), "#\\x23[group]g");
  EXPECT_EQ(log_safe("##teamcity[message]"), "#\\x23teamcity[message]");
  EXPECT_EQ(log_safe("## heading"), "## heading");
}

TEST(Log, LongLinesAreCut) {
  std::string s(10000, 'a');
  std::string out = log_safe(s, 100);
  EXPECT_EQ(out, std::string(100, 'a') + "... (9900 bytes cut)");
  std::string esc(50, '\n');
  EXPECT_EQ(log_safe(esc, 10), "\\n\\n\\n\\n\\n... (45 bytes cut)");
}
