// magpie::core — time arithmetic on durations a user passes: every
// conversion and every time_point + duration saturates at "never"
// (time_point::max()) instead of overflowing (DESIGN.md §5).
//
//   auto deadline = core::deadline_after(std::chrono::hours::max());
//   // == steady_clock::time_point::max(): a deadline that never comes
//
// Why one helper: std::chrono does its arithmetic in the representation of
// the common type, so `now() + hours::max()` first converts hours::max() to
// nanoseconds and overflows a signed 64-bit count (undefined behaviour; in
// practice a deadline in the past, so a sleep of "forever" completes at
// once). The same happens inside condition_variable::wait_for(), whose
// libstdc++ implementation adds the duration to now(). Every place that
// turns a user duration into a deadline or a narrower duration goes through
// the functions below, so there is one place to get the edges right.
//
// Why here: runtime/core is the one package both the reactor (timers,
// Interval, the timer wheel) and the runtime (Parker, blocking pool,
// Runtime::shutdown_timeout, Builder) may depend on (STYLE.md "Layout").
//
// The rules (cited as "time rule N"):
//  1. Results saturate: a value past the target's range becomes its max()
//     (or min()); time_point::max() means "never".
//  2. Conversions round up (toward +infinity), so a deadline made from a
//     duration is never early.
//  3. A floating-point NaN is not a time: it converts to zero (a deadline
//     of "now"), the choice that fails loudly (at once) rather than hangs.
//  4. deadline_after(d) with d <= 0 (or NaN) is now: a negative timeout
//     means "already expired", never "wait forever".
//
// Threads: pure functions (deadline_after reads the clock); any thread.

#ifndef MAGPIE_RUNTIME_CORE_SATURATING_TIME_H_
#define MAGPIE_RUNTIME_CORE_SATURATING_TIME_H_

#include <chrono>
#include <cmath>
#include <limits>
#include <ratio>
#include <type_traits>

namespace magpie::core {
namespace saturating_internal {

__extension__ typedef __int128 Wide;  // Holds any int64 count times any ratio.

template <class To>
constexpr To from_wide(Wide value) {
  using Rep = typename To::rep;
  if (value > static_cast<Wide>(std::numeric_limits<Rep>::max())) {
    return To::max();
  }
  if (value < static_cast<Wide>(std::numeric_limits<Rep>::min())) {
    return To::min();
  }
  return To(static_cast<Rep>(value));
}

}  // namespace saturating_internal

// `d` as the integral duration To, rounded up (time rule 2), saturating at
// To::max() / To::min() (rule 1); NaN becomes zero (rule 3).
template <class To, class Rep, class Period>
To saturating_ceil(std::chrono::duration<Rep, Period> d) {
  using ToRep = typename To::rep;
  static_assert(std::is_integral_v<ToRep>, "convert to an integral duration");
  using Ratio = std::ratio_divide<Period, typename To::period>;
  if constexpr (std::is_floating_point_v<Rep>) {
    const long double scaled = static_cast<long double>(d.count()) *
                               static_cast<long double>(Ratio::num) /
                               static_cast<long double>(Ratio::den);
    if (std::isnan(scaled)) return To::zero();
    const long double up = std::ceil(scaled);
    // 2^63 (for int64) is exact in long double; anything at or above it
    // does not fit.
    if (up >= -static_cast<long double>(std::numeric_limits<ToRep>::min())) {
      return To::max();
    }
    if (up <= static_cast<long double>(std::numeric_limits<ToRep>::min())) {
      return To::min();
    }
    return To(static_cast<ToRep>(up));
  } else {
    static_assert(sizeof(Rep) <= 8, "64-bit counts at most");
    using saturating_internal::Wide;
    // |count| < 2^64 and num < 2^63: the product fits in 128 bits.
    const Wide scaled = static_cast<Wide>(d.count()) * Ratio::num;
    Wide quotient = scaled / Ratio::den;
    if (scaled > 0 && scaled % Ratio::den != 0) quotient += 1;  // round up
    return saturating_internal::from_wide<To>(quotient);
  }
}

// `tp` with its duration converted by saturating_ceil (e.g. a time_point in
// seconds made into steady_clock's nanoseconds).
template <class ToDuration, class Clock, class Duration>
std::chrono::time_point<Clock, ToDuration> saturating_time_point_cast(
    std::chrono::time_point<Clock, Duration> tp) {
  return std::chrono::time_point<Clock, ToDuration>(
      saturating_ceil<ToDuration>(tp.time_since_epoch()));
}

// tp + d, saturating at time_point::max() ("never") / min() (rule 1).
template <class Clock, class Duration, class Rep, class Period>
std::chrono::time_point<Clock, Duration> saturating_add(
    std::chrono::time_point<Clock, Duration> tp,
    std::chrono::duration<Rep, Period> d) {
  using TimePoint = std::chrono::time_point<Clock, Duration>;
  const Duration step = saturating_ceil<Duration>(d);
  typename Duration::rep sum;
  if (__builtin_add_overflow(tp.time_since_epoch().count(), step.count(),
                             &sum)) {
    return step > Duration::zero() ? TimePoint::max() : TimePoint::min();
  }
  return TimePoint(Duration(sum));
}

// a - b, saturating at Duration::max() / min() (rule 1).
template <class Clock, class Duration>
Duration saturating_sub(std::chrono::time_point<Clock, Duration> a,
                        std::chrono::time_point<Clock, Duration> b) {
  typename Duration::rep difference;
  if (__builtin_sub_overflow(a.time_since_epoch().count(),
                             b.time_since_epoch().count(), &difference)) {
    return a > b ? Duration::max() : Duration::min();
  }
  return Duration(difference);
}

// True for the deadline that never comes.
template <class Clock, class Duration>
constexpr bool is_never(std::chrono::time_point<Clock, Duration> deadline) {
  return deadline == std::chrono::time_point<Clock, Duration>::max();
}

// Clock::now() + d: now for d <= 0 or NaN (rule 4), time_point::max() for a
// d too long to represent (rule 1), else rounded up (rule 2).
template <class Clock = std::chrono::steady_clock, class Rep, class Period>
typename Clock::time_point deadline_after(
    std::chrono::duration<Rep, Period> d) {
  const typename Clock::time_point now = Clock::now();
  if (!(d > std::chrono::duration<Rep, Period>::zero())) return now;
  return saturating_add(now, d);
}

}  // namespace magpie::core

#endif  // MAGPIE_RUNTIME_CORE_SATURATING_TIME_H_
