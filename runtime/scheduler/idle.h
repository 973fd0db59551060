// magpie::scheduler::Idle — which workers are asleep and how many are
// searching for work: the bookkeeping behind "no lost worker wakeups" and
// "no thundering herd" (DESIGN.md §3).
//
// Counters (one atomic word, so both are read in one load):
//
//   63                          16 15             0
//  +------------------------------+----------------+
//  |   unparked workers           |  searching     |
//  +------------------------------+----------------+
//
// plus a mutex-guarded list of sleeping workers' indices.
//
// Protocol (numbered rules cited as "idle rule N" in worker.cc):
//  1. A worker about to sleep first announces it (transition_worker_to_parked:
//     leaves the unparked/searching counts, joins the sleepers), THEN
//     re-checks the queues, THEN sleeps. If the re-check finds work it takes
//     itself off the list (unpark_worker_by_id).
//  2. Whoever makes work available (a push to a local queue that others can
//     steal from, or to the inject queue) then calls worker_to_notify(),
//     which picks a sleeper only if no worker is searching: a searching
//     worker will find the work (rule 3), so waking another would be a herd.
//  2a. A worker that queued the work locally (its LIFO slot or local queue)
//     first reads the counters with a plain load and calls
//     worker_to_notify() only if that read says a notification could be
//     due (worker_to_notify_local). Nothing can be lost by a stale read:
//     the queuing worker runs the task itself if nobody steals it, so the
//     notification only spreads load. Without this, every local schedule
//     (each yield_now of a busy runtime) was an RMW on the one line every
//     worker shares: 26% of yield_many's cycles on 2 workers (perf).
//  3. The last searcher to give up (transition_worker_to_parked returns
//     true) re-checks every queue and, if any has work, notifies one worker;
//     a searcher that finds work and was the last searcher
//     (transition_worker_from_searching returns true) notifies one more, so
//     the search goes on while work may remain.
//  4. At most half of the workers search at once. (A busy worker's rescue
//     of a stalled one, worker.h, steals outside this count: it is not
//     searching and never parks for it.)
//  A notified worker wakes up already counted as unparked and searching.
//  5. Before rule 1, a worker that ran out of work may spin for a bounded
//     time (SchedulerConfig::park_spin, once per idle spell) re-reading the
//     queues, still counted as unparked and, if it was, searching. It has
//     not announced anything, so for producers it is a busy worker: rule 2
//     notifies nobody while it searches (it will see the work in its spin,
//     or in rule 3's re-check after it announces), and may wake a sleeper
//     otherwise. Rules 1-3 are unchanged after the spin.
//  Producers that make many tasks runnable at once (the reactor's turn,
//  through core::WakeBatchScope) push them in one batch and apply rule 2
//  once for the batch: the woken worker searches and rule 3 wakes more.
//
// Memory ordering: every read-modify-write of the counter word is seq_cst,
// and the producer's check (worker_to_notify) is itself an RMW. So for a
// producer (push work, then RMW counters) and a worker (RMW counters, then
// read queues): either the producer's RMW sees the worker parked and wakes
// it, or the worker's RMW reads the producer's and so sees its push. This is
// the store-buffering case that plain loads would get wrong.
//
// Threads: any thread may call worker_to_notify(); the other transitions
// are called by the worker they name.

#ifndef MAGPIE_RUNTIME_SCHEDULER_IDLE_H_
#define MAGPIE_RUNTIME_SCHEDULER_IDLE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "runtime/core/atomic.h"
#include "runtime/core/mutex.h"

namespace magpie::scheduler {

class Idle {
 public:
  explicit Idle(std::size_t num_workers);
  Idle(const Idle&) = delete;
  Idle& operator=(const Idle&) = delete;

  // Idle rule 2. Returns the index of a sleeping worker that the caller must
  // unpark (it is now counted as unparked and searching), or nothing.
  std::optional<std::size_t> worker_to_notify();

  // Idle rule 2a: worker_to_notify() for work the calling worker queued on
  // its own queue, behind a plain load that skips it when no sleeper could
  // be due a notification (a worker searches, or none sleeps).
  std::optional<std::size_t> worker_to_notify_local();

  // Idle rule 1 (announce). True if the worker was the last searcher: the
  // caller must then re-check every queue (idle rule 3).
  [[nodiscard]] bool transition_worker_to_parked(std::size_t worker,
                                                 bool is_searching);

  // Idle rule 4: true if the worker may start searching (and now counts).
  [[nodiscard]] bool transition_worker_to_searching();

  // The worker found work. True if it was the last searcher (idle rule 3).
  [[nodiscard]] bool transition_worker_from_searching();

  // Idle rule 1 (cancel): a worker whose re-check found work takes itself
  // off the sleepers. False if a notifier already took it (then it wakes
  // counted as searching).
  [[nodiscard]] bool unpark_worker_by_id(std::size_t worker);

  // True while the worker is on the sleepers list.
  bool is_parked(std::size_t worker);

  std::size_t num_searching() const;
  std::size_t num_unparked() const;

 private:
  static constexpr std::uint64_t kSearchOne = 1;
  static constexpr int kUnparkShift = 16;
  static constexpr std::uint64_t kUnparkOne = std::uint64_t{1} << kUnparkShift;
  static constexpr std::uint64_t kSearchMask = kUnparkOne - 1;

  static std::size_t searching(std::uint64_t word) {
    return word & kSearchMask;
  }
  static std::size_t unparked(std::uint64_t word) {
    return word >> kUnparkShift;
  }

  bool notify_should_wakeup();

  const std::size_t num_workers_;
  core::Atomic<std::uint64_t> counters_;
  core::Mutex mu_;
  std::vector<std::size_t> sleepers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace magpie::scheduler

#endif  // MAGPIE_RUNTIME_SCHEDULER_IDLE_H_
