// DESIGN.md §6 scenario 6: sleeps and socket reads re-registered from
// different threads across polls, with a different waker on each poll, all
// complete; the waker of the latest poll is the one woken.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "reactor/enter_guard.h"
#include "reactor/net/tcp_listener.h"
#include "reactor/net/tcp_stream.h"
#include "reactor/time/sleep.h"
#include "runtime/block_on.h"
#include "tests/reactor/test_support.h"

namespace magpie {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using magpie::testing::kSanitized;
using magpie::testing::wait_until;
using magpie::testing::WakeCounter;
using net::SocketAddr;
using net::TcpListener;
using net::TcpStream;

class MigrateTest : public magpie::testing::ReactorTest {
 protected:
  std::pair<TcpStream, TcpStream> connected_pair(TcpListener& listener,
                                                 const SocketAddr& addr) {
    absl::StatusOr<TcpStream> client = block_on(TcpStream::connect(addr));
    EXPECT_TRUE(client.ok()) << client.status();
    auto accepted = block_on(listener.accept());
    EXPECT_TRUE(accepted.ok()) << accepted.status();
    return {*std::move(client), std::move(accepted->first)};
  }
};

// Polls `future` once on a fresh thread with a fresh waker.
template <class F>
auto poll_on_new_thread(F& future, const Waker& waker) {
  std::optional<decltype(future.poll(std::declval<Context&>()))> result;
  std::thread([&] {
    Context cx(waker);
    result.emplace(future.poll(cx));
  }).join();
  return std::move(*result);
}

TEST_F(MigrateTest, SleepWakesTheLatestWaker) {
  Sleep sleep = magpie::sleep(30ms);
  auto a = make_arc<WakeCounter>();
  auto b = make_arc<WakeCounter>();
  Waker wa = waker_from(a);
  Waker wb = waker_from(b);
  ASSERT_TRUE(poll_on_new_thread(sleep, wa).is_pending());
  ASSERT_TRUE(poll_on_new_thread(sleep, wb).is_pending());
  ASSERT_TRUE(wait_until([&] { return b->count() > 0; }, 5s));
  EXPECT_EQ(a->count(), 0);
  EXPECT_TRUE(poll_on_new_thread(sleep, wb).is_ready());
}

TEST_F(MigrateTest, ReadWakesTheLatestWaker) {
  absl::StatusOr<TcpListener> listener =
      TcpListener::bind(SocketAddr::ipv4_loopback(0));
  ASSERT_TRUE(listener.ok());
  auto [client, server] = connected_pair(*listener, *listener->local_addr());
  std::vector<std::byte> buf(4);
  auto read = server.read_exact(buf);
  auto a = make_arc<WakeCounter>();
  auto b = make_arc<WakeCounter>();
  Waker wa = waker_from(a);
  Waker wb = waker_from(b);
  ASSERT_TRUE(poll_on_new_thread(read, wa).is_pending());
  ASSERT_TRUE(poll_on_new_thread(read, wb).is_pending());
  const std::byte data[4] = {std::byte{1}, std::byte{2}, std::byte{3},
                             std::byte{4}};
  ASSERT_TRUE(block_on(client.write_all(data)).ok());
  ASSERT_TRUE(wait_until([&] { return b->count() > 0; }, 5s));
  EXPECT_EQ(a->count(), 0);
  auto done = poll_on_new_thread(read, wb);
  ASSERT_TRUE(done.is_ready());
  EXPECT_TRUE(done.value().ok()) << done.value();
  EXPECT_TRUE(std::equal(buf.begin(), buf.end(), std::begin(data)));
}

// A tiny multi-threaded executor: a run queue of ids; every poll of a future
// is given a brand-new waker (so no two polls share one), and whichever
// worker pops the id polls it. Wakers hold the run queue by Arc: the reactor
// may still wake one after the test's futures are done.
class RunQueue {
 public:
  explicit RunQueue(int remaining) : remaining_(remaining) {}

  void push(std::size_t id) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(id);
    }
    cv_.notify_one();
  }

  // The next id (taken from a random position so that polls migrate
  // between workers), or nullopt once finished.
  std::optional<std::size_t> pop(std::mt19937& rng) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      if (finished()) return std::nullopt;
      if (!queue_.empty()) {
        const std::size_t at = rng() % queue_.size();
        const std::size_t id = queue_[at];
        queue_.erase(queue_.begin() + static_cast<long>(at));
        return id;
      }
      cv_.wait_for(lock, 10ms);
    }
  }

  void finish_one() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--remaining_ == 0) cv_.notify_all();
  }

  // Makes every worker return (a stuck test must still end).
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
    }
    cv_.notify_all();
  }

  int remaining() {
    std::lock_guard<std::mutex> lock(mutex_);
    return remaining_;
  }

 private:
  bool finished() const { return remaining_ == 0 || stopped_; }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::size_t> queue_;
  int remaining_;
  bool stopped_ = false;
};

class Executor {
 public:
  using PollFn = std::function<bool(Context&)>;  // true when done

  explicit Executor(std::vector<PollFn> futures)
      : futures_(std::move(futures)),
        locks_(futures_.size()),
        done_(futures_.size(), 0),
        queue_(make_arc<RunQueue>(static_cast<int>(futures_.size()))) {
    for (std::size_t i = 0; i < futures_.size(); ++i) queue_->push(i);
  }

  // Runs on a worker thread until every future is done or stop().
  void work(std::mt19937& rng) {
    while (std::optional<std::size_t> id = queue_->pop(rng)) {
      std::lock_guard<std::mutex> one_poller(locks_[*id]);
      if (done_[*id] != 0) continue;
      Waker waker = waker_from(make_arc<IdWaker>(IdWaker{queue_, *id}));
      Context cx(waker);
      if (futures_[*id](cx)) {
        done_[*id] = 1;
        queue_->finish_one();
      }
    }
  }

  void stop() { queue_->stop(); }
  int remaining() { return queue_->remaining(); }

 private:
  struct IdWaker {
    Arc<RunQueue> queue;
    std::size_t id;
    void wake_by_ref() { queue->push(id); }
  };

  std::vector<PollFn> futures_;
  std::vector<std::mutex> locks_;
  std::vector<std::uint8_t> done_;  // Each element under its locks_ entry.
  Arc<RunQueue> queue_;
};

TEST_F(MigrateTest, SleepsAndReadsAcrossWorkersAllComplete) {
  const int kSleeps = kSanitized ? 100 : 400;
  const int kPairs = kSanitized ? 8 : 24;
  constexpr int kChunks = 8;
  constexpr std::size_t kChunk = 512;
  absl::StatusOr<TcpListener> listener =
      TcpListener::bind(SocketAddr::ipv4_loopback(0));
  ASSERT_TRUE(listener.ok());
  const SocketAddr addr = *listener->local_addr();

  std::vector<std::unique_ptr<Sleep>> sleeps;
  std::mt19937 rng(42);
  for (int i = 0; i < kSleeps; ++i) {
    sleeps.push_back(std::make_unique<Sleep>(
        Clock::now() + std::chrono::microseconds(rng() % 30'000)));
  }
  std::vector<TcpStream> writers;
  std::vector<TcpStream> readers;
  for (int i = 0; i < kPairs; ++i) {
    auto [client, server] = connected_pair(*listener, addr);
    writers.push_back(std::move(client));
    readers.push_back(std::move(server));
  }
  std::vector<std::vector<std::byte>> inputs(
      kPairs, std::vector<std::byte>(kChunk * kChunks));
  std::vector<TcpStream::ReadExactFuture> reads;
  for (int i = 0; i < kPairs; ++i)
    reads.push_back(readers[i].read_exact(inputs[i]));

  std::vector<Executor::PollFn> futures;
  for (auto& sleep : sleeps) {
    futures.push_back([s = sleep.get()](Context& cx) {
      const bool ready = s->poll(cx).is_ready();
      if (ready) {
        EXPECT_GE(Clock::now(), s->deadline());
      }
      return ready;
    });
  }
  for (auto& read : reads) {
    futures.push_back([r = &read](Context& cx) {
      Poll<absl::Status> p = r->poll(cx);
      if (p.is_ready()) {
        EXPECT_TRUE(p.value().ok()) << p.value();
      }
      return p.is_ready();
    });
  }
  Executor executor(std::move(futures));

  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      reactor::EnterGuard guard(reactor_->handle());
      std::mt19937 worker_rng(100 + w);
      executor.work(worker_rng);
    });
  }
  // Feed the readers in chunks, at random moments, from another thread.
  std::thread feeder([&] {
    reactor::EnterGuard guard(reactor_->handle());
    std::mt19937 feed_rng(9);
    for (int chunk = 0; chunk < kChunks; ++chunk) {
      for (int i = 0; i < kPairs; ++i) {
        std::vector<std::byte> data(kChunk);
        for (std::size_t j = 0; j < kChunk; ++j) {
          data[j] = static_cast<std::byte>(chunk * 31 + i * 7 + j);
        }
        ASSERT_TRUE(block_on(writers[i].write_all(data)).ok());
      }
      std::this_thread::sleep_for(std::chrono::microseconds(feed_rng() % 3000));
    }
  });
  feeder.join();
  const bool all_done =
      wait_until([&] { return executor.remaining() == 0; }, 30s);
  executor.stop();
  for (auto& worker : workers) worker.join();
  ASSERT_TRUE(all_done) << executor.remaining() << " futures never finished";
  for (int i = 0; i < kPairs; ++i) {
    for (int chunk = 0; chunk < kChunks; ++chunk) {
      for (std::size_t j = 0; j < kChunk; ++j) {
        ASSERT_EQ(inputs[i][chunk * kChunk + j],
                  static_cast<std::byte>(chunk * 31 + i * 7 + j));
      }
    }
  }
}

}  // namespace
}  // namespace magpie
