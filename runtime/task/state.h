// magpie::task::State — the one atomic word that holds a spawned task's
// lifecycle flags and its reference count. Bits are touched only here.
//
//   63                                   6   5      4      3     2     1    0
//  +--------------------------------------+------+------+-----+-----+-----+----+
//  |          reference count             | JOIN | JOIN |CANC-|NOTI-|COMP-|RUN-|
//  |          (units of kRefOne)          | WAKER|INTRST|ELLED|FIED |LETE |NING|
//  +--------------------------------------+------+------+-----+-----+-----+----+
//
// Transitions (the table DESIGN.md §2 asks for; "ref" = reference count):
//
//  event / function                  | from                      | to, and what the caller does
//  ----------------------------------+---------------------------+--------------------------------------
//  wake by ref                       | idle (not RUN/NOT/COMP)   | +NOTIFIED, ref+1 -> Submit
//    transition_to_notified_by_ref   | RUNNING                   | +NOTIFIED -> DoNothing (runner requeues)
//                                    | NOTIFIED or COMPLETE      | unchanged -> DoNothing
//  wake by value (consumes a ref)    | idle                      | +NOTIFIED, ref kept -> Submit
//    transition_to_notified_by_val   | RUNNING                   | +NOTIFIED, ref-1 -> DoNothing
//                                    | NOTIFIED or COMPLETE      | ref-1 -> DoNothing, or Dealloc at 0
//  poll begins                       | NOTIFIED                  | RUNNING, -NOTIFIED -> Success
//    transition_to_running           |  ... with CANCELLED       | RUNNING, -NOTIFIED -> Cancelled
//                                    | RUNNING or COMPLETE       | ref-1 -> Failed, or Dealloc at 0
//  poll ends Pending                 | RUNNING                   | idle, ref-1 -> Ok (or OkDealloc at 0)
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
//  JoinHandle drop                   | not COMPLETE              | -JOIN_INTEREST-JOIN_WAKER
//    unset_join_interested           |                           |   -> DropJoinWaker (the slot is the
//                                    |                           |   handle's: it drops the waker)
//                                    | COMPLETE                  | -JOIN_INTEREST -> DropOutput (the
//                                    |                           |   handle drops the unread output)
//  join waker set                    | not COMPLETE              | +JOIN_WAKER -> Ok (the runtime wakes it)
//    set_join_waker                  | COMPLETE                  | unchanged -> Complete: read the output
//  join waker cleared (to replace)   | not COMPLETE              | -JOIN_WAKER -> Ok (the slot is the
//    unset_join_waker                |                           |   handle's again)
//                                    | COMPLETE                  | unchanged -> Complete: read the output
//  AbortHandle made / dropped        | any                       | ref+1 / ref-1 (ref_inc, ref_dec): an
//                                    |                           |   AbortHandle holds no JOIN_INTEREST
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
//
// Memory ordering: every transition is one CAS loop (or fetch op) with
// acq_rel on success, so the writes a thread makes before handing the task on
// (the future's state after a poll, the stored output, the join waker) are
// visible to the thread whose transition observes them. Reference increments
// are relaxed (made from an existing reference); decrements are acq_rel so
// the thread that frees the task sees every earlier use.

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

  explicit constexpr Snapshot(std::uint64_t bits) : bits_(bits) {}

  bool is_running() const { return bits_ & kRunning; }
  bool is_complete() const { return bits_ & kComplete; }
  bool is_notified() const { return bits_ & kNotified; }
  bool is_cancelled() const { return bits_ & kCancelled; }
  bool is_join_interested() const { return bits_ & kJoinInterest; }
  bool is_join_waker_set() const { return bits_ & kJoinWaker; }
  bool is_idle() const { return !(bits_ & (kRunning | kComplete)); }
  std::uint64_t ref_count() const { return bits_ >> kRefShift; }
  std::uint64_t bits() const { return bits_; }

 private:
  std::uint64_t bits_;
};

enum class [[nodiscard]] TransitionToRunning{kSuccess, kCancelled, kFailed,
                                             kDealloc};
enum class [[nodiscard]] TransitionToIdle{kOk, kOkNotified, kOkDealloc,
                                          kCancelled};
enum class [[nodiscard]] TransitionToNotified{kDoNothing, kSubmit, kDealloc};
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

  // Clears JOIN_INTEREST (and JOIN_WAKER unless COMPLETE).
  TransitionToJoinHandleDrop unset_join_interested();
  // Sets JOIN_WAKER unless COMPLETE.
  TransitionJoinWaker set_join_waker();
  // Clears JOIN_WAKER unless COMPLETE.
  TransitionJoinWaker unset_join_waker();

  void ref_inc();
  // Drops `count` references; true when they were the last.
  [[nodiscard]] bool ref_dec(std::uint64_t count = 1);

 private:
  core::Atomic<std::uint64_t> word_;
};

}  // namespace magpie::task

#endif  // MAGPIE_RUNTIME_TASK_STATE_H_
