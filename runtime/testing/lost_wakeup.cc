#include "runtime/testing/lost_wakeup.h"

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "reactor/magpie_reactor.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/mutex.h"
#include "runtime/core/poll_fn.h"
#include "runtime/coro/task.h"
#include "runtime/sync/oneshot.h"
#include "runtime/testing/event_future.h"
#include "runtime/testing/watchdog.h"

namespace magpie::testing {
namespace {

using std::chrono::milliseconds;

void SpinFor(int iterations) {
  for (int i = 0; i < iterations; ++i) asm volatile("" ::: "memory");
}

absl::Status Mismatch(std::string_view what, long expected, long got,
                      const ScenarioOptions& options) {
  return absl::InternalError(absl::StrCat(std::string(what), ": expected ",
                                          expected, ", got ", got, " (seed ",
                                          options.seed, ")"));
}

// ---- 1. Migrating task -----------------------------------------------------
// A future polled inside task T1 (Pending, T1's waker stored) is moved into
// a new task T2, which may run on another worker; the event fires from a
// plain thread. T2's waker must be the one woken.
absl::Status MigratingTask(Runtime& rt, const ScenarioOptions& options) {
  const int rounds = ScaledForSanitizers(500, 60) * options.size;
  std::mt19937_64 rng(options.seed);
  for (int round = 0; round < rounds; ++round) {
    auto event = make_arc<Event>();
    auto [tx, rx] = oneshot::channel<JoinHandle<int>>();
    rt.spawn(
        poll_fn([f = EventFuture{event}, tx = std::optional(std::move(tx))](
                    Context& cx) mutable -> Poll<void> {
          (void)f.poll(cx);  // Pending (or already fired): either way, move it
          (void)std::move(*tx).send(spawn(std::move(f)));
          return ready();
        }));
    const int delay = static_cast<int>(rng() % 3000);
    std::thread firer([event, delay] {
      SpinFor(delay);
      event->set();
    });
    std::optional<JoinHandle<int>> second = rt.block_on(std::move(rx));
    const int polls = second ? rt.block_on(std::move(*second)) : 0;
    firer.join();
    if (polls < 1)
      return Mismatch("polls of the moved future", 1, polls, options);
  }
  return absl::OkStatus();
}

// ---- 2. Wake during poll ---------------------------------------------------
// The event fires while the task is inside poll, after it registered and
// before it returns Pending; the future does not re-check, so only the
// executor's RUNNING+NOTIFIED transition can save it.
absl::Status WakeDuringPoll(Runtime& rt, const ScenarioOptions& options) {
  const int rounds = ScaledForSanitizers(1000, 100) * options.size;
  for (int round = 0; round < rounds; ++round) {
    auto event = make_arc<Event>();
    auto h = rt.spawn(poll_fn(
        [event, fired_in_poll = false](Context& cx) mutable -> Poll<int> {
          if (event->fired.load(std::memory_order_acquire)) return 1;
          event->waker.register_waker(cx.waker());
          if (!fired_in_poll) {
            fired_in_poll = true;
            std::thread([event] { event->set(); }).join();
          }
          return Pending;
        }));
    const int got = rt.block_on(std::move(h));
    if (got != 1) return Mismatch("result", 1, got, options);
  }
  return absl::OkStatus();
}

// ---- 3. Steal storm --------------------------------------------------------
// Task pairs ping-pong messages over per-round oneshot channels, all spawned
// from one worker so the others must steal; every message arrives.
Task<int> Pinger(std::vector<oneshot::Sender<int>> out,
                 std::vector<oneshot::Receiver<int>> in) {
  int received = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    (void)std::move(out[i]).send(static_cast<int>(i));
    std::optional<int> reply = co_await in[i];
    if (reply && *reply == static_cast<int>(i)) ++received;
  }
  co_return received;
}

Task<int> Ponger(std::vector<oneshot::Receiver<int>> in,
                 std::vector<oneshot::Sender<int>> out) {
  int received = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    std::optional<int> msg = co_await in[i];
    if (msg) ++received;
    (void)std::move(out[i]).send(msg.value_or(-1));
  }
  co_return received;
}

Task<int> SpawnStorm(int pairs, int rounds) {
  std::vector<JoinHandle<int>> handles;
  for (int p = 0; p < pairs; ++p) {
    std::vector<oneshot::Sender<int>> ping_tx, pong_tx;
    std::vector<oneshot::Receiver<int>> ping_rx, pong_rx;
    for (int r = 0; r < rounds; ++r) {
      auto [a, b] = oneshot::channel<int>();
      ping_tx.push_back(std::move(a));
      ping_rx.push_back(std::move(b));
      auto [c, d] = oneshot::channel<int>();
      pong_tx.push_back(std::move(c));
      pong_rx.push_back(std::move(d));
    }
    handles.push_back(spawn(Pinger(std::move(ping_tx), std::move(pong_rx))));
    handles.push_back(spawn(Ponger(std::move(ping_rx), std::move(pong_tx))));
  }
  int total = 0;
  for (auto& h : handles) total += co_await h;
  co_return total;
}

absl::Status StealStorm(Runtime& rt, const ScenarioOptions& options) {
  std::mt19937_64 rng(options.seed);
  const int repeats = ScaledForSanitizers(5, 2) * options.size;
  for (int repeat = 0; repeat < repeats; ++repeat) {
    const int pairs = ScaledForSanitizers(1000, 60) / 2 +
                      static_cast<int>(rng() % ScaledForSanitizers(500, 30));
    const int rounds = ScaledForSanitizers(100, 20);
    const int got = rt.block_on(rt.spawn(SpawnStorm(pairs, rounds)));
    if (got != 2 * pairs * rounds) {
      return Mismatch("messages delivered", 2L * pairs * rounds, got, options);
    }
  }
  return absl::OkStatus();
}

// ---- 4. Sleepy workers -----------------------------------------------------
// Bursts of work separated by idle gaps long enough for every worker to
// sleep; no burst is left unprocessed.
Task<int> Burst(int width) {
  std::vector<JoinHandle<int>> children;
  for (int i = 0; i < width; ++i) {
    children.push_back(spawn([](int v) -> Task<int> {
      co_await yield_now();
      co_return v;
    }(1)));
  }
  int sum = 0;
  for (auto& child : children) sum += co_await child;
  co_return sum;
}

absl::Status SleepyWorkers(Runtime& rt, const ScenarioOptions& options) {
  const int bursts = ScaledForSanitizers(40, 10) * options.size;
  std::mt19937_64 rng(options.seed);
  for (int burst = 0; burst < bursts; ++burst) {
    std::this_thread::sleep_for(milliseconds(2 + rng() % 10));
    const int width = 1 + static_cast<int>(rng() % 64);
    std::vector<JoinHandle<int>> outside;  // via the inject queue
    for (int i = 0; i < width; ++i) outside.push_back(rt.spawn(Burst(4)));
    for (auto& h : outside) {
      const int got = rt.block_on(std::move(h));
      if (got != 4) return Mismatch("burst result", 4, got, options);
    }
  }
  return absl::OkStatus();
}

// ---- 5. Cross-thread wake flood --------------------------------------------
// Threads wake many tasks through their own waker clones, including tasks
// that already completed; no task is polled after completion, none is lost.
absl::Status WakeFlood(Runtime& rt, const ScenarioOptions& options) {
  const int tasks = ScaledForSanitizers(200, 40);
  constexpr int kThreads = 4;
  const int wakes_per_thread = ScaledForSanitizers(20000, 2000);
  const int repeats = ScaledForSanitizers(20, 3) * options.size;
  for (int repeat = 0; repeat < repeats; ++repeat) {
    struct Shared {
      core::Mutex mu;
      std::vector<Waker> wakers ABSL_GUARDED_BY(mu);
      core::Atomic<int> progress{0};
      core::Atomic<int> polled_after_complete{0};
    };
    auto shared = std::make_shared<Shared>();
    {
      core::MutexLock lock(&shared->mu);
      shared->wakers.resize(tasks);
    }
    const int target = kThreads * wakes_per_thread / 2;
    std::vector<JoinHandle<int>> handles;
    for (int t = 0; t < tasks; ++t) {
      handles.push_back(rt.spawn(poll_fn([shared, t, target, done = false](
                                             Context& cx) mutable -> Poll<int> {
        if (done)
          shared->polled_after_complete.fetch_add(1, std::memory_order_relaxed);
        {
          core::MutexLock lock(&shared->mu);
          shared->wakers[t] = cx.waker();  // the waker of this poll
        }
        if (shared->progress.load(std::memory_order_acquire) >= target) {
          done = true;
          return t;
        }
        return Pending;
      })));
    }
    std::vector<std::thread> threads;
    for (int th = 0; th < kThreads; ++th) {
      threads.emplace_back(
          [shared, th, tasks, wakes_per_thread, seed = options.seed] {
            std::mt19937_64 rng(seed + th);
            auto wake_one = [&](int t, bool by_value) {
              Waker w;
              {
                core::MutexLock lock(&shared->mu);
                w = shared->wakers[t];
              }
              if (by_value) {
                std::move(w).wake();
              } else {
                w.wake_by_ref();
              }
            };
            for (int i = 0; i < wakes_per_thread; ++i) {
              shared->progress.fetch_add(1, std::memory_order_release);
              wake_one(static_cast<int>(rng() % tasks), i % 2 == 0);
            }
            for (int t = 0; t < tasks; ++t) wake_one(t, false);  // final sweep
          });
    }
    absl::Status status = absl::OkStatus();
    for (int t = 0; t < tasks; ++t) {
      const int got = rt.block_on(std::move(handles[t]));
      if (got != t && status.ok())
        status = Mismatch("task result", t, got, options);
    }
    for (auto& th : threads) th.join();
    if (int n = shared->polled_after_complete.load(); n != 0 && status.ok()) {
      status = Mismatch("polls after completion", 0, n, options);
    }
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// ---- 6. Timers and sockets -------------------------------------------------
// Sleeps and socket reads polled in one task (Pending, its waker stored in
// the reactor) and finished in another, possibly on another worker.
struct Migrations {
  core::Atomic<long> moved{0};
  core::Atomic<long> completed{0};
};

// Polls *future once here, then finishes it in a new task. F is heap-held
// so that futures pinned after their first poll (Sleep) stay put.
template <class F>
Task<void> PollHereFinishElsewhere(std::unique_ptr<F> future, Migrations* m) {
  const std::thread::id first = std::this_thread::get_id();
  bool ready_at_once = false;
  co_await poll_fn([&](Context& cx) -> Poll<void> {
    ready_at_once = future->poll(cx).is_ready();
    return ready();
  });
  if (!ready_at_once) {
    co_await spawn([](std::unique_ptr<F> f, std::thread::id first,
                      Migrations* m) -> Task<void> {
      co_await *f;
      if (std::this_thread::get_id() != first) {
        m->moved.fetch_add(1, std::memory_order_relaxed);
      }
    }(std::move(future), first, m));
  }
  m->completed.fetch_add(1, std::memory_order_relaxed);
}

absl::Status TimersAndSockets(Runtime& rt, const ScenarioOptions& options) {
  const int tasks = ScaledForSanitizers(200, 40);
  const int rounds = ScaledForSanitizers(10, 4) * options.size;
  Migrations sleeps;
  std::vector<JoinHandle<void>> handles;
  for (int t = 0; t < tasks; ++t) {
    handles.push_back(rt.spawn(
        [](std::uint64_t seed, int rounds, Migrations* m) -> Task<void> {
          std::mt19937_64 rng(seed);
          for (int r = 0; r < rounds; ++r) {
            co_await PollHereFinishElsewhere(
                std::make_unique<Sleep>(sleep(milliseconds(1 + rng() % 3))), m);
            co_await yield_now();
          }
        }(options.seed * 1000 + t, rounds, &sleeps)));
  }

  absl::StatusOr<net::TcpListener> listener =
      rt.block_on(rt.spawn([]() -> Task<absl::StatusOr<net::TcpListener>> {
        co_return net::TcpListener::bind(net::SocketAddr::ipv4_loopback(0));
      }()));
  if (!listener.ok()) return listener.status();
  absl::StatusOr<net::SocketAddr> addr = listener->local_addr();
  if (!addr.ok()) return addr.status();
  const int pairs = ScaledForSanitizers(64, 16);
  core::Atomic<long> wrong_bytes{0};
  Migrations reads;
  for (int p = 0; p < pairs; ++p) {
    // The writer: one byte per round, after a random delay.
    handles.push_back(rt.spawn(
        [](net::SocketAddr addr, int rounds, std::uint64_t seed) -> Task<void> {
          auto stream = co_await net::TcpStream::connect(addr);
          if (!stream.ok()) co_return;  // the reader then sees end of stream
          std::mt19937_64 rng(seed);
          for (int r = 0; r < rounds; ++r) {
            co_await sleep(milliseconds(rng() % 3));
            const std::byte b{static_cast<unsigned char>(r)};
            if (!(co_await stream->write_all(std::span<const std::byte>(&b, 1)))
                     .ok()) {
              co_return;
            }
          }
        }(*addr, rounds, options.seed * 7000 + p)));
  }
  for (int p = 0; p < pairs; ++p) {
    auto accepted = rt.block_on(listener->accept());
    if (!accepted.ok()) return accepted.status();
    // The reader: every read starts in one task and finishes in another.
    handles.push_back(
        rt.spawn([](net::TcpStream stream, int rounds, Migrations* m,
                    core::Atomic<long>* wrong) -> Task<void> {
          for (int r = 0; r < rounds; ++r) {
            std::byte b{0xFF};
            co_await PollHereFinishElsewhere(
                std::make_unique<net::TcpStream::ReadFuture>(
                    stream.read(std::span<std::byte>(&b, 1))),
                m);
            if (static_cast<int>(b) != r)
              wrong->fetch_add(1, std::memory_order_relaxed);
            co_await yield_now();
          }
        }(std::move(accepted->first), rounds, &reads, &wrong_bytes)));
  }
  for (auto& h : handles) rt.block_on(std::move(h));

  if (sleeps.completed.load() != long{tasks} * rounds) {
    return Mismatch("sleeps completed", long{tasks} * rounds,
                    sleeps.completed.load(), options);
  }
  if (reads.completed.load() != long{pairs} * rounds) {
    return Mismatch("reads completed", long{pairs} * rounds,
                    reads.completed.load(), options);
  }
  if (wrong_bytes.load() != 0) {
    return Mismatch("bytes read out of order", 0, wrong_bytes.load(), options);
  }
  return absl::OkStatus();
}

constexpr std::array<Scenario, 6> kScenarios = {{
    {"migrating_task",
     "a future polled in one task is finished by another, maybe on another "
     "worker",
     &MigratingTask},
    {"wake_during_poll",
     "the event fires while the task is inside poll, after it registered",
     &WakeDuringPoll},
    {"steal_storm",
     "task pairs ping-pong over oneshots while idle workers steal",
     &StealStorm},
    {"sleepy_workers",
     "bursts of work after idle gaps long enough for every worker to sleep",
     &SleepyWorkers},
    {"wake_flood",
     "threads wake many tasks, finished ones too, through their own clones",
     &WakeFlood},
    {"timers_and_sockets",
     "sleeps and socket reads registered in one task, finished in another",
     &TimersAndSockets},
}};

}  // namespace

std::span<const Scenario> lost_wakeup_scenarios() { return kScenarios; }

}  // namespace magpie::testing
