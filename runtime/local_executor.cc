#include "runtime/local_executor.h"

#include <limits>

#include "runtime/core/coop.h"

namespace magpie {
namespace local_executor_internal {

void Scheduler::schedule(task::Notified notified) {
  Shared& state = shared();
  {
    core::MutexLock lock(&state.mu);
    if (!state.closed) {
      state.queue.push_back(std::move(notified).into_raw());
    }
  }
  // After shutdown `notified` still holds its reference and drops it here,
  // unlocked (STYLE 8).
  state.parker->unpark();
}

}  // namespace local_executor_internal

LocalExecutor::LocalExecutor()
    : shared_(task::make_registered_arc<local_executor_internal::Shared>()) {}

LocalExecutor::LocalExecutor(UnhandledExceptionHandler unhandled_exception)
    : LocalExecutor() {
  // Before any task exists, so no reader races this write.
  shared_->unhandled_exception = std::move(unhandled_exception);
}

LocalExecutor::~LocalExecutor() { shutdown(); }

std::size_t LocalExecutor::run_until_stalled() {
  return run_tasks(std::numeric_limits<std::size_t>::max());
}

std::size_t LocalExecutor::run_tasks(std::size_t max_polls) {
  std::size_t polls = 0;
  while (polls < max_polls) {
    task::Header* next;
    {
      core::MutexLock lock(&shared_->mu);
      if (shared_->queue.empty()) return polls;
      next = shared_->queue.front();
      shared_->queue.pop_front();
    }
    {
      // Each task poll gets a coop budget, as on a worker (coop rule 3).
      coop::BudgetScope budget;
      task::Notified::from_raw(next).run();
    }
    ++polls;
  }
  return polls;
}

std::vector<TaskDump> LocalExecutor::dump_tasks() {
  std::vector<TaskDump> tasks = shared_->owned.dump();
  for (TaskDump& root :
       block_on_internal::RootRegistration::dump(shared_.get(), false)) {
    tasks.push_back(std::move(root));
  }
  return tasks;
}

void LocalExecutor::shutdown() {
  // ORDERING: release pairs with the acquire load in Scheduler::lost_task.
  shared_->shutting_down.store(true, std::memory_order_release);
  {
    core::MutexLock lock(&shared_->mu);
    shared_->closed = true;
  }
  shared_->owned.close_and_shutdown_all();
  // Queue entries of the tasks just shut down: drop their references.
  std::deque<task::Header*> leftover;
  {
    core::MutexLock lock(&shared_->mu);
    leftover.swap(shared_->queue);
  }
  for (task::Header* header : leftover)
    task::Notified::from_raw(header).reset();
}

}  // namespace magpie
