// self_echo: a small server embedded in a program that is not magpie's own
// build. It starts a Runtime, serves echo on 127.0.0.1 (a port the kernel
// picks), connects to itself, checks that every message comes back, and
// exits 0 (1 on any failure, with the reason on stderr).
//
// The same file is built by both consumer examples: examples/consumer_bazel
// (magpie as an external Bazel repository) and examples/consumer_cmake
// (find_package(magpie) against an installed magpie). It includes only the
// public umbrella header.

#include <array>
#include <chrono>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "runtime/magpie.h"

namespace {

using namespace std::chrono_literals;

constexpr int kRounds = 3;
// Generous: the whole exchange takes milliseconds; this only stops a broken
// build from hanging CI.
constexpr auto kDeadline = 10s;

// One connection's task: echo until the peer closes.
magpie::Task<void> echo(magpie::net::TcpStream stream) {
  std::array<std::byte, 4096> buf;
  while (true) {
    auto read = stream.read(buf);
    auto n = co_await read;
    if (!n.ok() || *n == 0) co_return;  // error or end of stream
    auto write = stream.write_all(std::span<const std::byte>(buf.data(), *n));
    if (!(co_await write).ok()) co_return;
  }
}

magpie::Task<void> serve(magpie::net::TcpListener listener) {
  auto accept = listener.accept();
  auto accepted = co_await accept;  // one client is all this example has
  if (accepted.ok()) co_await echo(std::move(accepted->first));
}

// The client: kRounds messages out, each must come back unchanged.
magpie::Task<absl::Status> talk(magpie::net::SocketAddr server) {
  auto connect = magpie::net::TcpStream::connect(server);
  auto stream = co_await connect;
  if (!stream.ok()) co_return stream.status();
  for (int i = 0; i < kRounds; ++i) {
    const std::string message =
        "hello from magpie " MAGPIE_VERSION_STRING " #" + std::to_string(i);
    const auto out = std::as_bytes(std::span(message));
    auto write = stream->write_all(out);
    if (absl::Status s = co_await write; !s.ok()) co_return s;
    std::string echoed(message.size(), '\0');
    auto read = stream->read_exact(std::as_writable_bytes(std::span(echoed)));
    if (absl::Status s = co_await read; !s.ok()) co_return s;
    if (echoed != message) {
      co_return absl::DataLossError("echoed \"" + echoed + "\", sent \"" +
                                    message + "\"");
    }
    std::printf("echoed: %s\n", echoed.c_str());
  }
  co_return absl::OkStatus();  // dropping the stream closes it: serve ends
}

magpie::Task<absl::Status> run() {
  auto addr = magpie::net::SocketAddr::parse("127.0.0.1:0");
  if (!addr.ok()) co_return addr.status();
  auto listener = magpie::net::TcpListener::bind(*addr);
  if (!listener.ok()) co_return listener.status();
  auto bound = listener->local_addr();
  if (!bound.ok()) co_return bound.status();
  std::printf("magpie %s serving echo on %s\n", MAGPIE_VERSION_STRING,
              bound->to_string().c_str());

  magpie::JoinHandle<void> server = magpie::spawn(serve(std::move(*listener)));
  auto client = magpie::timeout(kDeadline, talk(*bound));
  absl::Status status = co_await client;
  if (!status.ok()) co_return status;
  co_await server;  // the server task ends when the client hangs up
  co_return absl::OkStatus();
}

}  // namespace

int main() {
  magpie::Runtime runtime;
  const absl::Status status = runtime.block_on(run());
  if (!status.ok()) {
    std::fprintf(stderr, "self_echo: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("self_echo: ok\n");
  return 0;
}
