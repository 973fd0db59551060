#include "runtime/park/worker_parker.h"

#include <chrono>


namespace magpie::park {

void WorkerParker::park() {
  if (token_.try_take() == ParkToken::Take::kTaken) return;
  // Rule 3: take the driver first, announce after.
  if (driver_ != nullptr && driver_->try_lock()) {
    park_in_driver();
    return;
  }
  park_on_futex();
}

void WorkerParker::park_in_driver() {
  if (token_.announce(kParkedDriver) == ParkToken::Announce::kAnnounced) {
    driver_->turn(std::nullopt);
    // Rule 2: back after one turn, taking a NOTIFIED that arrived.
    token_.take_after_turn();
  }
  driver_->unlock();  // rule 3: after the state is reset
}

void WorkerParker::park_on_futex() {
  if (token_.announce(kParkedFutex) == ParkToken::Announce::kTaken) return;
  while (true) {
    token_.sleep(kParkedFutex);
    if (token_.try_take() == ParkToken::Take::kTaken) return;
  }
}

void WorkerParker::unpark() {
  switch (token_.notify()) {
    case kParkedFutex:
      token_.wake_sleeper();
      break;
    case kParkedDriver:
      driver_->unpark();
      break;
    default:
      break;
  }
}

bool WorkerParker::poll_driver() {
  if (driver_ == nullptr || !driver_->try_lock()) return false;
  driver_->turn(std::chrono::nanoseconds(0));
  driver_->unlock();
  return true;
}

}  // namespace magpie::park
