// magpie::task::Schedule — all a task knows of the scheduler that runs it.
//
// A task does not store its scheduler: the scheduler's shared state is
// registered in the process-wide scheduler registry (scheduler_registry.h)
// and the task keeps its 16-bit slot index in the Header's vtable word. S
// is a borrowed handle, cheap to make from that index (a table load); the
// usual way to write one is to derive from RegisteredScheduler<T>, T being
// the scheduler's Arc-shared state made by make_registered_arc. S provides:
//   S(SchedulerIndex)    the handle of the scheduler registered there.
//   index()              its registry slot (stored in each task's Header).
//   retain_task()        a new task keeps the scheduler alive (at spawn) ...
//   drop_task()          ... until the task's cell is freed (may destroy
//                        the scheduler and free its slot).
//   schedule(Notified)   a waker made the task runnable; queue it. Called on
//                        any thread, including after shutdown (then drop it).
//   yield_now(Notified)  the task was woken while it ran; queue it behind
//                        other ready work.
//   release(Header*)     the task completed; take it off the OwnedTasks list
//                        and say whether it was there.
// Each call may come from any thread; S must be safe for that.

#ifndef MAGPIE_RUNTIME_TASK_SCHEDULE_H_
#define MAGPIE_RUNTIME_TASK_SCHEDULE_H_

#include <concepts>

#include "runtime/task/header.h"
#include "runtime/task/raw_task.h"
#include "runtime/task/scheduler_registry.h"

namespace magpie::task {

template <class S>
concept Schedule = std::constructible_from<S, SchedulerIndex> &&
    std::copy_constructible<S> && requires(S& s, Notified n, Header* header) {
  { s.index() } -> std::same_as<SchedulerIndex>;
  s.retain_task();
  s.drop_task();
  s.schedule(std::move(n));
  s.yield_now(std::move(n));
  { s.release(header) } -> std::same_as<bool>;
};

}  // namespace magpie::task

#endif  // MAGPIE_RUNTIME_TASK_SCHEDULE_H_
