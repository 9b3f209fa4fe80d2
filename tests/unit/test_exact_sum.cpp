#include "mlgate/measures/exact_sum.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace {

using mlgate::ExactSum;

double sum_of(const std::vector<double>& v) {
  ExactSum s;
  for (double x : v) s.add(x);
  return s.value();
}

TEST(ExactSum, CancellationThatNaiveSumsLose) {
  EXPECT_EQ(sum_of({1e308, 1.0, -1e308}), 1.0);
  EXPECT_EQ(sum_of({1e100, 1.0, -1e100, 1e-100}), 1.0 + 1e-100);
  EXPECT_EQ(sum_of({0.1, 0.2, 0.3, -0.6}), std::ldexp(1.0, -55));  // math.fsum gives the same
  EXPECT_EQ(sum_of({}), 0.0);
  EXPECT_EQ(sum_of({-3.5}), -3.5);
  // The smallest subnormal and the largest double, exactly.
  const double tiny = std::numeric_limits<double>::denorm_min();
  EXPECT_EQ(sum_of({tiny, tiny, tiny}), 3 * tiny);
  EXPECT_EQ(sum_of({std::numeric_limits<double>::max(), -std::numeric_limits<double>::max(), tiny}),
            tiny);
  EXPECT_TRUE(
      std::isinf(sum_of({std::numeric_limits<double>::max(), std::numeric_limits<double>::max()})));
}

TEST(ExactSum, RoundsHalfToEven) {
  // 1 + 2^-53 is a tie between 1 and its successor: to even, 1; one more tiny bit goes up.
  const double h = std::ldexp(1.0, -53);
  EXPECT_EQ(sum_of({1.0, h}), 1.0);
  EXPECT_EQ(sum_of({1.0, h, std::ldexp(1.0, -200)}), std::nextafter(1.0, 2.0));
  const double up = std::nextafter(1.0, 2.0);  // odd last bit: the tie rounds up
  EXPECT_EQ(sum_of({up, h}), std::nextafter(up, 2.0));
  EXPECT_EQ(sum_of({-1.0, -h, -std::ldexp(1.0, -200)}), -std::nextafter(1.0, 2.0));
}

TEST(ExactSum, SpecialValues) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(sum_of({1.0, inf}), inf);
  EXPECT_EQ(sum_of({1.0, -inf}), -inf);
  EXPECT_TRUE(std::isnan(sum_of({inf, -inf})));
  EXPECT_TRUE(std::isnan(sum_of({1.0, std::numeric_limits<double>::quiet_NaN()})));
}

TEST(ExactSum, OrderAndSplitDoNotMatter) {
  // Terms of every magnitude: the sum is known exactly (each x and -x cancel, leaving `rest`),
  // and any order or split into merged parts gives the same bits.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  std::uniform_int_distribution<int> e(-300, 300);
  std::vector<double> v;
  for (int i = 0; i < 20000; ++i) {
    const double x = std::ldexp(u(rng), e(rng));
    v.push_back(x);
    v.push_back(-x);
  }
  const std::vector<double> rest = {0.1, 1e-30, 3.0};
  v.insert(v.end(), rest.begin(), rest.end());
  const double want = sum_of(rest);
  EXPECT_EQ(want, 3.1);  // 0.1 + 3 + 1e-30 rounded once
  for (int round = 0; round < 5; ++round) {
    std::shuffle(v.begin(), v.end(), rng);
    EXPECT_EQ(sum_of(v), want);
    ExactSum parts[3];
    for (std::size_t i = 0; i < v.size(); ++i) parts[(i * 7 + round) % 3].add(v[i]);
    ExactSum merged;
    merged.add(parts[2]);
    merged.add(parts[0]);
    merged.add(parts[1]);
    EXPECT_EQ(merged.value(), want);
  }
}

TEST(ExactSum, ManyAddsCarry) {
  // Adds past several carries (one every 2^20 adds), of the largest and the smallest terms.
  ExactSum s;
  const double big = std::ldexp(1.0, 1000);
  const double tiny = std::numeric_limits<double>::denorm_min();
  for (int i = 0; i < 3000000; ++i) s.add(i % 3 == 0 ? tiny : (i % 3 == 1 ? big : -big));
  s.add(0.5);
  EXPECT_EQ(s.value(), 0.5);
  ExactSum t;
  for (int i = 0; i < 3000000; ++i) t.add(big);
  EXPECT_EQ(t.value(), big * 3000000);
}

TEST(ExactSum, TextRoundTrips) {
  ExactSum s;
  for (double x : {1e-300, -2.5, 1e300, 7.0}) s.add(x);
  ExactSum t;
  ASSERT_TRUE(t.parse(s.text()));
  EXPECT_EQ(t.value(), s.value());
  EXPECT_EQ(t.text(), s.text());
  ExactSum neg;
  neg.add(-1e-20);
  ASSERT_TRUE(t.parse(neg.text()));
  EXPECT_EQ(t.value(), -1e-20);
  for (const char* bad : {"", "x", "s9", "s0 1", "s0 1:", "s0 99:1", "s0 2:1 1:1", "s0 1:-1",
                          "s0 1:4294967296", "s0  1:1", "s0 1:99999999999999999999"})
    EXPECT_FALSE(t.parse(bad)) << bad;
}

}  // namespace
