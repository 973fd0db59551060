// The public stress harness (runtime/testing/stress.h, watched.h, gtest.h)
// against user-style futures with lost wakeups:
//  (c) check-then-register with no re-check: the event fires between the
//      check and the registration, the waker is stored but never woken;
//  (d) waits for two events but registers its waker with the first only:
//      after the first fires it waits with no waker anywhere.
// Each must fail its run (a hang caught by the watchdog with the dump naming
// the stuck task, or the runtime's lost verdict), with a replay command that
// fails the same way; a correct control future must pass. Runs are bounded
// by a short run_timeout (the broken futures fail deterministically: the
// race window is forced open).

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "runtime/core/context.h"
#include "runtime/core/poll.h"
#include "runtime/core/waker.h"
#include "runtime/coro/task.h"
#include "runtime/runtime.h"
#include "runtime/testing/gtest.h"
#include "runtime/testing/stress.h"
#include "runtime/testing/watched.h"

namespace magpie::testing {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kRunTimeout{1500};
constexpr auto kForcedWindowLimit = std::chrono::seconds(2);

// A user's event source: fire() wakes whoever registered, once.
struct UserEvent {
  std::mutex mu;
  bool fired = false;           // Guarded by mu.
  std::optional<Waker> waiter;  // Guarded by mu.
  std::atomic<bool> checked{false};

  void fire() {
    std::optional<Waker> w;
    {
      std::lock_guard<std::mutex> lock(mu);
      fired = true;
      w = std::exchange(waiter, std::nullopt);
    }
    if (w) std::move(*w).wake();
  }
  bool is_fired() {
    std::lock_guard<std::mutex> lock(mu);
    return fired;
  }
  void register_waker(const Waker& w) {
    std::lock_guard<std::mutex> lock(mu);
    if (!fired) waiter = w;
  }
  void register_waker_even_if_fired(const Waker& w) {
    std::lock_guard<std::mutex> lock(mu);
    waiter = w;
  }
};

// (c) Checks, then registers, never re-checks. The test opens the race
// window on purpose: after the check it waits until the event has fired.
struct CheckThenRegister {
  using Output = void;
  std::shared_ptr<UserEvent> event;
  Poll<void> poll(Context& cx) {
    if (event->is_fired()) return ready();
    event->checked.store(true);
    const auto give_up = std::chrono::steady_clock::now() + kForcedWindowLimit;
    while (!event->is_fired() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::yield();
    }
    event->register_waker_even_if_fired(cx.waker());  // The bug: no re-check.
    return Pending;
  }
};

// The correct version: register, then re-check.
struct RegisterThenCheck {
  using Output = void;
  std::shared_ptr<UserEvent> event;
  Poll<void> poll(Context& cx) {
    if (event->is_fired()) return ready();
    event->checked.store(true);
    event->register_waker(cx.waker());
    if (event->is_fired()) return ready();
    return Pending;
  }
};

// (d) Ready when both events fired; registers with the first one only.
struct FirstOfTwo {
  using Output = void;
  std::shared_ptr<UserEvent> a;
  std::shared_ptr<UserEvent> b;
  std::shared_ptr<std::atomic<int>> polls;
  // `polls` counts the polls that answered Pending, counted once the answer
  // is decided: the firer fires b after the second, so that poll cannot
  // see b (counting at the start let b fire inside the poll, which then
  // saw both and completed, so the broken scenario passed; seen once under
  // TSan).
  Poll<void> poll(Context& cx) {
    if (a->is_fired() && b->is_fired()) return ready();
    a->register_waker(cx.waker());  // The bug: b never learns of us.
    polls->fetch_add(1);
    return Pending;
  }
};

// Fires `event` from a plain thread once the future has checked it. A
// jthread: joined when the scenario's frame goes, also when the runner
// aborts a hung run (each wait here is bounded).
std::jthread fire_after_check(std::shared_ptr<UserEvent> event) {
  return std::jthread([event] {
    const auto give_up = std::chrono::steady_clock::now() + kForcedWindowLimit;
    while (!event->checked.load() &&
           std::chrono::steady_clock::now() < give_up) {
      std::this_thread::yield();
    }
    event->fire();
  });
}

int g_check_then_register_line = 0;
int g_first_of_two_line = 0;

MAGPIE_STRESS_SCENARIO(broken_check_then_register) {
  auto event = std::make_shared<UserEvent>();
  std::jthread firer = fire_after_check(event);
  g_check_then_register_line = __LINE__ + 1;
  auto waiting = spawn(CheckThenRegister{event});
  co_await std::move(waiting);
}

MAGPIE_STRESS_SCENARIO(broken_first_of_two) {
  auto a = std::make_shared<UserEvent>();
  auto b = std::make_shared<UserEvent>();
  auto polls = std::make_shared<std::atomic<int>>(0);
  g_first_of_two_line = __LINE__ + 1;
  auto waiting = spawn(FirstOfTwo{a, b, polls});
  std::jthread firer([a, b, polls] {
    a->fire();
    // b fires only after the future saw a alone (its second Pending).
    const auto give_up = std::chrono::steady_clock::now() + kForcedWindowLimit;
    while (polls->load() < 2 && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::yield();
    }
    b->fire();
  });
  co_await std::move(waiting);
}

MAGPIE_STRESS_SCENARIO(control_register_then_check) {
  for (int i = 0; i < 20; ++i) {
    auto event = std::make_shared<UserEvent>();
    std::jthread firer = fire_after_check(event);
    auto waiting = spawn(RegisterThenCheck{event});
    co_await std::move(waiting);
  }
  if (ctx.seed() == 0) ctx.fail("a run's seed is never 0");
}

// Captures what the runner prints.
struct Captured {
  std::FILE* file = std::tmpfile();
  ~Captured() { std::fclose(file); }
  std::string text() {
    std::fflush(file);
    std::rewind(file);
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file)) > 0) out.append(buf, n);
    return out;
  }
};

StressOptions options_for(std::string filter, std::FILE* out) {
  StressOptions o;
  o.workers = {2};
  o.iterations = 1;
  o.seed = 12345;
  o.filter = std::move(filter);
  o.run_timeout = kRunTimeout;
  o.progress = nullptr;
  o.out = out;
  o.replay_prefix = "my_stress";
  return o;
}

std::string site(int line) {
  return "stress_harness_test.cc:" + std::to_string(line);
}

TEST(StressHarness, CheckThenRegisterIsAHangNamingTheTask) {
  Captured captured;
  StressReport report =
      run_stress(options_for("broken_check_then_register", captured.file));
  ASSERT_EQ(report.failures.size(), 1u) << captured.text();
  const StressFailure& f = report.failures[0];
  // The waker is stored in the event: the task can be woken in principle,
  // so only the watchdog sees it.
  EXPECT_EQ(f.kind, StressFailureKind::kHang);
  EXPECT_NE(f.details.find(site(g_check_then_register_line)), std::string::npos)
      << f.details;
  EXPECT_NE(f.details.find("idle"), std::string::npos) << f.details;
  EXPECT_EQ(f.replay,
            "my_stress --seed 12345 --iterations 1 --workers 2 --filter "
            "broken_check_then_register --run_timeout 1500");
  const std::string text = captured.text();
  EXPECT_NE(text.find("FAILED: broken_check_then_register on 2 workers"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("replay: " + f.replay), std::string::npos) << text;
  EXPECT_NE(text.find(site(g_check_then_register_line)), std::string::npos);
  EXPECT_FALSE(report.ok());
}

TEST(StressHarness, FirstOfTwoFailsAndItsReplayFailsTheSameWay) {
  Captured captured;
  StressOptions o = options_for("broken_first_of_two", captured.file);
  StressReport report = run_stress(o);
  ASSERT_EQ(report.failures.size(), 1u) << captured.text();
  const StressFailure& f = report.failures[0];
  // No waker alive: the runtime's lost verdict when it has one, else the
  // watchdog.
  EXPECT_TRUE(f.kind == StressFailureKind::kLost ||
              f.kind == StressFailureKind::kHang);
  EXPECT_NE(f.details.find(site(g_first_of_two_line)), std::string::npos)
      << f.details;

  // The replay: the failing run's seed as the base, one iteration.
  Captured again;
  StressOptions replay = options_for("broken_first_of_two", again.file);
  replay.seed = f.seed;
  StressReport replayed = run_stress(replay);
  ASSERT_EQ(replayed.failures.size(), 1u) << again.text();
  EXPECT_EQ(replayed.failures[0].seed, f.seed);
  EXPECT_EQ(replayed.failures[0].replay, f.replay);
}

TEST(StressHarness, ControlPassesOnSeveralWorkerCounts) {
  Captured captured;
  StressOptions o = options_for("control_*", captured.file);
  o.workers = {1, 2, 4};
  o.iterations = 3;
  o.chaos = true;
  StressReport report = run_stress(o);
  EXPECT_TRUE(report.ok()) << captured.text();
  EXPECT_EQ(report.runs, 9);
  ASSERT_EQ(report.rows.size(), 3u);
  EXPECT_EQ(report.rows[2].workers, 4);
  EXPECT_EQ(report.rows[2].runs, 3);
  const std::string text = captured.text();
  EXPECT_NE(text.find("control_register_then_check"), std::string::npos);
  EXPECT_NE(text.find("9 runs, 0 failures"), std::string::npos) << text;
}

TEST(StressHarness, RunSeedsAreDerivedFromTheBaseAndDistinct) {
  EXPECT_EQ(stress_run_seed(77, 0), 77u);
  EXPECT_NE(stress_run_seed(77, 1), stress_run_seed(77, 2));
  EXPECT_NE(stress_run_seed(77, 1), 77u);
}

TEST(StressHarness, FlagsParseBothForms) {
  StressOptions o;
  const char* argv[] = {"--seconds", "3",    "--workers=2,4", "--chaos",
                        "--filter",  "a,b*", "--seed=9",      "--iterations",
                        "2"};
  bool list = false;
  bool help = false;
  ASSERT_TRUE(parse_stress_flags(
      std::span<char* const>(const_cast<char**>(argv), std::size(argv)), o,
      &list, &help));
  EXPECT_EQ(o.seconds, 3);
  EXPECT_EQ(o.workers, (std::vector<int>{2, 4}));
  EXPECT_TRUE(o.chaos);
  EXPECT_EQ(o.filter, "a,b*");
  EXPECT_EQ(o.seed, 9u);
  EXPECT_EQ(o.iterations, 2);
  const char* bad[] = {"--workers=0"};
  EXPECT_FALSE(parse_stress_flags(
      std::span<char* const>(const_cast<char**>(bad), 1), o, &list, &help));
}

// The watchdog for tests: a task deliberately never woken is named, and the
// test fails (not the binary).
int g_never_woken_line = 0;

struct NeverWoken {
  using Output = void;
  std::shared_ptr<std::optional<Waker>> keep;  // Holds the waker, never wakes.
  Poll<void> poll(Context& cx) {
    *keep = cx.waker();
    return Pending;
  }
};

Task<void> AwaitNeverWoken(std::shared_ptr<std::optional<Waker>> keep) {
  g_never_woken_line = __LINE__ + 1;
  auto h = spawn(NeverWoken{keep});
  co_await std::move(h);
}

TEST(Watched, NamesTheTaskThatIsNeverWoken) {
  Runtime rt = Runtime::Builder().worker_threads(2).build();
  auto keep = std::make_shared<std::optional<Waker>>();
  absl::Status st =
      run_watched(rt, AwaitNeverWoken(keep), milliseconds(300), "never woken");
  EXPECT_EQ(st.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(st.message().find("'never woken' did not finish within 300 ms"),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find(site(g_never_woken_line)), std::string::npos)
      << st.message();
  // The finished case returns the output.
  absl::StatusOr<int> v = run_watched(
      rt, []() -> Task<int> { co_return 7; }(), milliseconds(5000));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 7);
}

void ExpectFinishesOnANeverWokenTask() {
  Runtime rt = Runtime::Builder().worker_threads(2).build();
  auto keep = std::make_shared<std::optional<Waker>>();
  std::optional<bool> done =
      expect_finishes(rt, AwaitNeverWoken(keep), milliseconds(300));
  EXPECT_FALSE(done.has_value());
}

TEST(Watched, ExpectFinishesAddsAGtestFailureWithTheDump) {
  EXPECT_NONFATAL_FAILURE(ExpectFinishesOnANeverWokenTask(),
                          "stress_harness_test.cc:");
}

}  // namespace
}  // namespace magpie::testing
