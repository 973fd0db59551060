#include "runtime/core/waker.h"

namespace magpie {
namespace {

RawWaker NoopClone(const void* data);
void NoopOp(const void*) {}

constexpr RawWakerVTable kNoopVTable = {&NoopClone, &NoopOp, &NoopOp, &NoopOp};

RawWaker NoopClone(const void* data) { return RawWaker{data, &kNoopVTable}; }

}  // namespace

Waker noop_waker() noexcept {
  return Waker::from_raw(RawWaker{nullptr, &kNoopVTable});
}

}  // namespace magpie
