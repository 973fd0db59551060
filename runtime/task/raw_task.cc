#include "runtime/task/raw_task.h"

#include <exception>
#include <utility>

#include "runtime/core/atomic.h"
#include "runtime/core/chaos_point.h"

namespace magpie::task {
namespace {

Trailer* trailer_of(Header* header) {
  return header->vtable()->trailer(header);
}

void dealloc(Header* header) { header->vtable()->dealloc(header); }

// Drops the output nobody will read (state rule 4) and, if it was an
// exception the task threw, hands it to the unhandled-exception policy. The
// caller still holds a reference, so the header is alive; no lock is held
// (the policy may run user code).
void drop_unread_output(Header* header) {
  std::exception_ptr unread = header->vtable()->drop_stage(header);
  if (unread) header->vtable()->report_unhandled(header, std::move(unread));
}

// The task finished (Ready, threw, or was cancelled); the caller holds
// RUNNING and one reference, which this consumes.
void complete(Header* header) {
  switch (header->state.transition_to_complete()) {
    case TransitionToComplete::kDropOutput:
      // State rule 4: the JoinHandle was dropped before the task finished;
      // nobody will read the output, so it is ours to drop (and to report).
      drop_unread_output(header);
      break;
    case TransitionToComplete::kWakeJoinWaker:
      // State rule 3: COMPLETE and JOIN_WAKER are both set, we may read it.
      trailer_of(header)->join_waker.wake_by_ref();
      break;
    case TransitionToComplete::kDoNothing:
      break;
  }
  // Our reference, plus the OwnedTasks list's if it still held the task.
  const std::uint64_t refs = header->vtable()->release(header) ? 2 : 1;
  if (header->state.ref_dec(refs)) dealloc(header);
}

void cancel_and_complete(Header* header) {
  header->vtable()->cancel(header);
  complete(header);
}

void schedule(Header* header) { header->vtable()->schedule(header); }

// Counted before the transition: after it the waker's reference may be gone.
void note_wake(Header* header) { trailer_of(header)->stats.note_wake(); }

RawWaker WakerClone(const void* data) {
  core::chaos_point(core::ChaosPoint::kWakerClone);
  auto* header = static_cast<Header*>(const_cast<void*>(data));
  header->state.waker_inc();
  return RawWaker{data, &kTaskWakerVTable};
}

void WakerWake(const void* data) {
  core::chaos_point(core::ChaosPoint::kWakerWake);
  auto* header = static_cast<Header*>(const_cast<void*>(data));
  note_wake(header);
  // A stale wake is counted while this Waker's reference still keeps the
  // cell alive: once the by-value transition has dropped it, another holder
  // may free the cell at any moment (kStale), so nothing may touch it then.
  // COMPLETE is sticky, so a wake that sees it now is stale; one that races
  // the completion is counted only if it ends up holding the last reference.
  const bool seen_complete = header->state.load().is_complete();
  if (seen_complete) header->vtable()->count_stale_wake(header);
  switch (header->state.transition_to_notified_by_val()) {
    case TransitionToNotified::kSubmit:
      schedule(header);  // the waker's reference goes with it
      break;
    case TransitionToNotified::kDealloc:
      dealloc(header);
      break;
    case TransitionToNotified::kStale:
      break;  // counted above if seen; the cell is no longer ours to touch
    case TransitionToNotified::kStaleDealloc:
      // The last reference: the cell is ours alone until freed.
      if (!seen_complete) header->vtable()->count_stale_wake(header);
      dealloc(header);
      break;
    case TransitionToNotified::kDoNothing:
      break;
  }
}

void WakerWakeByRef(const void* data) {
  core::chaos_point(core::ChaosPoint::kWakerWake);
  auto* header = static_cast<Header*>(const_cast<void*>(data));
  note_wake(header);
  switch (header->state.transition_to_notified_by_ref()) {
    case TransitionToNotified::kSubmit:
      schedule(header);  // with the reference the transition added
      break;
    case TransitionToNotified::kStale:
      header->vtable()->count_stale_wake(header);  // the Waker keeps it alive
      break;
    case TransitionToNotified::kDoNothing:
    case TransitionToNotified::kDealloc:
    case TransitionToNotified::kStaleDealloc:
      break;  // by ref never drops a reference
  }
}

void WakerDrop(const void* data) {
  auto* header = static_cast<Header*>(const_cast<void*>(data));
  switch (header->state.waker_dec()) {
    case TransitionToWakerDrop::kDoNothing:
      break;
    case TransitionToWakerDrop::kDealloc:
      dealloc(header);
      break;
    case TransitionToWakerDrop::kLost:
      // The last Waker of an idle task went unwoken (state rule 5); the
      // transition gave us a holder reference for the report.
      header->vtable()->report_lost(header);
      drop_reference(header);
      break;
  }
}

}  // namespace

constexpr RawWakerVTable kTaskWakerVTable = {&WakerClone, &WakerWake,
                                             &WakerWakeByRef, &WakerDrop};

std::uint64_t next_task_id() {
  static core::Atomic<std::uint64_t> next{1};
  // ORDERING: relaxed; ids only need to be unique.
  return next.fetch_add(1, std::memory_order_relaxed);
}

Waker make_task_waker(Header* header) {
  return Waker::from_raw(WakerClone(header));
}

void drop_reference(Header* header) {
  if (header->state.ref_dec()) dealloc(header);
}

void Notified::drop() { drop_reference(std::exchange(header_, nullptr)); }

void Notified::run() && {
  Header* header = std::exchange(header_, nullptr);
  switch (header->state.transition_to_running()) {
    case TransitionToRunning::kSuccess:
      break;
    case TransitionToRunning::kCancelled:
      cancel_and_complete(header);
      return;
    case TransitionToRunning::kFailed:
      return;
    case TransitionToRunning::kDealloc:
      dealloc(header);
      return;
  }
  core::chaos_point(core::ChaosPoint::kBeforePoll);
  bool finished;
  {
    // The poll borrows the queue entry's reference for its waker: no count
    // change unless the future clones it.
    Waker borrowed = Waker::from_raw(RawWaker{header, &kTaskWakerVTable});
    Context cx(borrowed);
    // Diagnostics: count the poll, and let the innermost Pending future
    // record itself as the leaf (core/poll_stats.h).
    core::PollStats& stats = trailer_of(header)->stats;
    core::LeafProbeScope leaf_probe(stats.note_poll(), header->leaf);
    finished = header->vtable()->poll(header, cx);
    std::move(borrowed).into_raw();
  }
  core::chaos_point(core::ChaosPoint::kAfterPoll);
  if (finished) {
    complete(header);
    return;
  }
  switch (header->state.transition_to_idle()) {
    case TransitionToIdle::kOk:
      return;
    case TransitionToIdle::kOkNotified:
      // Woken while it ran: requeue behind other ready work so a task that
      // wakes itself cannot monopolize its worker.
      header->vtable()->yield_now(header);
      return;
    case TransitionToIdle::kOkDealloc:
      dealloc(header);
      return;
    case TransitionToIdle::kOkLost:
      // Pending with no Waker kept and no wake pending (state rule 5): the
      // future broke DESIGN.md §1. Report it with the reference we kept.
      header->vtable()->report_lost(header);
      drop_reference(header);
      return;
    case TransitionToIdle::kCancelled:
      cancel_and_complete(header);
      return;
  }
}

void shutdown(Header* header) {
  switch (header->state.transition_to_shutdown()) {
    case TransitionToShutdown::kCancelNow:
      // We claimed it (RUNNING); the list's reference plays the runner's.
      cancel_and_complete(header);
      return;
    case TransitionToShutdown::kDoNothing:
      drop_reference(header);
      return;
  }
}

void refuse(Header* header) {
  // A fresh task is idle (NOTIFIED, not RUNNING): shutdown() claims it,
  // drops the future and completes it as cancelled, consuming the
  // reference allocated for the list (release() finds it on no list).
  shutdown(header);
  // The first Notified's reference: it was never queued.
  drop_reference(header);
}

JoinWakerRegistration register_join_waker(Header* header, const Waker& waker) {
  const Snapshot snapshot = header->state.load();
  if (snapshot.is_complete()) return JoinWakerRegistration::kComplete;
  Trailer* trailer = trailer_of(header);
  if (snapshot.is_join_waker_set()) {
    // Replace the stored waker only if it targets someone else.
    if (trailer->join_waker.will_wake(waker)) {
      return JoinWakerRegistration::kRegistered;
    }
    if (header->state.unset_join_waker() == TransitionJoinWaker::kComplete) {
      return JoinWakerRegistration::kComplete;
    }
  }
  // State rule 3: JOIN_WAKER is clear, the slot is ours.
  trailer->join_waker = waker;
  if (header->state.set_join_waker() == TransitionJoinWaker::kOk) {
    return JoinWakerRegistration::kRegistered;
  }
  trailer->join_waker = Waker();
  return JoinWakerRegistration::kComplete;
}

bool try_read_output(Header* header, void* out, const Waker& waker) {
  if (register_join_waker(header, waker) ==
      JoinWakerRegistration::kRegistered) {
    return false;
  }
  header->vtable()->read_output(header, out);
  return true;
}

void drop_join_handle(Header* header) {
  switch (header->state.unset_join_interested()) {
    case TransitionToJoinHandleDrop::kDone:
      return;  // a detached spawn: one RMW dropped interest and reference
    case TransitionToJoinHandleDrop::kDropOutput:
      // State rule 4: the output is ours (empty if it was already read); an
      // exception still in it was never awaited: unhandled.
      drop_unread_output(header);
      break;
    case TransitionToJoinHandleDrop::kDropJoinWaker:
      // JOIN_WAKER is now clear: the slot is ours (state rule 3).
      trailer_of(header)->join_waker = Waker();
      break;
  }
  drop_reference(header);
}

void abort(Header* header) {
  if (header->state.transition_to_notified_and_cancel() ==
      TransitionToNotified::kSubmit) {
    schedule(header);
  }
}

}  // namespace magpie::task
