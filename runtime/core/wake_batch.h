// magpie::core::WakeBatchScope — lets a thread that wakes many tasks in a
// row (the reactor thread, once per epoll turn and once per timer-wheel
// turn) hand them to their scheduler as one batch with one worker
// notification, instead of one queue push and one futex wake per task.
//
// Layering: core knows nothing of tasks or schedulers. A scheduler that is
// asked to schedule a task from a thread that is not one of its workers
// calls WakeBatch::append(owner, flush, item); when a scope is open on this
// thread the item is kept (append returns true) and handed back, with every
// other item of the same owner, to flush(owner, items, n) when the outermost
// scope on this thread closes. When no scope is open (or it is being
// flushed) append returns false and the caller schedules the item itself.
//
// Ownership: an appended item is owned by the batch until flush (for a task:
// its queue reference); flush must take it over. `owner` must stay alive
// until the flush: a scheduler guarantees it because each queued task keeps
// its scheduler alive.
//
// Threads: all state is thread_local; a scope, its appends and its flush run
// on one thread. Flush runs in the scope's destructor, in append order per
// owner, owners in order of first append. A flush may run user code (a
// dropped task reference); appends made while flushing are refused
// (append returns false), so nothing waits for a scope that already ended.
//
// Memory ordering: none of its own (thread-local); the scheduler's queue
// push in flush orders the tasks for the workers.

#ifndef MAGPIE_RUNTIME_CORE_WAKE_BATCH_H_
#define MAGPIE_RUNTIME_CORE_WAKE_BATCH_H_

#include <cstddef>

namespace magpie::core {

class WakeBatch {
 public:
  using FlushFn = void (*)(void* owner, void* const* items, std::size_t n);

  // True if a scope is open on this thread and `item` was kept for
  // flush(owner, ...); false if the caller must deliver it now.
  [[nodiscard]] static bool append(void* owner, FlushFn flush, void* item);

  // True while a scope (not being flushed) is open on this thread.
  static bool is_open();
};

// Opens a batch on this thread; the outermost scope flushes on destruction.
class WakeBatchScope {
 public:
  WakeBatchScope();
  ~WakeBatchScope();
  WakeBatchScope(const WakeBatchScope&) = delete;
  WakeBatchScope& operator=(const WakeBatchScope&) = delete;
};

}  // namespace magpie::core

#endif  // MAGPIE_RUNTIME_CORE_WAKE_BATCH_H_
