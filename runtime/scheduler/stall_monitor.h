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
//     seqlock style (start, then the fields with acquire loads, then start
//     again), and trusts the fields only if start did not change, so a
//     report never mixes two polls. The worker stores the fields with
//     release, so a field from a later poll brings that poll's reset of
//     start along.
//  3. The monitor checks every threshold / 4 (at least every
//     kMinCheckPeriod), so a stuck poll is reported at most about
//     1.25 x threshold after it began.
//
// Threads: the worker writes its own PollSlot; the monitor thread reads all
// of them and runs the callback (which must be thread-safe, and should not
// block: the next check waits for it).
//
// Memory ordering: see stall rules 1-2 (the release store of start pairs
// with the monitor's first acquire load; the release stores of the fields
// with its acquire loads of them, before its second load of start).

#ifndef MAGPIE_RUNTIME_SCHEDULER_STALL_MONITOR_H_
#define MAGPIE_RUNTIME_SCHEDULER_STALL_MONITOR_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "runtime/core/atomic.h"
#include "runtime/core/mutex.h"
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

namespace scheduler {

// What one worker publishes about the poll it is running (stall rule 1).
// Written by that worker only, read by the monitor.
struct alignas(core::kCacheLineSize) PollSlot {
  // Worker: a poll of task `id` spawned at `site` starts now.
  void begin(std::uint64_t id, task::SpawnSite site);
  // Worker: the poll returned.
  void end() {
    // ORDERING: relaxed; the monitor only needs to see it eventually, and
    // begin()'s release stores order it before the next poll's fields.
    start_ns.store(0, std::memory_order_relaxed);
  }

  core::Atomic<std::int64_t> start_ns{0};  // steady clock; 0 = not polling
  core::Atomic<std::uint64_t> task_id{0};
  core::Atomic<const char*> file{nullptr};
  core::Atomic<std::uint32_t> line{0};
};

class StallMonitor {
 public:
  // Never polls more often than this, however small the threshold.
  static constexpr std::chrono::milliseconds kMinCheckPeriod{1};

  // Starts the monitor thread over `slots` (slot i is worker i's; they must
  // outlive the monitor).
  StallMonitor(std::vector<const PollSlot*> slots,
               std::chrono::nanoseconds threshold, StuckPollHandler handler);
  ~StallMonitor();  // stop()
  StallMonitor(const StallMonitor&) = delete;
  StallMonitor& operator=(const StallMonitor&) = delete;

  // Stops and joins the monitor thread. Idempotent; not from the callback.
  void stop();

  // The stderr line for one report.
  static std::string describe(const StuckPoll& stuck);

 private:
  void run();
  void check(std::int64_t now_ns);

  const std::vector<const PollSlot*> slots_;
  const std::chrono::nanoseconds threshold_;
  const StuckPollHandler handler_;
  // The start time of the poll last reported per worker (monitor thread
  // only): each poll is reported once.
  std::vector<std::int64_t> reported_;
  core::Mutex mu_;
  std::condition_variable cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace scheduler
}  // namespace magpie

#endif  // MAGPIE_RUNTIME_SCHEDULER_STALL_MONITOR_H_
