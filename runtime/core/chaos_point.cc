#include "runtime/core/chaos_point.h"

#include <utility>

namespace magpie::core {
namespace {

thread_local ChaosHook* current_hook = nullptr;

}  // namespace

namespace chaos_internal {

Atomic<std::uint32_t> enabled{0};

void hit(ChaosPoint point) {
  if (ChaosHook* hook = current_hook) hook->at(point);
}

}  // namespace chaos_internal

const char* chaos_point_name(ChaosPoint point) {
  switch (point) {
    case ChaosPoint::kBeforePoll:
      return "before_poll";
    case ChaosPoint::kAfterPoll:
      return "after_poll";
    case ChaosPoint::kWakerClone:
      return "waker_clone";
    case ChaosPoint::kWakerWake:
      return "waker_wake";
    case ChaosPoint::kAtomicWakerRegister:
      return "atomic_waker_register";
    case ChaosPoint::kAtomicWakerWake:
      return "atomic_waker_wake";
    case ChaosPoint::kSchedule:
      return "schedule";
    case ChaosPoint::kWakeDelivery:
      return "wake_delivery";
    case ChaosPoint::kLifoBypass:
      return "lifo_bypass";
    case ChaosPoint::kStealVictim:
      return "steal_victim";
    case ChaosPoint::kStealSize:
      return "steal_size";
    case ChaosPoint::kPark:
      return "park";
    case ChaosPoint::kParkRecheck:
      return "park_recheck";
  }
  return "unknown";
}

ChaosHookScope::ChaosHookScope(ChaosHook* hook)
    : saved_(std::exchange(current_hook, hook)) {}

ChaosHookScope::~ChaosHookScope() { current_hook = saved_; }

ChaosEnabled::ChaosEnabled() {
  // ORDERING: relaxed; a hint (chaos_point.h).
  chaos_internal::enabled.fetch_add(1, std::memory_order_relaxed);
}

ChaosEnabled::~ChaosEnabled() {
  // ORDERING: relaxed; a hint (chaos_point.h).
  chaos_internal::enabled.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace magpie::core
