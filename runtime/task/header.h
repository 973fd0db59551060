// magpie::task::Header — the hot, type-erased front of every spawned task,
// and the vtable that reaches the typed rest of it.
//
// A spawned task is one allocation (task::Cell<F, S>, cell.h):
//
//   +-----------------+  Header  (hot: state word, vtable + scheduler index, id,
//   | Header          |           leaf + stage tag, label)  <- Header* points here
//   +-----------------+  Core    (the Stage: the future while it runs, the
//   | Stage<F>        |           output after)
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
// without synchronization. `leaf` (the leaf probe's slot and the stage tag)
// has the rules written beside it.

#ifndef MAGPIE_RUNTIME_TASK_HEADER_H_
#define MAGPIE_RUNTIME_TASK_HEADER_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <string_view>

#include "runtime/core/context.h"
#include "runtime/core/poll_stats.h"
#include "runtime/core/waker.h"
#include "runtime/task/join_waker_slot.h"
#include "runtime/task/scheduler_registry.h"
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
  // The JoinHandle's waker, in one word (join_waker_slot.h); see state
  // rule 3.
  JoinWakerSlot join_waker;
  // Intrusive links of the scheduler's OwnedTasks list, guarded by its lock.
  // owned_prev is null exactly when the task is on no list; the first task
  // of a shard has kOwnedListHead there (owned_tasks.cc).
  Header* owned_prev = nullptr;
  Header* owned_next = nullptr;
  // Diagnostics for the task dump (core/poll_stats.h): 8 bytes, relaxed
  // atomics written by the harness (raw_task.cc) and the task waker; read
  // by OwnedTasks::dump(). The leaf slot is in the Header (Header::leaf).
  core::PollStats stats;
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

// A task's id: 48 bits in three 16-bit words (6 bytes, alignment 2), so the
// Header's third word also holds the 2-byte leaf slot (Header::leaf).
//
// Why 48 bits is unique for practical purposes: ids come from one
// process-wide counter (next_task_id), and 2^48 spawns is 2.8e14: 8.9 years
// at a sustained million spawns a second, 89 days at a hundred million
// (more than this runtime spawns on any machine we measure: chained_spawn
// runs at a few million a second). Wrap-around, if a process ever gets
// there, is safe for every use of the id (each checked):
//   - OwnedTasks shard choice (id & (shards - 1)): any value works; the
//     shard is fixed for the task's life because the id is.
//   - The task dump, the lost-task report, the unhandled-exception report,
//     the stall monitor, JoinHandle::id() / AbortHandle::id(): names for
//     people and for the user's maps. Two live tasks could share an id only
//     if one of them has lived through 2^48 later spawns.
//   - No code orders tasks by id or treats it as a count.
// 0 is never an id (it reads as "none" in the stall monitor's slot): the
// counter's value modulo 2^48 is used, and 0 becomes 1.
class TaskId {
 public:
  static constexpr int kBits = 48;
  static constexpr std::uint64_t kMask = (std::uint64_t{1} << kBits) - 1;

  explicit TaskId(std::uint64_t counter) {
    std::uint64_t id = counter & kMask;
    id |= static_cast<std::uint64_t>(id == 0);  // 0 becomes 1, no branch
    const auto low = static_cast<std::uint32_t>(id);
    const auto high = static_cast<std::uint16_t>(id >> 32);
    std::memcpy(&part_[0], &low, sizeof(low));
    std::memcpy(&part_[2], &high, sizeof(high));
  }
  TaskId(const TaskId&) = delete;
  TaskId& operator=(const TaskId&) = delete;

  std::uint64_t value() const {
    return low32() | (std::uint64_t{part_[2]} << 32);
  }
  // The low 32 bits (one load): enough to pick an OwnedTasks shard.
  std::uint32_t low32() const {
    std::uint32_t low;
    std::memcpy(&low, &part_[0], sizeof(low));
    return low;
  }
  // Lets `header->id` read as the std::uint64_t it always was.
  operator std::uint64_t() const { return value(); }  // NOLINT: on purpose

 private:
  // Bits 0-31 in part_[0..1] (in the machine's byte order), 32-47 in
  // part_[2]; alignment 2 so that the leaf slot packs after it.
  std::uint16_t part_[3];
};

struct Header {
  Header(std::uint64_t refs, const TaskVTable* vtable, std::uint64_t id,
         SpawnSite spawn_site = {}, std::uint8_t stage_tag = 0,
         SchedulerIndex scheduler = 0)
      : state(refs),
        vtable_word_(
            (reinterpret_cast<std::uintptr_t>(vtable) << kVTableShift) |
            scheduler),
        id(id),
        leaf(static_cast<std::uint16_t>(stage_tag << kStageShift)),
        spawn_site(spawn_site) {
    assert((reinterpret_cast<std::uintptr_t>(vtable) >> kVTablePointerBits) ==
           0);
  }

  // The stage tag: which of future / output / nothing the Cell's stage
  // holds (cell.h), two bits kept in `leaf`'s owner bits. Touched only by
  // whoever may touch the stage (state rules 2 and 4), which is also the
  // only writer of `leaf` at that time (core/poll_stats.h, "Owner bits"):
  // relaxed load + store.
  static constexpr int kStageShift = core::kLeafIdBits;
  std::uint8_t stage_tag() const {
    // ORDERING: relaxed; one writer at a time, ordered by the state word.
    return static_cast<std::uint8_t>(leaf.load(std::memory_order_relaxed) >>
                                     kStageShift);
  }
  void set_stage_tag(std::uint8_t tag) {
    // ORDERING: relaxed; see stage_tag().
    const std::uint16_t ids =
        leaf.load(std::memory_order_relaxed) & core::kLeafIdMask;
    leaf.store(static_cast<std::uint16_t>(ids | (tag << kStageShift)),
               std::memory_order_relaxed);
  }

  // The vtable word: the task's scheduler (its slot in the scheduler
  // registry, scheduler_registry.h) in bits 0-15 and the TaskVTable pointer
  // shifted left by 16 in bits 16-63, where the cell kept an 8-byte
  // scheduler handle before (issue 10). A vtable is static data of the
  // program, far below 2^48 on x86-64 and AArch64 Linux (checked by an
  // assert in the constructor). Immutable after construction.
  //
  //   63                                    16 15            0
  //   +---------------------------------------+---------------+
  //   |  const TaskVTable*  (bits 0-47 of it) | scheduler idx |
  //   +---------------------------------------+---------------+
  //
  // Why this way round (measured, taskmem5): every vtable call decodes the
  // pointer, and `word >> 16` is one instruction, where `word & (2^48 - 1)`
  // (the index in the top bits) needs the 64-bit mask in a register first
  // (movabs + and). The index is read rarely (schedule, release) and is a
  // 16-bit load either way.
  static constexpr int kVTableShift = kSchedulerIndexBits;
  static constexpr int kVTablePointerBits = 64 - kVTableShift;
  const TaskVTable* vtable() const {
    return reinterpret_cast<const TaskVTable*>(vtable_word_ >> kVTableShift);
  }
  SchedulerIndex scheduler_index() const {
    return static_cast<SchedulerIndex>(vtable_word_);
  }

  State state;
  // Read through vtable() and scheduler_index().
  std::uintptr_t vtable_word_;
  // Unique for practical purposes (TaskId); names the task in diagnostics.
  // Converts to std::uint64_t.
  TaskId id;
  // The leaf probe's slot (core/poll_stats.h): the leaf future the task
  // last parked on (bits 0-13, written by its poller, read by the dump and
  // the lost-task report) and the stage tag (bits 14-15, stage_tag()).
  core::LeafSlot leaf;
  // Where spawn() was called, and the task's name; both name the task in
  // diagnostics. Converts to SpawnSite.
  TaskLabel spawn_site;
};

static_assert(sizeof(TaskLabel) == 8);
static_assert(sizeof(TaskId) == 6 && alignof(TaskId) == 2);
static_assert(offsetof(Header, leaf) == offsetof(Header, id) + sizeof(TaskId),
              "the leaf slot sits in the id word's last two bytes");
static_assert(sizeof(Header) == 32,
              "state, vtable + scheduler, id 6 + leaf 2, label");
static_assert(sizeof(std::uintptr_t) == 8, "the vtable word has 16 spare bits");
static_assert(sizeof(Trailer) == 32, "join waker 8, links 16, stats 8");
static_assert(sizeof(Header) + sizeof(Trailer) <= 64,
              "issue 10: <= 64 B of task overhead beyond the future");

// The next value of the process-wide task-id counter (a relaxed counter;
// ids are names, not order). TaskId keeps its low 48 bits.
std::uint64_t next_task_id();

}  // namespace magpie::task

#endif  // MAGPIE_RUNTIME_TASK_HEADER_H_
