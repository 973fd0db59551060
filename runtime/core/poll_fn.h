// magpie::poll_fn — a future made from a function `Poll<T>(Context&)`.
//
//   auto f = magpie::poll_fn([&](magpie::Context& cx) -> magpie::Poll<int> {
//     if (ready) return 7;
//     slot.register_waker(cx.waker());
//     return ready ? magpie::Poll<int>(7) : magpie::Pending;
//   });
//
// The function must keep the Future contract (register the waker of every
// Pending poll, then re-check). Owned and polled like any future.
//
// On g++ < 13 a PollFn made from a temporary lambda that captures by value
// cannot be co_awaited as a temporary: `co_await poll_fn([p](...) {...})`
// does not compile there (the compiler would destroy the lambda twice; see
// runtime/core/coawait_operand.h). Name it first: `auto f = poll_fn(...);
// co_await f;`.

#ifndef MAGPIE_RUNTIME_CORE_POLL_FN_H_
#define MAGPIE_RUNTIME_CORE_POLL_FN_H_

#include <type_traits>
#include <utility>

#include "runtime/core/coawait_operand.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie {

// kFromTemporary: made from an rvalue callable that is not trivially
// destructible (coawait_operand.h, point 2).
template <class Fn, bool kFromTemporary = false>
class PollFn {
 public:
  using Output = typename std::invoke_result_t<Fn&, Context&>::value_type;
  static constexpr bool kBuiltFromTemporary = kFromTemporary;

  explicit PollFn(Fn fn) : fn_(std::move(fn)) {}

  Poll<Output> poll(Context& cx) { return fn_(cx); }

 private:
  Fn fn_;
};

template <class Fn>
PollFn<std::decay_t<Fn>, core::kTemporaryCallableArgument<Fn>> poll_fn(
    Fn&& fn) {
  return PollFn<std::decay_t<Fn>, core::kTemporaryCallableArgument<Fn>>(
      std::forward<Fn>(fn));
}

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_CORE_POLL_FN_H_
