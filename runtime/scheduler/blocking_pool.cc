#include "runtime/scheduler/blocking_pool.h"

#include <pthread.h>

#include <system_error>
#include <thread>

#include "runtime/core/saturating_time.h"

namespace magpie::scheduler {
namespace blocking_internal {
namespace {

void set_thread_name(const std::string& name) {
  // Linux limits names to 15 characters.
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

void thread_main(Arc<PoolShared> shared) {
  set_thread_name(shared->config.thread_name);
  std::function<void()> on_start;
  std::function<void()> on_stop;
  {
    core::MutexLock lock(&shared->mu);
    on_start = shared->on_thread_start;
    on_stop = shared->on_thread_stop;
  }
  if (on_start) on_start();
  while (true) {
    task::Header* job = nullptr;
    {
      core::MutexLock lock(&shared->mu);
      // Saturating (a keep_alive of hours::max() is "forever", not an
      // overflow into the past).
      const auto idle_until = core::deadline_after(shared->config.keep_alive);
      while (shared->queue.empty() && !shared->shutdown) {
        if (std::chrono::steady_clock::now() >= idle_until) break;
        ++shared->num_idle;
        lock.wait_until(shared->cv, idle_until);
        --shared->num_idle;
      }
      if (shared->queue.empty()) {
        // Kept alive long enough, or shutting down with nothing to do.
        --shared->num_threads;
        shared->exited.notify_all();
        break;
      }
      job = shared->queue.front();
      shared->queue.pop_front();
    }
    // Unlocked (STYLE 8): the job is user code.
    task::Notified::from_raw(job).run();
  }
  if (on_stop) on_stop();
}

}  // namespace

void push(const Arc<PoolShared>& shared, task::Notified job) {
  bool start_thread = false;
  {
    core::MutexLock lock(&shared->mu);
    if (shared->shutdown) return;  // `job` drops its reference unlocked
    if (shared->num_idle == 0 &&
        shared->num_threads < shared->config.max_threads) {
      ++shared->num_threads;
      start_thread = true;
    }
  }
  if (start_thread) {
    // Started before the job is queued, so that if no thread can be made
    // and none exists, the caller gets the error instead of a job nobody
    // will ever run. (A new thread finds the job once it is queued below.)
    try {
      std::thread(thread_main, shared).detach();
    } catch (const std::system_error&) {
      bool none_left;
      {
        core::MutexLock lock(&shared->mu);
        none_left = --shared->num_threads == 0;
      }
      if (none_left) throw;
    }
  }
  {
    core::MutexLock lock(&shared->mu);
    if (shared->shutdown) return;
    shared->queue.push_back(std::move(job).into_raw());
  }
  shared->cv.notify_one();
}

}  // namespace blocking_internal

BlockingPool::BlockingPool(BlockingPoolConfig config)
    : shared_(make_arc<blocking_internal::PoolShared>(std::move(config))) {}

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

  bool all_exited = true;
  std::function<void()> on_start;
  std::function<void()> on_stop;
  {
    core::MutexLock lock(&shared_->mu);
    while (shared_->num_threads > 0) {
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
