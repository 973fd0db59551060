// magpie::TaskDump — a snapshot of one live spawned task (or of a future a
// thread is driving in block_on), for finding lost wakeups: a task that
// never finishes and sits idle (not RUNNING, not NOTIFIED) is one whose
// waker nobody is going to wake; the dump says what it is parked on and
// how long ago it last ran and was woken.
//
//   for (const magpie::TaskDump& t : rt.handle().dump_tasks()) {
//     if (t.is_idle()) std::cerr << t.to_string() << "\n";
//   }
//
// The line format (to_string), one line per task, fields in this order,
// each present only when it applies:
//
//   task <id>: <state flags>, refs=<n>, name="<name>",
//       spawned at <file>:<line>, wakers=<n>[, LOST (...)],
//       parked on <leaf type>,
//       last poll <age> ago, last wake <age> ago, polls=<n> wakes=<n>
//
// e.g. (on one line)
//   task 17: idle, join-handle, refs=3, name="conn", spawned at
//   server.cc:42, wakers=1, parked on magpie::sync::Notified, last poll 4.2s ago,
//   last wake 4.2s ago, polls=3 wakes=2
//
//  - <id>: JoinHandle::id(); "b<n>" for a block_on root, whose state is
//    "block_on root, polling" or "block_on root, parked".
//  - <state flags>: idle | running | notified | complete, then cancelled,
//    join-handle, join-waker as they hold.
//  - wakers: the live Wakers for the task (state word, state.h rule 5).
//    LOST: idle, not notified and no live Waker — nothing can wake it
//    (DESIGN.md §7; lost_task.h reports it the moment it becomes true).
//  - parked on: the innermost future that answered Pending at the last
//    poll (a co_awaited non-Task future, or the spawned future itself),
//    demangled here, at dump time. "not yet polled" instead of the ages
//    before the first poll; "never" for a task never woken.
//  - <age>: "<128ms", "896ms", "12.3s", "5m07s", "2h05m". A task keeps
//    16-bit stamps in 128 ms units (core/poll_stats.h, "Encoding"): an age
//    is a multiple of 128 ms, right to within 128 ms, "<128ms" for one in
//    the current unit; ages wrap at 2h19m49s (an older one shows its age
//    modulo that). block_on roots keep the same stamps.
//  - polls / wakes: 16-bit counts that saturate at 61440, shown "61440+"
//    from there on (core::kCountSaturated).
//
// A plain value: copied out of the task's state word and diagnostics
// (relaxed atomics) under the owning scheduler's OwnedTasks lock (or the
// block_on registry's); by the time you read it the task may have moved
// on. Any thread.

#ifndef MAGPIE_RUNTIME_TASK_TASK_DUMP_H_
#define MAGPIE_RUNTIME_TASK_TASK_DUMP_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

#include "runtime/core/poll_stats.h"

namespace magpie {

struct TaskDump {
  std::uint64_t id = 0;          // JoinHandle::id(); b<id> for a root
  bool block_on_root = false;    // a future driven by block_on
  bool running = false;          // a worker is polling it now
  bool notified = false;         // woken, queued, not yet polled
  bool complete = false;         // finished (only until it leaves the list)
  bool cancelled = false;        // abort() or shutdown requested
  bool join_interested = false;  // a JoinHandle exists
  bool join_waker = false;       // the JoinHandle registered a waker
  std::uint64_t references = 0;  // list + queue + JoinHandle + wakers
  std::uint64_t wakers = 0;      // live Wakers (state word, state.h)
  // The verdict of DESIGN.md §7: idle, not notified, no live Waker. Such a
  // task can never run again (lost_task.h reports it the moment it holds).
  bool lost = false;
  const char* spawn_file = nullptr;  // where spawn() was called (static
  std::uint32_t spawn_line = 0;      // storage; null if unknown)
  std::string name;                  // SpawnOptions::name; empty if none
  // Polls begun, and wake / wake_by_ref calls on its wakers; both stop at
  // core::kCountSaturated, which reads "at least that many".
  std::uint32_t polls = 0;
  std::uint32_t wakes = 0;
  // Time since the last poll began / the last wake, to within
  // core::kStampUnitMs and modulo core::kStampRangeMs; nullopt if never.
  std::optional<std::chrono::milliseconds> since_last_poll;
  std::optional<std::chrono::milliseconds> since_last_wake;
  // The innermost future that answered Pending at the last poll; null
  // before the first Pending.
  const std::type_info* leaf = nullptr;

  // Waiting for a wake: neither running, nor queued, nor finished.
  bool is_idle() const { return !running && !notified && !complete; }

  // The leaf's type, demangled ("" if none).
  std::string leaf_name() const;

  // One line, in the format described above.
  std::string to_string() const;
};

// One line per task, idle ones first; "(no live tasks)" when empty.
std::string describe_tasks(const std::vector<TaskDump>& tasks);

// `type`'s name demangled with the C++ ABI (its mangled name if that
// fails; "" for null). Allocates: for reports and dumps, not hot paths.
std::string demangled_type_name(const std::type_info* type);

namespace task {

// Copies the diagnostics of `stats` and the leaf in `leaf` into `out` (ages
// relative to now_ms, a core::coarse_now_ms() reading).
void fill_poll_stats(const core::PollStats& stats, const core::LeafSlot& leaf,
                     std::uint32_t now_ms, TaskDump& out);

}  // namespace task
}  // namespace magpie

#endif  // MAGPIE_RUNTIME_TASK_TASK_DUMP_H_
