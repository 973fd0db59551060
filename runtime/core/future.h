// magpie::Future — the concept every future satisfies.
//
//   struct MyFuture {
//     using Output = int;
//     magpie::Poll<int> poll(magpie::Context& cx);
//   };
//
// The contract (DESIGN.md §1):
//  1. poll() answers Pending or Ready(output). Before answering Pending it
//     has handed cx.waker() (the waker of *this* poll) to whatever will
//     complete it, on every Pending poll, and re-checked its condition after
//     registering, so an event landing in between is not lost.
//  2. After Ready, the future is never polled again.
//  3. A future is not moved after its first poll (owners keep it in place).
//  4. One thread polls a future at a time; which thread may change between
//     polls.

#ifndef MAGPIE_RUNTIME_CORE_FUTURE_H_
#define MAGPIE_RUNTIME_CORE_FUTURE_H_

#include <concepts>
#include <type_traits>

#include "runtime/core/context.h"
#include "runtime/core/poll.h"

namespace magpie {

template <class F>
concept Future = requires(F& future, Context& cx) {
  typename F::Output;
  { future.poll(cx) } -> std::same_as<Poll<typename F::Output>>;
};

// The output type of future F.
template <Future F>
using FutureOutput = typename F::Output;

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_CORE_FUTURE_H_
