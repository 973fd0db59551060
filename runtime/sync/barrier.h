// magpie::sync::Barrier — makes n tasks wait for each other: the n-th to
// arrive releases them all, and exactly one of each group is the leader.
// tokio::sync::Barrier in C++.
//
//   sync::Barrier barrier(4);
//   // in each of 4 tasks:
//   sync::BarrierWaitResult r = co_await barrier.wait();
//   if (r.is_leader()) merge_results();
//
// The barrier is reusable: after n arrivals it starts a new generation.
// Barrier(0) behaves as Barrier(1), as in Tokio.
//
// Ownership: not movable; outlives its Wait futures. Threads: any; a Wait is
// polled by one thread at a time.
//
// A Wait future (node fields guarded by the Barrier's mu_):
//
//   state    | event                               | next
//   ---------+-------------------------------------+-------------------------
//   Init     | poll; the n-th arrival              | Done: Ready(leader); every
//            |                                     |   waiter unlinked, woken
//   Init     | poll; fewer than n arrived          | Waiting (counted, linked)
//   Waiting  | poll, unlinked (generation done)    | Done: Ready(not leader)
//   Waiting  | poll, linked                        | Waiting (waker replaced)
//   Waiting  | destroyed, linked                   | arrival withdrawn, unlinked
//   Waiting  | destroyed, unlinked                 | nothing (it was released)
//
// Cancellation: unlike Tokio's, wait() is cancellation-safe: a Wait dropped
// before its generation completes withdraws its arrival, so the barrier
// still waits for n live tasks. Arrival counts at the first poll, not when
// wait() is called.
//
// Memory ordering: everything is guarded by mu_; the release of a group
// happens under it, so what each task did before arriving is visible to all
// of them after wait() completes.

#ifndef MAGPIE_RUNTIME_SYNC_BARRIER_H_
#define MAGPIE_RUNTIME_SYNC_BARRIER_H_

#include <cstddef>

#include "absl/base/thread_annotations.h"
#include "runtime/core/context.h"
#include "runtime/core/mutex.h"
#include "runtime/core/poll.h"
#include "runtime/sync/waiter_list.h"

namespace magpie::sync {

class BarrierWaitResult {
 public:
  // True for exactly one task of each generation (the last to arrive).
  bool is_leader() const noexcept { return leader_; }

 private:
  friend class Barrier;
  explicit BarrierWaitResult(bool leader) noexcept : leader_(leader) {}
  bool leader_;
};

class Barrier {
 public:
  class Wait;

  explicit Barrier(std::size_t n) : n_(n == 0 ? 1 : n) {}
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  // Output: BarrierWaitResult. Cancellation-safe (see the top).
  Wait wait();

 private:
  // One waiting Wait. Fields guarded by the Barrier's mu_.
  struct Node : internal::WaiterLink {
    Waker waker;
  };

  const std::size_t n_;
  core::Mutex mu_;
  std::size_t arrived_ ABSL_GUARDED_BY(mu_) = 0;
  internal::WaiterList<Node> waiters_ ABSL_GUARDED_BY(mu_);
};

// The future of Barrier::wait(). Movable only before its first poll.
class [[nodiscard]] Barrier::Wait {
 public:
  using Output = BarrierWaitResult;

  Wait(Wait&& other) noexcept;
  Wait& operator=(Wait&&) = delete;
  ~Wait();

  Poll<BarrierWaitResult> poll(Context& cx);

 private:
  friend class Barrier;
  enum class State { kInit, kWaiting, kDone };
  explicit Wait(Barrier* barrier) noexcept : barrier_(barrier) {}

  Barrier* barrier_;
  State state_ = State::kInit;
  Node node_;
};

}  // namespace magpie::sync

#endif  // MAGPIE_RUNTIME_SYNC_BARRIER_H_
