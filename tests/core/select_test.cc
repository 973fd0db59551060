// Tests for magpie::select / select_all (runtime/core/select.h): the winner's
// index and output, biased order, losers destroyed exactly once when the
// select completes, the latest waker woken, only woken racers re-polled by
// select_all, bad input, and the two-way form existing callers use.

#include "runtime/core/select.h"

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/core/arc.h"
#include "runtime/core/atomic.h"
#include "runtime/core/poll_fn.h"
#include "runtime/testing/gate.h"
#include "runtime/testing/watchdog.h"

namespace magpie {
namespace {

using std::chrono::seconds;
using testing::Event;
using testing::Gate;
using testing::WakeCounter;
using testing::Watchdog;

struct Word {
  using Output = std::string;
  Arc<Event> event;
  Poll<std::string> poll(Context& cx) {
    if (event->fired.load(std::memory_order_acquire)) return std::string("w");
    event->waker.register_waker(cx.waker());
    if (event->fired.load(std::memory_order_acquire)) return std::string("w");
    return Pending;
  }
};

TEST(SelectTest, TheFirstToFinishWinsWithItsIndex) {
  auto e0 = make_arc<Event>();
  auto e1 = make_arc<Event>();
  auto e2 = make_arc<Event>();
  Word word{e2};
  auto race = select(Gate(e0, 0), Gate(e1, 1), std::move(word));
  Waker waker = noop_waker();
  Context cx(waker);
  EXPECT_TRUE(race.poll(cx).is_pending());
  e2->set();
  auto poll = race.poll(cx);
  ASSERT_TRUE(poll.is_ready());
  ASSERT_EQ(poll.value().index(), 2u);
  EXPECT_EQ(std::get<2>(poll.value()), "w");
}

TEST(SelectTest, WhenSeveralAreReadyTheFirstListedWins) {
  auto e0 = make_arc<Event>();
  auto e1 = make_arc<Event>();
  auto race = select(Gate(e0, 0), Gate(e1, 1));
  e1->set();
  e0->set();
  Waker waker = noop_waker();
  Context cx(waker);
  auto poll = race.poll(cx);
  ASSERT_TRUE(poll.is_ready());
  EXPECT_EQ(poll.value().index(), 0u);
}

TEST(SelectTest, LosersAreDestroyedExactlyOnceWhenItCompletes) {
  auto e0 = make_arc<Event>();
  auto e1 = make_arc<Event>();
  auto e2 = make_arc<Event>();
  core::Atomic<int> drops0{0};
  core::Atomic<int> drops1{0};
  core::Atomic<int> drops2{0};
  {
    auto race =
        select(Gate(e0, 0, nullptr, &drops0), Gate(e1, 1, nullptr, &drops1),
               Gate(e2, 2, nullptr, &drops2));
    Waker waker = noop_waker();
    Context cx(waker);
    EXPECT_TRUE(race.poll(cx).is_pending());
    EXPECT_EQ(drops0.load() + drops1.load() + drops2.load(), 0);
    e1->set();
    auto poll = race.poll(cx);
    ASSERT_TRUE(poll.is_ready());
    EXPECT_EQ(poll.value().index(), 1u);
    // Before the select itself goes: the losers deregistered already.
    EXPECT_EQ(drops0.load(), 1);
    EXPECT_EQ(drops2.load(), 1);
    EXPECT_EQ(drops1.load(), 1);
  }
  EXPECT_EQ(drops0.load(), 1);
  EXPECT_EQ(drops1.load(), 1);
  EXPECT_EQ(drops2.load(), 1);
}

TEST(SelectTest, TheLatestWakerIsWoken) {
  auto e0 = make_arc<Event>();
  auto e1 = make_arc<Event>();
  auto race = select(Gate(e0, 0), Gate(e1, 1));
  auto a = make_arc<WakeCounter>();
  auto b = make_arc<WakeCounter>();
  Waker waker_a = waker_from(a);
  Waker waker_b = waker_from(b);
  {
    Context cx(waker_a);
    EXPECT_TRUE(race.poll(cx).is_pending());
  }
  {
    Context cx(waker_b);
    EXPECT_TRUE(race.poll(cx).is_pending());
  }
  e1->set();
  EXPECT_EQ(a->count(), 0);
  EXPECT_EQ(b->count(), 1);
}

TEST(SelectTest, TwoWayFormWithVoidOutput) {
  // The shape examples/ and CancellationToken users rely on.
  auto e = make_arc<Event>();
  auto race = select(Gate(e, 5),
                     poll_fn([](Context&) -> Poll<void> { return ready(); }));
  static_assert(std::is_same_v<decltype(race)::Output,
                               std::variant<int, std::monostate>>);
  Waker waker = noop_waker();
  Context cx(waker);
  auto poll = race.poll(cx);
  ASSERT_TRUE(poll.is_ready());
  EXPECT_EQ(poll.value().index(), 1u);
}

TEST(SelectAllTest, IndexAndOutputOfTheWinner) {
  constexpr int kRacers = 50;
  std::vector<Arc<Event>> events;
  std::vector<core::Atomic<int>> polls(kRacers);
  std::vector<core::Atomic<int>> drops(kRacers);
  std::vector<Gate> racers;
  for (int i = 0; i < kRacers; ++i) {
    events.push_back(make_arc<Event>());
    racers.emplace_back(events[i], 100 + i, &polls[i], &drops[i]);
  }
  auto first = select_all(std::move(racers));
  Waker waker = noop_waker();
  Context cx(waker);
  EXPECT_TRUE(first.poll(cx).is_pending());
  EXPECT_TRUE(first.poll(cx).is_pending());  // nobody woken: nobody polled
  for (auto& p : polls) EXPECT_EQ(p.load(), 1);
  events[42]->set();
  auto poll = first.poll(cx);
  ASSERT_TRUE(poll.is_ready());
  auto [index, output] = std::move(poll).value();
  EXPECT_EQ(index, 42u);
  EXPECT_EQ(output, 142);
  for (int i = 0; i < kRacers; ++i) {
    EXPECT_EQ(polls[i].load(), i == 42 ? 2 : 1) << i;
    EXPECT_EQ(drops[i].load(), 1) << i;  // losers (and winner) dropped once
  }
}

TEST(SelectAllTest, TheLatestWakerIsWoken) {
  std::vector<Arc<Event>> events;
  std::vector<Gate> racers;
  for (int i = 0; i < 3; ++i) {
    events.push_back(make_arc<Event>());
    racers.emplace_back(events[i], i);
  }
  auto first = select_all(std::move(racers));
  auto a = make_arc<WakeCounter>();
  auto b = make_arc<WakeCounter>();
  Waker waker_a = waker_from(a);
  Waker waker_b = waker_from(b);
  {
    Context cx(waker_a);
    EXPECT_TRUE(first.poll(cx).is_pending());
  }
  {
    Context cx(waker_b);
    EXPECT_TRUE(first.poll(cx).is_pending());
  }
  events[2]->set();
  EXPECT_EQ(a->count(), 0);
  EXPECT_EQ(b->count(), 1);
  Context cx(waker_b);
  auto poll = first.poll(cx);
  ASSERT_TRUE(poll.is_ready());
  EXPECT_EQ(poll.value().index, 2u);
}

TEST(SelectAllTest, NoFuturesIsAnError) {
  EXPECT_THROW(select_all(std::vector<Gate>()), std::invalid_argument);
}

TEST(SelectAllTest, RacersWokenFromOtherThreads) {
  Watchdog dog("select_all cross-thread", seconds(60));
  const int rounds = testing::ScaledForSanitizers(300, 30);
  for (int round = 0; round < rounds; ++round) {
    std::vector<Arc<Event>> events;
    std::vector<Gate> racers;
    for (int i = 0; i < 8; ++i) {
      events.push_back(make_arc<Event>());
      racers.emplace_back(events[i], i);
    }
    auto first = select_all(std::move(racers));
    std::thread setter([&events, round] { events[round % 8]->set(); });
    auto result = block_on(first);
    setter.join();
    EXPECT_EQ(result.index, static_cast<std::size_t>(round % 8));
    EXPECT_EQ(result.output, round % 8);
  }
}

}  // namespace
}  // namespace magpie
