// Tests for Unix domain sockets: UnixSocketAddr forms, the socket file's
// lifetime (never removed unless asked; a stale file is EADDRINUSE; only
// the listener's own file is removed), the abstract namespace, streams with
// split halves and half-close, socketpair, and datagrams.

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "reactor/net/split.h"
#include "reactor/net/unix_datagram.h"
#include "reactor/net/unix_listener.h"
#include "reactor/net/unix_socket_addr.h"
#include "reactor/net/unix_stream.h"
#include "reactor/sys/error.h"
#include "runtime/block_on.h"
#include "tests/reactor/test_support.h"

namespace magpie::net {
namespace {

using reactor::sys::error_number;

static_assert(io::AsyncRead<UnixStream> && io::AsyncWrite<UnixStream>);
static_assert(io::AsyncRead<UnixOwnedReadHalf> &&
              io::AsyncWrite<UnixOwnedWriteHalf>);

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}
std::string text_of(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}
bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

class UnixSocketTest : public magpie::testing::ReactorTest {
 protected:
  void SetUp() override {
    ReactorTest::SetUp();
    // Short: sun_path holds 107 bytes, and TEST_TMPDIR can be longer.
    char tmpl[] = "/tmp/magpie_unix_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    ReactorTest::TearDown();
  }
  std::string path(const std::string& name) { return dir_ + "/" + name; }

  template <class R>
  std::string read_all(R& reader) {
    std::string all;
    std::array<std::byte, 256> buf;
    while (true) {
      absl::StatusOr<std::size_t> n = block_on(reader.read(buf));
      EXPECT_TRUE(n.ok()) << n.status();
      if (!n.ok() || *n == 0) return all;
      all += text_of(std::span<const std::byte>(buf.data(), *n));
    }
  }

  std::string dir_;
};

TEST_F(UnixSocketTest, AddressForms) {
  EXPECT_EQ(UnixSocketAddr::from_path("").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UnixSocketAddr::from_path(std::string(200, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UnixSocketAddr::from_path(std::string("a\0b", 3)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UnixSocketAddr::abstract("svc")->to_string(), "@svc");
  EXPECT_EQ(UnixSocketAddr::from_path("/x")->to_string(), "/x");
  EXPECT_TRUE(UnixSocketAddr().is_unnamed());
}

TEST_F(UnixSocketTest, SocketFileLivesUntilTheUserRemovesIt) {
  const std::string file = path("keep.sock");
  const UnixSocketAddr addr = *UnixSocketAddr::from_path(file);
  {
    absl::StatusOr<UnixListener> listener = UnixListener::bind(addr);
    ASSERT_TRUE(listener.ok()) << listener.status();
    EXPECT_TRUE(exists(file));
    EXPECT_EQ(*listener->local_addr(), addr);
  }
  // Not removed on drop by default: a second bind finds the stale file.
  EXPECT_TRUE(exists(file));
  absl::StatusOr<UnixListener> again = UnixListener::bind(addr);
  EXPECT_EQ(error_number(again.status()), EADDRINUSE) << again.status();
  // Connecting to a stale file is refused, not hung.
  absl::StatusOr<UnixStream> refused = block_on(UnixStream::connect(addr));
  EXPECT_EQ(error_number(refused.status()), ECONNREFUSED) << refused.status();
  ASSERT_EQ(::unlink(file.c_str()), 0);
  {
    absl::StatusOr<UnixListener> listener = UnixListener::bind(addr);
    ASSERT_TRUE(listener.ok());
    listener->set_remove_on_drop(true);
    UnixListener moved = *std::move(listener);  // The duty moves with it.
  }
  EXPECT_FALSE(exists(file));
}

TEST_F(UnixSocketTest, RemoveOnDropSparesAFileThatReplacedIt) {
  const std::string file = path("replaced.sock");
  const UnixSocketAddr addr = *UnixSocketAddr::from_path(file);
  absl::StatusOr<UnixListener> listener = UnixListener::bind(addr);
  ASSERT_TRUE(listener.ok());
  listener->set_remove_on_drop(true);
  ASSERT_EQ(::unlink(file.c_str()), 0);
  absl::StatusOr<UnixListener> other = UnixListener::bind(addr);
  ASSERT_TRUE(other.ok());
  { UnixListener gone = *std::move(listener); }
  EXPECT_TRUE(exists(file));  // `other`'s file was not ours to remove.
}

TEST_F(UnixSocketTest, ConnectToMissingPathIsENOENT) {
  absl::StatusOr<UnixStream> s =
      block_on(UnixStream::connect(*UnixSocketAddr::from_path(path("none"))));
  EXPECT_EQ(error_number(s.status()), ENOENT) << s.status();
}

TEST_F(UnixSocketTest, AbstractNamespaceStreamWithSplitAndHalfClose) {
  const UnixSocketAddr addr = *UnixSocketAddr::abstract(
      "magpie-test-" + std::to_string(::getpid()) + "-" + dir_.substr(5));
  absl::StatusOr<UnixListener> listener = UnixListener::bind(addr);
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_TRUE(listener->local_addr()->is_abstract());
  absl::StatusOr<UnixStream> client = block_on(UnixStream::connect(addr));
  ASSERT_TRUE(client.ok()) << client.status();
  auto accepted = block_on(listener->accept());
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_TRUE(accepted->second.is_unnamed());
  EXPECT_EQ(*client->peer_addr(), addr);

  auto [reader, writer] = std::move(*client).into_split();
  ASSERT_TRUE(block_on(writer.write_all(bytes_of("question"))).ok());
  { UnixOwnedWriteHalf dropped = std::move(writer); }  // Half-close.
  UnixStream& server = accepted->first;
  std::array<std::byte, 16> peeked;
  absl::StatusOr<std::size_t> n = block_on(server.peek(peeked));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(read_all(server), "question");
  ASSERT_TRUE(block_on(server.write_all(bytes_of("answer"))).ok());
  ASSERT_TRUE(server.shutdown(Shutdown::kWrite).ok());
  EXPECT_EQ(read_all(reader), "answer");
}

TEST_F(UnixSocketTest, PairTryReadAndBorrowedSplit) {
  absl::StatusOr<std::pair<UnixStream, UnixStream>> pair = UnixStream::pair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  UnixStream& a = pair->first;
  UnixStream& b = pair->second;
  std::array<std::byte, 8> buf;
  EXPECT_TRUE(is_would_block(b.try_read(buf).status()));
  auto [reader, writer] = a.split();
  ASSERT_TRUE(block_on(writer.write_all(bytes_of("hi"))).ok());
  ASSERT_TRUE(block_on(b.readable()).ok());
  absl::StatusOr<std::size_t> n = b.try_read(buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(text_of(std::span(buf.data(), *n)), "hi");
  ASSERT_TRUE(block_on(b.write_all(bytes_of("yo"))).ok());
  ASSERT_TRUE(block_on(reader.read_exact(std::span(buf.data(), 2))).ok());
  EXPECT_EQ(text_of(std::span(buf.data(), 2)), "yo");
  // into_fd / from_fd round trip.
  const int fd = std::move(b).into_fd();
  absl::StatusOr<UnixStream> back = UnixStream::from_fd(fd);
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(block_on(back->write_all(bytes_of("z"))).ok());
  ASSERT_TRUE(block_on(reader.read_exact(std::span(buf.data(), 1))).ok());
}

TEST_F(UnixSocketTest, DatagramsOverPathsAndAbstractNames) {
  const UnixSocketAddr server_addr = *UnixSocketAddr::from_path(path("dg"));
  absl::StatusOr<UnixDatagram> server = UnixDatagram::bind(server_addr);
  ASSERT_TRUE(server.ok()) << server.status();
  const UnixSocketAddr client_addr = *UnixSocketAddr::abstract(
      "magpie-dg-" + std::to_string(::getpid()) + "-" + dir_.substr(5));
  absl::StatusOr<UnixDatagram> client = UnixDatagram::bind(client_addr);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE(block_on(client->send_to(bytes_of("ping"), server_addr)).ok());
  std::array<std::byte, 16> buf;
  absl::StatusOr<UnixDatagram::Received> got = block_on(server->recv_from(buf));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->second, client_addr);
  EXPECT_EQ(text_of(std::span(buf.data(), got->first)), "ping");
  ASSERT_TRUE(block_on(server->send_to(bytes_of("pong"), got->second)).ok());
  absl::StatusOr<std::size_t> n = block_on(client->recv(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(text_of(std::span(buf.data(), *n)), "pong");
  // Connected, and the would-block forms.
  ASSERT_TRUE(client->connect(server_addr).ok());
  EXPECT_EQ(*client->peer_addr(), server_addr);
  EXPECT_TRUE(client->try_send(bytes_of("x")).ok());
  ASSERT_TRUE(block_on(server->readable()).ok());
  EXPECT_TRUE(server->try_recv_from(buf).ok());
  EXPECT_TRUE(is_would_block(server->try_recv(buf).status()));
  // The datagram socket's file stays too until the user removes it.
  { UnixDatagram gone = *std::move(server); }
  EXPECT_TRUE(exists(path("dg")));

  absl::StatusOr<std::pair<UnixDatagram, UnixDatagram>> pair =
      UnixDatagram::pair();
  ASSERT_TRUE(pair.ok());
  ASSERT_TRUE(block_on(pair->first.send(bytes_of("p"))).ok());
  EXPECT_EQ(*block_on(pair->second.recv(buf)), 1u);
}

}  // namespace
}  // namespace magpie::net
