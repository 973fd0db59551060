// magpie::task::Header — the hot, type-erased front of every spawned task,
// and the vtable that reaches the typed rest of it.
//
// A spawned task is one allocation (task::Cell<F, S>, cell.h):
//
//   +-----------------+  Header  (hot: state word, vtable, id)  <- Header* points here
//   | Header          |
//   +-----------------+  Core    (the scheduler handle, then the Stage: the future
//   | S scheduler     |           while it runs, the output after)
//   | Stage<F>        |
//   +-----------------+  Trailer (cold: join waker, owned-list links, stats)
//   | Trailer         |
//   +-----------------+
//
// Ownership: the cell is reference counted through the state word (state.h);
// a Header* by itself owns nothing. Owning handles are Notified (a run-queue
// entry), JoinHandle<T>, each AbortHandle, each task Waker and the
// scheduler's OwnedTasks list.
//
// Threads: the Header is shared by every holder of a reference; its fields
// are immutable after construction except `state` (atomic) and the Trailer
// fields, whose rules are in state.h (join waker) and owned_tasks.h (links).
// Immutable fields (id, spawn_site) may be read by any reference holder
// without synchronization.

#ifndef MAGPIE_RUNTIME_TASK_HEADER_H_
#define MAGPIE_RUNTIME_TASK_HEADER_H_

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string_view>

#include "runtime/core/context.h"
#include "runtime/core/poll_stats.h"
#include "runtime/core/waker.h"
#include "runtime/task/state.h"

namespace magpie::task {

struct Header;

// Where a task was spawned: the caller of spawn(), recorded by the
// `where = SpawnSite::current()` default argument of every spawn entry
// point. Two plain words, cheap enough to keep for every task in production
// builds (DESIGN.md §7); `file` points at a string literal with static
// storage. {nullptr, 0} when unknown (a task made outside the spawn
// functions).
//
// Why not std::source_location: clang 14 with libstdc++ 12 does not provide
// it (it needs __builtin_source_location, new in clang 15). current() uses
// the builtins underneath it, which g++ and clang both evaluate at the
// outermost call when used in (nested) default arguments.
struct SpawnSite {
  const char* file = nullptr;
  std::uint32_t line = 0;

  static constexpr SpawnSite current(const char* file = __builtin_FILE(),
                                     std::uint32_t line = __builtin_LINE()) {
    return SpawnSite{file, line};
  }
};

// The spawn site and the task's name, in one word (8 bytes where the two
// were 24: file 8, line 4 + padding, name 8). Two encodings:
//
//   bit 63 = 0 (inline):  bits 47-62 line (< 2^16), bits 0-46 the file pointer
//   bit 63 = 1 (cold):    bits 0-62 a Cold* (heap): {SpawnSite, name}
//
// Inline is the common case: a user-space pointer to a string literal fits
// in 47 bits on x86-64 and AArch64 Linux (4-level paging, or 5-level without
// a high mmap hint; executables and libraries load far below), and source
// lines fit in 16. A named task, a line past 65535 or a file pointer above
// 2^47 takes the cold form: one small allocation, which named tasks already
// paid for their name. Nothing is lost either way.
//
// Threads: written before the task is published (construction, then
// set_name from apply_spawn_options), immutable after until the cell is
// freed; any reference holder may read it.
class TaskLabel {
 public:
  TaskLabel() = default;
  explicit TaskLabel(SpawnSite site) {
    const auto file = reinterpret_cast<std::uint64_t>(site.file);
    if ((file & ~kPointerMask) == 0 && site.line <= kMaxInlineLine) {
      word_ = file | (std::uint64_t{site.line} << kLineShift);
    } else {
      make_cold(site);
    }
  }
  TaskLabel(const TaskLabel&) = delete;
  TaskLabel& operator=(const TaskLabel&) = delete;
  ~TaskLabel() {
    if (is_cold()) destroy_cold();
  }

  SpawnSite site() const {
    if (is_cold()) return cold_site();
    return SpawnSite{reinterpret_cast<const char*>(word_ & kPointerMask),
                     static_cast<std::uint32_t>(word_ >> kLineShift)};
  }
  // Lets `header->spawn_site` read as the SpawnSite it always was.
  operator SpawnSite() const { return site(); }  // NOLINT: implicit on purpose
  // The name given at spawn (SpawnOptions::name), NUL-terminated; null when
  // unnamed.
  const char* name() const;
  // Before the task is published only. An empty name clears it.
  void set_name(std::string_view name);

 private:
  struct Cold;
  static constexpr int kLineShift = 47;
  static constexpr std::uint64_t kColdBit = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kPointerMask =
      (std::uint64_t{1} << kLineShift) - 1;
  static constexpr std::uint32_t kMaxInlineLine = (1u << 16) - 1;

  bool is_cold() const { return (word_ & kColdBit) != 0; }
  Cold* cold() const;
  // The out-of-line rest (header.cc): the rare cold form.
  void make_cold(SpawnSite site);
  void destroy_cold();
  SpawnSite cold_site() const;

  std::uint64_t word_ = 0;
};

// Cold per-task fields, reached through TaskVTable::trailer.
struct Trailer {
  // The JoinHandle's waker; see state rule 3.
  Waker join_waker;
  // Intrusive links of the scheduler's OwnedTasks list, guarded by its lock.
  // owned_prev is null exactly when the task is on no list; the first task
  // of a shard has kOwnedListHead there (owned_tasks.cc).
  Header* owned_prev = nullptr;
  Header* owned_next = nullptr;
  // Diagnostics for the task dump (core/poll_stats.h): 20 bytes, relaxed
  // atomics written by the harness (raw_task.cc), the task waker and the
  // leaf probe; read by OwnedTasks::dump(). Five 32-bit words, so `stage`
  // below fits in the 8-byte alignment padding after them.
  core::PollStats stats;
  // The Cell's stage tag (cell.h: future, output, cancelled or empty).
  // Touched only by whoever may touch the stage (state rules 2 and 4).
  std::uint8_t stage = 0;
};

// The typed operations of one Cell<F, S>. The harness (raw_task.cc) drives
// the lifecycle through these; they only cast and forward.
struct TaskVTable {
  // Polls the future once (state rule 2: the caller holds RUNNING). On Ready
  // or on an exception, stores the output (value or exception) in place of
  // the future and returns true.
  bool (*poll)(Header*, Context&);
  // Destroys the future and stores a TaskCancelled error as the output.
  void (*cancel)(Header*);
  // Destroys whatever the stage holds (future or output). Returns the
  // exception the task threw if the stage held it unread (never a
  // cancellation), so the caller can report it as unhandled.
  std::exception_ptr (*drop_stage)(Header*);
  // Moves the output into `*out` (a TaskOutput<T>*). Precondition: COMPLETE.
  void (*read_output)(Header*, void* out);
  // Queues the task (the caller passes one reference along with it).
  void (*schedule)(Header*);
  // As schedule, but behind other ready work (the task woke itself).
  void (*yield_now)(Header*);
  // Takes the task off its scheduler's OwnedTasks list; true if it was there
  // (the caller then drops the list's reference).
  bool (*release)(Header*);
  // Applies the scheduler's unhandled-exception policy
  // (unhandled_exception.h) to an exception nobody will read.
  void (*report_unhandled)(Header*, std::exception_ptr);
  // Reports the task as lost (lost_task.h) through the scheduler's handler.
  // The caller holds a reference.
  void (*report_lost)(Header*);
  // Counts a wake that reached the task after it completed (a metric).
  void (*count_stale_wake)(Header*);
  // Frees the allocation. Precondition: the reference count reached zero.
  void (*dealloc)(Header*);
  Trailer* (*trailer)(Header*);
};

struct Header {
  Header(std::uint64_t refs, const TaskVTable* vtable, std::uint64_t id,
         SpawnSite spawn_site = {})
      : state(refs), vtable(vtable), id(id), spawn_site(spawn_site) {}

  State state;
  const TaskVTable* vtable;
  // Unique for the process' life; names the task in diagnostics.
  std::uint64_t id;
  // Where spawn() was called, and the task's name; both name the task in
  // diagnostics. Converts to SpawnSite.
  TaskLabel spawn_site;
};

static_assert(sizeof(TaskLabel) == 8);
static_assert(sizeof(Header) == 32, "state, vtable, id, label");
static_assert(sizeof(core::PollStats) == 20 &&
                  offsetof(Trailer, stage) == offsetof(Trailer, stats) + 20,
              "the stage tag sits in the padding after the stats");
static_assert(sizeof(Trailer) == 56,
              "join waker 16, links 16, stats 20, stage tag 1 + 3");

// A process-unique task id (a relaxed counter; ids are names, not order).
std::uint64_t next_task_id();

}  // namespace magpie::task

#endif  // MAGPIE_RUNTIME_TASK_HEADER_H_
