// magpie::CancellationToken — a one-way "stop now" signal shared by many
// tasks, e.g. for graceful shutdown: one place calls cancel(), every task
// awaiting cancelled() wakes.
//
//   magpie::CancellationToken shutdown;
//   spawn(serve(listener, shutdown));          // copies share one state
//   ...
//   shutdown.cancel();                         // from any thread
//
//   // in a task:
//   auto r = co_await magpie::select(stream.read(buf), token.cancelled());
//
// Ownership: copies share one Arc'ed state. Threads: cancel(),
// is_cancelled() and cancelled() from any thread; each Cancelled future is
// polled by one thread at a time (the Future contract).
//
// How waking works: each pending Cancelled future keeps one entry (its
// latest waker, replaced on every Pending poll) in a mutex-guarded map,
// removed when the future completes or is destroyed. cancel() sets the flag,
// takes every waker out under the lock and wakes them after unlocking.
//
// Memory ordering: the flag is set with a release store and read with
// acquire loads; the lock orders registration against cancel(): a future
// registers under the lock and re-checks the flag after, so a cancel() that
// lands in between is seen (register, then re-check).

#ifndef MAGPIE_RUNTIME_SYNC_CANCELLATION_TOKEN_H_
#define MAGPIE_RUNTIME_SYNC_CANCELLATION_TOKEN_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"
#include "runtime/core/mutex.h"
#include "runtime/core/poll.h"

namespace magpie {

class CancellationToken {
 public:
  class Cancelled;

  CancellationToken() : state_(make_arc<State>()) {}

  // Cancels: every current and future cancelled() completes. Idempotent.
  void cancel() const;

  bool is_cancelled() const {
    // ORDERING: acquire pairs with the release store in cancel().
    return state_->cancelled.load(std::memory_order_acquire);
  }

  // A future that completes once the token is cancelled.
  Cancelled cancelled() const;

 private:
  struct State {
    core::Atomic<bool> cancelled{false};
    core::Mutex mu;
    std::uint64_t next_id ABSL_GUARDED_BY(mu) = 0;
    absl::flat_hash_map<std::uint64_t, Waker> waiters ABSL_GUARDED_BY(mu);
  };

  Arc<State> state_;
};

class CancellationToken::Cancelled {
 public:
  using Output = void;

  explicit Cancelled(Arc<State> state) : state_(std::move(state)) {}
  Cancelled(Cancelled&& other) noexcept
      : state_(std::move(other.state_)),
        id_(other.id_),
        registered_(std::exchange(other.registered_, false)) {}
  Cancelled& operator=(Cancelled&&) = delete;
  ~Cancelled() { unregister(); }

  Poll<void> poll(Context& cx);

 private:
  void unregister();

  Arc<State> state_;
  std::uint64_t id_ = 0;
  bool registered_ = false;
};

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_SYNC_CANCELLATION_TOKEN_H_
