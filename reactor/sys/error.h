// magpie::reactor::sys — the one error helper every syscall in the reactor
// goes through.
//
//   SysResult r = sys::cvt(::recv(fd, buf, len, 0));
//   if (r.would_block()) { ... wait for readiness ... }
//   if (!r.ok()) return sys::errno_status(r.error, "recv");
//
// cvt() turns the C convention (-1 and errno) into a SysResult, which is
// cheap to test on the hot path (EAGAIN is expected, not an error). A real
// failure becomes an absl::Status with errno_status(): the code follows
// absl::ErrnoToStatusCode (ECONNREFUSED and ECONNRESET are Unavailable,
// EMFILE is ResourceExhausted, ...), the message reads "what: strerror
// text", and the errno itself rides along as a payload so callers and tests
// can ask error_number(status) == ECONNREFUSED exactly.
//
// Threads: all functions are pure; call from anywhere.

#ifndef MAGPIE_REACTOR_SYS_ERROR_H_
#define MAGPIE_REACTOR_SYS_ERROR_H_

#include <sys/types.h>

#include <cerrno>
#include <string_view>

#include "absl/status/status.h"

namespace magpie::reactor::sys {

// The result of one syscall: `value` when it succeeded, else -1 and the
// errno it left.
struct SysResult {
  ssize_t value = -1;
  int error = 0;

  bool ok() const { return error == 0; }
  bool would_block() const { return error == EAGAIN || error == EWOULDBLOCK; }
  bool interrupted() const { return error == EINTR; }
};

// Wraps a syscall's return value: negative means failure, read errno now.
inline SysResult cvt(ssize_t rc) {
  if (rc < 0) return SysResult{-1, errno};
  return SysResult{rc, 0};
}

// The status for errno `error` during `what` ("connect 127.0.0.1:1"); the
// errno is attached as a payload (see error_number()).
absl::Status errno_status(int error, std::string_view what);

// The status of a failed SysResult; OkStatus() when it succeeded.
inline absl::Status to_status(const SysResult& result, std::string_view what) {
  return result.ok() ? absl::OkStatus() : errno_status(result.error, what);
}

// The errno carried by a status made by errno_status(), or 0.
int error_number(const absl::Status& status);

}  // namespace magpie::reactor::sys

#endif  // MAGPIE_REACTOR_SYS_ERROR_H_
