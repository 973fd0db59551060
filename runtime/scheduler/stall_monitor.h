// magpie::StuckPoll and scheduler::StallMonitor — reports a task poll that
// has been running for longer than a threshold, while it is still running:
// the symptom of a blocking call (a mutex wait, a sleep, a synchronous read)
// made on a worker thread, which stalls every task queued behind it.
//
//   auto rt = magpie::Runtime::Builder()
//                 .stuck_poll_threshold(std::chrono::milliseconds(100))
//                 .on_stuck_poll([](const magpie::StuckPoll& s) { ... })
//                 .build();
//
// Off by default (threshold zero): a monitor wakes up periodically, and an
// idle runtime must use no CPU (DESIGN.md §3, "no busy idle"); nor does a
// runtime pay a thread for a check most programs never need. When on, the
// runtime starts one monitor thread; without a callback each report is one
// line on stderr:
//
//   magpie: worker 2 has been polling task 17 (spawned at server.cc:42)
//   for 212 ms (stuck_poll_threshold 100 ms): a blocking call on a worker?
//
// Each poll is reported at most once, however long it runs.
//
// How (the publication protocol, cited as "stall rule N"):
//  1. A worker about to poll publishes the task's id and spawn site, then
//     the poll's start time (nonzero) with a release store; when the poll
//     returns it stores start time zero. All of it is relaxed single-writer
//     stores in a PollSlot beside the worker's other remote state, and only
//     when the monitor is on (one predictable branch when off).
//  2. The monitor never dereferences a task: it reads the published copy,
//     seqlock style (start, then the fields, an acquire fence, start
//     again), and trusts the fields only if start did not change, so a
//     report never mixes two polls.
//  3. The monitor checks every threshold / 4 (at least every
//     kMinCheckPeriod), so a stuck poll is reported at most about
//     1.25 x threshold after it began.
//
// Threads: the worker writes its own PollSlot; the monitor thread reads all
// of them and runs the callback (which must be thread-safe, and should not
// block: the next check waits for it).
//
// Memory ordering: see stall rules 1-2 (a release store of start pairs with
// the monitor's acquire load; a release fence before the field stores pairs
// with the monitor's acquire fence before its second load of start).

#ifndef MAGPIE_RUNTIME_SCHEDULER_STALL_MONITOR_H_
#define MAGPIE_RUNTIME_SCHEDULER_STALL_MONITOR_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "runtime/task/header.h"

namespace magpie {

// One report: a poll that has run for `running_for` so far and is still
// running when the report is made.
struct StuckPoll {
  std::size_t worker = 0;      // the worker's index
  std::uint64_t task_id = 0;   // task::Header::id
  task::SpawnSite spawn_site;  // where the task was spawned
  std::chrono::nanoseconds running_for{0};
  std::chrono::nanoseconds threshold{0};
  std::string description;  // the one-line report (as on stderr)
};

using StuckPollHandler = std::function<void(const StuckPoll&)>;

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_SCHEDULER_STALL_MONITOR_H_
