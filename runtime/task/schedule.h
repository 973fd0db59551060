// magpie::task::Schedule — all a task knows of the scheduler that runs it.
//
// A scheduler handle S is stored inside each task cell (so it must keep the
// scheduler's shared state alive, e.g. an Arc) and is called:
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

namespace magpie::task {

template <class S>
concept Schedule = requires(S& s, Notified n, Header* header) {
  s.schedule(std::move(n));
  s.yield_now(std::move(n));
  { s.release(header) } -> std::same_as<bool>;
};

}  // namespace magpie::task

#endif  // MAGPIE_RUNTIME_TASK_SCHEDULE_H_
