// Text helpers: did-you-mean, number formatting, quoting.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "mlgate/base/error.hpp"
#include "mlgate/base/text.hpp"

using namespace mlgate;

TEST(Text, EditDistanceAndDidYouMean) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(closest_name("max_regresion", {"min", "max", "max_regression"}), "max_regression");
  EXPECT_EQ(closest_name("zzzzzz", {"min", "max"}), "");
}

TEST(Text, NumbersRoundTrip) {
  EXPECT_EQ(format_number(0.1), "0.1");
  EXPECT_EQ(format_number(1e300), "1e+300");
  EXPECT_EQ(format_number(std::nan("")), "NaN");
  EXPECT_EQ(format_number(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(format_short(0.123456789, 4), "0.1235");
  EXPECT_EQ(format_short(std::nan(""), 4), "n/a");
}

TEST(Text, QuoteEscapesAndCutsWholeCharacters) {
  EXPECT_EQ(quote("a\"b\nc"), "\"a\\\"b\\nc\"");
  EXPECT_EQ(quote(std::string(100, 'x'), 5), "\"xxxxx...\"");
  // A cut never splits a UTF-8 sequence: "é" is two bytes.
  EXPECT_EQ(quote("ab\xc3\xa9", 3), "\"ab...\"");
  EXPECT_EQ(trim("  a b \t"), "a b");
}
