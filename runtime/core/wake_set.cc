#include "runtime/core/wake_set.h"

#include <cstdlib>
#include <limits>
#include <memory>
#include <stdexcept>

#include "absl/base/thread_annotations.h"
#include "runtime/core/atomic.h"
#include "runtime/core/atomic_waker.h"
#include "runtime/core/mutex.h"

namespace magpie::core {
namespace {

// One child's waker target. Its RawWaker data is the Slot itself; the
// reference count is the block's (wake-set rule 3).
struct Slot {
  WakeSet::Shared* shared = nullptr;
  std::uint32_t index = 0;
  Atomic<bool> woken{true};  // wake-set rule 1
};

// A count this large can only come from a leak loop; abort rather than wrap.
constexpr std::size_t kMaxRefs = std::size_t{1} << 62;

}  // namespace

struct WakeSet::Shared {
  explicit Shared(std::size_t n) : slots(new Slot[n]) {
    woken.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      slots[i].shared = this;
      slots[i].index = static_cast<std::uint32_t>(i);
      woken.push_back(static_cast<std::uint32_t>(i));
    }
  }

  void retain() {
    // ORDERING: relaxed; a reference is only made from a live one.
    if (refs.fetch_add(1, std::memory_order_relaxed) > kMaxRefs) std::abort();
  }
  void release() {
    // ORDERING: acq_rel so the last holder sees every use before the delete.
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  void wake(Slot& slot) {
    // ORDERING: acq_rel (wake-set rules 1, 2): release publishes what the
    // waker did before waking to the poll after take_woken's exchange.
    if (slot.woken.exchange(true, std::memory_order_acq_rel)) return;
    {
      MutexLock lock(&mu);
      woken.push_back(slot.index);
    }
    parent.wake();
  }

  Atomic<std::size_t> refs{1};
  AtomicWaker parent;
  Mutex mu;
  std::vector<std::uint32_t> woken ABSL_GUARDED_BY(mu);
  std::unique_ptr<Slot[]> slots;
};

namespace {

RawWaker ChildClone(const void* data);
void ChildWake(const void* data);
void ChildWakeByRef(const void* data);
void ChildDrop(const void* data);

constexpr RawWakerVTable kChildVTable = {&ChildClone, &ChildWake,
                                         &ChildWakeByRef, &ChildDrop};

Slot* slot_of(const void* data) {
  return static_cast<Slot*>(const_cast<void*>(data));
}

RawWaker ChildClone(const void* data) {
  slot_of(data)->shared->retain();
  return RawWaker{data, &kChildVTable};
}

void ChildWakeByRef(const void* data) {
  Slot* slot = slot_of(data);
  slot->shared->wake(*slot);
}

void ChildDrop(const void* data) { slot_of(data)->shared->release(); }

void ChildWake(const void* data) {
  ChildWakeByRef(data);
  ChildDrop(data);
}

}  // namespace

WakeSet::WakeSet(std::size_t n) {
  if (n > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("magpie: too many futures for one combinator");
  }
  shared_ = new Shared(n);
}

WakeSet::~WakeSet() {
  if (shared_ != nullptr) shared_->release();
}

void WakeSet::register_parent(const Waker& parent) {
  shared_->parent.register_waker(parent);
}

void WakeSet::take_woken(std::vector<std::uint32_t>* out) {
  out->clear();
  {
    MutexLock lock(&shared_->mu);
    std::swap(*out, shared_->woken);
  }
  for (std::uint32_t index : *out) {
    // ORDERING: acq_rel (wake-set rule 2); acquire reads the write of any
    // wake that found the flag set, so the poll that follows sees its event.
    shared_->slots[index].woken.exchange(false, std::memory_order_acq_rel);
  }
}

WakeSet::ChildWaker WakeSet::child_waker(std::uint32_t index) const {
  return ChildWaker(RawWaker{&shared_->slots[index], &kChildVTable});
}

}  // namespace magpie::core
