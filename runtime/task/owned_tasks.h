// magpie::task::OwnedTasks — the list of every live task of one scheduler,
// so that shutdown can find and drop them all.
//
// Ownership: the list holds one reference to each task on it, from bind()
// (at spawn) until remove() (the task completed) or close_and_shutdown_all()
// takes it off. It is owned by the scheduler's shared state and must outlive
// its tasks' release() calls (schedulers keep it inside an Arc the tasks
// hold).
//
// Threads: every method from any thread; a mutex guards the links (they
// live in each task's Trailer). No task code runs under the lock: shutdown
// takes tasks off one at a time and drops their futures unlocked (STYLE 8).

#ifndef MAGPIE_RUNTIME_TASK_OWNED_TASKS_H_
#define MAGPIE_RUNTIME_TASK_OWNED_TASKS_H_

#include <cstddef>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "runtime/core/mutex.h"
#include "runtime/task/header.h"
#include "runtime/task/task_dump.h"

namespace magpie::task {

class OwnedTasks {
 public:
  OwnedTasks() = default;
  OwnedTasks(const OwnedTasks&) = delete;
  OwnedTasks& operator=(const OwnedTasks&) = delete;
  ~OwnedTasks();

  // Adds a newly allocated task; the list takes one of its references.
  // Returns false (and takes nothing) once the list is closed: the spawn
  // must fail.
  [[nodiscard]] bool bind(Header* header);

  // Takes a completed task off the list. True if it was on it (the caller
  // then drops the list's reference).
  [[nodiscard]] bool remove(Header* header);

  // Refuses later binds, then shuts down every task on the list (drops the
  // futures of idle ones now; running ones are cancelled when their poll
  // ends). Returns how many tasks it took off.
  std::size_t close_and_shutdown_all();

  bool is_closed();
  std::size_t size();

  // A snapshot of every task on the list (see task_dump.h).
  std::vector<TaskDump> dump();

 private:
  Header* pop_front();

  core::Mutex mu_;
  Header* head_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::size_t count_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace magpie::task

#endif  // MAGPIE_RUNTIME_TASK_OWNED_TASKS_H_
