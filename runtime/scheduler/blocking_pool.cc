#include "runtime/scheduler/blocking_pool.h"

#include <pthread.h>

#include <system_error>
#include <thread>

#include "runtime/core/saturating_time.h"

namespace magpie::scheduler {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

namespace blocking_internal {
namespace {

void set_thread_name(const std::string& name) {
  // Linux limits names to 15 characters.
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

// The idle state of a pool thread (see the table in blocking_pool.h).
// Returns true when the thread was claimed (it goes busy), false when it
// must exit (keep-alive ran out or shutdown, with no claim pending).
bool idle(PoolShared& shared, core::MutexLock& lock)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared.mu) {
  shared.num_idle += 1;
  // Saturating: a keep-alive of hours::max() is "forever", not an overflow
  // into the past.
  const Clock::time_point deadline =
      core::deadline_after(shared.config.keep_alive);
  while (true) {
    if (shared.num_notify > 0) {
      shared.num_notify -= 1;  // a claim: push() already took us off num_idle
      return true;
    }
    if (shared.shutdown || Clock::now() >= deadline) {
      shared.num_idle -= 1;  // unclaimed, so still counted
      return false;
    }
    lock.wait_until(shared.cv, deadline);  // spurious wakes loop
  }
}

// The pool whose thread this is (null elsewhere): shutdown() called from one
// of the pool's own jobs does not wait for its own thread.
thread_local const PoolShared* current_pool = nullptr;

void thread_main(Arc<PoolShared> shared, task::Header* first_job) {
  set_thread_name(shared->config.thread_name);
  current_pool = shared.get();
  std::function<void()> on_start;
  std::function<void()> on_stop;
  {
    core::MutexLock lock(&shared->mu);
    on_start = shared->on_thread_start;
    on_stop = shared->on_thread_stop;
  }
  if (on_start) on_start();
  task::Header* job = first_job;
  while (true) {
    // Unlocked (STYLE 8): the job is user code.
    if (job != nullptr) {
      task::Notified::from_raw(std::exchange(job, nullptr)).run();
    }
    core::MutexLock lock(&shared->mu);
    if (!shared->queue.empty()) {
      job = shared->queue.front();
      shared->queue.pop_front();
      continue;
    }
    if (shared->shutdown || !idle(*shared, lock)) {
      shared->num_threads -= 1;
      shared->exited.notify_all();
      break;
    }
    // Claimed: the next pass takes the job from the queue (or, if a busy
    // thread took it first, goes idle again).
  }
  if (on_stop) on_stop();
}

// Under the lock: gives `job` to an idle thread (claiming it) if there is
// one, else queues it for a busy thread. True if a thread must be woken.
bool enqueue(PoolShared& shared, task::Notified job)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared.mu) {
  shared.queue.push_back(std::move(job).into_raw());
  if (shared.num_idle == 0) return false;
  shared.num_idle -= 1;
  shared.num_notify += 1;
  return true;
}

}  // namespace

void push(const void* raw_shared, task::Notified job) {
  PoolShared* const shared = &Arc<PoolShared>::deref_raw(raw_shared);
  bool wake_idle = false;
  bool start_thread = false;
  {
    core::MutexLock lock(&shared->mu);
    if (shared->shutdown) return;  // `job` drops its reference unlocked
    if (shared->num_idle == 0 &&
        shared->num_threads < shared->config.max_threads) {
      shared->num_threads += 1;  // counted now: the decision is ours
      start_thread = true;
    } else {
      wake_idle = enqueue(*shared, std::move(job));
    }
  }
  if (wake_idle) shared->cv.notify_one();
  if (!start_thread) return;
  // The new thread gets the job directly, so no other spawn can count on
  // it. If no thread can be made and none exists, the caller gets the error
  // instead of a job nobody will ever run.
  task::Header* raw = std::move(job).into_raw();
  try {
    // The thread's own reference (one relaxed increment).
    Arc<PoolShared>::increment_raw(raw_shared);
    Arc<PoolShared> owned = Arc<PoolShared>::from_raw(raw_shared);
    std::thread(thread_main, std::move(owned), raw).detach();
    return;
  } catch (const std::system_error&) {
    job = task::Notified::from_raw(raw);
    bool none_left;
    {
      core::MutexLock lock(&shared->mu);
      shared->num_threads -= 1;
      none_left = shared->num_threads == 0;
      if (!none_left && !shared->shutdown) {
        wake_idle = enqueue(*shared, std::move(job));
      }
    }
    if (wake_idle) shared->cv.notify_one();
    if (none_left) throw;
  }
}

}  // namespace blocking_internal

BlockingPool::BlockingPool(BlockingPoolConfig config)
    : shared_(task::make_registered_arc<blocking_internal::PoolShared>(
          std::move(config))) {}

BlockingPool::~BlockingPool() {
  if (!shut_down_) shutdown(std::chrono::steady_clock::time_point::max());
}

bool BlockingPool::shutdown(std::chrono::steady_clock::time_point deadline) {
  shut_down_ = true;
  std::deque<task::Header*> not_started;
  {
    core::MutexLock lock(&shared_->mu);
    shared_->shutdown = true;
    not_started.swap(shared_->queue);
  }
  shared_->cv.notify_all();
  // Cancel jobs that never started (drops their closures here), then drop
  // their queue entries.
  shared_->owned.close_and_shutdown_all();
  for (task::Header* job : not_started) task::Notified::from_raw(job).reset();

  // Called from one of this pool's jobs (a blocking job that shuts its
  // runtime down): that thread exits when the job returns, after we do, so
  // it is not waited for (waiting would deadlock).
  const std::size_t self =
      blocking_internal::current_pool == shared_.get() ? 1 : 0;
  bool all_exited = true;
  std::function<void()> on_start;
  std::function<void()> on_stop;
  {
    core::MutexLock lock(&shared_->mu);
    while (shared_->num_threads > self) {
      if (std::chrono::steady_clock::now() >= deadline) {
        all_exited = false;
        break;
      }
      lock.wait_until(shared_->exited, deadline);
    }
    // No thread starts after shutdown, and running ones hold their own
    // copies: drop ours (outside the lock) to break the Handle cycle.
    on_start.swap(shared_->on_thread_start);
    on_stop.swap(shared_->on_thread_stop);
  }
  return all_exited;
}

std::size_t BlockingPool::num_threads() {
  core::MutexLock lock(&shared_->mu);
  return shared_->num_threads;
}

std::size_t BlockingPool::queue_depth() {
  core::MutexLock lock(&shared_->mu);
  return shared_->queue.size();
}

}  // namespace magpie::scheduler
