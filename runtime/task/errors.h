// Errors a spawned task's owner can see.
//
// TaskCancelled: awaiting a JoinHandle whose task was aborted (or dropped by
// a runtime shutdown before it finished) throws this.
// RuntimeShutdown: no spawn throws this any more (a spawn after shutdown
// returns a JoinHandle that is already cancelled: DESIGN.md §5); kept so
// code that names it still compiles.
// Both are plain exception types: any thread may create, copy and throw them.

#ifndef MAGPIE_RUNTIME_TASK_ERRORS_H_
#define MAGPIE_RUNTIME_TASK_ERRORS_H_

#include <stdexcept>

namespace magpie {

class TaskCancelled : public std::runtime_error {
 public:
  TaskCancelled() : std::runtime_error("magpie: task was cancelled") {}
};

class RuntimeShutdown : public std::runtime_error {
 public:
  RuntimeShutdown()
      : std::runtime_error("magpie: spawn on an executor that has shut down") {}
  explicit RuntimeShutdown(const char* what) : std::runtime_error(what) {}
};

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_TASK_ERRORS_H_
