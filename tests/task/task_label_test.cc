// Tests for magpie::task::TaskLabel: the spawn site and name packed in one
// word (header.h), in both its inline and its cold form.

#include <cstdint>
#include <cstring>

#include "gtest/gtest.h"
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
  EXPECT_EQ(sizeof(Header), 32u);
  EXPECT_EQ(sizeof(Trailer), 56u);
}

}  // namespace
}  // namespace magpie::task
