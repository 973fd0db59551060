// magpie::reactor::sys socket calls — the BSD socket syscalls the net types
// use, each a one-liner through cvt() (error.h), so every failure carries
// its errno the same way.
//
// Conventions: every socket is created and accepted non-blocking and
// close-on-exec; send() and send_to() pass MSG_NOSIGNAL, so writing to a
// reset connection returns EPIPE instead of raising SIGPIPE. Calls that can
// be interrupted by a signal are retried on EINTR here; EAGAIN is returned to
// the caller, who waits for readiness.
//
// Threads: any. File descriptors are plain ints owned by the caller.

#ifndef MAGPIE_REACTOR_SYS_SOCKET_H_
#define MAGPIE_REACTOR_SYS_SOCKET_H_

#include <sys/socket.h>

#include <cstddef>

#include "reactor/sys/error.h"

namespace magpie::reactor::sys {

SysResult socket(int domain, int type);
SysResult bind(int fd, const sockaddr* addr, socklen_t len);
SysResult listen(int fd, int backlog);
// `addr`/`len` receive the peer's address; *len must hold the buffer size.
SysResult accept(int fd, sockaddr* addr, socklen_t* len);
SysResult connect(int fd, const sockaddr* addr, socklen_t len);
SysResult recv(int fd, void* buf, std::size_t len);
SysResult send(int fd, const void* buf, std::size_t len);
SysResult recv_from(int fd, void* buf, std::size_t len, sockaddr* addr,
                    socklen_t* addr_len);
SysResult send_to(int fd, const void* buf, std::size_t len,
                  const sockaddr* addr, socklen_t addr_len);
SysResult shutdown(int fd, int how);
SysResult set_int_option(int fd, int level, int name, int value);
// The option's value in SysResult::value.
SysResult get_int_option(int fd, int level, int name);
SysResult local_address(int fd, sockaddr* addr, socklen_t* len);
SysResult peer_address(int fd, sockaddr* addr, socklen_t* len);
// Closes `fd`; EINTR is not retried (Linux frees the fd regardless).
void close(int fd);

}  // namespace magpie::reactor::sys

#endif  // MAGPIE_REACTOR_SYS_SOCKET_H_
