// magpie::join / magpie::join_all — run several futures concurrently inside
// one task and wait for all of them; outputs come back in argument order
// whatever order the children finish in.
//
//   auto both = magpie::join(fetch_a(), fetch_b());
//   auto [a, b] = co_await both;               // std::tuple<A, B>
//
//   std::vector<magpie::Task<int>> parts = ...;
//   auto all = magpie::join_all(std::move(parts));
//   std::vector<int> outs = co_await all;       // outs[i] is parts[i]'s
//
// Output: join(f...) gives std::tuple of the outputs, join_all(range) a
// std::vector; a void output becomes std::monostate. Tokio's join! and
// futures' join_all, spelled in C++.
//
// How it polls: every child gets its own waker from a core::WakeSet
// (wake_set.h), derived from the combinator's: waking a child records its
// index and wakes the task that polls the join. Each poll then re-polls only
// the children woken since the last poll (all of them the first time), so
// a join_all of N children costs O(woken) per wake, not O(N). A finished
// child is destroyed at once and never polled again; its output is kept
// until all are done.
//
// Cooperative budget: join itself takes no unit; the leaves its children
// await spend them (coop.h). A child whose leaf ran out of budget woke its
// child waker, so it is polled again when the task next runs.
//
// Exceptions: an exception thrown by a child's poll propagates out of the
// join's poll (so `co_await join(...)` rethrows it); the other children are
// then destroyed with the join, unfinished.
//
// Concurrency, not parallelism: the children run in the polling task, one
// poll at a time. Spawn them (JoinSet, or join_all over JoinHandles) to use
// several workers.
//
// Ownership: the join owns its children. Threads: one poller at a time;
// the children's wakers may be woken from any thread.

#ifndef MAGPIE_RUNTIME_CORE_JOIN_H_
#define MAGPIE_RUNTIME_CORE_JOIN_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/core/coawait_operand.h"
#include "runtime/core/context.h"
#include "runtime/core/future.h"
#include "runtime/core/poll.h"
#include "runtime/core/wake_set.h"

namespace magpie {
namespace join_internal {

// Where a child's output is kept: void becomes std::monostate.
template <class T>
using Slot = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// Polls `child` (engaged) with child waker `index`; on Ready stores its
// output in `out`, destroys the child and returns true.
template <class F>
bool poll_child(std::optional<F>& child,
                std::optional<Slot<FutureOutput<F>>>& out,
                const core::WakeSet& wakes, std::uint32_t index) {
  if (!child.has_value()) return false;  // finished; a late wake
  core::WakeSet::ChildWaker waker = wakes.child_waker(index);
  Context cx(waker.get());
  auto poll = child->poll(cx);
  if (poll.is_pending()) return false;
  if constexpr (std::is_void_v<FutureOutput<F>>) {
    out.emplace();
  } else {
    out.emplace(std::move(poll).value());
  }
  child.reset();
  return true;
}

}  // namespace join_internal

template <Future... Fs>
class Join {
 public:
  using Output = std::tuple<join_internal::Slot<FutureOutput<Fs>>...>;
  // runtime/core/coawait_operand.h, point 2.
  static constexpr bool kBuiltFromTemporary =
      (core::kUnsafeCoAwaitRvalue<Fs> || ...);

  explicit Join(Fs... futures) : children_(std::move(futures)...) {}

  Poll<Output> poll(Context& cx) {
    if (!wakes_.has_value()) wakes_.emplace(sizeof...(Fs));
    wakes_->register_parent(cx.waker());
    wakes_->take_woken(&woken_);
    for (std::uint32_t index : woken_) {
      poll_index(index, std::index_sequence_for<Fs...>{});
    }
    if (remaining_ != 0) return Pending;
    return take_outputs(std::index_sequence_for<Fs...>{});
  }

 private:
  template <std::size_t... I>
  void poll_index(std::uint32_t index, std::index_sequence<I...>) {
    ((index == I &&
              join_internal::poll_child(std::get<I>(children_),
                                        std::get<I>(outputs_), *wakes_, index)
          ? static_cast<void>(--remaining_)
          : static_cast<void>(0)),
     ...);
  }

  template <std::size_t... I>
  Output take_outputs(std::index_sequence<I...>) {
    return Output(std::move(*std::get<I>(outputs_))...);
  }

  std::tuple<std::optional<Fs>...> children_;
  std::tuple<std::optional<join_internal::Slot<FutureOutput<Fs>>>...> outputs_;
  std::size_t remaining_ = sizeof...(Fs);
  std::optional<core::WakeSet> wakes_;  // made on the first poll
  std::vector<std::uint32_t> woken_;    // reused between polls
};

// Runs `futures...` concurrently; see the header comment.
template <class... Fs>
requires(Future<std::decay_t<Fs>>&&...) Join<std::decay_t<Fs>...> join(
    Fs&&... futures) {
  return Join<std::decay_t<Fs>...>(std::forward<Fs>(futures)...);
}

template <Future F>
class JoinAll {
 public:
  using Output = std::vector<join_internal::Slot<FutureOutput<F>>>;
  static constexpr bool kBuiltFromTemporary = core::kUnsafeCoAwaitRvalue<F>;

  explicit JoinAll(std::vector<F> futures)
      : remaining_(futures.size()),
        children_(futures.size()),
        outputs_(futures.size()) {
    for (std::size_t i = 0; i < futures.size(); ++i) {
      children_[i].emplace(std::move(futures[i]));
    }
  }

  Poll<Output> poll(Context& cx) {
    if (!wakes_.has_value()) wakes_.emplace(children_.size());
    wakes_->register_parent(cx.waker());
    wakes_->take_woken(&woken_);
    for (std::uint32_t index : woken_) {
      if (join_internal::poll_child(children_[index], outputs_[index], *wakes_,
                                    index)) {
        --remaining_;
      }
    }
    if (remaining_ != 0) return Pending;
    Output out;
    out.reserve(outputs_.size());
    for (auto& slot : outputs_) out.push_back(std::move(*slot));
    outputs_.clear();
    return out;
  }

 private:
  std::size_t remaining_;
  // Sized once and never resized: a child is not moved after its first
  // poll (future rule 3).
  std::vector<std::optional<F>> children_;
  std::vector<std::optional<join_internal::Slot<FutureOutput<F>>>> outputs_;
  std::optional<core::WakeSet> wakes_;  // made on the first poll
  std::vector<std::uint32_t> woken_;    // reused between polls
};

// Runs every future of `futures` concurrently; see the header comment. An
// empty vector is ready at once with an empty output.
template <Future F>
JoinAll<F> join_all(std::vector<F> futures) {
  return JoinAll<F>(std::move(futures));
}

// The same for any other range; its elements are moved out of it.
template <std::ranges::input_range R>
requires Future<std::ranges::range_value_t<R>> &&
    (!std::is_same_v<std::remove_cvref_t<R>,
                     std::vector<std::ranges::range_value_t<R>>>)
        JoinAll<std::ranges::range_value_t<R>> join_all(R&& range) {
  std::vector<std::ranges::range_value_t<R>> futures;
  for (auto&& future : range) futures.push_back(std::move(future));
  return JoinAll<std::ranges::range_value_t<R>>(std::move(futures));
}

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_CORE_JOIN_H_
