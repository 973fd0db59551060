// Every row of the task state table (runtime/task/state.h, DESIGN.md §2),
// driven directly on a State word.

#include "runtime/task/state.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace magpie::task {
namespace {

// Brings a new task (`refs` holders) to idle: the spawn notification is
// consumed by one poll that keeps a clone of its waker and ends Pending, so
// it has refs-1 holders and one Waker.
void MakeIdle(State& state) {
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  state.waker_inc();  // the future stores cx.waker().clone()
  ASSERT_EQ(state.transition_to_idle(), TransitionToIdle::kOk);
}

TEST(StateTest, NewTaskIsNotifiedWithJoinInterest) {
  State state(3);
  Snapshot s = state.load();
  EXPECT_TRUE(s.is_notified());
  EXPECT_TRUE(s.is_join_interested());
  EXPECT_FALSE(s.is_running());
  EXPECT_FALSE(s.is_complete());
  EXPECT_EQ(s.ref_count(), 3u);
}

TEST(StateTest, WakeByRefOnIdleSubmitsWithNewReference) {
  State state(3);
  MakeIdle(state);
  EXPECT_EQ(state.transition_to_notified_by_ref(),
            TransitionToNotified::kSubmit);
  EXPECT_TRUE(state.load().is_notified());
  EXPECT_EQ(state.load().holder_count(), 3u);
  EXPECT_EQ(state.load().waker_count(), 1u);
  // A second wake while NOTIFIED does nothing: queued exactly once.
  EXPECT_EQ(state.transition_to_notified_by_ref(),
            TransitionToNotified::kDoNothing);
  EXPECT_EQ(state.load().ref_count(), 4u);
}

TEST(StateTest, WakeByValOnIdleSubmitsKeepingTheReference) {
  State state(3);
  MakeIdle(state);
  state.waker_inc();  // a second Waker
  // The Waker's reference becomes the queue entry's in the same step.
  EXPECT_EQ(state.transition_to_notified_by_val(),
            TransitionToNotified::kSubmit);
  EXPECT_EQ(state.load().holder_count(), 3u);
  EXPECT_EQ(state.load().waker_count(), 1u);
  EXPECT_EQ(state.transition_to_notified_by_val(),
            TransitionToNotified::kDoNothing);  // already NOTIFIED: ref dropped
  EXPECT_EQ(state.load().holder_count(), 3u);
  EXPECT_EQ(state.load().waker_count(), 0u);
}

TEST(StateTest, WakeWhileRunningSetsNotifiedAndIdleRequeues) {
  State state(2);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  EXPECT_FALSE(state.load().is_notified());
  EXPECT_EQ(state.transition_to_notified_by_ref(),
            TransitionToNotified::kDoNothing);
  EXPECT_TRUE(state.load().is_running());
  EXPECT_TRUE(state.load().is_notified());
  EXPECT_EQ(state.load().ref_count(), 2u);  // no new reference
  // Poll ends Pending with NOTIFIED: requeue, keeping the running reference.
  EXPECT_EQ(state.transition_to_idle(), TransitionToIdle::kOkNotified);
  EXPECT_FALSE(state.load().is_running());
  EXPECT_TRUE(state.load().is_notified());
  EXPECT_EQ(state.load().ref_count(), 2u);
}

TEST(StateTest, WakeByValWhileRunningDropsItsReference) {
  State state(3);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  state.waker_inc();  // a clone of the borrowed waker, woken by value
  EXPECT_EQ(state.transition_to_notified_by_val(),
            TransitionToNotified::kDoNothing);
  EXPECT_EQ(state.load().ref_count(), 3u);
  EXPECT_EQ(state.load().waker_count(), 0u);
  EXPECT_TRUE(state.load().is_notified());
  // No Waker left, but NOTIFIED: not lost, requeued.
  EXPECT_EQ(state.transition_to_idle(), TransitionToIdle::kOkNotified);
}

TEST(StateTest, PollEndsPendingWithoutWakeGoesIdleAndDropsReference) {
  State state(3);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  state.waker_inc();
  EXPECT_EQ(state.transition_to_idle(), TransitionToIdle::kOk);
  Snapshot s = state.load();
  EXPECT_TRUE(s.is_idle());
  EXPECT_FALSE(s.is_notified());
  EXPECT_FALSE(s.is_lost());
  EXPECT_EQ(s.holder_count(), 2u);
  EXPECT_EQ(s.waker_count(), 1u);
}

TEST(StateTest, IdleWithLastReferenceDeallocates) {
  State state(1);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  EXPECT_EQ(state.transition_to_idle(), TransitionToIdle::kOkDealloc);
}

TEST(StateTest, PollEndsReadyCompletes) {
  State state(3);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  // JOIN_INTEREST without a join waker: the handle reads it when polled.
  EXPECT_EQ(state.transition_to_complete(), TransitionToComplete::kDoNothing);
  EXPECT_TRUE(state.load().is_complete());
  EXPECT_FALSE(state.load().is_running());
  EXPECT_TRUE(state.load().is_join_interested());
}

TEST(StateTest, WakeAfterCompleteDoesNothing) {
  State state(3);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  state.waker_inc();
  (void)state.transition_to_complete();
  // A wake after completion changes nothing but is counted as stale.
  EXPECT_EQ(state.transition_to_notified_by_ref(),
            TransitionToNotified::kStale);
  EXPECT_EQ(state.load().ref_count(), 4u);
  EXPECT_EQ(state.transition_to_notified_by_val(),
            TransitionToNotified::kStale);
  EXPECT_EQ(state.load().ref_count(), 3u);
  EXPECT_FALSE(state.load().is_notified());
}

TEST(StateTest, WakeByValOfLastReferenceAfterCompleteDeallocates) {
  State state(1);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  state.waker_inc();
  (void)state.transition_to_complete();
  EXPECT_FALSE(state.ref_dec());  // the runner's; the Waker's is left
  EXPECT_EQ(state.transition_to_notified_by_val(),
            TransitionToNotified::kStaleDealloc);
}

TEST(StateTest, RunningOrCompleteTaskCannotStartRunning) {
  State state(3);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  (void)state.transition_to_complete();
  EXPECT_EQ(state.transition_to_running(), TransitionToRunning::kFailed);
  EXPECT_EQ(state.load().ref_count(), 2u);
  State last(1);
  ASSERT_EQ(last.transition_to_shutdown(),  // claims RUNNING
            TransitionToShutdown::kCancelNow);
  EXPECT_EQ(last.transition_to_running(), TransitionToRunning::kDealloc);
}

TEST(StateTest, AbortIdleTaskSubmitsItCancelled) {
  State state(3);
  MakeIdle(state);
  EXPECT_EQ(state.transition_to_notified_and_cancel(),
            TransitionToNotified::kSubmit);
  EXPECT_EQ(state.load().holder_count(), 3u);
  EXPECT_TRUE(state.load().is_cancelled());
  EXPECT_EQ(state.transition_to_running(), TransitionToRunning::kCancelled);
}

TEST(StateTest, AbortQueuedTaskOnlyMarksIt) {
  State state(3);  // NOTIFIED, queued
  EXPECT_EQ(state.transition_to_notified_and_cancel(),
            TransitionToNotified::kDoNothing);
  EXPECT_EQ(state.load().ref_count(), 3u);
  EXPECT_EQ(state.transition_to_running(), TransitionToRunning::kCancelled);
}

TEST(StateTest, AbortRunningTaskCancelsWhenPollEnds) {
  State state(3);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  EXPECT_EQ(state.transition_to_notified_and_cancel(),
            TransitionToNotified::kDoNothing);
  EXPECT_EQ(state.transition_to_idle(), TransitionToIdle::kCancelled);
  EXPECT_TRUE(state.load().is_running());  // still ours: cancel now
}

TEST(StateTest, AbortCompleteTaskDoesNothing) {
  State state(3);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  (void)state.transition_to_complete();
  EXPECT_EQ(state.transition_to_notified_and_cancel(),
            TransitionToNotified::kDoNothing);
  EXPECT_FALSE(state.load().is_cancelled());
}

TEST(StateTest, ShutdownClaimsIdleTasksOnly) {
  State idle(3);
  MakeIdle(idle);
  EXPECT_EQ(idle.transition_to_shutdown(), TransitionToShutdown::kCancelNow);
  EXPECT_TRUE(idle.load().is_running());
  EXPECT_TRUE(idle.load().is_cancelled());

  State running(3);
  ASSERT_EQ(running.transition_to_running(), TransitionToRunning::kSuccess);
  EXPECT_EQ(running.transition_to_shutdown(), TransitionToShutdown::kDoNothing);
  EXPECT_EQ(running.transition_to_idle(), TransitionToIdle::kCancelled);
}

TEST(StateTest, JoinWakerCannotBeSetAfterComplete) {
  State state(3);
  EXPECT_EQ(state.set_join_waker(), TransitionJoinWaker::kOk);
  EXPECT_TRUE(state.load().is_join_waker_set());
  EXPECT_EQ(state.unset_join_waker(), TransitionJoinWaker::kOk);
  EXPECT_FALSE(state.load().is_join_waker_set());
  EXPECT_EQ(state.set_join_waker(), TransitionJoinWaker::kOk);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  EXPECT_EQ(state.transition_to_complete(),
            TransitionToComplete::kWakeJoinWaker);
  EXPECT_EQ(state.unset_join_waker(), TransitionJoinWaker::kComplete);
  EXPECT_TRUE(state.load().is_join_waker_set());
}

TEST(StateTest, DroppingJoinInterestBeforeCompleteClearsWaker) {
  State state(3);
  ASSERT_EQ(state.set_join_waker(), TransitionJoinWaker::kOk);
  EXPECT_EQ(state.unset_join_interested(),
            TransitionToJoinHandleDrop::kDropJoinWaker);
  EXPECT_FALSE(state.load().is_join_interested());
  EXPECT_FALSE(state.load().is_join_waker_set());
  // Completing now tells the worker nobody reads the output.
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  EXPECT_EQ(state.transition_to_complete(), TransitionToComplete::kDropOutput);
}

TEST(StateTest, DroppingJoinInterestAfterCompleteKeepsWaker) {
  State state(3);
  ASSERT_EQ(state.set_join_waker(), TransitionJoinWaker::kOk);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  (void)state.transition_to_complete();
  EXPECT_EQ(state.unset_join_interested(),
            TransitionToJoinHandleDrop::kDropOutput);
  EXPECT_TRUE(state.load().is_join_waker_set());
}

TEST(StateTest, DetachedHandleDropsInterestAndReferenceInOneStep) {
  State state(3);
  EXPECT_EQ(state.unset_join_interested(), TransitionToJoinHandleDrop::kDone);
  EXPECT_FALSE(state.load().is_join_interested());
  EXPECT_EQ(state.load().ref_count(), 2u);
  // Nobody reads the output now (state rule 4).
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  EXPECT_EQ(state.transition_to_complete(), TransitionToComplete::kDropOutput);
}

TEST(StateTest, LastHolderHandleKeepsItsReferenceForTheCaller) {
  State state(1);
  EXPECT_EQ(state.unset_join_interested(),
            TransitionToJoinHandleDrop::kDropJoinWaker);
  EXPECT_FALSE(state.load().is_join_interested());
  EXPECT_EQ(state.load().ref_count(), 1u);
  EXPECT_TRUE(state.ref_dec());
}

TEST(StateTest, ReferenceCounting) {
  State state(1);
  state.ref_inc();
  state.ref_inc();
  EXPECT_EQ(state.load().ref_count(), 3u);
  EXPECT_FALSE(state.ref_dec());
  EXPECT_TRUE(state.ref_dec(2));
}

// ---- Waker accounting and the lost verdict (state rule 5) ---------------

TEST(StateTest, WakersAndHoldersAreCountedApart) {
  State state(3);
  state.waker_inc();
  state.waker_inc();
  Snapshot s = state.load();
  EXPECT_EQ(s.holder_count(), 3u);
  EXPECT_EQ(s.waker_count(), 2u);
  EXPECT_EQ(s.ref_count(), 5u);
  EXPECT_TRUE(s.is_notified());
  EXPECT_TRUE(s.is_join_interested());
  state.ref_inc();
  EXPECT_EQ(state.load().holder_count(), 4u);
  EXPECT_EQ(state.load().waker_count(), 2u);
}

TEST(StateTest, PollEndsPendingWithNoWakerIsLost) {
  State state(3);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  // The future returned Pending and kept no clone of cx.waker().
  EXPECT_EQ(state.transition_to_idle(), TransitionToIdle::kOkLost);
  Snapshot s = state.load();
  EXPECT_TRUE(s.is_lost());
  EXPECT_EQ(s.holder_count(), 3u);  // the runner's kept for the report
  EXPECT_FALSE(state.ref_dec());
  // It stays lost until abort or shutdown; abort still works.
  EXPECT_EQ(state.transition_to_notified_and_cancel(),
            TransitionToNotified::kSubmit);
  EXPECT_FALSE(state.load().is_lost());
  EXPECT_EQ(state.transition_to_running(), TransitionToRunning::kCancelled);
}

TEST(StateTest, PollEndsPendingWithNoWakerButWokenIsNotLost) {
  State state(3);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  // yield_now: wake_by_ref on the borrowed waker, nothing cloned.
  EXPECT_EQ(state.transition_to_notified_by_ref(),
            TransitionToNotified::kDoNothing);
  EXPECT_EQ(state.transition_to_idle(), TransitionToIdle::kOkNotified);
  EXPECT_FALSE(state.load().is_lost());
}

TEST(StateTest, PollEndsPendingWithNoWakerButCancelledIsNotLost) {
  State state(3);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  EXPECT_EQ(state.transition_to_shutdown(), TransitionToShutdown::kDoNothing);
  EXPECT_EQ(state.transition_to_idle(), TransitionToIdle::kCancelled);
}

TEST(StateTest, PollEndsPendingWithNoWakerAndNoOtherHolderDeallocates) {
  State state(1);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  EXPECT_EQ(state.transition_to_idle(), TransitionToIdle::kOkDealloc);
}

TEST(StateTest, LastWakerDroppedWhileIdleIsLost) {
  State state(3);
  MakeIdle(state);
  state.waker_inc();
  EXPECT_EQ(state.waker_dec(), TransitionToWakerDrop::kDoNothing);
  EXPECT_FALSE(state.load().is_lost());
  EXPECT_EQ(state.waker_dec(), TransitionToWakerDrop::kLost);
  Snapshot s = state.load();
  EXPECT_TRUE(s.is_lost());
  EXPECT_EQ(s.waker_count(), 0u);
  EXPECT_EQ(s.holder_count(), 3u);  // the Waker became the reporter's ref
  EXPECT_FALSE(state.ref_dec());
}

TEST(StateTest, LastWakerDroppedWhileRunningIsNotLost) {
  State state(3);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  state.waker_inc();
  EXPECT_EQ(state.waker_dec(), TransitionToWakerDrop::kDoNothing);
  // The verdict is the poll's to make when it ends.
  EXPECT_EQ(state.transition_to_idle(), TransitionToIdle::kOkLost);
}

TEST(StateTest, LastWakerDroppedWhileNotifiedIsNotLost) {
  State state(3);
  MakeIdle(state);
  state.waker_inc();
  EXPECT_EQ(state.transition_to_notified_by_ref(),
            TransitionToNotified::kSubmit);
  EXPECT_EQ(state.waker_dec(), TransitionToWakerDrop::kDoNothing);
  EXPECT_EQ(state.waker_dec(), TransitionToWakerDrop::kDoNothing);
  EXPECT_FALSE(state.load().is_lost());
  EXPECT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
}

TEST(StateTest, LastWakerDroppedWhileCancelledOrCompleteIsNotLost) {
  State cancelled(3);
  MakeIdle(cancelled);
  EXPECT_EQ(cancelled.transition_to_shutdown(),
            TransitionToShutdown::kCancelNow);
  EXPECT_EQ(cancelled.waker_dec(), TransitionToWakerDrop::kDoNothing);

  State aborted(3);
  MakeIdle(aborted);
  EXPECT_EQ(aborted.transition_to_notified_and_cancel(),
            TransitionToNotified::kSubmit);
  EXPECT_EQ(aborted.waker_dec(), TransitionToWakerDrop::kDoNothing);

  State complete(1);
  ASSERT_EQ(complete.transition_to_running(), TransitionToRunning::kSuccess);
  complete.waker_inc();
  (void)complete.transition_to_complete();
  EXPECT_FALSE(complete.ref_dec());
  EXPECT_EQ(complete.waker_dec(), TransitionToWakerDrop::kDealloc);
}

TEST(StateTest, LastWakerDroppedWithNoHolderDeallocates) {
  State state(2);
  MakeIdle(state);  // one holder, one Waker
  EXPECT_FALSE(state.ref_dec());
  EXPECT_EQ(state.waker_dec(), TransitionToWakerDrop::kDealloc);
}

// Runs `a` on a new thread and `b` on this one, released together so
// their transitions interleave.
template <class A, class B>
void Race(A a, B b) {
  std::atomic<bool> go{false};
  std::thread other([&] {
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
    a();
  });
  go.store(true, std::memory_order_release);
  b();
  other.join();
}

// Rounds per race test: enough to hit both orders many times, few enough
// for ThreadSanitizer on a loaded machine.
constexpr int kRaceRounds = 300;

// The last Waker is dropped on one thread while a clone of it is woken on
// another: exactly one of them decides. Either the wake came first (the
// task is NOTIFIED, never lost) or the drop left a Waker (the wake then
// submits). Both Wakers go, so the drop reports lost only if it was the
// last and nothing had woken the task: impossible here, since the wake
// needs a live Waker. So: never lost, and the task is submitted exactly
// once.
TEST(StateTest, WakerDropRacingAWakeIsNeverLost) {
  for (int round = 0; round < kRaceRounds; ++round) {
    State state(3);
    MakeIdle(state);
    state.waker_inc();  // two Wakers: one to drop, one to wake
    TransitionToWakerDrop dropped = TransitionToWakerDrop::kDoNothing;
    TransitionToNotified woke = TransitionToNotified::kDoNothing;
    Race([&] { dropped = state.waker_dec(); },
         [&] { woke = state.transition_to_notified_by_val(); });
    EXPECT_EQ(dropped, TransitionToWakerDrop::kDoNothing);
    EXPECT_EQ(woke, TransitionToNotified::kSubmit);
    Snapshot s = state.load();
    EXPECT_TRUE(s.is_notified());
    EXPECT_EQ(s.waker_count(), 0u);
    EXPECT_EQ(s.holder_count(), 3u);
  }
}

// Two last-but-one Wakers dropped at once on an idle task: exactly one
// drop is the last, and exactly one reports lost.
TEST(StateTest, ConcurrentLastWakerDropsReportLostOnce) {
  for (int round = 0; round < kRaceRounds; ++round) {
    State state(3);
    MakeIdle(state);
    state.waker_inc();
    TransitionToWakerDrop a = TransitionToWakerDrop::kDoNothing;
    TransitionToWakerDrop b = TransitionToWakerDrop::kDoNothing;
    Race([&] { a = state.waker_dec(); }, [&] { b = state.waker_dec(); });
    EXPECT_EQ((a == TransitionToWakerDrop::kLost) +
                  (b == TransitionToWakerDrop::kLost),
              1);
    EXPECT_TRUE(state.load().is_lost());
  }
}

// A wake by ref (the Waker kept) racing the drop of the other Waker: the
// task ends NOTIFIED whichever comes first, and the drop never says lost
// because a Waker is still alive.
TEST(StateTest, WakerDropRacingWakeByRefIsNeverLost) {
  for (int round = 0; round < kRaceRounds; ++round) {
    State state(3);
    MakeIdle(state);
    state.waker_inc();
    TransitionToWakerDrop dropped = TransitionToWakerDrop::kDoNothing;
    TransitionToNotified woke = TransitionToNotified::kDoNothing;
    Race([&] { dropped = state.waker_dec(); },
         [&] { woke = state.transition_to_notified_by_ref(); });
    EXPECT_EQ(dropped, TransitionToWakerDrop::kDoNothing);
    EXPECT_EQ(woke, TransitionToNotified::kSubmit);
    EXPECT_EQ(state.load().waker_count(), 1u);
    EXPECT_EQ(state.load().holder_count(), 3u);
  }
}

}  // namespace
}  // namespace magpie::task
