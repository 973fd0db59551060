#include "reactor/io_source.h"

#include "reactor/sys/socket.h"

namespace magpie::reactor {

absl::StatusOr<IoSource> IoSource::register_fd(int fd, Interest interest) {
  absl::StatusOr<Handle> handle = Handle::current();
  if (!handle.ok()) {
    sys::close(fd);
    return handle.status();
  }
  return register_fd(*handle, fd, interest);
}

absl::StatusOr<IoSource> IoSource::register_fd(const Handle& handle, int fd,
                                               Interest interest) {
  absl::StatusOr<ScheduledIo*> io = handle.driver().add_source(fd, interest);
  if (!io.ok()) {
    sys::close(fd);
    return io.status();
  }
  return IoSource(handle, *io, fd);
}

IoSource::IoSource(IoSource&& other) noexcept
    : handle_(std::exchange(other.handle_, std::nullopt)),
      io_(std::exchange(other.io_, nullptr)),
      fd_(std::exchange(other.fd_, -1)) {}

IoSource& IoSource::operator=(IoSource&& other) noexcept {
  if (this != &other) {
    close();
    handle_ = std::exchange(other.handle_, std::nullopt);
    io_ = std::exchange(other.io_, nullptr);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void IoSource::close() {
  if (fd_ < 0) return;
  handle_->driver().remove_source(io_, fd_);
  sys::close(fd_);
  fd_ = -1;
  io_ = nullptr;
  handle_.reset();
}

int IoSource::release() {
  if (fd_ < 0) return -1;
  handle_->driver().remove_source(io_, fd_);
  io_ = nullptr;
  handle_.reset();
  return std::exchange(fd_, -1);
}

}  // namespace magpie::reactor
