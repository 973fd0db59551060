#include "reactor/scheduled_io.h"

#include <utility>

namespace magpie::reactor {

void ScheduledIo::set_readiness(Ready ready) {
  std::uint32_t current = word_.load(std::memory_order_relaxed);
  while (true) {
    const std::uint32_t tick = ((current >> kTickShift) + 1) & kTickMask;
    const std::uint32_t next = (current & kShutdownBit) | (tick << kTickShift) |
                               (current & kReadinessMask) | ready.bits();
    // ORDERING: release pairs with the acquire loads in poll_ready(); the
    // acquire half orders us after a concurrent clear_readiness().
    if (word_.compare_exchange_weak(current, next, std::memory_order_acq_rel,
                                    std::memory_order_relaxed)) {
      return;
    }
  }
}

void ScheduledIo::wake(Ready ready) {
  Waker reader;
  Waker writer;
  {
    core::WordMutexLock lock(&mutex_);
    if (!(ready & Ready::mask_for(Direction::kRead)).is_empty()) {
      reader = std::move(reader_);
    }
    if (!(ready & Ready::mask_for(Direction::kWrite)).is_empty()) {
      writer = std::move(writer_);
    }
  }
  std::move(reader).wake();
  std::move(writer).wake();
}

void ScheduledIo::shutdown() {
  // ORDERING: release pairs with the acquire loads in poll_ready().
  word_.fetch_or(kShutdownBit, std::memory_order_acq_rel);
  wake(Ready(Ready::kAll));
}

void ScheduledIo::drop_wakers() {
  Waker reader;
  Waker writer;
  {
    core::WordMutexLock lock(&mutex_);
    reader = std::move(reader_);
    writer = std::move(writer_);
  }
  // Dropped here, outside the lock (rule 3).
}

Poll<ReadyEvent> ScheduledIo::poll_ready_slow(Context& cx,
                                              Direction direction) {
  Waker replaced;
  std::uint32_t word;
  {
    core::WordMutexLock lock(&mutex_);
    Waker& slot = direction == Direction::kRead ? reader_ : writer_;
    if (!slot.will_wake(cx.waker())) {
      replaced = std::exchange(slot, Waker(cx.waker()));
    }
    // Re-check after registering (DESIGN.md §1). ORDERING: acquire pairs
    // with set_readiness(); see "Memory ordering" for why the lock makes
    // this re-read sufficient.
    word = word_.load(std::memory_order_acquire);
  }
  // `replaced` (the previous poll's waker) is dropped here, outside the lock.
  if (auto event = event_for(word, direction)) return *event;
  return Pending;
}

std::optional<ReadyEvent> ScheduledIo::ready_now(Direction direction) const {
  // ORDERING: acquire pairs with the release CAS in set_readiness().
  return event_for(word_.load(std::memory_order_acquire), direction);
}

void ScheduledIo::clear_readiness(const ReadyEvent& event) {
  // The closed bits are final (ready.h): never cleared.
  const std::uint32_t clear = event.ready.without(Ready(Ready::kClosed)).bits();
  std::uint32_t current = word_.load(std::memory_order_relaxed);
  while (true) {
    if (((current >> kTickShift) & kTickMask) != event.tick) return;
    const std::uint32_t next = current & ~clear;
    if (next == current) return;
    // ORDERING: acq_rel orders this clear against the set_readiness() CAS it
    // races with; the tick check above is what keeps a newer event.
    if (word_.compare_exchange_weak(current, next, std::memory_order_acq_rel,
                                    std::memory_order_relaxed)) {
      return;
    }
  }
}

Ready ScheduledIo::readiness() const {
  // ORDERING: acquire pairs with set_readiness(); a diagnostic snapshot.
  return Ready(static_cast<std::uint16_t>(
      word_.load(std::memory_order_acquire) & kReadinessMask));
}

}  // namespace magpie::reactor
