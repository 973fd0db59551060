// Tests for core/saturating_time.h: conversions, sums and differences at the
// edges of the representable range (max, min, zero, negative, floating,
// NaN, infinity) saturate instead of overflowing. Run under --config=asan
// (which includes UBSan) these also prove there is no signed overflow.

#include "runtime/core/saturating_time.h"

#include <chrono>
#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace magpie::core {
namespace {

using namespace std::chrono_literals;
using std::chrono::duration;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

TEST(SaturatingCeilTest, InRangeValuesConvertExactlyOrRoundUp) {
  EXPECT_EQ(saturating_ceil<nanoseconds>(3s), nanoseconds(3'000'000'000));
  EXPECT_EQ(saturating_ceil<milliseconds>(nanoseconds(1)), milliseconds(1));
  EXPECT_EQ(saturating_ceil<milliseconds>(nanoseconds(1'000'000)), 1ms);
  EXPECT_EQ(saturating_ceil<milliseconds>(nanoseconds(1'000'001)), 2ms);
  // Negative values round toward +infinity too.
  EXPECT_EQ(saturating_ceil<milliseconds>(nanoseconds(-1'500'000)), -1ms);
  EXPECT_EQ(saturating_ceil<nanoseconds>(0s), 0ns);
  EXPECT_EQ(saturating_ceil<nanoseconds>(duration<double>(1.5e-9)), 2ns);
  EXPECT_EQ(saturating_ceil<milliseconds>(duration<double, std::milli>(2.0)),
            2ms);
}

TEST(SaturatingCeilTest, TooLargeSaturatesAtMaxAndTooSmallAtMin) {
  EXPECT_EQ(saturating_ceil<nanoseconds>(hours::max()), nanoseconds::max());
  EXPECT_EQ(saturating_ceil<nanoseconds>(seconds::max()), nanoseconds::max());
  EXPECT_EQ(saturating_ceil<nanoseconds>(milliseconds::max()),
            nanoseconds::max());
  EXPECT_EQ(saturating_ceil<milliseconds>(hours::max()), milliseconds::max());
  EXPECT_EQ(saturating_ceil<nanoseconds>(hours::min()), nanoseconds::min());
  EXPECT_EQ(saturating_ceil<nanoseconds>(seconds::min()), nanoseconds::min());
  // The largest value that still fits stays exact.
  EXPECT_EQ(saturating_ceil<nanoseconds>(nanoseconds::max()),
            nanoseconds::max());
  EXPECT_EQ(saturating_ceil<nanoseconds>(nanoseconds::min()),
            nanoseconds::min());
}

TEST(SaturatingCeilTest, FloatingEdges) {
  EXPECT_EQ(saturating_ceil<nanoseconds>(duration<double>(1e300)),
            nanoseconds::max());
  EXPECT_EQ(saturating_ceil<nanoseconds>(duration<double>(-1e300)),
            nanoseconds::min());
  EXPECT_EQ(saturating_ceil<nanoseconds>(
                duration<double>(std::numeric_limits<double>::infinity())),
            nanoseconds::max());
  EXPECT_EQ(saturating_ceil<nanoseconds>(
                duration<double>(-std::numeric_limits<double>::infinity())),
            nanoseconds::min());
  EXPECT_EQ(saturating_ceil<nanoseconds>(
                duration<double>(std::numeric_limits<double>::quiet_NaN())),
            0ns);  // time rule 3
  // 2^63 ns exactly does not fit; just below it does.
  EXPECT_EQ(saturating_ceil<nanoseconds>(
                duration<long double, std::nano>(9223372036854775808.0L)),
            nanoseconds::max());
}

TEST(SaturatingAddTest, SaturatesAtNeverAndAtTheBeginningOfTime) {
  const TimePoint now = Clock::now();
  EXPECT_EQ(saturating_add(now, hours::max()), TimePoint::max());
  EXPECT_EQ(saturating_add(now, nanoseconds::max()), TimePoint::max());
  EXPECT_EQ(saturating_add(TimePoint::max(), 1ns), TimePoint::max());
  // hours::min() saturates to nanoseconds::min(), which still fits after
  // a positive now; before the epoch the sum saturates.
  EXPECT_EQ(saturating_add(now, hours::min()), now + nanoseconds::min());
  EXPECT_EQ(saturating_add(TimePoint(-1s), hours::min()), TimePoint::min());
  EXPECT_EQ(saturating_add(TimePoint::min(), -1ns), TimePoint::min());
  EXPECT_EQ(saturating_add(now, 5ms), now + 5ms);
  EXPECT_EQ(saturating_add(now, -5ms), now - 5ms);
  EXPECT_EQ(saturating_add(TimePoint::max(), -1ns), TimePoint::max() - 1ns);
}

TEST(SaturatingSubTest, SaturatesBothWays) {
  const TimePoint now = Clock::now();
  EXPECT_EQ(saturating_sub(TimePoint::max(), TimePoint::min()),
            nanoseconds::max());
  EXPECT_EQ(saturating_sub(TimePoint::min(), TimePoint::max()),
            nanoseconds::min());
  EXPECT_EQ(saturating_sub(now, now - 7ms), 7ms);
  EXPECT_EQ(saturating_sub(now, TimePoint::min()), nanoseconds::max());
}

TEST(SaturatingTimePointCastTest, CoarseMaxBecomesNever) {
  using SecondsPoint = std::chrono::time_point<Clock, seconds>;
  EXPECT_EQ(saturating_time_point_cast<nanoseconds>(SecondsPoint::max()),
            TimePoint::max());
  EXPECT_EQ(saturating_time_point_cast<nanoseconds>(SecondsPoint::min()),
            TimePoint::min());
  EXPECT_EQ(saturating_time_point_cast<nanoseconds>(SecondsPoint(3s)),
            TimePoint(3s));
}

TEST(DeadlineAfterTest, Edges) {
  const TimePoint before = Clock::now();
  // max of every unit: never.
  EXPECT_EQ(deadline_after(hours::max()), TimePoint::max());
  EXPECT_EQ(deadline_after(seconds::max()), TimePoint::max());
  EXPECT_EQ(deadline_after(milliseconds::max()), TimePoint::max());
  EXPECT_EQ(deadline_after(microseconds::max()), TimePoint::max());
  EXPECT_EQ(deadline_after(duration<double>(1e300)), TimePoint::max());
  EXPECT_TRUE(is_never(deadline_after(
      duration<double>(std::numeric_limits<double>::infinity()))));
  // nanoseconds::max() from now is past the clock's range: never.
  EXPECT_EQ(deadline_after(nanoseconds::max()), TimePoint::max());
  // Zero, negative, min and NaN: now (time rule 4), not the past's end
  // and never "forever".
  for (const TimePoint got :
       {deadline_after(0ns), deadline_after(-1s), deadline_after(hours::min()),
        deadline_after(nanoseconds::min()),
        deadline_after(duration<double>(-1e300)),
        deadline_after(
            duration<double>(std::numeric_limits<double>::quiet_NaN()))}) {
    EXPECT_GE(got, before);
    EXPECT_LE(got, Clock::now());
  }
  // In range: now + d, rounded up.
  const TimePoint start = Clock::now();
  const TimePoint in_a_second = deadline_after(1s);
  EXPECT_GE(in_a_second, start + 1s);
  EXPECT_LE(in_a_second, Clock::now() + 1s);
  const TimePoint fractional = deadline_after(duration<double>(0.5e-9));
  EXPECT_GT(fractional, start);  // rounded up to 1 ns, not down to now
}

}  // namespace
}  // namespace magpie::core
