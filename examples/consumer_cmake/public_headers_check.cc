// Compiles only: runtime/magpie.h, and nothing else of magpie, is enough to
// use the public API, and it compiles cleanly with -Werror -Wall -Wextra
// (CMakeLists.txt) under g++ and clang. Each function instantiates one area's
// templates so that warnings inside them are seen too.

#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

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

magpie::Task<int> sync_primitives() {
  int total = 0;
  // mpsc, bounded and unbounded, with a move-only payload.
  auto [tx, rx] = magpie::mpsc::channel<std::unique_ptr<int>>(4);
  auto send = tx.send(std::make_unique<int>(1));
  auto sent = co_await send;
  if (!sent.ok()) co_return -1;
  auto recv = rx.recv();
  std::optional<std::unique_ptr<int>> got = co_await recv;
  if (got && *got) total += **got;
  auto [utx, urx] = magpie::mpsc::unbounded_channel<std::string>();
  static_cast<void>(utx.send(std::string("event")));
  auto urecv = urx.recv();
  std::optional<std::string> event = co_await urecv;
  total += static_cast<int>(event.value_or("").size());

  // Semaphore, Mutex<T>, Notify.
  magpie::sync::Semaphore semaphore(2);
  auto acquire = semaphore.acquire(1);
  auto permit = co_await acquire;
  if (!permit.ok()) co_return -1;
  magpie::sync::Mutex<std::vector<int>> mutex;
  {
    auto lock = mutex.lock();
    auto guard = co_await lock;
    guard->push_back(total);
  }
  magpie::sync::Notify notify;
  notify.notify_one();
  auto notified = notify.notified();
  co_await notified;

  // watch and broadcast.
  auto [wtx, wrx] = magpie::watch::channel<std::string>("v1");
  static_cast<void>(wtx.send(std::string("v2")));
  auto changed = wrx.changed();
  if ((co_await changed).ok())
    total += static_cast<int>(wrx.borrow_and_update()->size());
  auto [btx, brx] = magpie::broadcast::channel<int>(8);
  auto brx2 = btx.subscribe();
  static_cast<void>(btx.send(7));
  auto brecv = brx.recv();
  auto message = co_await brecv;
  if (message.ok()) total += *message;
  static_cast<void>(brx2);
  co_return total;
}

bool error_kinds(const absl::Status& status) {
  const magpie::net::ErrorKind kind = magpie::net::error_kind(status);
  const std::string_view name = magpie::net::error_kind_name(kind);
  return !name.empty() && (magpie::net::is_disconnect(status) ||
                           magpie::net::is_connection_reset(status));
}

magpie::UnhandledExceptionHandler exception_policy() {
  return magpie::UnhandledExceptionHandler::call(
      [](std::uint64_t id, magpie::SpawnSite site, std::exception_ptr error) {
        static_cast<void>(id);
        static_cast<void>(site);
        static_cast<void>(error);
      });
}

}  // namespace

// Referenced, never called: the object file is the test.
[[maybe_unused]] int use_the_api() {
  magpie::Runtime runtime = magpie::Runtime::Builder()
                                .unhandled_exception(exception_policy())
                                .build();
  int n = runtime.block_on(tasks_and_channels());
  n += runtime.block_on(sync_primitives());
  n += error_kinds(absl::UnavailableError("reset")) ? 1 : 0;
  runtime.block_on(timers_and_cancellation());
  runtime.block_on(sockets());
  magpie::LocalExecutor local;
  return n + local.block_on(square(4)) + magpie::block_on(square(5));
}
