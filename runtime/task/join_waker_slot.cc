#include "runtime/task/join_waker_slot.h"

namespace magpie::task {

void JoinWakerSlot::release(std::uintptr_t word) noexcept {
  if ((word & kBoxed) != 0) {
    delete reinterpret_cast<Waker*>(word & ~kBoxed);
  } else {
    kTaskWakerVTable.drop(reinterpret_cast<const void*>(word));
  }
}

}  // namespace magpie::task
