// magpie::scheduler::Inject — the runtime's global injection queue: spawns
// and wakes from threads that are not workers, and the overflow of workers'
// local queues. Workers pop from it regularly and when their own queue is
// empty (DESIGN.md §3).
//
// Ownership: each queued entry owns one task reference (it is a
// task::Notified stored as a raw Header*). The runtime owns the Inject; at
// shutdown it calls close(), then drain(), on a runtime thread.
//
// Threads: every operation is safe from any thread, concurrently.
//
// Rules (cited as "inject rule N"):
//  1. The storage is moodycamel::ConcurrentQueue, which is not linearizable:
//     a failed try_dequeue does not prove the queue empty (concurrentqueue
//     issue #265). So a separate count `len_` is kept: a pusher adds to it
//     (seq_cst) AFTER its enqueue completes, a consumer subtracts (seq_cst)
//     after a successful dequeue. len() is what a worker consults before it
//     parks, never a failed pop.
//  2. Because the count moves after the queue does, it can lag both ways:
//     over (dequeued, not yet subtracted: a pop may then fail, harmless) and
//     under (enqueued, not yet added; and a consumer that dequeues such an
//     entry early may even drive the raw count below zero, which len()
//     reports as 0). Every under-count is covered by a push still in flight,
//     which ends by adding to len_ with seq_cst. That is the contract the
//     parking protocol builds on: a pusher adds to len_ and then checks for
//     sleepers, a worker announces it sleeps and then reads len() — both
//     sequentially consistent, so at least one of them sees the other.
//  3. After close() returns, no push succeeds: a push to a closed queue drops
//     the references it was given and returns false. Race-free by a Dekker
//     pair (seq_cst): a pusher increments `pushers_` then reads `closed_`;
//     close() sets `closed_` then waits for `pushers_` to reach zero. Either
//     the pusher sees closed_, or close() waits for its push to finish.
//  4. drain() after close() removes everything: nothing can arrive any more.
//  5. Constant cost however many threads push. moodycamel's implicit
//     producers (enqueue without a token) give every thread that ever
//     pushed its own sub-queue for the queue's life, and a dequeue without a
//     token scans them all: 19 ns/op with one pushing thread, 5.8 us with
//     512 (the blocking pool's threads push too). So every push goes through
//     one of kProducerStripes explicit ProducerTokens, each guarded by its
//     own lock (StripeLock: acquire on lock, release on unlock, which orders
//     one holder's use of the token before the next one's). A thread starts
//     at its home stripe (threads are handed stripes round robin on first
//     push) and try-locks its way round the others before it waits for its
//     home one. The queue therefore has
//     exactly kProducerStripes producers, and a dequeue scans at most that
//     many. Entries pushed by one thread through one stripe keep their
//     order; there was never an order across producers.
//  6. A consumer dequeues with a moodycamel ConsumerToken kept per thread
//     (thread_local, tagged with the queue's process-unique serial_ so a
//     token is never used with another queue, even one at the same
//     address): it goes straight to the sub-queue it last took from instead
//     of sizing every stripe's sub-queue on each pop.
//
// Memory ordering: the seq_cst operations of rules 1–3; the stripe locks'
// acquire/release (rule 5); moodycamel orders each entry's enqueue before
// its dequeue. Everything about the task itself
// is ordered by its state word.
//
// Cost: a push is a stripe lock (one RMW, a store to unlock), the enqueue
// and three RMWs (pushers_ up and down, len_ up); a pop is a seq_cst load,
// the dequeue (through the thread's consumer token; at worst a walk over
// kProducerStripes sub-queues) and one RMW; pop_batch the same for up to
// `max` tasks.

#ifndef MAGPIE_RUNTIME_SCHEDULER_INJECT_H_
#define MAGPIE_RUNTIME_SCHEDULER_INJECT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "concurrentqueue/concurrentqueue.h"
#include "runtime/core/atomic.h"
#include "runtime/task/header.h"
#include "runtime/task/raw_task.h"

namespace magpie::scheduler {

class Inject {
 public:
  Inject();
  Inject(const Inject&) = delete;
  Inject& operator=(const Inject&) = delete;
  // Asserts the queue is empty (drain() it first); in release builds drops
  // whatever is left.
  ~Inject();

  // Queues `task`. Returns false if the queue is closed: the task's
  // reference has then been dropped (rule 3). Not [[nodiscard]]: most
  // callers have nothing to do about a closed queue (the runtime is shutting
  // down and the task is dropped anyway).
  bool push(task::Notified task);

  // Queues `n` tasks in this order, as one batch; each pointer owns one
  // reference, which moves into the queue (or is dropped if closed, then
  // returns false).
  bool push_batch(task::Header* const* tasks, std::size_t n);

  // A queued task, or an empty Notified. Returns empty at once when len() is
  // 0; otherwise tries the dequeue up to kPopAttempts times, since it can
  // fail with entries present (rule 1). An empty result with len() > 0 only
  // means "try again later", never "empty".
  task::Notified pop();

  // Up to `max` queued tasks at once into `out` (each owning one reference,
  // which moves to the caller); returns how many. One dequeue and one RMW
  // of the count for the lot, where pop() pays them per task: a worker
  // whose own queue ran dry takes its share this way (Tokio's
  // next_remote_task_batch). Like pop(), 0 with len() > 0 only means "try
  // again later".
  std::size_t pop_batch(task::Header** out, std::size_t max);

  // The number of queued tasks, sequentially consistent (rules 1, 2).
  std::size_t len() const;
  bool is_empty() const { return len() == 0; }

  // Refuses every later push (rule 3). Returns once every push that got in
  // has finished. Idempotent.
  void close();
  bool is_closed() const;

  // Pops and drops every queued task. Call after close(); returns when
  // len() is 0 (rule 4).
  void drain();

  // How many times pop() tries the dequeue while len() > 0. A few: enough
  // to ride out a concurrent consumer taking the entry it was after, not so
  // many that a worker spins where it should check other queues.
  static constexpr int kPopAttempts = 4;

  // Rule 5: how many explicit producers the queue has. A power of two; more
  // than the cores of the machines we target so that pushers rarely meet,
  // few enough that a dequeue's scan stays short.
  static constexpr std::size_t kProducerStripes = 8;

 private:
  using Queue = moodycamel::ConcurrentQueue<task::Header*>;
  // Rule 5: a stripe's lock. A test-and-test-and-set flag rather than a
  // std::mutex: held across one enqueue only, and a pusher that finds it
  // taken moves on to the next stripe, so it is rarely waited for; its
  // unlock is a plain release store where a mutex's is another RMW (with
  // one pushing thread the mutex made a push + pop 1.4x the cost of
  // moodycamel's implicit producer).
  class ABSL_LOCKABLE StripeLock {
   public:
    bool try_lock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) {
      // ORDERING: acquire pairs with unlock()'s release: the previous
      // holder's use of the token happens before ours. The relaxed load
      // first keeps a busy stripe's cache line shared.
      return !locked_.load(std::memory_order_relaxed) &&
             !locked_.exchange(true, std::memory_order_acquire);
    }
    void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION();
    void unlock() ABSL_UNLOCK_FUNCTION() {
      // ORDERING: release, see try_lock().
      locked_.store(false, std::memory_order_release);
    }

   private:
    core::Atomic<bool> locked_{false};
  };

  // Rule 5: one explicit producer of queue_, used under `mu`.
  struct alignas(core::kCacheLineSize) Stripe {
    StripeLock mu;
    std::optional<moodycamel::ProducerToken> token ABSL_GUARDED_BY(mu);
  };

  // Rule 6: the calling thread's consumer token for this queue.
  moodycamel::ConsumerToken& consumer_token();

  // Rule 5: runs `enqueue(token)` under some stripe's lock; aborts if the
  // enqueue could not allocate.
  template <class Enqueue>
  void enqueue_striped(Enqueue&& enqueue);

  // Rule 3: false if closed (the caller then drops its references).
  bool begin_push();
  void end_push();

  Queue queue_;
  // Rule 6: names this queue to the threads' cached consumer tokens.
  const std::uint64_t serial_;
  // Rule 5. Declared after queue_: the tokens go before the queue does.
  std::array<Stripe, kProducerStripes> stripes_;
  // Rules 1–2. Signed: it may dip below zero for a moment (rule 2).
  alignas(core::kCacheLineSize) core::Atomic<std::int64_t> len_{0};
  // Rule 3.
  alignas(core::kCacheLineSize) core::Atomic<std::size_t> pushers_{0};
  core::Atomic<bool> closed_{false};
};

}  // namespace magpie::scheduler

#endif  // MAGPIE_RUNTIME_SCHEDULER_INJECT_H_
