// Every row of the task state table (runtime/task/state.h, DESIGN.md §2),
// driven directly on a State word.

#include "runtime/task/state.h"

#include "gtest/gtest.h"

namespace magpie::task {
namespace {

// Brings a new task (`refs` + 1 references) to idle with `refs` left: the
// spawn notification is consumed by one poll that ends Pending.
void MakeIdle(State& state) {
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
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
  EXPECT_EQ(state.load().ref_count(), 3u);
  // A second wake while NOTIFIED does nothing: queued exactly once.
  EXPECT_EQ(state.transition_to_notified_by_ref(),
            TransitionToNotified::kDoNothing);
  EXPECT_EQ(state.load().ref_count(), 3u);
}

TEST(StateTest, WakeByValOnIdleSubmitsKeepingTheReference) {
  State state(3);
  MakeIdle(state);
  EXPECT_EQ(state.transition_to_notified_by_val(),
            TransitionToNotified::kSubmit);
  EXPECT_EQ(state.load().ref_count(), 2u);
  EXPECT_EQ(state.transition_to_notified_by_val(),
            TransitionToNotified::kDoNothing);  // already NOTIFIED: ref dropped
  EXPECT_EQ(state.load().ref_count(), 1u);
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
  EXPECT_EQ(state.transition_to_notified_by_val(),
            TransitionToNotified::kDoNothing);
  EXPECT_EQ(state.load().ref_count(), 2u);
  EXPECT_TRUE(state.load().is_notified());
}

TEST(StateTest, PollEndsPendingWithoutWakeGoesIdleAndDropsReference) {
  State state(3);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  EXPECT_EQ(state.transition_to_idle(), TransitionToIdle::kOk);
  Snapshot s = state.load();
  EXPECT_TRUE(s.is_idle());
  EXPECT_FALSE(s.is_notified());
  EXPECT_EQ(s.ref_count(), 2u);
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
  (void)state.transition_to_complete();
  EXPECT_EQ(state.transition_to_notified_by_ref(),
            TransitionToNotified::kDoNothing);
  EXPECT_EQ(state.load().ref_count(), 3u);
  EXPECT_EQ(state.transition_to_notified_by_val(),
            TransitionToNotified::kDoNothing);
  EXPECT_EQ(state.load().ref_count(), 2u);
  EXPECT_FALSE(state.load().is_notified());
}

TEST(StateTest, WakeByValOfLastReferenceAfterCompleteDeallocates) {
  State state(1);
  ASSERT_EQ(state.transition_to_running(), TransitionToRunning::kSuccess);
  (void)state.transition_to_complete();
  EXPECT_EQ(state.transition_to_notified_by_val(),
            TransitionToNotified::kDealloc);
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
  EXPECT_EQ(state.load().ref_count(), 3u);
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

TEST(StateTest, ReferenceCounting) {
  State state(1);
  state.ref_inc();
  state.ref_inc();
  EXPECT_EQ(state.load().ref_count(), 3u);
  EXPECT_FALSE(state.ref_dec());
  EXPECT_TRUE(state.ref_dec(2));
}

}  // namespace
}  // namespace magpie::task
