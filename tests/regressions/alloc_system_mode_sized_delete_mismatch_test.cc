// Regression: under MAGPIE_ALLOC=system a block was freed with a sized
// operator delete of the unrounded size (ASan new-delete-type-mismatch).
//
// MAGPIE_ALLOC=system (recycling_allocator.h, "Switch"): every request goes
// to ::operator new/delete, and the inline fast path (rule 7) never reads a
// slab header of a block that has none. Its own main() sets the variable
// before the first allocation reads it. Under ASan a slab-header read of an
// operator-new block, or a block served twice, would report, and so did
// (before the fix) the sized operator delete given the unrounded size of a
// block operator new had been asked for rounded (new-delete-type-mismatch).

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "runtime/alloc/recycling_allocator.h"

namespace magpie::alloc {
namespace {

TEST(SystemSwitchTest, EveryRequestGoesToOperatorNew) {
  ASSERT_FALSE(enabled());
  const Stats before = stats();
  std::vector<std::pair<void*, std::size_t>> blocks;
  std::set<void*> seen;
  for (std::size_t size = 1; size <= kMaxRecycledSize + 64; size += 13) {
    void* block = allocate(size);
    EXPECT_TRUE(seen.insert(block).second);
    std::memset(block, 0x5a, size);
    blocks.emplace_back(block, size);
  }
  for (auto [block, size] : blocks) deallocate(block, size);
  // Freed again and reallocated: still no front cache, no slab.
  for (int i = 0; i < 100; ++i) {
    void* block = allocate(104, 8);
    deallocate(block, 104);
  }
  EXPECT_EQ(front_cached_blocks(), 0u);
  EXPECT_EQ(stats().slabs_allocated, before.slabs_allocated);
}

TEST(SystemSwitchTest, CrossThreadFrees) {
  ASSERT_FALSE(enabled());
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; ++i) blocks.push_back(allocate(64));
  std::thread other([&] {
    for (void* block : blocks) deallocate(block, 64);
    EXPECT_EQ(front_cached_blocks(), 0u);
  });
  other.join();
  EXPECT_EQ(stats().live_slabs, 0);
}

}  // namespace
}  // namespace magpie::alloc

int main(int argc, char** argv) {
  // Before anything allocates through magpie::alloc (enabled() reads it once).
  setenv("MAGPIE_ALLOC", "system", /*overwrite=*/1);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
