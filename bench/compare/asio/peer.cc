// Asio's process in magpie's runtime comparison (bench/compare/run.py):
// standalone Asio 1.22 (Debian's libasio-dev, header-only) with C++20
// coroutines — asio::awaitable, co_spawn, use_awaitable — on one
// io_context run by WORKERS threads. The command line, the workloads and
// their sizes are those of bench/compare/workloads.h:
//
//   asio_peer bench WORKLOAD WORKERS SAMPLES [SCALE]
//   asio_peer echo WORKERS
//
// Asio has no join handle: a spawned coroutine's completion handler counts
// down, and the last one sends on a channel its parent awaits. A yield is
// co_await post(executor). Build (run.py does this):
//   g++ -std=c++20 -O2 -DNDEBUG -march=native -pthread peer.cc -o asio_peer

#include <algorithm>
#include <asio.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;
using IntChannel =
    asio::experimental::concurrent_channel<void(asio::error_code, int)>;
// Asio 1.22 cannot instantiate a channel of void(error_code) (ambiguous
// channel_traits), so "done" carries an int nobody reads.
using Done = IntChannel;

constexpr int kSpawnMany = 10'000;
constexpr int kYieldTasks = 200;
constexpr int kYieldsPerTask = 1'000;
constexpr int kPingPongs = 1'000;
constexpr int kChainDepth = 1'000;
constexpr int kTimers = 100'000;
constexpr int kTimerSpreadMs = 10;
constexpr int kLatenessTimers = 1'000;
constexpr int kLatenessSpreadMs = 50;
constexpr std::chrono::seconds kMaxServe{900};

int scaled(int n, double scale) {
  return std::max(1, static_cast<int>(std::lround(n * scale)));
}

// Counts spawned coroutines down; the last one to finish wakes the parent
// awaiting wait(). Shared by the handlers, so the last one's try_send never
// outlives it (the parent may resume on another thread meanwhile).
class CountDown : public std::enable_shared_from_this<CountDown> {
 public:
  static std::shared_ptr<CountDown> make(asio::any_io_executor ex, int n) {
    return std::make_shared<CountDown>(ex, n);
  }
  CountDown(asio::any_io_executor ex, int n) : left_(n), done_(ex, 1) {}
  // The completion handler for co_spawn.
  auto handler() {
    return [self = shared_from_this()](std::exception_ptr) {
      if (self->left_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        self->done_.try_send(asio::error_code{}, 0);
      }
    };
  }
  awaitable<void> wait() { (void)co_await done_.async_receive(use_awaitable); }

 private:
  std::atomic<int> left_;
  Done done_;
};

awaitable<void> nothing() { co_return; }

awaitable<void> spawn_many(int n) {
  auto ex = co_await asio::this_coro::executor;
  auto all = CountDown::make(ex, n);
  for (int i = 0; i < n; ++i) asio::co_spawn(ex, nothing(), all->handler());
  co_await all->wait();
}

awaitable<void> yield_loop(int yields) {
  auto ex = co_await asio::this_coro::executor;
  for (int i = 0; i < yields; ++i) co_await asio::post(ex, use_awaitable);
}

awaitable<void> yield_many(int tasks, int yields) {
  auto ex = co_await asio::this_coro::executor;
  auto all = CountDown::make(ex, tasks);
  for (int i = 0; i < tasks; ++i) {
    asio::co_spawn(ex, yield_loop(yields), all->handler());
  }
  co_await all->wait();
}

awaitable<void> pong(std::shared_ptr<IntChannel> ping,
                     std::shared_ptr<IntChannel> reply) {
  int v = co_await ping->async_receive(use_awaitable);
  reply->try_send(asio::error_code{}, v);
}

awaitable<void> ping() {
  auto ex = co_await asio::this_coro::executor;
  auto ping_ch = std::make_shared<IntChannel>(ex, 1);
  auto pong_ch = std::make_shared<IntChannel>(ex, 1);
  asio::co_spawn(ex, pong(ping_ch, pong_ch), asio::detached);
  ping_ch->try_send(asio::error_code{}, 1);
  (void)co_await pong_ch->async_receive(use_awaitable);
}

awaitable<void> ping_pong(int pairs) {
  auto ex = co_await asio::this_coro::executor;
  auto all = CountDown::make(ex, pairs);
  for (int i = 0; i < pairs; ++i) asio::co_spawn(ex, ping(), all->handler());
  co_await all->wait();
}

awaitable<void> chain(std::shared_ptr<Done> done, int remaining) {
  if (remaining == 0) {
    done->try_send(asio::error_code{}, 0);
  } else {
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, chain(std::move(done), remaining - 1), asio::detached);
  }
}

awaitable<void> chained_spawn(int depth) {
  auto ex = co_await asio::this_coro::executor;
  auto done = std::make_shared<Done>(ex, 1);
  asio::co_spawn(ex, chain(done, depth), asio::detached);
  (void)co_await done->async_receive(use_awaitable);
}

awaitable<void> sleep_ms(int ms) {
  asio::steady_timer timer(co_await asio::this_coro::executor,
                           std::chrono::milliseconds(ms));
  co_await timer.async_wait(use_awaitable);
}

awaitable<void> many_timers(int n) {
  auto ex = co_await asio::this_coro::executor;
  auto all = CountDown::make(ex, n);
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(ex, sleep_ms(1 + i % kTimerSpreadMs), all->handler());
  }
  co_await all->wait();
}

awaitable<void> lateness_us(int ms, double* late) {
  const Clock::time_point due = Clock::now() + std::chrono::milliseconds(ms);
  asio::steady_timer timer(co_await asio::this_coro::executor, due);
  co_await timer.async_wait(use_awaitable);
  *late = std::chrono::duration<double, std::micro>(Clock::now() - due).count();
}

awaitable<double> timer_lateness_p99(int n) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<double> late(n);
  auto all = CountDown::make(ex, n);
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(ex, lateness_us(1 + i % kLatenessSpreadMs, &late[i]),
                   all->handler());
  }
  co_await all->wait();
  std::sort(late.begin(), late.end());
  co_return late[std::min<std::size_t>(late.size() - 1, 0.99 * late.size())];
}

// One sample, in the workload's unit (ms; us for the lateness); -1 for an
// unknown workload. Called from main, which is not one of io's threads.
double run_sample(asio::io_context& io, const std::string& name, double scale) {
  const Clock::time_point start = Clock::now();
  if (name == "spawn_many") {
    asio::co_spawn(io, spawn_many(scaled(kSpawnMany, scale)), asio::use_future)
        .get();
  } else if (name == "spawn_remote") {
    const int n = scaled(kSpawnMany, scale);
    struct Remote {
      std::atomic<int> left;
      std::promise<void> done;
    };
    auto remote = std::make_shared<Remote>();
    remote->left.store(n, std::memory_order_relaxed);
    std::future<void> all_done = remote->done.get_future();
    for (int i = 0; i < n; ++i) {
      asio::co_spawn(io, nothing(), [remote](std::exception_ptr) {
        if (remote->left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
          remote->done.set_value();
        }
      });
    }
    all_done.get();
  } else if (name == "yield_many") {
    asio::co_spawn(
        io,
        yield_many(scaled(kYieldTasks, scale), scaled(kYieldsPerTask, scale)),
        asio::use_future)
        .get();
  } else if (name == "ping_pong") {
    asio::co_spawn(io, ping_pong(scaled(kPingPongs, scale)), asio::use_future)
        .get();
  } else if (name == "chained_spawn") {
    asio::co_spawn(io, chained_spawn(scaled(kChainDepth, scale)),
                   asio::use_future)
        .get();
  } else if (name == "timers_100k") {
    asio::co_spawn(io, many_timers(scaled(kTimers, scale)), asio::use_future)
        .get();
  } else if (name == "timer_lateness_p99") {
    return asio::co_spawn(io,
                          timer_lateness_p99(scaled(kLatenessTimers, scale)),
                          asio::use_future)
        .get();
  } else {
    return -1;
  }
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

awaitable<void> echo(asio::ip::tcp::socket socket) {
  socket.set_option(asio::ip::tcp::no_delay(true));
  char buf[4096];
  try {
    while (true) {
      std::size_t n =
          co_await socket.async_read_some(asio::buffer(buf), use_awaitable);
      co_await asio::async_write(socket, asio::buffer(buf, n), use_awaitable);
    }
  } catch (const std::exception&) {
    // End of stream or a reset: the connection is done.
  }
}

awaitable<void> serve(asio::ip::tcp::acceptor acceptor) {
  auto ex = co_await asio::this_coro::executor;
  while (true) {
    asio::ip::tcp::socket socket =
        co_await acceptor.async_accept(use_awaitable);
    asio::co_spawn(ex, echo(std::move(socket)), asio::detached);
  }
}

int usage() {
  std::fprintf(stderr,
               "usage: asio_peer bench WORKLOAD WORKERS SAMPLES [SCALE]\n"
               "       asio_peer echo WORKERS\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string mode = argv[1];
  const bool bench = mode == "bench";
  if (bench && argc < 5) return usage();
  const int workers = std::atoi(argv[bench ? 3 : 2]);
  if (workers < 1 || (!bench && mode != "echo")) return usage();

  asio::io_context io(workers);
  auto work = asio::make_work_guard(io);
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) threads.emplace_back([&io] { io.run(); });

  int status = 0;
  if (!bench) {
    asio::ip::tcp::acceptor acceptor(io,
                                     {asio::ip::make_address("127.0.0.1"), 0});
    std::printf("port %d\n",
                static_cast<int>(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    asio::co_spawn(io, serve(std::move(acceptor)), asio::detached);
    std::this_thread::sleep_for(kMaxServe);
    std::_Exit(0);
  }
  const int samples = std::atoi(argv[4]);
  const double scale = argc > 5 ? std::atof(argv[5]) : 1.0;
  if (samples < 1 || !(scale > 0)) {
    status = usage();
  } else {
    for (int i = 0; i <= samples; ++i) {  // Sample 0 warms up.
      const double value = run_sample(io, argv[2], scale);
      if (value < 0) {
        std::fprintf(stderr, "unknown workload: %s\n", argv[2]);
        status = 2;
        break;
      }
      if (i > 0) std::printf("sample %.3f\n", value);
    }
  }
  work.reset();
  io.stop();
  for (auto& t : threads) t.join();
  return status;
}
