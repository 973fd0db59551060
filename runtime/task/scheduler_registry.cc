#include "runtime/task/scheduler_registry.h"

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "runtime/core/mutex.h"

namespace magpie::task {
namespace registry_internal {

core::Atomic<const void*> g_slots[kSchedulerSlots];

namespace {

// Free indices (rule 2) and the next never-used one.
struct FreeList {
  core::Mutex mu;
  std::vector<SchedulerIndex> free ABSL_GUARDED_BY(mu);
  std::size_t next_unused ABSL_GUARDED_BY(mu) = 1;  // 0 is never used
  std::size_t live ABSL_GUARDED_BY(mu) = 0;
};

FreeList& free_list() {
  static auto* list = new FreeList();  // never destroyed: used at exit
  return *list;
}

}  // namespace
}  // namespace registry_internal

using registry_internal::free_list;
using registry_internal::g_slots;

SchedulerRegistryFull::SchedulerRegistryFull()
    : std::runtime_error(
          "magpie: cannot make another scheduler: " +
          std::to_string(kMaxSchedulers) +
          " runtimes/executors/blocking pools are alive in this process "
          "(each Runtime takes two: its workers and its blocking pool); a "
          "scheduler's slot is freed once it and all its tasks are gone") {}

SchedulerRegistration::SchedulerRegistration(const void* scheduler) {
  auto& list = free_list();
  core::MutexLock lock(&list.mu);
  // Room for every index ever handed out, so that the destructor's
  // push_back never allocates (it must not throw).
  list.free.reserve(list.next_unused);
  if (!list.free.empty()) {
    index_ = list.free.back();
    list.free.pop_back();
  } else if (list.next_unused < kSchedulerSlots) {
    index_ = static_cast<SchedulerIndex>(list.next_unused++);
  } else {
    throw SchedulerRegistryFull();
  }
  list.live += 1;
  // ORDERING: relaxed; published with the scheduler's Arc (see the header).
  g_slots[index_].store(scheduler, std::memory_order_relaxed);
}

SchedulerRegistration::~SchedulerRegistration() {
  if (index_ == 0) return;
  auto& list = free_list();
  core::MutexLock lock(&list.mu);
  // ORDERING: relaxed; no task of this scheduler is left (rule 1).
  g_slots[index_].store(nullptr, std::memory_order_relaxed);
  list.free.push_back(index_);
  list.live -= 1;
}

std::size_t live_schedulers() {
  auto& list = free_list();
  core::MutexLock lock(&list.mu);
  return list.live;
}

}  // namespace magpie::task
