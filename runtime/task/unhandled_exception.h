// magpie::UnhandledExceptionHandler — what a runtime does with an exception
// that a spawned task threw and that nobody will ever read (DESIGN.md §5).
//
//   auto rt = magpie::Runtime::Builder()
//                 .unhandled_exception(magpie::UnhandledExceptionHandler::call(
//                     [](std::uint64_t id, magpie::SpawnSite site,
//                        std::exception_ptr error) { ... }))
//                 .build();
//
// Three policies:
//   log()     (the default) one line on stderr naming the task's id, its
//             spawn site and the exception's what():
//               magpie: task 17 spawned at server.cc:42 threw an exception
//               nobody awaited: std::runtime_error: boom
//   ignore()  drop it silently.
//   call(cb)  cb(task id, spawn site, the exception).
//
// "Unhandled" means: the task threw, and its JoinHandle is gone without
// having read the output. That is decided when the last of the two lets go:
//   - the JoinHandle was dropped (detached) before the task finished: the
//     worker that completes the task reports it;
//   - the task finished first and the handle is dropped without having been
//     awaited: the thread dropping the handle reports it.
// A task whose handle is alive reports through the handle (awaiting it
// rethrows), never here. Cancellation (abort(), runtime shutdown) is not an
// exception the task threw and is never reported.
//
// Threads: report() runs on whatever thread lets go last — a worker, a
// blocking-pool thread, or any thread that drops a JoinHandle — possibly on
// several threads at once. A callback must therefore be thread-safe and
// must not block (it holds up a worker and every task queued behind it) nor
// wait on other tasks. An exception the callback itself throws is caught and
// reported on stderr; it never escapes into a worker.
//
// Destructors: a future dropped at shutdown or by abort() is destroyed on a
// runtime thread, where no caller could receive an exception. So a
// destructor must not throw: spawn refuses (static_assert, cell.h) a future
// type whose destructor is noexcept(false), and one that throws anyway (a
// local in a coroutine frame) ends the process via std::terminate, as C++
// does for any throwing noexcept destructor. It is not reported here: a
// half-destroyed future leaves nothing safe to carry on with.
//
// A plain value: copy freely. The runtime keeps its copy alive as long as
// any of its tasks exists.

#ifndef MAGPIE_RUNTIME_TASK_UNHANDLED_EXCEPTION_H_
#define MAGPIE_RUNTIME_TASK_UNHANDLED_EXCEPTION_H_

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <utility>

#include "runtime/task/header.h"

namespace magpie {

using SpawnSite = task::SpawnSite;

using UnhandledExceptionCallback = std::function<void(
    std::uint64_t task_id, SpawnSite site, std::exception_ptr error)>;

class UnhandledExceptionHandler {
 public:
  enum class Policy { kLog, kIgnore, kCall };

  // The default: log().
  UnhandledExceptionHandler() = default;

  static UnhandledExceptionHandler log() {
    return UnhandledExceptionHandler(Policy::kLog, nullptr);
  }
  static UnhandledExceptionHandler ignore() {
    return UnhandledExceptionHandler(Policy::kIgnore, nullptr);
  }
  // An empty callback is refused (std::invalid_argument).
  static UnhandledExceptionHandler call(UnhandledExceptionCallback callback);

  Policy policy() const { return policy_; }

  // Applies the policy. Never throws.
  void report(std::uint64_t task_id, SpawnSite site,
              std::exception_ptr error) const noexcept;

 private:
  UnhandledExceptionHandler(Policy policy, UnhandledExceptionCallback callback)
      : policy_(policy), callback_(std::move(callback)) {}

  Policy policy_ = Policy::kLog;
  UnhandledExceptionCallback callback_;
};

namespace task {

// "std::runtime_error: boom"; "unknown exception" for a non-std one.
std::string describe_exception(const std::exception_ptr& error);

// The log() policy's line, on stderr.
void log_unhandled_exception(std::uint64_t task_id, SpawnSite site,
                             const std::exception_ptr& error) noexcept;

}  // namespace task
}  // namespace magpie

#endif  // MAGPIE_RUNTIME_TASK_UNHANDLED_EXCEPTION_H_
