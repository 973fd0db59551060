// magpie::core::WakeSet — one waker per child of a combinator (join,
// join_all, select_all) that records which children were woken and wakes
// the combinator's own waker, so a poll re-polls only those children
// instead of all N.
//
//   WakeSet wakes(n);                    // every child starts woken
//   // in poll(cx):
//   wakes.register_parent(cx.waker());   // 1. the waker of THIS poll
//   wakes.take_woken(&buffer);           // 2. who was woken since last time
//   for (uint32_t i : buffer) {
//     WakeSet::ChildWaker w = wakes.child_waker(i);
//     Context child_cx(w.get());
//     children[i].poll(child_cx);        // 3. poll just those
//   }
//
// Why this keeps the Future contract (DESIGN §1): the parent waker is
// registered before the woken list is taken, so a child woken at any later
// moment both lands on the list and wakes the registered (current) parent
// waker; a child polled Pending registered its child waker, which leads to
// the same parent. Replacing the parent waker (the combinator moved to
// another task) is an AtomicWaker store.
//
// The rules (cited as "wake-set rule N"):
//  1. A child is on the woken list at most once: its flag goes false ->
//     true only in the wake that pushes it, true -> false only in
//     take_woken, both as acq_rel exchanges.
//  2. take_woken clears a child's flag before the caller polls it, so a
//     wake during or after that poll queues it again; a wake that found
//     the flag still set is covered because the flag's exchanges form one
//     modification order: the clearing exchange reads that wake's write,
//     and the poll that follows sees what the waker published before it.
//  3. The shared block (flags, list, parent waker) is reference counted by
//     the WakeSet and every child waker clone, so a child waker kept by
//     some leaf may outlive the combinator: waking it then does nothing
//     useful and touches only live memory.
//
// Ownership: the WakeSet (move-only) owns one reference to the block; a
// ChildWaker borrows the WakeSet's for the duration of one child poll.
// Threads: register_parent, take_woken and child_waker by the combinator's
// poller (one thread at a time); child wakers from any thread.
//
// Memory ordering: see rules 1 and 2; the list itself is guarded by a
// core::Mutex, and the parent waker is an AtomicWaker (its own contract).

#ifndef MAGPIE_RUNTIME_CORE_WAKE_SET_H_
#define MAGPIE_RUNTIME_CORE_WAKE_SET_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "runtime/core/waker.h"

namespace magpie::core {

class WakeSet {
 public:
  // Children 0..n-1, all initially woken (each is polled on the first
  // poll). Throws std::length_error past 2^32 - 1 children.
  explicit WakeSet(std::size_t n);
  WakeSet(WakeSet&& other) noexcept
      : shared_(std::exchange(other.shared_, nullptr)) {}
  WakeSet& operator=(WakeSet&& other) noexcept {
    WakeSet taken(std::move(other));
    std::swap(shared_, taken.shared_);
    return *this;
  }
  WakeSet(const WakeSet&) = delete;
  WakeSet& operator=(const WakeSet&) = delete;
  ~WakeSet();

  // Stores `parent` (this poll's waker) unless the stored one will_wake it.
  void register_parent(const Waker& parent);

  // Replaces *out with the children woken since the last call, in the order
  // they were woken, and clears their flags (wake-set rule 2).
  void take_woken(std::vector<std::uint32_t>* out);

  // The waker of child `index`, borrowed from the WakeSet for one poll of
  // that child: no reference-count change unless the child clones it.
  class ChildWaker {
   public:
    ~ChildWaker() { std::move(waker_).into_raw(); }
    ChildWaker(const ChildWaker&) = delete;
    ChildWaker& operator=(const ChildWaker&) = delete;
    const Waker& get() const { return waker_; }

   private:
    friend class WakeSet;
    explicit ChildWaker(RawWaker raw) : waker_(Waker::from_raw(raw)) {}
    Waker waker_;
  };
  ChildWaker child_waker(std::uint32_t index) const;

  struct Shared;  // wake_set.cc

 private:
  Shared* shared_;
};

}  // namespace magpie::core

#endif  // MAGPIE_RUNTIME_CORE_WAKE_SET_H_
