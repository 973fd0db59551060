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

#ifndef MAGPIE_RUNTIME_CORE_POLL_FN_H_
#define MAGPIE_RUNTIME_CORE_POLL_FN_H_

#include <type_traits>
#include <utility>

#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie {

template <class Fn>
class PollFn {
 public:
  using Output = typename std::invoke_result_t<Fn&, Context&>::value_type;

  explicit PollFn(Fn fn) : fn_(std::move(fn)) {}

  Poll<Output> poll(Context& cx) { return fn_(cx); }

 private:
  Fn fn_;
};

template <class Fn>
PollFn<std::decay_t<Fn>> poll_fn(Fn&& fn) {
  return PollFn<std::decay_t<Fn>>(std::forward<Fn>(fn));
}

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_CORE_POLL_FN_H_
