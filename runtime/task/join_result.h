// magpie::JoinResult<T> — how a spawned task ended, as a value: its output,
// the exception it threw, or its cancellation. What JoinSet::join_next()
// yields, and JoinHandle::poll_result() answers; Tokio's
// Result<T, JoinError>, spelled in C++.
//
//   std::optional<JoinResult<int>> r = co_await set.join_next();
//   if (!r) { /* the set is empty */ }
//   else if (r->ok()) use(r->value());
//   else if (r->is_cancelled()) { /* aborted, or the runtime shut down */ }
//   else log(r->error());                 // the exception the task threw
//   int v = std::move(*r).get();          // the value, or rethrows
//
// Why a value and not a throw: a set of tasks ends in a mix of results, and
// a cancelled task is routine (abort_all), not exceptional. get() rethrows
// for code that wants the JoinHandle behaviour (TaskCancelled when
// cancelled).
//
// Ownership: a plain value; one thread at a time, movable between threads.

#ifndef MAGPIE_RUNTIME_TASK_JOIN_RESULT_H_
#define MAGPIE_RUNTIME_TASK_JOIN_RESULT_H_

#include <cassert>
#include <cstdint>
#include <exception>
#include <type_traits>
#include <utility>

#include "runtime/task/output.h"

namespace magpie {

template <class T>
class JoinResult {
 public:
  // Takes the output read from a finished task.
  JoinResult(std::uint64_t id, task::TaskOutput<T> out)
      : id_(id), out_(std::move(out)) {
    assert(out_.has_result());
  }

  // The task returned normally.
  bool ok() const { return out_.error == nullptr; }
  // The task was aborted (or dropped by a runtime shutdown) before it
  // finished.
  bool is_cancelled() const { return out_.cancelled; }
  // The task threw (not a cancellation).
  bool is_exception() const { return !ok() && !is_cancelled(); }
  // The exception (TaskCancelled for a cancelled task); null when ok().
  std::exception_ptr error() const { return out_.error; }
  // The id of the task (JoinHandle::id(), AbortHandle::id()).
  std::uint64_t id() const { return id_; }

  // The value. Precondition: ok(). (JoinResult<void> has none.)
  template <class U = T>
  requires(!std::is_void_v<U>) U& value() & {
    assert(ok());
    return *out_.value;
  }
  template <class U = T>
  requires(!std::is_void_v<U>) const U& value() const& {
    assert(ok());
    return *out_.value;
  }

  // The value, or rethrows the task's exception (TaskCancelled when
  // cancelled), as awaiting its JoinHandle would.
  T get() && { return out_.take(); }

 private:
  std::uint64_t id_;
  task::TaskOutput<T> out_;
};

}  // namespace magpie

#endif  // MAGPIE_RUNTIME_TASK_JOIN_RESULT_H_
