// Tests for magpie::signal on a real reactor: a signal delivered before the
// listener polls, several listeners per signal, coalescing, a wake from
// another thread, ctrl_c(), and the refusals. Signals go to this process
// only (raise / kill(getpid())).

#include "reactor/signal/signal.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "gtest/gtest.h"
#include "reactor/enter_guard.h"
#include "runtime/block_on.h"
#include "tests/reactor/test_support.h"

namespace magpie::signal {
namespace {

using namespace std::chrono_literals;
using magpie::testing::poll_once;
using magpie::testing::wait_until;
using magpie::testing::WakeCounter;

class SignalTest : public magpie::testing::ReactorTest {};

TEST_F(SignalTest, DeliveredBeforeTheListenerPolls) {
  // Block SIGUSR1 on this thread so raise() leaves it pending here, make
  // the listener, then unblock: the handler runs now, before any poll.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  absl::StatusOr<Signal> usr1 = signal(SIGUSR1);
  ASSERT_TRUE(usr1.ok()) << usr1.status();
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &set, nullptr), 0);
  ASSERT_EQ(raise(SIGUSR1), 0);
  ASSERT_EQ(pthread_sigmask(SIG_UNBLOCK, &set, nullptr), 0);
  Arc<WakeCounter> counter = make_arc<WakeCounter>();
  Signal::RecvFuture recv = usr1->recv();
  Poll<absl::Status> got = poll_once(recv, waker_from(counter));
  ASSERT_TRUE(got.is_ready());
  EXPECT_TRUE(got.value().ok()) << got.value();
  // Consumed: the next recv waits.
  Signal::RecvFuture next = usr1->recv();
  EXPECT_TRUE(poll_once(next, waker_from(counter)).is_pending());
}

TEST_F(SignalTest, SeveralListenersEachSeeEveryDeliveryAndDeliveriesCoalesce) {
  absl::StatusOr<Signal> a = signal(SIGUSR2);
  absl::StatusOr<Signal> b = signal(SIGUSR2);
  ASSERT_TRUE(a.ok() && b.ok());
  Arc<WakeCounter> counter = make_arc<WakeCounter>();
  Signal::RecvFuture wait_b = b->recv();
  EXPECT_TRUE(poll_once(wait_b, waker_from(counter)).is_pending());
  for (int i = 0; i < 3; ++i) ASSERT_EQ(raise(SIGUSR2), 0);
  EXPECT_TRUE(block_on(a->recv()).ok());
  ASSERT_TRUE(wait_until([&] { return counter->count() > 0; }, 5s));
  EXPECT_TRUE(block_on(std::move(wait_b)).ok());
  // Three deliveries, one recv each: they coalesced.
  Signal::RecvFuture again = a->recv();
  EXPECT_TRUE(poll_once(again, waker_from(counter)).is_pending());
}

TEST_F(SignalTest, WokenByASignalFromAnotherThread) {
  absl::StatusOr<Signal> hup = signal(SIGHUP);
  ASSERT_TRUE(hup.ok());
  Arc<WakeCounter> counter = make_arc<WakeCounter>();
  Signal::RecvFuture recv = hup->recv();
  EXPECT_TRUE(poll_once(recv, waker_from(counter)).is_pending());
  std::thread sender([] { ::kill(::getpid(), SIGHUP); });
  sender.join();
  ASSERT_TRUE(wait_until([&] { return counter->count() > 0; }, 5s));
  Poll<absl::Status> got = poll_once(recv, waker_from(counter));
  ASSERT_TRUE(got.is_ready());
  EXPECT_TRUE(got.value().ok());
}

TEST_F(SignalTest, CtrlC) {
  CtrlCFuture ctrl = ctrl_c();
  ASSERT_EQ(raise(SIGINT), 0);  // Before the first poll: still seen.
  EXPECT_TRUE(block_on(std::move(ctrl)).ok());
}

TEST_F(SignalTest, RefusesSignalsThatCannotBeListenedFor) {
  for (int bad :
       {0, -1, SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, NSIG, 1000}) {
    EXPECT_EQ(signal(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(SignalNoReactorTest, FailsWithoutAReactor) {
  EXPECT_EQ(signal(SIGUSR1).status().code(),
            absl::StatusCode::kFailedPrecondition);
  CtrlCFuture ctrl = ctrl_c();
  EXPECT_EQ(block_on(std::move(ctrl)).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SignalShutdownTest, RecvIsCancelledWhenTheReactorShutsDown) {
  absl::StatusOr<reactor::Reactor> r = reactor::Reactor::start();
  ASSERT_TRUE(r.ok());
  std::optional<Signal> listener;
  {
    reactor::EnterGuard guard(r->handle());
    absl::StatusOr<Signal> s = signal(SIGUSR1);
    ASSERT_TRUE(s.ok());
    listener.emplace(*std::move(s));
  }
  r->shutdown();
  EXPECT_EQ(block_on(listener->recv()).code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace magpie::signal
