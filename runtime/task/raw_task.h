// magpie::task — the type-erased harness that drives a spawned task through
// its lifecycle (state.h), and Notified, the handle a run queue holds.
//
// References (each owns one count in the state word):
//   - Notified: a run-queue entry ("this task should be polled"). At most
//     one exists at a time (state rule 1).
//   - JoinHandle<T>: the spawner's handle to the output.
//   - each AbortHandle (abort_handle.h): may cancel, holds no JOIN_INTEREST.
//   - each task Waker (the waker's data is the Header itself: no allocation
//     per waker). Wakers are counted apart from the holders above (state
//     rule 5), so a task idle with no Waker is reported lost (lost_task.h).
//   - the scheduler's OwnedTasks list, from spawn until the task completes
//     or the runtime shuts down.
// The cell is freed when the count reaches zero, by whichever holder lets go
// last, on whatever thread that is.
//
// Threads: run() on the worker that popped the Notified; shutdown() on the
// thread closing the OwnedTasks list; the join functions on the thread that
// owns the JoinHandle; wakers anywhere.

#ifndef MAGPIE_RUNTIME_TASK_RAW_TASK_H_
#define MAGPIE_RUNTIME_TASK_RAW_TASK_H_

#include <utility>

#include "runtime/core/waker.h"
#include "runtime/task/header.h"

namespace magpie::task {

// The RawWakerVTable of every spawned task; data is the task's Header*.
extern const RawWakerVTable kTaskWakerVTable;

// A new Waker for the task (one more reference).
Waker make_task_waker(Header* header);

// A run-queue entry: owns one reference to a task that is NOTIFIED.
// Move-only; destroying an un-run Notified (a queue drained at shutdown)
// only drops its reference.
class Notified {
 public:
  Notified() = default;
  static Notified from_raw(Header* header) { return Notified(header); }
  Notified(Notified&& other) noexcept
      : header_(std::exchange(other.header_, nullptr)) {}
  Notified& operator=(Notified&& other) noexcept {
    Notified taken(std::move(other));
    std::swap(header_, taken.header_);
    return *this;
  }
  ~Notified() { reset(); }

  // Polls the task once (consuming this entry); see the harness rules in
  // raw_task.cc. Returns after the poll; the task may already be queued
  // again (woken during its poll) or freed.
  void run() &&;

  // Gives up the reference for storage in a queue of raw pointers.
  Header* into_raw() && { return std::exchange(header_, nullptr); }
  Header* header() const { return header_; }
  explicit operator bool() const { return header_ != nullptr; }

  // Inline: most Notified destroyed on the hot path are moved-from (empty),
  // and an out-of-line call for each was 13% of yield_many's instructions.
  void reset() {
    if (header_ != nullptr) drop();
  }

 private:
  explicit Notified(Header* header) : header_(header) {}
  // Drops the reference (header_ is not null).
  void drop();
  Header* header_ = nullptr;
};

// Runtime shutdown of one task taken off the OwnedTasks list; consumes the
// list's reference. Drops the future now unless a worker is polling it (that
// worker cancels it when its poll ends).
void shutdown(Header* header);

// A new task whose spawn was refused (its scheduler's OwnedTasks list is
// closed: the executor shut down). Drops the future now, on the calling
// thread, stores TaskCancelled as the output, and drops the references of
// the list and of the first Notified, so only the JoinHandle's is left:
// the spawner gets a handle that is already cancelled (DESIGN.md §5).
// Precondition: `header` is fresh from Cell::allocate, never bound nor
// queued.
void refuse(Header* header);

// Drops one reference; frees the cell if it was the last.
void drop_reference(Header* header);

// JoinHandle side (the caller owns the JoinHandle's reference).
enum class [[nodiscard]] JoinWakerRegistration{
    kRegistered,  // the task will wake `waker` when it completes
    kComplete,    // it already completed: nothing was registered
};
// Registers `waker` as the join waker (replacing the stored one unless it
// will_wake the same target) without reading the output. JoinSet uses it to
// hear of a completion without polling the handle.
JoinWakerRegistration register_join_waker(Header* header, const Waker& waker);
// Moves the output into *out (a TaskOutput<T>*) and returns true when the
// task is complete; otherwise registers `waker` as the join waker (replacing
// the stored one unless it will_wake the same task) and returns false.
bool try_read_output(Header* header, void* out, const Waker& waker);
// Releases JOIN_INTEREST and the handle's reference; drops the output if
// the task completed and nobody will read it, reporting an unread exception
// to the unhandled-exception policy on this thread.
void drop_join_handle(Header* header);
// Requests cancellation (JoinHandle::abort).
void abort(Header* header);

}  // namespace magpie::task

#endif  // MAGPIE_RUNTIME_TASK_RAW_TASK_H_
