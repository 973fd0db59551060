#include "reactor/reactor.h"

#include <pthread.h>

#include <utility>

namespace magpie::reactor {

absl::StatusOr<Reactor> Reactor::start(const Options& options) {
  if (options.thread_name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        "magpie: the reactor thread name contains a NUL character");
  }
  absl::StatusOr<Arc<Driver>> driver = Driver::create(options.event_capacity);
  if (!driver.ok()) return driver.status();
  Handle handle(*driver);
  std::string name = options.thread_name.substr(0, 15);
  std::thread thread([driver = *std::move(driver), name = std::move(name)] {
    pthread_setname_np(pthread_self(), name.c_str());
    driver->run();
  });
  return Reactor(std::move(handle), std::move(thread));
}

Reactor& Reactor::operator=(Reactor&& other) noexcept {
  if (this != &other) {
    shutdown();
    handle_ = std::exchange(other.handle_, std::nullopt);
    thread_ = std::move(other.thread_);
  }
  return *this;
}

Reactor::~Reactor() { shutdown(); }

void Reactor::shutdown() {
  if (!handle_.has_value()) return;
  if (thread_.joinable()) {
    handle_->driver().request_stop();
    thread_.join();
  }
  handle_->driver().shutdown();
}

}  // namespace magpie::reactor
