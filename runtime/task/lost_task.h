// magpie::task::LostTask — the report the runtime makes when a spawned task
// can provably never run again (DESIGN.md §7).
//
// A task is *lost* when it is idle (its last poll returned Pending, no wake
// is pending, it is neither complete nor cancelled nor being shut down) and
// no Waker for it is alive anywhere. Nothing can ever wake it: it waits
// until abort() or runtime shutdown drops it. The state word counts the live
// Wakers of each task (state.h), so the verdict is exact, never a guess, and
// is reached inside the very transition that makes it true:
//   - the poll ends Pending with no Waker outstanding and no wake pending
//     (the future kept no clone of cx.waker()); or
//   - the last Waker is dropped (not woken) while the task is idle.
// A task that can still be woken is never reported.
//
//   auto rt = magpie::Runtime::Builder()
//                 .on_lost_task([](const magpie::task::LostTask& lost) {
//                   LOG(ERROR) << lost.description;
//                 })
//                 .build();
//
// Without a handler the runtime writes one line on stderr:
//   magpie: task 17 spawned at server.cc:42 is lost: idle with no live
//   Waker; nothing can wake it
// and, when the environment variable MAGPIE_ON_LOST_TASK=abort is set, then
// calls std::abort() (CI runs the whole suite so, to prove no false
// positives).
//
// Threads: the report runs on the thread that made the verdict true — the
// worker whose poll returned Pending, or whichever thread dropped the last
// Waker (a reactor thread, a thread dropping a channel, ...), possibly while
// that code holds one of its own locks. A handler must therefore be
// thread-safe, must not block, and must not call into the task's futures,
// channels or locks; record the report and return. An exception it throws
// is caught and reported on stderr. No report is made once the task's
// scheduler has begun shutting down (dropping futures then drops Wakers of
// tasks that are about to be dropped themselves).
//
// Memory ordering: none beyond the state word's; the report carries copies.

#ifndef MAGPIE_RUNTIME_TASK_LOST_TASK_H_
#define MAGPIE_RUNTIME_TASK_LOST_TASK_H_

#include <cstdint>
#include <functional>
#include <string>

#include "runtime/task/header.h"

namespace magpie::task {

// One report, made when the verdict holds.
struct LostTask {
  std::uint64_t id = 0;
  SpawnSite spawn_site;
  std::string description;  // the full one-line report, "task <id> ..."
};

using LostTaskHandler = std::function<void(const LostTask&)>;

// The one-line description of a lost task: "task 17 spawned at
// server.cc:42 is lost: idle with no live Waker; nothing can wake it".
// The single place the line is built (extend it here).
std::string describe_lost_task(const Header& header);

// Builds the report for `header` and hands it to `handler`, or to the
// default (stderr; abort with MAGPIE_ON_LOST_TASK=abort) when it is empty.
// Never throws. The caller holds a reference to the task.
void report_lost_task(const LostTaskHandler& handler,
                      const Header& header) noexcept;

// The default: one line on stderr, then std::abort() if
// MAGPIE_ON_LOST_TASK=abort.
void default_lost_task_report(const LostTask& lost) noexcept;

}  // namespace magpie::task

#endif  // MAGPIE_RUNTIME_TASK_LOST_TASK_H_
