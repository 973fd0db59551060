// magpie::JoinHandle<T> — the spawner's handle to a spawned task: a Future
// whose output is the task's output.
//
//   JoinHandle<int> h = executor.spawn(compute());
//   int v = co_await h;  // or block_on(std::move(h))
//
// - Awaiting it yields the task's value, or rethrows the exception the task
//   threw; an aborted task (or one dropped by runtime shutdown) throws
//   magpie::TaskCancelled.
// - abort() asks the task to stop: its future is destroyed at its next
//   scheduling point (at once if it is idle), on a runtime thread. A poll
//   already running is not interrupted, and a spawn_blocking job that has
//   started runs to the end: if it finishes, awaiting the handle yields its
//   value, not TaskCancelled (as in Tokio). Only a job still queued is
//   cancelled.
// - Dropping the handle detaches the task: it runs on, and its output is
//   dropped when it finishes. An exception it threw that the handle never
//   read goes to the runtime's unhandled-exception policy (by default one
//   line on stderr with the task's id and spawn site; unhandled_exception.h).
// - abort_handle() gives a copyable AbortHandle (abort_handle.h) that can
//   cancel the task but not read its output.
// - poll_result() is poll() with the task's exception or cancellation
//   delivered as a JoinResult (join_result.h) instead of thrown; JoinSet
//   uses it.
//
// Ownership: move-only; owns one reference to the task and its join
// interest. Threads: one thread at a time uses a handle (like any future);
// it may move between threads.

#ifndef MAGPIE_RUNTIME_TASK_JOIN_HANDLE_H_
#define MAGPIE_RUNTIME_TASK_JOIN_HANDLE_H_

#include <cassert>
#include <cstdint>
#include <utility>

#include "runtime/core/context.h"
#include "runtime/core/coop.h"
#include "runtime/core/poll.h"
#include "runtime/task/abort_handle.h"
#include "runtime/task/header.h"
#include "runtime/task/join_result.h"
#include "runtime/task/output.h"
#include "runtime/task/raw_task.h"

namespace magpie {

template <class T>
class JoinHandle {
 public:
  using Output = T;

  // Takes over the JoinHandle reference of a freshly allocated task.
  static JoinHandle from_raw(task::Header* header) {
    return JoinHandle(header);
  }

  JoinHandle(JoinHandle&& other) noexcept
      : header_(std::exchange(other.header_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& other) noexcept {
    JoinHandle taken(std::move(other));
    std::swap(header_, taken.header_);
    return *this;
  }
  JoinHandle(const JoinHandle&) = delete;
  JoinHandle& operator=(const JoinHandle&) = delete;
  ~JoinHandle() {
    if (header_ != nullptr) task::drop_join_handle(header_);
  }

  Poll<T> poll(Context& cx) {
    assert(header_ != nullptr && "JoinHandle polled after it was moved from");
    auto coop = coop::poll_proceed(cx);
    if (!coop) return Pending;
    task::TaskOutput<T> out;
    if (!task::try_read_output(header_, &out, cx.waker())) return Pending;
    assert(out.has_result() && "JoinHandle polled again after completion");
    coop->made_progress();
    if constexpr (std::is_void_v<T>) {
      out.take();
      return ready();
    } else {
      return out.take();
    }
  }

  // As poll(), but a task that threw or was cancelled answers a JoinResult
  // holding the error instead of throwing it.
  Poll<JoinResult<T>> poll_result(Context& cx) {
    assert(header_ != nullptr && "JoinHandle polled after it was moved from");
    auto coop = coop::poll_proceed(cx);
    if (!coop) return Pending;
    task::TaskOutput<T> out;
    if (!task::try_read_output(header_, &out, cx.waker())) return Pending;
    assert(out.has_result() && "JoinHandle polled again after completion");
    coop->made_progress();
    return JoinResult<T>(header_->id, std::move(out));
  }

  // Registers `waker` to be woken when the task completes, without reading
  // its output or touching the coop budget. False (and nothing registered)
  // when the task already completed. For combinators that watch many
  // handles (JoinSet); the next poll() registers its own waker as usual.
  bool register_waker(const Waker& waker) {
    return task::register_join_waker(header_, waker) ==
           task::JoinWakerRegistration::kRegistered;
  }

  // Requests cancellation; see the header comment.
  void abort() const { task::abort(header_); }

  // A handle that can cancel this task but not read its output.
  AbortHandle abort_handle() const { return AbortHandle::from_header(header_); }

  // True once the task has completed (with a value, an error or cancelled).
  bool is_finished() const { return header_->state.load().is_complete(); }

  // The task's process-unique id.
  std::uint64_t id() const { return header_->id; }

 private:
  explicit JoinHandle(task::Header* header) : header_(header) {}

  task::Header* header_;
};

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_TASK_JOIN_HANDLE_H_
