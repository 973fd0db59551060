// magpie::task::State — the one atomic word that holds a spawned task's
// lifecycle flags and its two reference counts. Bits are touched only here.
//
//   63              32 31               6   5      4      3     2     1    0
//  +------------------+------------------+------+------+-----+-----+-----+----+
//  |   waker count    | holder ref count | JOIN | JOIN |CANC-|NOTI-|COMP-|RUN-|
//  | (kWakerOne units)| (kRefOne units)  | WAKER|INTRST|ELLED|FIED |LETE |NING|
//  +------------------+------------------+------+------+-----+-----+-----+----+
//
// "wakers" counts the live task Wakers (each a reference); "holders" counts
// every other reference: the run-queue entry (Notified; the runner's while
// RUNNING), the JoinHandle, each AbortHandle and the OwnedTasks list. The
// cell is freed when both reach zero. The Waker a poll's Context borrows is
// the runner's holder reference and is not counted; its clones are.
// Keeping the two apart is what makes the "lost" verdict provable
// (lost_task.h): idle, neither NOTIFIED nor COMPLETE nor CANCELLED, and
// wakers == 0 means nothing can ever wake the task.
//
// Transitions (the table DESIGN.md §2 asks for; "ref" = reference count):
//
//  event / function                  | from                      | to, and what the caller does
//  ----------------------------------+---------------------------+--------------------------------------
//  ("ref" = holder count, "wakers" = waker count; "at 0" = both are zero)
//  wake by ref                       | idle (not RUN/NOT/COMP)   | +NOTIFIED, ref+1 -> Submit
//    transition_to_notified_by_ref   | RUNNING                   | +NOTIFIED -> DoNothing (runner requeues)
//                                    | NOTIFIED                  | unchanged -> DoNothing
//                                    | COMPLETE                  | unchanged -> Stale (count it)
//  wake by value (consumes a Waker)  | idle                      | +NOTIFIED, wakers-1, ref+1 -> Submit
//    transition_to_notified_by_val   |                           |   (the Waker becomes the queue entry)
//                                    | RUNNING                   | +NOTIFIED, wakers-1 -> DoNothing
//                                    | NOTIFIED                  | wakers-1 -> DoNothing, or Dealloc at 0
//                                    | COMPLETE                  | wakers-1 -> Stale, or StaleDealloc at 0
//  Waker clone                       | any                       | wakers+1 (waker_inc)
//  Waker drop (not woken)            | idle, not NOTIFIED, not   | wakers-1, ref+1 -> Lost when it was
//    waker_dec                       |   CANCELLED, wakers == 1, |   the last Waker (the caller reports,
//                                    |   ref > 0                 |   then drops the ref it was given)
//                                    | otherwise                 | wakers-1 -> DoNothing, Dealloc at 0
//  poll begins                       | NOTIFIED                  | RUNNING, -NOTIFIED -> Success
//    transition_to_running           |  ... with CANCELLED       | RUNNING, -NOTIFIED -> Cancelled
//                                    | RUNNING or COMPLETE       | ref-1 -> Failed, or Dealloc at 0
//  poll ends Pending                 | RUNNING, wakers > 0       | idle, ref-1 -> Ok (or OkDealloc at 0)
//                                    | RUNNING, wakers == 0,     | idle, ref kept -> OkLost (the caller
//                                    |   another holder left     |   reports, then drops the ref)
//    transition_to_idle              | RUNNING + NOTIFIED        | NOTIFIED, ref kept -> OkNotified (requeue)
//                                    | RUNNING + CANCELLED       | unchanged -> Cancelled (cancel now)
//  poll ends Ready                   | RUNNING, no JOIN_INTEREST | COMPLETE -> DropOutput (state rule 4)
//    transition_to_complete          | RUNNING, JOIN_WAKER set   | COMPLETE -> WakeJoinWaker (rule 3)
//                                    | RUNNING, JOIN_INTEREST    | COMPLETE -> DoNothing (the handle
//                                    |   without JOIN_WAKER      |   sees COMPLETE when next polled)
//  abort (JoinHandle, AbortHandle)   | idle                      | +NOTIFIED+CANCELLED, ref+1 -> Submit
//    transition_to_notified_and_     | NOTIFIED (queued)         | +CANCELLED -> DoNothing
//    cancel                          | RUNNING                   | +NOTIFIED+CANCELLED -> DoNothing
//                                    | COMPLETE or CANCELLED     | unchanged -> DoNothing
//  runtime shutdown                  | not RUNNING, not COMPLETE | +RUNNING+CANCELLED -> CancelNow
//    transition_to_shutdown          |                           |   (the caller drops the future now)
//                                    | RUNNING or COMPLETE       | +CANCELLED -> DoNothing (the runner
//                                    |                           |   cancels it when its poll ends)
//  JoinHandle drop                   | not COMPLETE, JOIN_WAKER  | -JOIN_INTEREST, ref-1 -> Done (the
//    unset_join_interested           |   clear, ref > 1          |   slot is empty, rule 3: nothing is
//                                    |                           |   left for the handle to do)
//                                    | not COMPLETE, otherwise   | -JOIN_INTEREST-JOIN_WAKER
//                                    |                           |   -> DropJoinWaker (the slot is the
//                                    |                           |   handle's: it drops the waker, then
//                                    |                           |   its reference)
//                                    | COMPLETE                  | -JOIN_INTEREST -> DropOutput (the
//                                    |                           |   handle drops the unread output,
//                                    |                           |   then its reference)
//  join waker set                    | not COMPLETE              | +JOIN_WAKER -> Ok (the runtime wakes it)
//    set_join_waker                  | COMPLETE                  | unchanged -> Complete: read the output
//  join waker cleared (to replace)   | not COMPLETE              | -JOIN_WAKER -> Ok (the slot is the
//    unset_join_waker                |                           |   handle's again)
//                                    | COMPLETE                  | unchanged -> Complete: read the output
//  AbortHandle made / dropped        | any                       | ref+1 / ref-1 (ref_inc, ref_dec): an
//                                    |                           |   AbortHandle holds no JOIN_INTEREST
//
// "idle" in the rows above: neither RUNNING nor COMPLETE. A task that
// transition_to_idle or waker_dec calls Lost stays lost: no Waker is left to
// clone or wake, so only abort() or shutdown (CANCELLED) moves it again; the
// verdict is made once per task.
//
// Rules the harness relies on (cited as "state rule N"):
//  1. A task is in a run queue at most once: only the transition that sets
//     NOTIFIED from clear submits it.
//  2. While RUNNING, only the running worker touches the future.
//  3. The join-waker slot belongs to the JoinHandle while JOIN_WAKER is
//     clear, and is read-only for the runtime while JOIN_WAKER and COMPLETE
//     are both set.
//  4. The output belongs to the runtime until COMPLETE; after it, to the
//     JoinHandle if JOIN_INTEREST is set at the moment of completion,
//     otherwise the completing worker drops it.
//  5. Every live task Waker is counted in `wakers`, except the one a poll's
//     Context borrows (only valid during that poll). So wakers == 0 while
//     idle, not NOTIFIED and not CANCELLED proves the task lost.
//
// Memory ordering: every transition is one CAS loop (or fetch op) with
// acq_rel on success, so the writes a thread makes before handing the task on
// (the future's state after a poll, the stored output, the join waker) are
// visible to the thread whose transition observes them. Reference increments
// (holders and wakers) are relaxed (made from an existing reference);
// decrements are acq_rel so the thread that frees the task sees every
// earlier use. Cost: each transition is still the one atomic
// read-modify-write it was before the waker count existed (waker_dec is a
// CAS loop where a plain ref_dec was a fetch_sub: still one locked op).

#ifndef MAGPIE_RUNTIME_TASK_STATE_H_
#define MAGPIE_RUNTIME_TASK_STATE_H_

#include <cstdint>

#include "runtime/core/atomic.h"

namespace magpie::task {

// A copy of the state word, with readers for each field.
class Snapshot {
 public:
  static constexpr std::uint64_t kRunning = 1u << 0;
  static constexpr std::uint64_t kComplete = 1u << 1;
  static constexpr std::uint64_t kNotified = 1u << 2;
  static constexpr std::uint64_t kCancelled = 1u << 3;
  static constexpr std::uint64_t kJoinInterest = 1u << 4;
  static constexpr std::uint64_t kJoinWaker = 1u << 5;
  static constexpr int kRefShift = 6;
  static constexpr std::uint64_t kRefOne = std::uint64_t{1} << kRefShift;
  static constexpr std::uint64_t kFlagMask = kRefOne - 1;
  // Holders: 26 bits (bits 6..31); wakers: 32 bits (bits 32..63).
  static constexpr int kWakerShift = 32;
  static constexpr std::uint64_t kWakerOne = std::uint64_t{1} << kWakerShift;
  static constexpr std::uint64_t kRefMask = kWakerOne - kRefOne;

  explicit constexpr Snapshot(std::uint64_t bits) : bits_(bits) {}

  bool is_running() const { return bits_ & kRunning; }
  bool is_complete() const { return bits_ & kComplete; }
  bool is_notified() const { return bits_ & kNotified; }
  bool is_cancelled() const { return bits_ & kCancelled; }
  bool is_join_interested() const { return bits_ & kJoinInterest; }
  bool is_join_waker_set() const { return bits_ & kJoinWaker; }
  bool is_idle() const { return !(bits_ & (kRunning | kComplete)); }
  // Every reference: holders and wakers (the cell is freed at zero).
  std::uint64_t ref_count() const { return holder_count() + waker_count(); }
  // References other than Wakers: queue entry, JoinHandle, AbortHandles,
  // the OwnedTasks list.
  std::uint64_t holder_count() const { return (bits_ & kRefMask) >> kRefShift; }
  // Live task Wakers (state rule 5).
  std::uint64_t waker_count() const { return bits_ >> kWakerShift; }
  // Idle, no wake pending, not cancelled, and no Waker alive: nothing can
  // ever wake it (lost_task.h).
  bool is_lost() const {
    return is_idle() && !is_notified() && !is_cancelled() && waker_count() == 0;
  }
  std::uint64_t bits() const { return bits_; }

 private:
  std::uint64_t bits_;
};

enum class [[nodiscard]] TransitionToRunning{kSuccess, kCancelled, kFailed,
                                             kDealloc};
enum class [[nodiscard]] TransitionToIdle{
    kOk,          // idle; a Waker is alive to wake it
    kOkNotified,  // woken during the poll: requeue it
    kOkDealloc,   // that was the last reference: free it
    kCancelled,   // cancel it now (the caller still holds RUNNING)
    kOkLost,      // idle with no Waker: report it, then drop the ref kept
};
enum class [[nodiscard]] TransitionToNotified{
    kDoNothing,     // nothing to queue
    kSubmit,        // queue it (with the reference the transition made)
    kDealloc,       // that was the last reference: free it
    kStale,         // the task had completed: count a stale wake
    kStaleDealloc,  // ... and that was its last reference: then free it
};
// Dropping a Waker without waking it.
enum class [[nodiscard]] TransitionToWakerDrop{
    kDoNothing,
    kDealloc,  // the last reference: free the task
    kLost,     // the last Waker of an idle task: report it lost; the
               // caller now holds a holder reference, to drop afterwards
};
// What the completing worker does with the output and the join waker.
enum class [[nodiscard]] TransitionToComplete{
    kDoNothing,      // a JoinHandle will read the output on its next poll
    kWakeJoinWaker,  // state rule 3: wake the stored join waker
    kDropOutput,     // state rule 4: nobody will read it; drop it now
};
enum class [[nodiscard]] TransitionToShutdown{
    kCancelNow,  // the caller claimed the task (RUNNING): cancel it now
    kDoNothing,  // a runner or a completion owns it; CANCELLED is set
};
// What a dropped JoinHandle still owns.
enum class [[nodiscard]] TransitionToJoinHandleDrop{
    kDone,           // nothing: its reference is gone too (one RMW)
    kDropJoinWaker,  // not COMPLETE: the join-waker slot is the handle's
    kDropOutput,     // COMPLETE: the output (empty if read) is the handle's
};
// set_join_waker / unset_join_waker.
enum class [[nodiscard]] TransitionJoinWaker{
    kOk,        // the flag changed (see the table)
    kComplete,  // the task completed first, nothing changed: read the output
};

class State {
 public:
  // A new task: NOTIFIED (it is about to be queued), JOIN_INTEREST (a
  // JoinHandle is made with it), and `refs` references.
  explicit State(std::uint64_t refs);

  Snapshot load() const;

  TransitionToRunning transition_to_running();
  TransitionToIdle transition_to_idle();
  // RUNNING -> COMPLETE.
  TransitionToComplete transition_to_complete();
  TransitionToNotified transition_to_notified_by_ref();
  TransitionToNotified transition_to_notified_by_val();
  // Abort. kSubmit means the caller holds a new reference and must queue it.
  TransitionToNotified transition_to_notified_and_cancel();
  // Runtime shutdown.
  TransitionToShutdown transition_to_shutdown();

  // Clears JOIN_INTEREST (and JOIN_WAKER unless COMPLETE). In the common
  // case (a detached spawn: not COMPLETE, no join waker, another holder
  // left) it drops the handle's reference in the same RMW (kDone);
  // otherwise the caller drops it after its part.
  TransitionToJoinHandleDrop unset_join_interested();
  // Sets JOIN_WAKER unless COMPLETE.
  TransitionJoinWaker set_join_waker();
  // Clears JOIN_WAKER unless COMPLETE.
  TransitionJoinWaker unset_join_waker();

  // Holder references (not Wakers).
  void ref_inc();
  // Drops `count` holder references; true when they were the last.
  [[nodiscard]] bool ref_dec(std::uint64_t count = 1);

  // A Waker was cloned (from a live Waker or the borrowed one).
  void waker_inc();
  // A Waker was dropped without waking.
  TransitionToWakerDrop waker_dec();

 private:
  core::Atomic<std::uint64_t> word_;
};

}  // namespace magpie::task

#endif  // MAGPIE_RUNTIME_TASK_STATE_H_
