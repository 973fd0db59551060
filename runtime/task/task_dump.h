// magpie::TaskDump — a snapshot of one live spawned task, for finding lost
// wakeups: a task that never finishes and sits idle (not RUNNING, not
// NOTIFIED) is one whose waker nobody is going to wake.
//
//   for (const magpie::TaskDump& t : rt.handle().dump_tasks()) {
//     if (t.is_idle()) std::cerr << t.to_string() << "\n";
//   }
//
// A plain value: copied out of the task's state word under the owning
// scheduler's OwnedTasks lock; by the time you read it the task may have
// moved on. Any thread.

#ifndef MAGPIE_RUNTIME_TASK_TASK_DUMP_H_
#define MAGPIE_RUNTIME_TASK_TASK_DUMP_H_

#include <cstdint>
#include <string>
#include <vector>

namespace magpie {

struct TaskDump {
  std::uint64_t id = 0;              // JoinHandle::id()
  bool running = false;              // a worker is polling it now
  bool notified = false;             // woken, queued, not yet polled
  bool complete = false;             // finished (only until it leaves the list)
  bool cancelled = false;            // abort() or shutdown requested
  bool join_interested = false;      // a JoinHandle exists
  bool join_waker = false;           // the JoinHandle registered a waker
  std::uint64_t references = 0;      // list + queue + JoinHandle + wakers
  const char* spawn_file = nullptr;  // where spawn() was called (static
  std::uint32_t spawn_line = 0;      // storage; null if unknown)

  // Waiting for a wake: neither running, nor queued, nor finished.
  bool is_idle() const { return !running && !notified && !complete; }

  // "task 17: idle, join-waker, refs=3, spawned at server.cc:42".
  std::string to_string() const;
};

// One line per task, idle ones first; "(no live tasks)" when empty.
std::string describe_tasks(const std::vector<TaskDump>& tasks);

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_TASK_TASK_DUMP_H_
