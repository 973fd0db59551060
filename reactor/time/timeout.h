// magpie::timeout — runs a future with a deadline: its output if it finishes
// in time, else a DeadlineExceeded status.
//
//   absl::StatusOr<std::size_t> n =
//       magpie::block_on(magpie::timeout(100ms, stream.read(buf)));
//
// Output (the choice: statuses, not exceptions, so a timeout is an ordinary
// value to branch on):
//
//   inner output T       | Timeout's output  | on timeout
//   ---------------------+-------------------+------------------------------
//   void                 | absl::Status      | DeadlineExceeded
//   absl::Status         | absl::Status      | DeadlineExceeded
//   absl::StatusOr<U>    | absl::StatusOr<U> | DeadlineExceeded
//   any other T          | absl::StatusOr<T> | DeadlineExceeded
//
// Inner statuses pass through unchanged (flattened), so a DeadlineExceeded
// may also come from the inner future itself. With no current reactor the
// output is FailedPrecondition, after a reactor shutdown Cancelled.
//
// Each poll polls the inner future first, so a future that is ready wins
// even when the deadline has also passed. Dropping the Timeout drops the
// inner future and unlinks the timer.
//
// Ownership: a temporary or std::move'd future is moved into the Timeout,
// which owns it. A named (lvalue) future is borrowed, as Tokio's
// `timeout(d, &mut fut)`: it must outlive the Timeout, and after a timeout
// it is still there, unfinished, to poll again or drop:
//
//   auto read = stream.read(buf);
//   auto r = co_await magpie::timeout(100ms, read);   // borrows `read`
//
// Threads: a plain future (movable until first polled, one poller at a
// time, any thread).

#ifndef MAGPIE_REACTOR_TIME_TIMEOUT_H_
#define MAGPIE_REACTOR_TIME_TIMEOUT_H_

#include <chrono>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/time/sleep.h"
#include "runtime/core/coawait_operand.h"
#include "runtime/core/coop.h"
#include "runtime/core/future.h"

namespace magpie {
namespace timeout_internal {

template <class T>
struct OutputOf {
  using type = absl::StatusOr<T>;
};
template <>
struct OutputOf<void> {
  using type = absl::Status;
};
template <>
struct OutputOf<absl::Status> {
  using type = absl::Status;
};
template <class U>
struct OutputOf<absl::StatusOr<U>> {
  using type = absl::StatusOr<U>;
};

// What a Timeout holds for an argument of type F&&: a reference to a
// borrowed lvalue, else the future itself.
template <class F>
using Held = std::conditional_t<std::is_lvalue_reference_v<F>, F,
                                std::remove_cvref_t<F>>;

}  // namespace timeout_internal

// kFromTemporary: the inner future was an rvalue that may be a temporary
// g++ < 13 destroys twice in a co_await (runtime/core/coawait_operand.h).
// F is the owned future's type, or `X&` for a borrowed one.
template <class F, bool kFromTemporary = false>
requires Future<std::remove_reference_t<F>>
class Timeout {
 public:
  using Inner = FutureOutput<std::remove_reference_t<F>>;
  using Output = typename timeout_internal::OutputOf<Inner>::type;
  static constexpr bool kBuiltFromTemporary = kFromTemporary;

  template <class G>
  Timeout(G&& future, Sleep::Clock::time_point deadline)
      : future_(std::forward<G>(future)), sleep_(deadline) {}

  Poll<Output> poll(Context& cx) {
    if constexpr (std::is_void_v<Inner>) {
      if (future_.poll(cx).is_ready()) return Output(absl::OkStatus());
    } else {
      Poll<Inner> inner = future_.poll(cx);
      if (inner.is_ready()) return Output(std::move(inner).value());
    }
    // The deadline is checked whatever the budget says (coop rule 2): the
    // inner future may have spent it.
    Poll<absl::Status> timer = [&] {
      coop::Unconstrained unconstrained;
      return sleep_.poll_status(cx);
    }();
    if (timer.is_pending()) return Pending;
    if (!timer.value().ok()) return Output(std::move(timer).value());
    return Output(absl::DeadlineExceededError("magpie::timeout elapsed"));
  }

  Sleep::Clock::time_point deadline() const { return sleep_.deadline(); }

  // The inner future (e.g. to take it back before it completed).
  std::remove_reference_t<F>& get() { return future_; }

 private:
  F future_;
  Sleep sleep_;
};

// `future` with a deadline `duration` from now; any duration, saturating
// (timeout(seconds::max(), f) never times out).
template <class Rep, class Period, class F>
requires Future<std::remove_cvref_t<F>>
auto timeout(std::chrono::duration<Rep, Period> duration, F&& future) {
  return Timeout<timeout_internal::Held<F>, core::kTemporaryFutureArgument<F>>(
      std::forward<F>(future), deadline_after(duration));
}

// `future` with an absolute deadline (a time_point of a coarser duration
// saturates, as in sleep_until).
template <class Duration, class F>
requires Future<std::remove_cvref_t<F>>
auto timeout_at(std::chrono::time_point<Sleep::Clock, Duration> deadline,
                F&& future) {
  return Timeout<timeout_internal::Held<F>, core::kTemporaryFutureArgument<F>>(
      std::forward<F>(future),
      core::saturating_time_point_cast<Sleep::Clock::duration>(deadline));
}

}  // namespace magpie

#endif  // MAGPIE_REACTOR_TIME_TIMEOUT_H_
