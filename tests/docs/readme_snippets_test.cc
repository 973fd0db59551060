// The README's "What you get, one line each" block, compiled and run: if an
// API named there changes, this test stops building. Keep the lines of
// ReadmeLines() in step with README.md.

#include <chrono>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/magpie.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using namespace std::chrono_literals;

struct Job {
  int id = 0;
};
struct Config {
  int port = 0;
};
struct Event {
  int n = 0;
};
struct State {
  int count = 0;
};
struct Cache {
  std::vector<int> entries;
};

Task<int> job() { co_return 7; }
Task<int> f1() { co_return 1; }
Task<int> f2() { co_return 2; }
Task<int> read() { co_return 3; }
std::string read_file() { return "contents"; }
void merge() {}

Task<void> ReadmeLines() {
  using magpie::sync::Barrier;
  namespace sync = magpie::sync;
  Config cfg{80};
  Job job_value{1};
  Event e{1};

  // --- as in README.md ---
  auto h = magpie::spawn(job());
  int v = co_await h;
  magpie::JoinSet<int> set;
  set.spawn(job());
  auto r = co_await set.join_next();
  auto [a, b] = co_await magpie::join(f1(), f2());
  auto first = co_await magpie::select(read(), sleep(1s));
  co_await magpie::sleep(10ms);
  magpie::Interval tick = magpie::interval(1s);
  auto [tx, rx] = magpie::mpsc::channel<Job>(64);
  co_await tx.send(job_value);
  auto j = co_await rx.recv();
  auto [otx, orx] = magpie::oneshot::channel<int>();
  std::move(otx).send(5);
  auto o = co_await orx;
  auto [wtx, wrx] = magpie::watch::channel<Config>(cfg);
  wtx.send(Config{81});
  co_await wrx.changed();
  Config c = *wrx.borrow();
  auto [btx, brx] = magpie::broadcast::channel<Event>(16);
  btx.send(e);
  auto r2 = co_await brx.recv();
  sync::Semaphore sem(8);
  auto permit = co_await sem.acquire(1);
  sync::Mutex<State> m;
  {
    auto g = co_await m.lock();
    g->count += 1;
  }
  sync::RwLock<Cache> rw;
  { auto r3 = co_await rw.read(); }
  auto w = co_await rw.write();
  sync::Notify notify;
  notify.notify_one();
  co_await notify.notified();
  sync::Barrier barrier(1);
  if ((co_await barrier.wait()).is_leader()) merge();
  magpie::CancellationToken token;
  token.cancel();
  co_await token.cancelled();
  auto out = co_await magpie::spawn_blocking([] { return read_file(); });
  // --- end ---

  EXPECT_EQ(v, 7);
  EXPECT_TRUE(r.has_value());
  if (!r.has_value()) co_return;
  EXPECT_EQ(std::move(*r).get(), 7);
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
  EXPECT_EQ(first.index(), 0u);
  static_cast<void>(tick);
  EXPECT_TRUE(j.has_value());
  if (!j.has_value()) co_return;
  EXPECT_EQ(j->id, 1);
  EXPECT_EQ(o, 5);
  EXPECT_EQ(c.port, 81);
  EXPECT_TRUE(r2.ok());
  EXPECT_TRUE(permit.ok());
  EXPECT_EQ(out, "contents");
  static_cast<void>(w);
}

TEST(ReadmeSnippets, OneLineEachRuns) {
  testing::Watchdog dog("README one-liners", std::chrono::seconds(60));
  Runtime rt = Runtime::Builder().worker_threads(2).build();
  rt.block_on(ReadmeLines());
}

}  // namespace
}  // namespace magpie
