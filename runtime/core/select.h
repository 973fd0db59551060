// magpie::select / magpie::select_all — wait for the first of several
// futures; the others (the losers) are dropped.
//
//   auto r = co_await magpie::select(stream.read(buf), shutdown.cancelled());
//   if (r.index() == 0) { absl::StatusOr<size_t> n = std::get<0>(std::move(r)); }
//   else { /* shutdown won; the read future was dropped unfinished */ }
//
//   std::vector<magpie::Task<int>> racers = ...;
//   auto first = magpie::select_all(std::move(racers));
//   auto [index, value] = co_await first;     // which one, and its output
//
// select(f...) (any number >= 1, of any types; Tokio's select!, `biased`):
// output std::variant of the outputs, its index() naming the winner (a void
// output becomes std::monostate). Each poll polls the children in argument
// order, each with this poll's Context, so all of them have registered the
// current waker whenever select answers Pending; when several are ready in
// the same poll the first listed wins. For a handful of children that is
// cheaper than a waker per child.
//
// select_all(vector or range of one future type): output SelectAllResult
// {index, output}. Throws std::invalid_argument when given no futures (it
// could never finish). Like join_all (join.h), each child has its own waker
// from a core::WakeSet and a poll re-polls only the children woken since
// the last one, so N racers cost O(woken) per wake; among children ready in
// the same poll the first woken wins.
//
// Losers: the moment a winner is found, inside the poll that answers Ready,
// every other child is destroyed (exactly once), so they deregister their
// wakers, timers and sockets at once even if the select object itself
// lives on. Use select only with futures that lose nothing when dropped
// before completion (a pending read, accept, sleep or channel receive is
// fine; a half-done write_all is not).
//
// Cooperative budget: select takes no unit itself; the leaves spend them.
// Each child of select(f...) but the last is polled with one unit per later
// child held back in a coop::Reserve (coop rule 2), so a child that spends
// the budget (a loop over always-ready leaves) still leaves every later
// child a unit to notice it is ready: select(work, sleep(1ms)) is a
// timeout, and fires.
//
// co_await (runtime/core/coawait_operand.h): a select whose children
// include an owning aggregate, or a future built from a temporary, says so
// (kBuiltFromTemporary), and g++ < 13 refuses it as a co_await temporary.
// An exception from a child's poll propagates out of the select's poll.
//
// Ownership: the select owns its children. Threads: one poller at a time;
// child wakers may be woken from any thread.

#ifndef MAGPIE_RUNTIME_CORE_SELECT_H_
#define MAGPIE_RUNTIME_CORE_SELECT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/core/coawait_operand.h"
#include "runtime/core/context.h"
#include "runtime/core/coop.h"
#include "runtime/core/future.h"
#include "runtime/core/poll.h"
#include "runtime/core/wake_set.h"

namespace magpie {
namespace select_internal {

template <class T>
using Slot = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// Polls child I (if it has not been dropped) with `cx`; on Ready stores the
// output as alternative I of *out.
template <std::size_t I, class Out, class F>
bool try_poll(std::optional<F>& future, Context& cx, std::optional<Out>& out) {
  if (!future.has_value()) return false;
  auto poll = future->poll(cx);
  if (poll.is_pending()) return false;
  if constexpr (std::is_void_v<FutureOutput<F>>) {
    out.emplace(std::in_place_index<I>);
  } else {
    out.emplace(std::in_place_index<I>, std::move(poll).value());
  }
  return true;
}

}  // namespace select_internal

template <Future... Fs>
class Select {
  static_assert(sizeof...(Fs) >= 1, "select needs at least one future");

 public:
  using Output = std::variant<select_internal::Slot<FutureOutput<Fs>>...>;
  static constexpr bool kBuiltFromTemporary =
      (core::kUnsafeCoAwaitRvalue<Fs> || ...);

  explicit Select(Fs... futures) : children_(std::move(futures)...) {}

  Poll<Output> poll(Context& cx) {
    std::optional<Output> out;
    poll_in_order(cx, out, std::index_sequence_for<Fs...>{});
    if (!out.has_value()) return Pending;
    // Drop every child now (the winner is spent, the losers deregister).
    std::apply([](auto&... child) { (child.reset(), ...); }, children_);
    return std::move(*out);
  }

 private:
  template <std::size_t... I>
  void poll_in_order(Context& cx, std::optional<Output>& out,
                     std::index_sequence<I...>) {
    // Short-circuits at the first Ready child.
    (poll_child<I>(cx, out) || ...);
  }

  template <std::size_t I>
  bool poll_child(Context& cx, std::optional<Output>& out) {
    // One unit for each child polled after this one (coop rule 2).
    coop::Reserve for_later(static_cast<int>(sizeof...(Fs) - 1 - I));
    return select_internal::try_poll<I>(std::get<I>(children_), cx, out);
  }

  std::tuple<std::optional<Fs>...> children_;
};

// The first of `futures...` to finish; see the header comment.
template <class... Fs>
requires(sizeof...(Fs) >= 1 &&
         (Future<std::decay_t<Fs>> &&
          ...)) Select<std::decay_t<Fs>...> select(Fs&&... futures) {
  return Select<std::decay_t<Fs>...>(std::forward<Fs>(futures)...);
}

// select_all's output: which future won, and its output.
template <class T>
struct SelectAllResult {
  std::size_t index;
  T output;
};

template <Future F>
class SelectAll {
 public:
  using Output = SelectAllResult<select_internal::Slot<FutureOutput<F>>>;
  static constexpr bool kBuiltFromTemporary = core::kUnsafeCoAwaitRvalue<F>;

  explicit SelectAll(std::vector<F> futures) : children_(futures.size()) {
    if (futures.empty()) {
      throw std::invalid_argument("magpie: select_all of no futures");
    }
    for (std::size_t i = 0; i < futures.size(); ++i) {
      children_[i].emplace(std::move(futures[i]));
    }
  }

  Poll<Output> poll(Context& cx) {
    if (!wakes_.has_value()) wakes_.emplace(children_.size());
    wakes_->register_parent(cx.waker());
    wakes_->take_woken(&woken_);
    for (std::uint32_t index : woken_) {
      std::optional<F>& child = children_[index];
      if (!child.has_value()) continue;
      core::WakeSet::ChildWaker waker = wakes_->child_waker(index);
      Context child_cx(waker.get());
      auto poll = child->poll(child_cx);
      if (poll.is_pending()) continue;
      // Drop every child now (the winner is spent, the losers deregister).
      children_.clear();
      if constexpr (std::is_void_v<FutureOutput<F>>) {
        return Output{index, std::monostate{}};
      } else {
        return Output{index, std::move(poll).value()};
      }
    }
    return Pending;
  }

 private:
  // Sized once; never resized before the winner (future rule 3).
  std::vector<std::optional<F>> children_;
  std::optional<core::WakeSet> wakes_;  // made on the first poll
  std::vector<std::uint32_t> woken_;    // reused between polls
};

// The first of `futures` to finish; see the header comment.
template <Future F>
SelectAll<F> select_all(std::vector<F> futures) {
  return SelectAll<F>(std::move(futures));
}

// The same for any other range; its elements are moved out of it.
template <std::ranges::input_range R>
requires Future<std::ranges::range_value_t<R>> &&
    (!std::is_same_v<std::remove_cvref_t<R>,
                     std::vector<std::ranges::range_value_t<R>>>)
        SelectAll<std::ranges::range_value_t<R>> select_all(R&& range) {
  std::vector<std::ranges::range_value_t<R>> futures;
  for (auto&& future : range) futures.push_back(std::move(future));
  return SelectAll<std::ranges::range_value_t<R>>(std::move(futures));
}

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_CORE_SELECT_H_
