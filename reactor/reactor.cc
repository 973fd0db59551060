#include "reactor/reactor.h"

#include <pthread.h>

#include <utility>

#include "reactor/sys/timer_slack.h"

namespace magpie::reactor {
namespace {

std::thread spawn_reactor_thread(Handle handle, std::string name) {
  return std::thread([handle = std::move(handle), name = std::move(name)] {
    pthread_setname_np(pthread_self(), name.c_str());
    Reactor::set_up_own_thread();
    handle.driver().run();
  });
}

// The driver seen by a worker parker (park_driver.h). Holds a Handle, so
// the driver outlives every parker that may still unpark it.
class DriverTurns final : public park::ParkDriver {
 public:
  explicit DriverTurns(Handle handle) : handle_(std::move(handle)) {}

  bool try_lock() override { return handle_.driver().try_lock_turn(); }
  void turn(std::optional<std::chrono::nanoseconds> max_wait) override {
    handle_.driver().turn(max_wait);
  }
  void unlock() override { handle_.driver().unlock_turn(); }
  void unpark() override { handle_.driver().unpark(); }

 private:
  Handle handle_;
};

}  // namespace

absl::StatusOr<Reactor> Reactor::start(const Options& options) {
  if (options.thread_name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        "magpie: the reactor thread name contains a NUL character");
  }
  absl::StatusOr<Arc<Driver>> driver = Driver::create(options.event_capacity);
  if (!driver.ok()) return driver.status();
  Handle handle(*std::move(driver));
  std::string name = options.thread_name.substr(0, 15);
  std::thread thread;
  if (options.own_thread) thread = spawn_reactor_thread(handle, name);
  return Reactor(std::move(handle), std::move(thread), std::move(name));
}

Reactor& Reactor::operator=(Reactor&& other) noexcept {
  if (this != &other) {
    shutdown();
    handle_ = std::exchange(other.handle_, std::nullopt);
    thread_ = std::move(other.thread_);
    thread_name_ = std::move(other.thread_name_);
  }
  return *this;
}

Reactor::~Reactor() { shutdown(); }

void Reactor::set_up_own_thread() { sys::use_fine_timer_slack(); }

void Reactor::start_thread() {
  if (!handle_.has_value() || thread_.joinable()) return;
  thread_ = spawn_reactor_thread(*handle_, thread_name_);
}

std::shared_ptr<park::ParkDriver> Reactor::park_driver() const {
  return std::make_shared<DriverTurns>(*handle_);
}

void Reactor::shutdown() {
  if (!handle_.has_value()) return;
  if (thread_.joinable()) {
    handle_->driver().request_stop();
    thread_.join();
  }
  handle_->driver().shutdown();
}

}  // namespace magpie::reactor
