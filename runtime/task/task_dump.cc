#include "runtime/task/task_dump.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace magpie {

std::string TaskDump::to_string() const {
  std::string out = absl::StrCat("task ", id, ":");
  const char* sep = " ";
  auto flag = [&](bool on, const char* name) {
    if (!on) return;
    absl::StrAppend(&out, sep, name);
    sep = ", ";
  };
  flag(is_idle(), "idle");
  flag(running, "running");
  flag(notified, "notified");
  flag(complete, "complete");
  flag(cancelled, "cancelled");
  flag(join_interested, "join-handle");
  flag(join_waker, "join-waker");
  absl::StrAppend(&out, sep, "refs=", references);
  if (spawn_file != nullptr) {
    absl::StrAppend(&out, ", spawned at ", spawn_file, ":", spawn_line);
  }
  return out;
}

std::string describe_tasks(const std::vector<TaskDump>& tasks) {
  if (tasks.empty()) return "(no live tasks)";
  std::vector<TaskDump> sorted = tasks;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const TaskDump& a, const TaskDump& b) {
                     return a.is_idle() > b.is_idle();
                   });
  std::string out;
  for (const TaskDump& t : sorted) absl::StrAppend(&out, t.to_string(), "\n");
  return out;
}

}  // namespace magpie
