// magpie::AbortHandle — the right to cancel a spawned task, without the
// right to its output (Tokio's AbortHandle).
//
//   JoinHandle<int> h = magpie::spawn(work());
//   AbortHandle stop = h.abort_handle();   // copyable; hand it to anyone
//   ...
//   stop.abort();                          // h now yields TaskCancelled
//
// - abort() asks the task to stop, exactly as JoinHandle::abort(): its
//   future is destroyed at its next scheduling point (at once if it is
//   idle), on a runtime thread. Aborting a task that already completed does
//   nothing (its output is kept for the JoinHandle), and so does aborting
//   twice.
// - is_finished() is true once the task completed (value, error or
//   cancellation); id() is its process-unique id.
//
// Ownership: each AbortHandle owns one reference to the task cell (so its
// memory stays valid), and nothing else: it holds no JOIN_INTEREST, so a
// task whose JoinHandle was dropped still drops its output when it
// completes, and the cell is freed when the last reference of any kind
// goes (state.h, "AbortHandle made / dropped"). Copying takes one more
// reference; destroying or moving from releases it.
//
// Threads: any number of AbortHandles to one task may be used from any
// threads at once; one AbortHandle object is a plain value (one thread at a
// time).

#ifndef MAGPIE_RUNTIME_TASK_ABORT_HANDLE_H_
#define MAGPIE_RUNTIME_TASK_ABORT_HANDLE_H_

#include <cassert>
#include <cstdint>
#include <utility>

#include "runtime/task/header.h"
#include "runtime/task/raw_task.h"

namespace magpie {

class AbortHandle {
 public:
  // Takes one more reference to the task behind `header` (a live
  // reference's: JoinHandle::abort_handle() is the usual way in).
  static AbortHandle from_header(task::Header* header) {
    header->state.ref_inc();
    return AbortHandle(header);
  }

  AbortHandle(const AbortHandle& other) : header_(other.header_) {
    if (header_ != nullptr) header_->state.ref_inc();
  }
  AbortHandle(AbortHandle&& other) noexcept
      : header_(std::exchange(other.header_, nullptr)) {}
  AbortHandle& operator=(const AbortHandle& other) {
    AbortHandle copy(other);
    std::swap(header_, copy.header_);
    return *this;
  }
  AbortHandle& operator=(AbortHandle&& other) noexcept {
    AbortHandle taken(std::move(other));
    std::swap(header_, taken.header_);
    return *this;
  }
  ~AbortHandle() {
    if (header_ != nullptr) task::drop_reference(header_);
  }

  // Requests cancellation; see the header comment.
  void abort() const {
    assert(header_ != nullptr && "AbortHandle used after it was moved from");
    task::abort(header_);
  }

  // True once the task has completed (with a value, an error or cancelled).
  bool is_finished() const {
    assert(header_ != nullptr && "AbortHandle used after it was moved from");
    return header_->state.load().is_complete();
  }

  // The task's process-unique id.
  std::uint64_t id() const {
    assert(header_ != nullptr && "AbortHandle used after it was moved from");
    return header_->id;
  }

 private:
  explicit AbortHandle(task::Header* header) : header_(header) {}

  task::Header* header_;
};

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_TASK_ABORT_HANDLE_H_
