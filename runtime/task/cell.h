// magpie::task::Cell<F, S> — the one allocation behind a spawned task:
// Header (hot) / scheduler handle + Stage (the future, then its output) /
// Trailer (cold). See header.h for the picture.
//
// Ownership: reference counted through header.state; freed by dealloc when
// the count reaches zero. Threads: the Stage is touched only under the state
// rules (state.h): by the worker holding RUNNING, or by the JoinHandle after
// COMPLETE.
//
// This file is the thin typed shim: each vtable entry casts the Header* to
// the Cell and forwards; the lifecycle logic is in raw_task.cc.

#ifndef MAGPIE_RUNTIME_TASK_CELL_H_
#define MAGPIE_RUNTIME_TASK_CELL_H_

#include <cstddef>
#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

#include "runtime/core/future.h"
#include "runtime/task/errors.h"
#include "runtime/task/header.h"
#include "runtime/task/output.h"
#include "runtime/task/raw_task.h"
#include "runtime/task/schedule.h"

namespace magpie::task {

template <Future F, Schedule S>
class Cell {
 public:
  using Output = FutureOutput<F>;

  // References a new task starts with: the OwnedTasks list, the first
  // Notified and the JoinHandle.
  static constexpr std::uint64_t kInitialRefs = 3;

  // Allocates a task holding `future`, NOTIFIED and JOIN_INTEREST set.
  static Header* allocate(F future, S scheduler) {
    auto* cell = new Cell(std::move(future), std::move(scheduler));
    return &cell->header_;
  }

 private:
  Cell(F future, S scheduler)
      : header_(kInitialRefs, &kVTable, next_task_id()),
        scheduler_(std::move(scheduler)),
        stage_(std::in_place_index<kFuture>, std::move(future)) {}

  static constexpr std::size_t kConsumed = 0;
  static constexpr std::size_t kFuture = 1;
  static constexpr std::size_t kFinished = 2;

  // Header is the first member, so a Header* is the Cell's address.
  static Cell* from(Header* header) { return reinterpret_cast<Cell*>(header); }

  static bool poll(Header* header, Context& cx) {
    Cell* cell = from(header);
    TaskOutput<Output> out;
    try {
      auto poll = std::get<kFuture>(cell->stage_).poll(cx);
      if (poll.is_pending()) return false;
      if constexpr (std::is_void_v<Output>) {
        out.value = true;
      } else {
        out.value.emplace(std::move(poll).value());
      }
    } catch (...) {
      out.error = std::current_exception();
    }
    cell->stage_.template emplace<kFinished>(std::move(out));
    return true;
  }

  static void cancel(Header* header) {
    TaskOutput<Output> out;
    out.error = std::make_exception_ptr(TaskCancelled());
    out.cancelled = true;
    from(header)->stage_.template emplace<kFinished>(std::move(out));
  }

  static void drop_stage(Header* header) {
    from(header)->stage_.template emplace<kConsumed>();
  }

  static void read_output(Header* header, void* out) {
    Cell* cell = from(header);
    TaskOutput<Output>& src = std::get<kFinished>(cell->stage_);
    auto* dst = static_cast<TaskOutput<Output>*>(out);
    // Member-wise, so an output type need only be move-constructible.
    dst->error = std::move(src.error);
    dst->cancelled = src.cancelled;
    if constexpr (std::is_void_v<Output>) {
      dst->value = src.value;
    } else if (src.value.has_value()) {
      dst->value.emplace(std::move(*src.value));
    }
    cell->stage_.template emplace<kConsumed>();
  }

  static void schedule(Header* header) {
    from(header)->scheduler_.schedule(Notified::from_raw(header));
  }
  static void yield_now(Header* header) {
    from(header)->scheduler_.yield_now(Notified::from_raw(header));
  }
  static bool release(Header* header) {
    return from(header)->scheduler_.release(header);
  }
  static void dealloc(Header* header) { delete from(header); }
  static Trailer* trailer(Header* header) { return &from(header)->trailer_; }

  static constexpr TaskVTable kVTable = {&poll,        &cancel,   &drop_stage,
                                         &read_output, &schedule, &yield_now,
                                         &release,     &dealloc,  &trailer};

  Header header_;
  S scheduler_;
  std::variant<std::monostate, F, TaskOutput<Output>> stage_;
  Trailer trailer_;
};

}  // namespace magpie::task

#endif  // MAGPIE_RUNTIME_TASK_CELL_H_
