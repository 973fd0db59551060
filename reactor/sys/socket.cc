#include "reactor/sys/socket.h"

#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/core/sanitizers.h"

// Sanitizer builds keep libc's wrappers: their interceptors check the
// buffers (ASan) and model the fd (TSan); syscall(2) would hide both.
#if defined(MAGPIE_UNDER_ASAN) || defined(MAGPIE_UNDER_TSAN)
#define MAGPIE_SOCKET_LIBC_WRAPPERS 1
#endif

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

// recv() and send(), the two calls of every request on a stream socket, go
// through syscall(2) rather than libc's wrappers. glibc makes recv and send
// cancellation points: in a multi-threaded process each call switches
// asynchronous cancellation on and off around the syscall (~60 of the ~90
// user-space instructions of the pair, callgrind, echo). Runtime threads
// are never pthread_cancel()ed, and a thread that is gets no help from a
// cancellation point inside a non-blocking call, so the switch buys nothing
// here. Same syscalls, same flags, same errno.
SysResult recv(int fd, void* buf, std::size_t len) {
#ifdef MAGPIE_SOCKET_LIBC_WRAPPERS
  return retry([&] { return ::recv(fd, buf, len, 0); });
#else
  return retry([&] {
    return ::syscall(SYS_recvfrom, long{fd}, buf, len, long{0}, nullptr,
                     nullptr);
  });
#endif
}

SysResult send(int fd, const void* buf, std::size_t len) {
#ifdef MAGPIE_SOCKET_LIBC_WRAPPERS
  return retry([&] { return ::send(fd, buf, len, MSG_NOSIGNAL); });
#else
  return retry([&] {
    return ::syscall(SYS_sendto, long{fd}, buf, len, long{MSG_NOSIGNAL},
                     nullptr, long{0});
  });
#endif
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
