#include "runtime/testing/builtin_scenarios.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "reactor/magpie_reactor.h"
#include "runtime/core/atomic.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/sync/mpsc.h"
#include "runtime/sync/mutex.h"
#include "runtime/sync/notify.h"
#include "runtime/sync/oneshot.h"
#include "runtime/sync/semaphore.h"
#include "runtime/testing/lost_wakeup.h"
#include "runtime/testing/stress.h"
#include "runtime/testing/watchdog.h"

namespace magpie::testing {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

// Sizes per run: small, so that a run takes milliseconds and the runner
// gets through many seeds and worker counts.
const int kTasks = ScaledForSanitizers(8, 4);
const int kRounds = ScaledForSanitizers(200, 40);

// A random pause: nothing, a yield, or (rarely) a short sleep, so that
// tasks meet at varying points.
Task<void> Jitter(std::uint64_t r) {
  switch (r % 8) {
    case 0:
    case 1:
      co_await yield_now();
      break;
    case 2: {
      auto s = sleep(microseconds(r % 200));
      co_await std::move(s);
      break;
    }
    default:
      break;
  }
}

void Expect(StressContext& ctx, std::string_view what, long expected,
            long got) {
  if (expected != got) {
    ctx.fail(absl::StrCat(std::string(what), ": expected ", expected, ", got ",
                          got));
  }
}

// ---- channel_mpsc: producers on a small bounded channel, one consumer ------
Task<void> ChannelMpsc(StressContext& ctx) {
  const std::size_t capacity = 1 + ctx.rng()() % 4;
  auto [tx, rx] = mpsc::channel<int>(capacity);
  std::vector<JoinHandle<void>> producers;
  for (int p = 0; p < kTasks; ++p) {
    producers.push_back(spawn(
        [](mpsc::Sender<int> tx, int rounds, std::uint64_t seed) -> Task<void> {
          std::mt19937_64 rng(seed);
          for (int r = 0; r < rounds; ++r) {
            auto send = tx.send(1);
            auto sent = co_await std::move(send);
            if (!sent.ok()) co_return;
            co_await Jitter(rng());
          }
        }(tx, kRounds, ctx.seed() + p)));
  }
  { auto drop = std::move(tx); }  // The channel closes with the last sender.
  long got = 0;
  for (;;) {
    auto recv = rx.recv();
    std::optional<int> v = co_await std::move(recv);
    if (!v) break;
    got += *v;
  }
  for (auto& h : producers) co_await std::move(h);
  Expect(ctx, "messages received", long{kTasks} * kRounds, got);
}

// ---- mutex: tasks increment a counter under an async Mutex -----------------
Task<void> MutexScenario(StressContext& ctx) {
  auto m = std::make_shared<sync::Mutex<long>>(0);
  std::vector<JoinHandle<void>> tasks;
  for (int t = 0; t < kTasks; ++t) {
    tasks.push_back(spawn([](std::shared_ptr<sync::Mutex<long>> m, int rounds,
                             std::uint64_t seed) -> Task<void> {
      std::mt19937_64 rng(seed);
      for (int r = 0; r < rounds; ++r) {
        auto lock = m->lock();
        auto guard = co_await std::move(lock);
        const long seen = *guard;
        if (rng() % 4 == 0) co_await yield_now();  // Hold it across a yield.
        *guard = seen + 1;
      }
    }(m, kRounds, ctx.seed() + t)));
  }
  for (auto& h : tasks) co_await std::move(h);
  Expect(ctx, "increments under the mutex", long{kTasks} * kRounds,
         m->get_mut());
}

// ---- semaphore: more tasks than permits; never more holders than permits ---
struct SemaphoreState {
  explicit SemaphoreState(std::size_t n) : sem(n), permits(n) {}
  sync::Semaphore sem;
  const std::size_t permits;
  core::Atomic<long> holders{0};
  core::Atomic<long> overflow{0};
  core::Atomic<long> acquired{0};
};

Task<void> SemaphoreScenario(StressContext& ctx) {
  auto state = std::make_shared<SemaphoreState>(1 + ctx.rng()() % 3);
  std::vector<JoinHandle<void>> tasks;
  for (int t = 0; t < kTasks; ++t) {
    tasks.push_back(spawn([](std::shared_ptr<SemaphoreState> s, int rounds,
                             std::uint64_t seed) -> Task<void> {
      std::mt19937_64 rng(seed);
      for (int r = 0; r < rounds; ++r) {
        auto acquire = s->sem.acquire(1);
        auto permit = co_await std::move(acquire);
        if (!permit.ok()) co_return;
        // ORDERING: relaxed counters, read after every task joined.
        if (s->holders.fetch_add(1, std::memory_order_relaxed) + 1 >
            static_cast<long>(s->permits)) {
          s->overflow.fetch_add(1, std::memory_order_relaxed);
        }
        s->acquired.fetch_add(1, std::memory_order_relaxed);
        co_await Jitter(rng());
        s->holders.fetch_sub(1, std::memory_order_relaxed);
      }
    }(state, kRounds, ctx.seed() + t)));
  }
  for (auto& h : tasks) co_await std::move(h);
  Expect(ctx, "permits acquired", long{kTasks} * kRounds,
         state->acquired.load(std::memory_order_relaxed));
  Expect(ctx, "holders beyond the permits", 0,
         state->overflow.load(std::memory_order_relaxed));
}

// ---- notify_oneshot: ping-pong over Notify, results back over oneshots -----
struct PingPong {
  sync::Notify ping;
  sync::Notify pong;
};

Task<void> NotifyOneshot(StressContext& ctx) {
  std::vector<oneshot::Receiver<int>> results;
  std::vector<JoinHandle<void>> tasks;
  for (int t = 0; t < kTasks; ++t) {
    auto pp = std::make_shared<PingPong>();
    auto [tx, rx] = oneshot::channel<int>();
    results.push_back(std::move(rx));
    // The ponger answers every ping; the pinger counts the pongs and sends
    // the count back over the oneshot.
    tasks.push_back(
        spawn([](std::shared_ptr<PingPong> pp, int rounds) -> Task<void> {
          for (int r = 0; r < rounds; ++r) {
            auto ping = pp->ping.notified();
            co_await std::move(ping);
            pp->pong.notify_one();
          }
        }(pp, kRounds)));
    tasks.push_back(
        spawn([](std::shared_ptr<PingPong> pp, int rounds,
                 oneshot::Sender<int> done, std::uint64_t seed) -> Task<void> {
          std::mt19937_64 rng(seed);
          int pongs = 0;
          for (int r = 0; r < rounds; ++r) {
            pp->ping.notify_one();
            auto pong = pp->pong.notified();
            co_await std::move(pong);
            ++pongs;
            co_await Jitter(rng());
          }
          (void)std::move(done).send(pongs);
        }(pp, kRounds, std::move(tx), ctx.seed() + t)));
  }
  long pongs = 0;
  for (auto& rx : results) {
    std::optional<int> n = co_await std::move(rx);
    pongs += n.value_or(0);
  }
  for (auto& h : tasks) co_await std::move(h);
  Expect(ctx, "pongs", long{kTasks} * kRounds, pongs);
}

// ---- timer: many short sleeps and timeouts from many tasks -----------------
Task<void> TimerScenario(StressContext& ctx) {
  auto fired = std::make_shared<core::Atomic<long>>(0);
  const int rounds = ScaledForSanitizers(20, 8);
  std::vector<JoinHandle<void>> tasks;
  for (int t = 0; t < kTasks; ++t) {
    tasks.push_back(spawn([](std::shared_ptr<core::Atomic<long>> fired,
                             int rounds, std::uint64_t seed) -> Task<void> {
      std::mt19937_64 rng(seed);
      for (int r = 0; r < rounds; ++r) {
        if (rng() % 2) {
          auto s = sleep(microseconds(rng() % 1500));
          co_await std::move(s);
        } else {
          // A timeout whose inner sleep may or may not win.
          auto inner = sleep(microseconds(rng() % 1000));
          auto t = timeout(microseconds(rng() % 1000), std::move(inner));
          (void)co_await std::move(t);
        }
        // ORDERING: relaxed; read after every task joined.
        fired->fetch_add(1, std::memory_order_relaxed);
        co_await Jitter(rng());
      }
    }(fired, rounds, ctx.seed() + t)));
  }
  for (auto& h : tasks) co_await std::move(h);
  Expect(ctx, "timers fired", long{kTasks} * rounds,
         fired->load(std::memory_order_relaxed));
}

// ---- socket: clients write bytes over 127.0.0.1, servers read them all -----
Task<void> SocketScenario(StressContext& ctx) {
  absl::StatusOr<net::TcpListener> listener =
      net::TcpListener::bind(net::SocketAddr::ipv4_loopback(0));
  if (!listener.ok()) {
    ctx.fail(std::string(listener.status().message()));
    co_return;
  }
  absl::StatusOr<net::SocketAddr> addr = listener->local_addr();
  if (!addr.ok()) {
    ctx.fail(std::string(addr.status().message()));
    co_return;
  }
  const int pairs = ScaledForSanitizers(8, 4);
  const int bytes = ScaledForSanitizers(64, 16);
  auto wrong = std::make_shared<core::Atomic<long>>(0);
  std::vector<JoinHandle<void>> tasks;
  for (int p = 0; p < pairs; ++p) {
    tasks.push_back(spawn(
        [](net::SocketAddr addr, int bytes, std::uint64_t seed) -> Task<void> {
          auto connect = net::TcpStream::connect(addr);
          auto stream = co_await std::move(connect);
          if (!stream.ok()) co_return;  // The reader then sees end of stream.
          std::mt19937_64 rng(seed);
          for (int i = 0; i < bytes; ++i) {
            const std::byte b{static_cast<unsigned char>(i)};
            auto write = stream->write_all(std::span<const std::byte>(&b, 1));
            if (!(co_await std::move(write)).ok()) co_return;
            co_await Jitter(rng());
          }
        }(*addr, bytes, ctx.seed() + p)));
  }
  for (int p = 0; p < pairs; ++p) {
    auto accept = listener->accept();
    auto accepted = co_await std::move(accept);
    if (!accepted.ok()) {
      ctx.fail(std::string(accepted.status().message()));
      break;
    }
    tasks.push_back(spawn([](net::TcpStream stream, int bytes,
                             std::shared_ptr<core::Atomic<long>> wrong,
                             std::uint64_t seed) -> Task<void> {
      std::mt19937_64 rng(seed);
      for (int i = 0; i < bytes; ++i) {
        std::byte b{0xFF};
        auto read = stream.read_exact(std::span<std::byte>(&b, 1));
        absl::Status st = co_await std::move(read);
        // ORDERING: relaxed; read after every task joined.
        if (!st.ok() || static_cast<int>(b) != i) {
          wrong->fetch_add(1, std::memory_order_relaxed);
          co_return;
        }
        co_await Jitter(rng());
      }
    }(std::move(accepted->first), bytes, wrong, ctx.seed() * 31 + p)));
  }
  for (auto& h : tasks) co_await std::move(h);
  Expect(ctx, "bad or missing bytes", 0,
         wrong->load(std::memory_order_relaxed));
}

struct TaskScenario {
  const char* name;
  const char* description;
  Task<void> (*body)(StressContext&);
};

const std::array<TaskScenario, 6> kTaskScenarios = {{
    {"channel_mpsc", "producers on a bounded mpsc channel of capacity 1-4",
     &ChannelMpsc},
    {"mutex", "tasks increment a counter under sync::Mutex, across yields",
     &MutexScenario},
    {"semaphore", "more tasks than permits on sync::Semaphore",
     &SemaphoreScenario},
    {"notify_oneshot", "ping-pong over sync::Notify, counts back by oneshot",
     &NotifyOneshot},
    {"timer", "short sleeps and timeouts racing their inner sleep",
     &TimerScenario},
    {"socket", "byte-at-a-time TCP writes and reads over 127.0.0.1",
     &SocketScenario},
}};

}  // namespace

void register_builtin_stress_scenarios() {
  static const bool registered = [] {
    for (const Scenario& s : lost_wakeup_scenarios()) {
      register_stress_scenario(StressScenario{
          std::string(s.name), std::string(s.description), __FILE__, __LINE__,
          nullptr, [run = s.run](Runtime& rt, StressContext& ctx) {
            return run(rt, {.seed = ctx.seed(), .size = 1});
          }});
    }
    for (const TaskScenario& s : kTaskScenarios) {
      register_stress_scenario(StressScenario{s.name, s.description, __FILE__,
                                              __LINE__, s.body, nullptr});
    }
    return true;
  }();
  (void)registered;
}

}  // namespace magpie::testing
