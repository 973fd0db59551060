// magpie::task::Cell<F, S> — the one allocation behind a spawned task:
// Header (hot) / Stage (the future, then its output) / Trailer (cold). See
// header.h for the picture. The scheduler is not stored: the Header's vtable
// word names its registry slot, and S(header->scheduler_index()) is a
// borrowed handle to it (scheduler_registry.h). The task's reference to the
// scheduler is S::retain_task() at allocation and S::drop_task() after the
// cell is freed.
//
// Ownership: reference counted through header.state; freed by dealloc when
// the count reaches zero. Threads: the Stage is touched only under the state
// rules (state.h): by the worker holding RUNNING, or by the JoinHandle after
// COMPLETE.
//
// This file is the thin typed shim: each vtable entry casts the Header* to
// the Cell and forwards; the lifecycle logic is in raw_task.cc.
//
// Stage: the future while it runs; then its output (value or the exception
// it threw), or kCancelled when the future was dropped by abort() or
// shutdown (no exception object is made until a JoinHandle reads it); then
// empty once the output is read or dropped. A union whose tag (two bits)
// lives in the Header's leaf slot (Header::stage_tag), so the stage costs no
// more than the larger of the future and the output: std::variant's tag
// took 8 bytes with padding.
//
// Destructors must not throw. F's destructor runs on a runtime thread when
// the task finishes or is dropped (shutdown, abort), where there is no
// caller to hand an exception to, so a future type whose destructor is
// noexcept(false) is refused at compile time. A destructor that throws
// anyway (a coroutine-frame local, say) ends the process through
// std::terminate, as any throwing destructor under noexcept does: the
// future is half destroyed and nothing can be recovered.
//
// Unhandled exceptions: the S handle may provide
//   void unhandled_exception(std::uint64_t id, SpawnSite site,
//                            std::exception_ptr error);
// to apply its runtime's policy; without it the default (log to stderr,
// unhandled_exception.h) applies. Likewise
//   void lost_task(const Header& header);   // the task is lost (lost_task.h)
//   void stale_wake();                      // a wake reached a completed task
// default to the stderr report (lost_task.h) and to counting nothing.

#ifndef MAGPIE_RUNTIME_TASK_CELL_H_
#define MAGPIE_RUNTIME_TASK_CELL_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>

#include "runtime/alloc/recycling_allocator.h"
#include "runtime/core/future.h"
#include "runtime/task/errors.h"
#include "runtime/task/header.h"
#include "runtime/task/lost_task.h"
#include "runtime/task/output.h"
#include "runtime/task/raw_task.h"
#include "runtime/task/schedule.h"
#include "runtime/task/unhandled_exception.h"

namespace magpie::task {

template <Future F, Schedule S>
class Cell {
  static_assert(std::is_nothrow_destructible_v<F>,
                "magpie: a spawned future's destructor must not throw (it "
                "runs on a runtime thread with nobody to catch it)");

 public:
  using Output = FutureOutput<F>;

  // References a new task starts with: the OwnedTasks list, the first
  // Notified and the JoinHandle.
  static constexpr std::uint64_t kInitialRefs = 3;

  // Allocates a task holding `future`, NOTIFIED and JOIN_INTEREST set.
  // Inlined into spawn (one call less per spawn; g++ stopped inlining it
  // once the Header packed the id, leaf and stage tag).
  [[gnu::always_inline]] static Header* allocate(F future, S scheduler,
                                                 SpawnSite site = {}) {
    // The per-thread recycling allocator (runtime/alloc, DESIGN.md §2).
    void* memory = alloc::allocate_for<Cell>();
    try {
      auto* cell = new (memory) Cell(std::move(future), scheduler, site);
      // Only once nothing can throw: the task keeps its scheduler alive.
      scheduler.retain_task();
      return &cell->header_;
    } catch (...) {
      alloc::deallocate_for<Cell>(memory);
      throw;
    }
  }

 private:
  Cell(F future, const S& scheduler, SpawnSite site)
      : header_(kInitialRefs, &kVTable, next_task_id(), site, kFuture,
                scheduler.index()) {
    new (&stage_.future) F(std::move(future));
  }
  ~Cell() { destroy_stage(); }

  // The stage tag (Header::stage_tag, two bits). kCancelled holds nothing.
  static constexpr std::uint8_t kConsumed = 0;
  static constexpr std::uint8_t kFuture = 1;
  static constexpr std::uint8_t kFinished = 2;
  static constexpr std::uint8_t kCancelled = 3;
  static_assert(kCancelled < (1u << (16 - core::kLeafIdBits)),
                "the stage tag fits in the leaf slot's owner bits");
  // What a finished stage holds: the output (value or exception). For a
  // void output only the exception pointer (null: it returned), 8 bytes
  // where TaskOutput<void> takes 16, so the stage of a Task<void> task is
  // no larger than the Task (a frame pointer).
  struct FinishedVoid {
    std::exception_ptr error;
  };
  using Finished = std::conditional_t<std::is_void_v<Output>, FinishedVoid,
                                      TaskOutput<Output>>;

  // Header is the first member, so a Header* is the Cell's address.
  static Cell* from(Header* header) { return reinterpret_cast<Cell*>(header); }
  // The task's scheduler, borrowed (the task holds the reference).
  static S scheduler_of(const Header* header) {
    return S(header->scheduler_index());
  }

  std::uint8_t tag() const { return header_.stage_tag(); }
  // Destroys what the stage holds; it is empty (kConsumed) after.
  void destroy_stage() noexcept {
    const std::uint8_t was = tag();
    header_.set_stage_tag(kConsumed);
    if (was == kFuture) {
      stage_.future.~F();
    } else if (was == kFinished) {
      stage_.finished.~Finished();
    }
  }
  // Stores the output in place of the (already destroyed) stage.
  void set_finished(Finished&& out) {
    new (&stage_.finished) Finished(std::move(out));
    header_.set_stage_tag(kFinished);
  }

  static bool poll(Header* header, Context& cx) {
    Cell* cell = from(header);
    Finished out;
    try {
      assert(cell->tag() == kFuture);
      auto poll = cell->stage_.future.poll(cx);
      if (poll.is_pending()) {
        core::record_leaf<F>();  // unless a deeper future did (poll_stats.h)
        return false;
      }
      if constexpr (!std::is_void_v<Output>) {
        out.value.emplace(std::move(poll).value());
      }
    } catch (...) {
      out.error = std::current_exception();
    }
    if constexpr (std::is_nothrow_move_constructible_v<Finished>) {
      // One write of the tag (the stage is the future here): nothing can
      // throw between the future's destruction and the output's arrival.
      cell->stage_.future.~F();
    } else {
      cell->destroy_stage();
    }
    cell->set_finished(std::move(out));
    return true;
  }

  static void cancel(Header* header) {
    Cell* cell = from(header);
    cell->destroy_stage();
    cell->header_.set_stage_tag(kCancelled);
  }

  static std::exception_ptr drop_stage(Header* header) {
    Cell* cell = from(header);
    if (cell->tag() != kFinished) {
      cell->destroy_stage();
      return nullptr;
    }
    // The common case, a detached task's output: one tag test, and for a
    // void output only a moved-from exception_ptr to destroy.
    std::exception_ptr unread = std::move(cell->stage_.finished.error);
    cell->stage_.finished.~Finished();
    cell->header_.set_stage_tag(kConsumed);
    return unread;
  }

  static void report_unhandled(Header* header, std::exception_ptr error) {
    if constexpr (requires(S s) {
                    s.unhandled_exception(header->id, header->spawn_site,
                                          std::move(error));
                  }) {
      scheduler_of(header).unhandled_exception(header->id, header->spawn_site,
                                               std::move(error));
    } else {
      UnhandledExceptionHandler().report(header->id, header->spawn_site,
                                         std::move(error));
    }
  }

  static void report_lost(Header* header) {
    if constexpr (requires(S s) { s.lost_task(*header); }) {
      scheduler_of(header).lost_task(*header);
    } else {
      report_lost_task(LostTaskHandler(), *header);
    }
  }

  static void count_stale_wake(Header* header) {
    if constexpr (requires(S s) { s.stale_wake(); }) {
      scheduler_of(header).stale_wake();
    }
  }

  static void read_output(Header* header, void* out) {
    Cell* cell = from(header);
    auto* dst = static_cast<TaskOutput<Output>*>(out);
    if (cell->tag() == kCancelled) {
      dst->error = std::make_exception_ptr(TaskCancelled());
      dst->cancelled = true;
      cell->destroy_stage();
      return;
    }
    assert(cell->tag() == kFinished);
    Finished& src = cell->stage_.finished;
    // Member-wise, so an output type need only be move-constructible.
    dst->error = std::move(src.error);
    if constexpr (std::is_void_v<Output>) {
      dst->value = dst->error == nullptr;
    } else if (src.value.has_value()) {
      dst->value.emplace(std::move(*src.value));
    }
    cell->destroy_stage();
  }

  static void schedule(Header* header) {
    scheduler_of(header).schedule(Notified::from_raw(header));
  }
  static void yield_now(Header* header) {
    scheduler_of(header).yield_now(Notified::from_raw(header));
  }
  static bool release(Header* header) {
    return scheduler_of(header).release(header);
  }
  static void dealloc(Header* header) {
    Cell* cell = from(header);
    const S scheduler = scheduler_of(header);
    cell->~Cell();
    alloc::deallocate_for<Cell>(cell);
    // Last, as the cell's Arc member was destroyed last: this may destroy
    // the scheduler and free its registry slot.
    scheduler.drop_task();
  }
  static Trailer* trailer(Header* header) { return &from(header)->trailer_; }

  static constexpr TaskVTable kVTable = {
      &poll,        &cancel,           &drop_stage, &read_output,
      &schedule,    &yield_now,        &release,    &report_unhandled,
      &report_lost, &count_stale_wake, &dealloc,    &trailer};

  // The future or the output; which one, if any, is header_.stage_tag().
  union Stage {
    Stage() noexcept {}
    ~Stage() {}
    F future;
    Finished finished;
  };

  Header header_;
  Stage stage_;
  Trailer trailer_;
};

}  // namespace magpie::task

#endif  // MAGPIE_RUNTIME_TASK_CELL_H_
