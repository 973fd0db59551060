// magpie::JoinSet<T> — a set of spawned tasks whose results are collected
// in the order they finish (Tokio's JoinSet).
//
//   magpie::JoinSet<int> set;
//   for (int i = 0; i < 100; ++i) set.spawn(work(i));   // current runtime
//   set.spawn_on(work(100), other_runtime.handle());     // or a given one
//   while (true) {
//     auto next = set.join_next();
//     std::optional<magpie::JoinResult<int>> r = co_await next;
//     if (!r) break;                                      // the set is empty
//     if (r->ok()) total += r->value();
//   }
//
// - spawn(future) / spawn_on(future, handle) spawn a task and keep its
//   JoinHandle; they return an AbortHandle for that one task. Both take
//   SpawnOptions first (or spawn_named(name, future)), and record the
//   caller's line as the task's spawn site. spawn_on takes anything with a
//   spawn(future) that returns JoinHandle<T> (a Handle, a Runtime, a
//   LocalExecutor); insert() adopts a JoinHandle.
// - join_next() is a future of std::optional<JoinResult<T>>: the result of
//   a task that finished (JoinResult, join_result.h: its value, or its
//   exception or cancellation as a value — call get() to have it rethrown
//   instead), std::nullopt when the set is empty. Results come in
//   completion order.
// - abort_all() aborts every task; their results still arrive through
//   join_next (as cancelled, or with the value of a task that finished
//   first). detach_all() forgets every task without aborting it.
// - len() / is_empty(): tasks whose result has not been taken yet.
// - Destroying the set aborts every task it still holds and detaches it.
//
// How completion order is found without polling every handle (Tokio's
// IdleNotifiedSet is the model): each task's join waker is a per-entry
// waker; the task's completion wakes it, which pushes the entry onto a
// ready list shared with the set and wakes the task awaiting join_next. A
// poll of join_next registers its waker (every poll, DESIGN §1), then pops
// ready entries and reads each one's output: O(1) per result, whatever the
// size of the set.
//
// Cancellation safety: a result leaves the set only inside the poll that
// returns it, so dropping a join_next future at any point loses nothing.
//
// Cooperative budget: reading a result goes through the JoinHandle, the
// leaf, which spends one unit per result; when the budget is spent the
// entry goes back on the ready list and the task yields.
//
// Ownership: the set owns its JoinHandles; the ready list is shared with
// the per-entry wakers (which the tasks hold as join wakers), and closed
// when the set goes so that late completions do nothing.
// Threads: the set and its join_next futures are used by one thread at a
// time (like any future); the tasks complete on any thread.

#ifndef MAGPIE_RUNTIME_JOIN_SET_H_
#define MAGPIE_RUNTIME_JOIN_SET_H_

#include <cstddef>
#include <deque>
#include <limits>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/atomic_waker.h"
#include "runtime/core/context.h"
#include "runtime/core/coop.h"
#include "runtime/core/future.h"
#include "runtime/core/mutex.h"
#include "runtime/core/poll.h"
#include "runtime/core/waker.h"
#include "runtime/runtime.h"
#include "runtime/task/abort_handle.h"
#include "runtime/task/join_handle.h"
#include "runtime/task/join_result.h"

namespace magpie {
namespace join_set_internal {

struct EntryNode;

// Entries whose task completed, shared by a JoinSet and its entry wakers.
//
// Rules (cited as "ready-list rule N"):
//  1. An entry is on the list at most once: its `notified` flag goes false
//     -> true only in the wake that pushes it, and back to false only when
//     the set pops it, before it reads the handle (both acq_rel exchanges,
//     as in core::WakeSet).
//  2. After close() nothing is pushed: entries hold the list alive, and the
//     list must not hold entries once the set is gone (a reference cycle).
//  3. Only a push onto an empty list wakes the consumer. So the consumer
//     answers Pending only (a) right after a take that found the list empty,
//     having registered its waker before that take: the next push finds the
//     list empty and wakes that waker; or (b) when the coop budget is spent,
//     and then it wakes its own waker (the entry it could not read went
//     back on a list that may already be non-empty, whose pusher's wake was
//     spent on an earlier poll).
struct ReadyList {
  core::Mutex mu;
  std::deque<Arc<EntryNode>> ready ABSL_GUARDED_BY(mu);
  bool closed ABSL_GUARDED_BY(mu) = false;
  // The waker of the latest join_next poll.
  AtomicWaker consumer;

  // Appends everything ready to *out (the set's private batch).
  void take(std::deque<Arc<EntryNode>>* out);
  // Closes the list (rule 2); its entries are moved to *out, to be dropped
  // by the caller after the lock is released.
  void close(std::deque<Arc<EntryNode>>* out);
};

// One task of a set, as its waker sees it.
struct EntryNode {
  static constexpr std::size_t kRemoved =
      std::numeric_limits<std::size_t>::max();

  EntryNode(Arc<ReadyList> list, std::size_t slot)
      : list(std::move(list)), slot(slot) {}

  Arc<ReadyList> list;
  core::Atomic<bool> notified{false};  // ready-list rule 1
  // The entry's index in the set's slots, or kRemoved once its result was
  // taken. Touched only by the set's owner.
  std::size_t slot;
};

// The waker of `node` (one more reference): waking it pushes the node on
// its ready list and wakes the list's consumer.
Waker entry_waker(const Arc<EntryNode>& node);
// What waking it does (consumes one reference).
void notify(Arc<EntryNode> node);

}  // namespace join_set_internal

template <class T>
class JoinSet {
 public:
  JoinSet() : list_(make_arc<join_set_internal::ReadyList>()) {}
  JoinSet(JoinSet&&) noexcept = default;
  JoinSet& operator=(JoinSet&& other) noexcept {
    JoinSet taken(std::move(other));
    swap(taken);
    return *this;
  }
  JoinSet(const JoinSet&) = delete;
  JoinSet& operator=(const JoinSet&) = delete;
  ~JoinSet() { close(); }

  // Spawns `future` on the current runtime (Handle::current(); throws
  // NoCurrentRuntime outside one) and adds it to the set. `where` is the
  // caller's line, recorded as the task's spawn site (task dump, lost-task
  // and unhandled-exception reports); leave it defaulted.
  template <class F>
  requires Future<std::decay_t<F>> AbortHandle
  spawn(F&& future, SpawnSite where = SpawnSite::current()) {
    return spawn_on(SpawnOptions{}, std::forward<F>(future),
                    Handle::current(), where);
  }
  // The same, with SpawnOptions (a name for diagnostics).
  template <class F>
  requires Future<std::decay_t<F>> AbortHandle
  spawn(const SpawnOptions& options, F&& future,
        SpawnSite where = SpawnSite::current()) {
    return spawn_on(options, std::forward<F>(future), Handle::current(),
                    where);
  }
  // spawn(SpawnOptions{.name = name}, future).
  template <class F>
  requires Future<std::decay_t<F>> AbortHandle
  spawn_named(std::string_view name, F&& future,
              SpawnSite where = SpawnSite::current()) {
    return spawn_on(SpawnOptions{.name = name}, std::forward<F>(future),
                    Handle::current(), where);
  }

  // Spawns `future` with `spawner` (a Handle, a Runtime, a LocalExecutor:
  // anything with spawn(options, future, where), or failing that
  // spawn(future)) and adds it to the set.
  template <class F, class Spawner>
  requires Future<std::decay_t<F>> AbortHandle
  spawn_on(F&& future, Spawner&& spawner,
           SpawnSite where = SpawnSite::current()) {
    return spawn_on(SpawnOptions{}, std::forward<F>(future),
                    std::forward<Spawner>(spawner), where);
  }
  template <class F, class Spawner>
  requires Future<std::decay_t<F>> AbortHandle
  spawn_on(const SpawnOptions& options, F&& future, Spawner&& spawner,
           SpawnSite where = SpawnSite::current()) {
    static_assert(std::is_same_v<FutureOutput<std::decay_t<F>>, T>,
                  "JoinSet<T>: the future's output must be T");
    if constexpr (requires {
                    spawner.spawn(options, std::forward<F>(future), where);
                  }) {
      return insert(spawner.spawn(options, std::forward<F>(future), where));
    } else {
      return insert(spawner.spawn(std::forward<F>(future)));
    }
  }

  // Adds an already spawned task.
  AbortHandle insert(JoinHandle<T> handle) {
    auto node = make_arc<join_set_internal::EntryNode>(list_, slots_.size());
    AbortHandle abort = handle.abort_handle();
    const bool registered =
        handle.register_waker(join_set_internal::entry_waker(node));
    slots_.push_back(Slot{std::move(handle), node});
    // Already complete: no wake will come, so queue it ourselves.
    if (!registered) join_set_internal::notify(std::move(node));
    return abort;
  }

  // A future of the next result; see the header comment.
  class JoinNext {
   public:
    using Output = std::optional<JoinResult<T>>;
    explicit JoinNext(JoinSet* set) : set_(set) {}
    Poll<Output> poll(Context& cx) { return set_->poll_join_next(cx); }

   private:
    JoinSet* set_;
  };
  JoinNext join_next() { return JoinNext(this); }

  // The poll behind join_next(), for hand-written futures.
  Poll<std::optional<JoinResult<T>>> poll_join_next(Context& cx) {
    if (slots_.empty()) return std::optional<JoinResult<T>>();
    // Register first, then look (DESIGN §1): a completion after the look
    // wakes this poll's waker.
    list_->consumer.register_waker(cx.waker());
    while (true) {
      if (batch_.empty()) list_->take(&batch_);
      if (batch_.empty()) return Pending;
      Arc<join_set_internal::EntryNode> node = std::move(batch_.front());
      batch_.pop_front();
      // ORDERING: acq_rel, ready-list rule 1.
      node->notified.exchange(false, std::memory_order_acq_rel);
      if (node->slot == join_set_internal::EntryNode::kRemoved) continue;
      const std::size_t index = node->slot;
      Waker waker = join_set_internal::entry_waker(node);
      Context entry_cx(waker);
      auto poll = slots_[index].handle.poll_result(entry_cx);
      if (poll.is_pending()) {
        if (!coop::has_budget_remaining()) {
          // Out of budget: the handle woke the entry waker, which queued
          // the entry again; come back when the task runs next (rule 3b).
          cx.waker().wake_by_ref();
          return Pending;
        }
        // Not complete after all: the handle registered the entry waker.
        continue;
      }
      remove(index);
      return std::optional<JoinResult<T>>(std::move(poll).value());
    }
  }

  // Aborts every task in the set (see the header comment).
  void abort_all() {
    for (Slot& slot : slots_) slot.handle.abort();
  }

  // Forgets every task without aborting it; they run on, detached.
  void detach_all() {
    for (Slot& slot : slots_) {
      slot.node->slot = join_set_internal::EntryNode::kRemoved;
    }
    slots_.clear();
  }

  // Tasks whose result has not been taken.
  std::size_t len() const { return slots_.size(); }
  bool is_empty() const { return slots_.empty(); }

  void swap(JoinSet& other) noexcept {
    std::swap(list_, other.list_);
    std::swap(slots_, other.slots_);
    std::swap(batch_, other.batch_);
  }

 private:
  struct Slot {
    JoinHandle<T> handle;
    Arc<join_set_internal::EntryNode> node;
  };

  // Drops slot `index` by moving the last one into its place.
  void remove(std::size_t index) {
    slots_[index].node->slot = join_set_internal::EntryNode::kRemoved;
    if (index + 1 != slots_.size()) {
      slots_[index] = std::move(slots_.back());
      slots_[index].node->slot = index;
    }
    slots_.pop_back();
  }

  void close() {
    if (!list_) return;  // moved from
    abort_all();
    std::deque<Arc<join_set_internal::EntryNode>> queued;
    list_->close(&queued);
    detach_all();
    batch_.clear();
  }

  Arc<join_set_internal::ReadyList> list_;
  std::vector<Slot> slots_;
  // Ready entries taken from the list in one batch; owner only.
  std::deque<Arc<join_set_internal::EntryNode>> batch_;
};

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_JOIN_SET_H_
