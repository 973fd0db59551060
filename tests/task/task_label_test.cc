// Tests for magpie::task::TaskLabel: the spawn site and name packed in one
// word (header.h), in both its inline and its cold form; TaskId (48 bits)
// and the Header word it shares with the leaf slot and stage tag.

#include <cstdint>
#include <cstring>
#include <typeinfo>

#include "gtest/gtest.h"
#include "runtime/core/poll_stats.h"
#include "runtime/task/header.h"

namespace magpie::task {
namespace {

constexpr const char* kFile = "server.cc";

TEST(TaskLabelTest, EmptyIsUnknownAndUnnamed) {
  TaskLabel label;
  EXPECT_EQ(label.site().file, nullptr);
  EXPECT_EQ(label.site().line, 0u);
  EXPECT_EQ(label.name(), nullptr);
}

TEST(TaskLabelTest, KeepsFileAndLineInline) {
  TaskLabel label(SpawnSite{kFile, 42});
  const SpawnSite site = label;
  EXPECT_EQ(site.file, kFile);
  EXPECT_EQ(site.line, 42u);
  EXPECT_EQ(label.name(), nullptr);
}

TEST(TaskLabelTest, KeepsTheLargestInlineLine) {
  TaskLabel label(SpawnSite{kFile, 65535});
  EXPECT_EQ(label.site().file, kFile);
  EXPECT_EQ(label.site().line, 65535u);
}

TEST(TaskLabelTest, KeepsALongLineInTheColdForm) {
  TaskLabel label(SpawnSite{kFile, 1'000'000});
  EXPECT_EQ(label.site().file, kFile);
  EXPECT_EQ(label.site().line, 1'000'000u);
}

TEST(TaskLabelTest, KeepsAHighPointerInTheColdForm) {
  // Never dereferenced: the label only stores and returns the pointer.
  const auto* high = reinterpret_cast<const char*>(std::uintptr_t{1} << 50);
  TaskLabel label(SpawnSite{high, 7});
  EXPECT_EQ(label.site().file, high);
  EXPECT_EQ(label.site().line, 7u);
}

TEST(TaskLabelTest, NameMovesTheLabelToTheColdFormKeepingTheSite) {
  TaskLabel label(SpawnSite{kFile, 42});
  label.set_name("accept-loop");
  ASSERT_NE(label.name(), nullptr);
  EXPECT_STREQ(label.name(), "accept-loop");
  EXPECT_EQ(label.site().file, kFile);
  EXPECT_EQ(label.site().line, 42u);
  label.set_name("");
  EXPECT_EQ(label.name(), nullptr);
  EXPECT_EQ(label.site().line, 42u);
}

TEST(TaskLabelTest, EmptyNameLeavesAnInlineLabelAlone) {
  TaskLabel label(SpawnSite{kFile, 3});
  label.set_name("");
  EXPECT_EQ(label.name(), nullptr);
  EXPECT_EQ(label.site().line, 3u);
}

TEST(TaskLabelTest, Layout) {
  EXPECT_EQ(sizeof(TaskLabel), 8u);
  EXPECT_EQ(sizeof(TaskId), 6u);
  EXPECT_EQ(sizeof(Header), 32u);
  EXPECT_EQ(sizeof(Trailer), 32u);
}

TEST(TaskIdTest, KeepsFortyEightBits) {
  EXPECT_EQ(TaskId(1).value(), 1u);
  const std::uint64_t big = 0x0000'ABCD'1234'5678;
  EXPECT_EQ(TaskId(big).value(), big);
  const std::uint64_t converted = TaskId(big);
  EXPECT_EQ(converted, big);
  EXPECT_EQ(TaskId(TaskId::kMask).value(), TaskId::kMask);
}

TEST(TaskIdTest, WrapsPastZero) {
  // The counter's value modulo 2^48; 0 is never an id.
  EXPECT_EQ(TaskId(TaskId::kMask + 1).value(), 1u);
  EXPECT_EQ(TaskId(TaskId::kMask + 2).value(), 1u);
  EXPECT_EQ(TaskId(TaskId::kMask + 3).value(), 2u);
  EXPECT_EQ(TaskId(0).value(), 1u);
}

struct StageLeaf {};

TEST(HeaderTest, VTableWordKeepsPointerAndSchedulerIndex) {
  static const TaskVTable kVTable{};
  for (SchedulerIndex index :
       {SchedulerIndex{0}, SchedulerIndex{1}, SchedulerIndex{0x8001},
        SchedulerIndex{0xFFFF}}) {
    Header header(1, &kVTable, 7, {}, 0, index);
    EXPECT_EQ(header.vtable(), &kVTable) << index;
    EXPECT_EQ(header.scheduler_index(), index);
  }
}

TEST(HeaderTest, StageTagAndLeafShareTheSlot) {
  Header header(1, nullptr, 7);
  EXPECT_EQ(header.stage_tag(), 0u);
  header.set_stage_tag(3);
  {
    core::PollStats stats;
    core::LeafProbeScope scope(stats, header.leaf);
    core::record_leaf<StageLeaf>();
  }
  EXPECT_EQ(header.stage_tag(), 3u);
  EXPECT_EQ(core::leaf_type(header.leaf), &typeid(StageLeaf));
  header.set_stage_tag(1);
  EXPECT_EQ(header.stage_tag(), 1u);
  EXPECT_EQ(core::leaf_type(header.leaf), &typeid(StageLeaf));
  EXPECT_EQ(header.id.value(), 7u);
}

}  // namespace
}  // namespace magpie::task
