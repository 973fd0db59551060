// magpie::select — waits for the first of two futures.
//
//   auto r = co_await magpie::select(stream.read(buf), shutdown.cancelled());
//   if (r.index() == 0) { absl::StatusOr<size_t> n = std::get<0>(std::move(r)); }
//   else { /* shutdown won; the read future was dropped unfinished */ }
//
// Output: std::variant<A, B> of the two outputs (a void output becomes
// std::monostate). Each poll polls the first future, then the second, each
// with this poll's Context, so both have registered the current waker
// whenever select answers Pending. When both are ready in the same poll the
// first wins. The loser is not polled again and is destroyed with the
// Select: use it only with futures that lose nothing when dropped before
// completion (a pending read, accept, sleep or channel receive is fine).
//
// Coop budget (coop.h rule 2): the first future is polled with one unit
// held in Reserve, so a first future that spends the budget (a loop over
// always-ready leaves) still leaves the second one a unit to notice that it
// is ready: select(work, sleep(1ms)) is a timeout, and must fire.
//
// Ownership: the Select owns both futures. Threads: one poller at a time.

#ifndef MAGPIE_RUNTIME_CORE_SELECT_H_
#define MAGPIE_RUNTIME_CORE_SELECT_H_

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "runtime/core/context.h"
#include "runtime/core/coop.h"
#include "runtime/core/future.h"
#include "runtime/core/poll.h"

namespace magpie {
namespace select_internal {

template <class T>
using Slot = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <std::size_t I, class Out, class F>
bool try_poll(F& future, Context& cx, std::optional<Out>& out) {
  auto poll = future.poll(cx);
  if (poll.is_pending()) return false;
  if constexpr (std::is_void_v<FutureOutput<F>>) {
    out.emplace(std::in_place_index<I>);
  } else {
    out.emplace(std::in_place_index<I>, std::move(poll).value());
  }
  return true;
}

}  // namespace select_internal

template <Future A, Future B>
class Select {
 public:
  using Output = std::variant<select_internal::Slot<FutureOutput<A>>,
                              select_internal::Slot<FutureOutput<B>>>;

  Select(A a, B b) : a_(std::move(a)), b_(std::move(b)) {}

  Poll<Output> poll(Context& cx) {
    std::optional<Output> out;
    bool a_ready;
    {
      coop::Reserve for_b(1);
      a_ready = select_internal::try_poll<0>(a_, cx, out);
    }
    if (a_ready || select_internal::try_poll<1>(b_, cx, out)) {
      return std::move(*out);
    }
    return Pending;
  }

 private:
  A a_;
  B b_;
};

template <class A, class B>
requires Future<std::decay_t<A>> && Future<std::decay_t<B>>
    Select<std::decay_t<A>, std::decay_t<B>> select(A&& a, B&& b) {
  return Select<std::decay_t<A>, std::decay_t<B>>(std::forward<A>(a),
                                                  std::forward<B>(b));
}

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_CORE_SELECT_H_
