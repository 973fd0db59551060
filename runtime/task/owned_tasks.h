// magpie::task::OwnedTasks — the list of every live task of one scheduler,
// so that shutdown can find and drop them all.
//
// Ownership: the list holds one reference to each task on it, from bind()
// (at spawn) until remove() (the task completed) or close_and_shutdown_all()
// takes it off. It is owned by the scheduler's shared state and must outlive
// its tasks' release() calls (schedulers keep it inside an Arc the tasks
// hold).
//
// Threads: every method from any thread. The list is split into a power of
// two of shards, each an intrusive list (the links live in each task's
// Trailer) with its own lock (a core::WordMutex: one inlined CAS to lock,
// one exchange to unlock); a task lives in shard `id & (shards - 1)` (the
// id's low 32 bits: shard counts stay far below 2^32),
// fixed for its life, so every spawn and completion takes one shard's lock
// and workers spawning and completing at once rarely meet (Tokio shards the
// same way). No task code runs under a lock: shutdown takes tasks off one at
// a time and drops their futures unlocked (STYLE 8).
//
// Rules (cited as "owned rule N"):
//  1. A shard's `closed` flag, once set, stays set; bind() reads it under
//     the shard's lock and refuses the task if set.
//  2. close_and_shutdown_all() first sets `closed` on every shard (each
//     under its lock), then empties every shard. A bind() that got into
//     shard i did so before shard i closed (rule 1), so it is on the list
//     when that shard is emptied, which happens after every shard closed:
//     no task added concurrently with a close is missed, and none is added
//     after close_and_shutdown_all() returns.
//  3. is_closed() is true once every shard is closed (the last shard closes
//     last).

#ifndef MAGPIE_RUNTIME_TASK_OWNED_TASKS_H_
#define MAGPIE_RUNTIME_TASK_OWNED_TASKS_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "runtime/core/atomic.h"
#include "runtime/core/word_mutex.h"
#include "runtime/task/header.h"
#include "runtime/task/task_dump.h"

namespace magpie::task {

class OwnedTasks {
 public:
  // One shard: for a single-threaded owner (LocalExecutor).
  OwnedTasks() : OwnedTasks(1) {}
  // `min_shards` rounded up to a power of two (at least 1). Schedulers pass
  // kShardsPerWorker x their worker count.
  explicit OwnedTasks(std::size_t min_shards);
  OwnedTasks(const OwnedTasks&) = delete;
  OwnedTasks& operator=(const OwnedTasks&) = delete;
  ~OwnedTasks();

  // Shards per worker thread for a multi-threaded scheduler (Tokio uses 4).
  static constexpr std::size_t kShardsPerWorker = 4;

  // Adds a newly allocated task; the list takes one of its references.
  // Returns false (and takes nothing) once the list is closed: the spawn
  // must fail (owned rule 1).
  [[nodiscard]] bool bind(Header* header);

  // Takes a completed task off the list. True if it was on it (the caller
  // then drops the list's reference).
  [[nodiscard]] bool remove(Header* header);

  // Refuses later binds, then shuts down every task on the list (drops the
  // futures of idle ones now; running ones are cancelled when their poll
  // ends). Returns how many tasks it took off (owned rule 2). Several threads
  // may call it at once; each task is taken off by one of them.
  std::size_t close_and_shutdown_all();

  bool is_closed();
  std::size_t size();
  std::size_t num_shards() const { return num_shards_; }

  // A snapshot of every task on the list (see task_dump.h), shard by shard.
  std::vector<TaskDump> dump();

 private:
  struct alignas(core::kCacheLineSize) Shard {
    core::WordMutex mu;
    Header* head ABSL_GUARDED_BY(mu) = nullptr;
    std::size_t count ABSL_GUARDED_BY(mu) = 0;
    bool closed ABSL_GUARDED_BY(mu) = false;
  };

  Shard& shard_of(const Header* header) {
    return shards_[header->id.low32() & (num_shards_ - 1)];
  }
  static Header* pop_front(Shard& shard);

  const std::size_t num_shards_;
  const std::unique_ptr<Shard[]> shards_;
};

}  // namespace magpie::task

#endif  // MAGPIE_RUNTIME_TASK_OWNED_TASKS_H_
