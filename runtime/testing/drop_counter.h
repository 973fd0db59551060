// magpie::testing::DropCounter — counts its own destruction, to see when
// (and that exactly once) a task's future or output was dropped. Movable;
// a moved-from counter counts nothing. The counter it points at must
// outlive it; increments are relaxed (read them after joining).

#ifndef MAGPIE_RUNTIME_TESTING_DROP_COUNTER_H_
#define MAGPIE_RUNTIME_TESTING_DROP_COUNTER_H_

#include <utility>

#include "runtime/core/atomic.h"

namespace magpie::testing {

struct DropCounter {
  explicit DropCounter(core::Atomic<int>* drops) : drops(drops) {}
  DropCounter(DropCounter&& other) noexcept
      : drops(std::exchange(other.drops, nullptr)) {}
  DropCounter& operator=(DropCounter&&) = delete;
  ~DropCounter() {
    // ORDERING: relaxed; readers join the dropping threads first.
    if (drops) drops->fetch_add(1, std::memory_order_relaxed);
  }
  core::Atomic<int>* drops;
};

}  // namespace magpie::testing

#endif  // MAGPIE_RUNTIME_TESTING_DROP_COUNTER_H_
