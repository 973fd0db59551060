// magpie::task::TaskOutput<T> — where a finished task's result travels from
// the task cell to its JoinHandle: a value, or the exception the task threw
// (TaskCancelled for an aborted task, with `cancelled` set so a JoinSet can
// tell cancellation apart without rethrowing).
//
// Ownership: a plain value owned by whoever holds it (the cell's stage until
// the JoinHandle reads it, then the JoinHandle). One thread at a time.

#ifndef MAGPIE_RUNTIME_TASK_OUTPUT_H_
#define MAGPIE_RUNTIME_TASK_OUTPUT_H_

#include <exception>
#include <optional>
#include <utility>

namespace magpie::task {

template <class T>
struct TaskOutput {
  std::optional<T> value;
  std::exception_ptr error;
  bool cancelled = false;

  bool has_result() const { return value.has_value() || error != nullptr; }
  // Returns the value or rethrows the error.
  T take() {
    if (error) std::rethrow_exception(std::exchange(error, nullptr));
    T out = std::move(*value);
    value.reset();
    return out;
  }
};

template <>
struct TaskOutput<void> {
  // The pointer first, so the two flags share one word: 16 bytes, not 24,
  // which shrinks the stage (and the cell) of every Task<void>.
  std::exception_ptr error;
  bool value = false;
  bool cancelled = false;

  bool has_result() const { return value || error != nullptr; }
  void take() {
    if (error) std::rethrow_exception(std::exchange(error, nullptr));
    value = false;
  }
};

}  // namespace magpie::task

#endif  // MAGPIE_RUNTIME_TASK_OUTPUT_H_
