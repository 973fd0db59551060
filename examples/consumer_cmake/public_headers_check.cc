// Compiles only: runtime/magpie.h, and nothing else of magpie, is enough to
// use the public API, and it compiles cleanly with -Werror -Wall -Wextra
// (CMakeLists.txt) under g++ and clang. Each function instantiates one area's
// templates so that warnings inside them are seen too.

#include <array>
#include <chrono>
#include <optional>
#include <utility>
#include <variant>

#include "runtime/magpie.h"

static_assert(MAGPIE_VERSION_MAJOR == 0 && MAGPIE_VERSION_MINOR >= 2,
              "this example is written against magpie 0.2");

namespace {

using namespace std::chrono_literals;

magpie::Task<int> square(int x) {
  co_await magpie::yield_now();
  const int result = x * x;
  co_return result;
}

magpie::Task<int> tasks_and_channels() {
  magpie::JoinHandle<int> part = magpie::spawn(square(3));
  auto [tx, rx] = magpie::oneshot::channel<int>();
  std::move(tx).send(co_await part);
  std::optional<int> got = co_await rx;
  auto blocking = magpie::spawn_blocking([] { return 1; });
  co_return got.value_or(0) + co_await blocking;
}

magpie::Task<void> timers_and_cancellation() {
  magpie::CancellationToken shutdown;
  shutdown.cancel();
  auto nap = magpie::sleep(1ms);
  auto first = magpie::select(std::move(nap), shutdown.cancelled());
  std::variant<std::monostate, std::monostate> which = co_await first;
  static_cast<void>(which);
  auto bounded = magpie::timeout(1s, square(2));
  absl::StatusOr<int> four = co_await bounded;
  static_cast<void>(four);
}

magpie::Task<void> sockets() {
  auto addr = magpie::net::SocketAddr::parse("127.0.0.1:0");
  if (!addr.ok()) co_return;
  auto udp = magpie::net::UdpSocket::bind(*addr);
  auto listener = magpie::net::TcpListener::bind(*addr);
  if (!listener.ok()) co_return;
  auto accept = listener->accept();
  auto accepted = co_await accept;
  if (!accepted.ok()) co_return;
  std::array<std::byte, 16> buf;
  auto read = accepted->first.read(buf);
  static_cast<void>(co_await read);
  static_cast<void>(udp);
}

}  // namespace

// Referenced, never called: the object file is the test.
[[maybe_unused]] int use_the_api() {
  magpie::Runtime runtime;
  int n = runtime.block_on(tasks_and_channels());
  runtime.block_on(timers_and_cancellation());
  runtime.block_on(sockets());
  magpie::LocalExecutor local;
  return n + local.block_on(square(4)) + magpie::block_on(square(5));
}
