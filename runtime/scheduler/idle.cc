#include "runtime/scheduler/idle.h"

#include <algorithm>
#include <cassert>

namespace magpie::scheduler {

Idle::Idle(std::size_t num_workers)
    : num_workers_(num_workers), counters_(num_workers * kUnparkOne) {
  assert(num_workers < kSearchMask);
  sleepers_.reserve(num_workers);
}

bool Idle::notify_should_wakeup() {
  // ORDERING: an RMW, not a load, so it is ordered after the caller's push
  // of work; see "Memory ordering" in idle.h.
  const std::uint64_t word = counters_.fetch_add(0, std::memory_order_seq_cst);
  return searching(word) == 0 && unparked(word) < num_workers_;
}

std::optional<std::size_t> Idle::worker_to_notify() {
  if (!notify_should_wakeup()) return std::nullopt;
  core::MutexLock lock(&mu_);
  // Checked again under the lock: another notifier may have got here first.
  if (!notify_should_wakeup() || sleepers_.empty()) return std::nullopt;
  // ORDERING: seq_cst like every counter RMW (idle.h).
  counters_.fetch_add(kUnparkOne + kSearchOne, std::memory_order_seq_cst);
  const std::size_t worker = sleepers_.back();
  sleepers_.pop_back();
  return worker;
}

std::optional<std::size_t> Idle::worker_to_notify_local() {
  // ORDERING: relaxed; a hint (idle rule 2a). The word stays shared in every
  // worker's cache until a worker parks, unparks or searches.
  const std::uint64_t word = counters_.load(std::memory_order_relaxed);
  if (searching(word) != 0 || unparked(word) >= num_workers_) {
    return std::nullopt;
  }
  return worker_to_notify();
}

bool Idle::transition_worker_to_parked(std::size_t worker, bool is_searching) {
  core::MutexLock lock(&mu_);
  const std::uint64_t dec = kUnparkOne + (is_searching ? kSearchOne : 0);
  // ORDERING: seq_cst; the worker re-reads the queues after this (idle.h).
  const std::uint64_t prev =
      counters_.fetch_sub(dec, std::memory_order_seq_cst);
  sleepers_.push_back(worker);
  return is_searching && searching(prev) == 1;
}

bool Idle::transition_worker_to_searching() {
  // ORDERING: seq_cst; a heuristic bound, exactness is not needed.
  const std::uint64_t word = counters_.load(std::memory_order_seq_cst);
  if (2 * searching(word) >= num_workers_) return false;
  counters_.fetch_add(kSearchOne, std::memory_order_seq_cst);
  return true;
}

bool Idle::transition_worker_from_searching() {
  // ORDERING: seq_cst like every counter RMW.
  const std::uint64_t prev =
      counters_.fetch_sub(kSearchOne, std::memory_order_seq_cst);
  assert(searching(prev) > 0);
  return searching(prev) == 1;
}

bool Idle::unpark_worker_by_id(std::size_t worker) {
  core::MutexLock lock(&mu_);
  auto it = std::find(sleepers_.begin(), sleepers_.end(), worker);
  if (it == sleepers_.end()) return false;
  sleepers_.erase(it);
  // ORDERING: seq_cst like every counter RMW.
  counters_.fetch_add(kUnparkOne, std::memory_order_seq_cst);
  return true;
}

bool Idle::is_parked(std::size_t worker) {
  core::MutexLock lock(&mu_);
  return std::find(sleepers_.begin(), sleepers_.end(), worker) !=
         sleepers_.end();
}

std::size_t Idle::num_searching() const {
  return searching(counters_.load(std::memory_order_seq_cst));
}

std::size_t Idle::num_unparked() const {
  return unparked(counters_.load(std::memory_order_seq_cst));
}

}  // namespace magpie::scheduler
