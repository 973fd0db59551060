#include "reactor/sys/socket.h"

#include <unistd.h>

namespace magpie::reactor::sys {
namespace {

// Runs `call` until it is not interrupted by a signal.
template <class Call>
SysResult retry(Call call) {
  while (true) {
    SysResult r = cvt(call());
    if (!r.interrupted()) return r;
  }
}

}  // namespace

SysResult socket(int domain, int type) {
  return cvt(::socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
}

SysResult bind(int fd, const sockaddr* addr, socklen_t len) {
  return cvt(::bind(fd, addr, len));
}

SysResult listen(int fd, int backlog) { return cvt(::listen(fd, backlog)); }

SysResult accept(int fd, sockaddr* addr, socklen_t* len) {
  return retry(
      [&] { return ::accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC); });
}

SysResult connect(int fd, const sockaddr* addr, socklen_t len) {
  // Not retried: a connect interrupted by a signal goes on asynchronously
  // (EINTR then behaves like EINPROGRESS), which the caller handles.
  return cvt(::connect(fd, addr, len));
}

SysResult recv(int fd, void* buf, std::size_t len) {
  return retry([&] { return ::recv(fd, buf, len, 0); });
}

SysResult send(int fd, const void* buf, std::size_t len) {
  return retry([&] { return ::send(fd, buf, len, MSG_NOSIGNAL); });
}

SysResult recv_from(int fd, void* buf, std::size_t len, sockaddr* addr,
                    socklen_t* addr_len) {
  return retry([&] { return ::recvfrom(fd, buf, len, 0, addr, addr_len); });
}

SysResult send_to(int fd, const void* buf, std::size_t len,
                  const sockaddr* addr, socklen_t addr_len) {
  return retry(
      [&] { return ::sendto(fd, buf, len, MSG_NOSIGNAL, addr, addr_len); });
}

SysResult shutdown(int fd, int how) { return cvt(::shutdown(fd, how)); }

SysResult set_int_option(int fd, int level, int name, int value) {
  return cvt(::setsockopt(fd, level, name, &value, sizeof(value)));
}

SysResult get_int_option(int fd, int level, int name) {
  int value = 0;
  socklen_t len = sizeof(value);
  SysResult r = cvt(::getsockopt(fd, level, name, &value, &len));
  if (r.ok()) r.value = value;
  return r;
}

SysResult local_address(int fd, sockaddr* addr, socklen_t* len) {
  return cvt(::getsockname(fd, addr, len));
}

SysResult peer_address(int fd, sockaddr* addr, socklen_t* len) {
  return cvt(::getpeername(fd, addr, len));
}

void close(int fd) { (void)cvt(::close(fd)); }

}  // namespace magpie::reactor::sys
