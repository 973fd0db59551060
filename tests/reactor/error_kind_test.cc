// Tests for net::error_kind: every errno the net types report maps to its
// kind, statuses without an errno map by code, and the predicates agree.

#include "reactor/net/error_kind.h"

#include <cerrno>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "reactor/reactor_error.h"
#include "reactor/sys/error.h"

namespace magpie::net {
namespace {

TEST(ErrorKindTest, EveryListedErrnoMapsToItsKind) {
  const std::vector<std::pair<int, ErrorKind>> table = {
      {ECONNRESET, ErrorKind::kConnectionReset},
      {EPIPE, ErrorKind::kBrokenPipe},
      {ECONNREFUSED, ErrorKind::kConnectionRefused},
      {ECONNABORTED, ErrorKind::kConnectionAborted},
      {ENOTCONN, ErrorKind::kNotConnected},
      {EADDRINUSE, ErrorKind::kAddrInUse},
      {EADDRNOTAVAIL, ErrorKind::kAddrNotAvailable},
      {ETIMEDOUT, ErrorKind::kTimedOut},
      {EAGAIN, ErrorKind::kWouldBlock},
      {EWOULDBLOCK, ErrorKind::kWouldBlock},
      {EINTR, ErrorKind::kInterrupted},
      {EMFILE, ErrorKind::kTooManyOpenFiles},
      {ENFILE, ErrorKind::kTooManyOpenFiles},
      {ENOMEM, ErrorKind::kOutOfMemory},
      {ENOBUFS, ErrorKind::kOutOfMemory},
      {EHOSTUNREACH, ErrorKind::kHostUnreachable},
      {ENETUNREACH, ErrorKind::kNetworkUnreachable},
      {ENETDOWN, ErrorKind::kNetworkUnreachable},
      {EACCES, ErrorKind::kPermissionDenied},
      {EPERM, ErrorKind::kPermissionDenied},
      {EINVAL, ErrorKind::kInvalidInput},
      {ECANCELED, ErrorKind::kCancelled},
      {EIO, ErrorKind::kOther},
  };
  for (const auto& [error, kind] : table) {
    const absl::Status status = reactor::sys::errno_status(error, "op");
    EXPECT_EQ(error_kind(status), kind) << status;
    EXPECT_EQ(error_kind_of_errno(error), kind) << error;
    EXPECT_NE(error_kind_name(kind), "");
  }
}

TEST(ErrorKindTest, OkIsOk) {
  EXPECT_EQ(error_kind(absl::OkStatus()), ErrorKind::kOk);
  EXPECT_FALSE(is_disconnect(absl::OkStatus()));
}

TEST(ErrorKindTest, StatusesWithoutErrnoMapByCode) {
  EXPECT_EQ(error_kind(reactor::reactor_shutdown_status()),
            ErrorKind::kCancelled);
  EXPECT_EQ(error_kind(absl::DeadlineExceededError("timeout")),
            ErrorKind::kTimedOut);
  EXPECT_EQ(error_kind(absl::OutOfRangeError("unexpected end of stream")),
            ErrorKind::kUnexpectedEof);
  EXPECT_EQ(error_kind(absl::InvalidArgumentError("bad address")),
            ErrorKind::kInvalidInput);
  EXPECT_EQ(error_kind(reactor::no_reactor_status()), ErrorKind::kOther);
  // The errno wins over the code: ECONNRESET is Unavailable, not Other.
  EXPECT_EQ(error_kind(absl::UnavailableError("no errno")), ErrorKind::kOther);
}

TEST(ErrorKindTest, PredicatesAgreeWithTheKind) {
  const absl::Status reset = reactor::sys::errno_status(ECONNRESET, "recv");
  const absl::Status pipe = reactor::sys::errno_status(EPIPE, "send");
  const absl::Status refused =
      reactor::sys::errno_status(ECONNREFUSED, "connect");
  const absl::Status emfile = reactor::sys::errno_status(EMFILE, "accept");
  EXPECT_TRUE(is_connection_reset(reset));
  EXPECT_FALSE(is_connection_reset(pipe));
  EXPECT_TRUE(is_broken_pipe(pipe));
  EXPECT_TRUE(is_connection_refused(refused));
  EXPECT_TRUE(is_timed_out(absl::DeadlineExceededError("t")));
  EXPECT_TRUE(is_disconnect(reset));
  EXPECT_TRUE(is_disconnect(pipe));
  EXPECT_TRUE(is_disconnect(absl::OutOfRangeError("eof")));
  EXPECT_FALSE(is_disconnect(refused));
  EXPECT_FALSE(is_disconnect(emfile));
  EXPECT_TRUE(is_resource_exhaustion(emfile));
  EXPECT_TRUE(
      is_resource_exhaustion(reactor::sys::errno_status(ENOBUFS, "accept")));
  EXPECT_FALSE(is_resource_exhaustion(reset));
}

}  // namespace
}  // namespace magpie::net
