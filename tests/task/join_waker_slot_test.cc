// Tests for magpie::task::JoinWakerSlot (join_waker_slot.h): a non-task
// waker is kept boxed, with Waker's semantics (clone on store, drop on
// replace and on destruction, will_wake). The task-waker form is exercised
// by every JoinHandle awaited from a task (join_handle_test and others).

#include "runtime/task/join_waker_slot.h"

#include <utility>

#include "gtest/gtest.h"
#include "runtime/core/waker.h"

namespace magpie::task {
namespace {

struct Counts {
  int clones = 0;
  int wakes = 0;
  int drops = 0;
};

RawWaker CountClone(const void* data);
void CountWake(const void* data) {
  ++static_cast<Counts*>(const_cast<void*>(data))->wakes;
  ++static_cast<Counts*>(const_cast<void*>(data))->drops;
}
void CountWakeByRef(const void* data) {
  ++static_cast<Counts*>(const_cast<void*>(data))->wakes;
}
void CountDrop(const void* data) {
  ++static_cast<Counts*>(const_cast<void*>(data))->drops;
}
constexpr RawWakerVTable kCountVTable = {&CountClone, &CountWake,
                                         &CountWakeByRef, &CountDrop};
RawWaker CountClone(const void* data) {
  ++static_cast<Counts*>(const_cast<void*>(data))->clones;
  return RawWaker{data, &kCountVTable};
}

Waker counting_waker(Counts& counts) {
  return Waker::from_raw(RawWaker{&counts, &kCountVTable});
}

TEST(JoinWakerSlotTest, StartsEmpty) {
  JoinWakerSlot slot;
  EXPECT_TRUE(slot.is_empty());
  EXPECT_TRUE(slot.will_wake(Waker()));
  slot.wake_by_ref();  // nothing to wake
}

TEST(JoinWakerSlotTest, StoresACopyOfAnOtherWaker) {
  Counts a;
  Counts b;
  {
    Waker wa = counting_waker(a);
    JoinWakerSlot slot;
    slot = wa;
    EXPECT_EQ(a.clones, 1);
    EXPECT_FALSE(slot.is_empty());
    EXPECT_TRUE(slot.will_wake(wa));
    slot = wa;  // will_wake: no new clone
    EXPECT_EQ(a.clones, 1);
    slot.wake_by_ref();
    EXPECT_EQ(a.wakes, 1);

    Waker wb = counting_waker(b);
    EXPECT_FALSE(slot.will_wake(wb));
    slot = wb;  // replaces: the copy of wa is dropped
    EXPECT_EQ(a.drops, 1);
    EXPECT_EQ(b.clones, 1);

    slot = Waker();  // empties it
    EXPECT_TRUE(slot.is_empty());
    EXPECT_EQ(b.drops, 1);

    slot = std::move(wb);  // takes wb's reference: no clone
    EXPECT_EQ(b.clones, 1);
    EXPECT_TRUE(wb.is_empty());  // NOLINT: moved-from is empty by contract
  }
  // The slot dropped b's reference; wa dropped its own.
  EXPECT_EQ(b.drops, 2);
  EXPECT_EQ(a.drops, 2);
}

}  // namespace
}  // namespace magpie::task
