#include "runtime/park/parker.h"


namespace magpie::park {

void Parker::park() {
  park_until(std::chrono::steady_clock::time_point::max());
}

bool Parker::park_until(std::chrono::steady_clock::time_point deadline) {
  if (token_.try_take() == ParkToken::Take::kTaken) return true;
  if (token_.announce(kParked) == ParkToken::Announce::kTaken) return true;
  const bool forever = core::is_never(deadline);
  while (true) {
    // Saturating: a deadline centuries away must not wrap to the past.
    const auto remaining =
        forever
            ? std::chrono::nanoseconds(-1)
            : core::saturating_sub(deadline, std::chrono::steady_clock::now());
    if (!forever && remaining.count() <= 0) {
      // Time is up: withdraw the announcement unless an unpark beat us.
      return token_.withdraw(kParked) == ParkToken::Withdraw::kTaken;
    }
    token_.sleep(kParked, remaining);
    if (token_.try_take() == ParkToken::Take::kTaken) return true;
  }
}

void Parker::unpark() {
  if (token_.notify() == kParked) token_.wake_sleeper();
}

}  // namespace magpie::park
