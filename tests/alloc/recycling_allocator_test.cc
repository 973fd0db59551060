#include "runtime/alloc/recycling_allocator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <vector>

namespace magpie::alloc {
namespace {

// A block under test: its size and the byte pattern written into it.
struct Block {
  void* ptr;
  std::size_t size;
  std::uint8_t fill;
};

Block make_block(std::size_t size, std::uint8_t fill) {
  void* ptr = allocate(size);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(ptr) % kAlignment, 0u);
  std::memset(ptr, fill, size);
  return Block{ptr, size, fill};
}

// Checks the pattern is intact (no other block overlapped it), then frees.
void free_block(const Block& block) {
  const auto* bytes = static_cast<const std::uint8_t*>(block.ptr);
  for (std::size_t i = 0; i < block.size; ++i) {
    ASSERT_EQ(bytes[i], block.fill) << "block overlapped at byte " << i;
  }
  deallocate(block.ptr, block.size);
}

// Runs `fn` on a new thread and joins it: that thread's heap is closed when
// it exits (rule 5).
template <class Fn>
void on_thread(Fn fn) {
  std::thread thread(std::move(fn));
  thread.join();
}

TEST(RecyclingAllocatorTest, SizeClasses) {
  EXPECT_EQ(block_size(0), kGranule);
  EXPECT_EQ(block_size(1), kGranule);
  EXPECT_EQ(block_size(16), 16u);
  EXPECT_EQ(block_size(17), 32u);
  EXPECT_EQ(block_size(120), 128u);
  EXPECT_EQ(block_size(kMaxRecycledSize), kMaxRecycledSize);
  EXPECT_EQ(block_size(kMaxRecycledSize + 1), kMaxRecycledSize + 1);
  // 8-aligned requests (task cells) take the 8-byte classes: a 104-byte
  // Cell<Task<void>> is not rounded up to 112 (issue 10, memory per task).
  EXPECT_EQ(block_size(1, 8), kSmallGranule);
  EXPECT_EQ(block_size(104, 8), 104u);
  EXPECT_EQ(block_size(105, 8), 112u);
  EXPECT_EQ(block_size(104, 16), 112u);
}

TEST(RecyclingAllocatorTest, SmallAlignmentClassesAreAlignedAndDistinct) {
  if (!enabled()) GTEST_SKIP() << "MAGPIE_ALLOC=system";
  on_thread([] {
    std::set<void*> seen;
    std::vector<std::pair<void*, std::size_t>> blocks;
    for (std::size_t size = 8; size <= 256; size += 8) {
      for (int i = 0; i < 3; ++i) {
        void* block = allocate(size, alignof(std::uint64_t));
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % kSmallGranule, 0u);
        EXPECT_TRUE(seen.insert(block).second);
        std::memset(block, static_cast<int>(size), size);
        blocks.emplace_back(block, size);
      }
    }
    for (auto [block, size] : blocks) {
      EXPECT_EQ(static_cast<unsigned char*>(block)[size - 1],
                static_cast<unsigned char>(size));
      deallocate(block, size);
    }
  });
}

TEST(RecyclingAllocatorTest, SixteenByteRequestsStaySixteenAligned) {
  if (!enabled()) GTEST_SKIP() << "MAGPIE_ALLOC=system";
  on_thread([] {
    // Share a class with 8-aligned requests of the same (16-multiple) size.
    void* small = allocate(104, 8);
    void* frames[4];
    for (void*& frame : frames) {
      frame = allocate(104);
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(frame) % kAlignment, 0u);
    }
    for (void* frame : frames) deallocate(frame, 104);
    deallocate(small, 104);
  });
}

TEST(RecyclingAllocatorTest, EverySizeIsAlignedAndDistinct) {
  if (!enabled()) GTEST_SKIP() << "MAGPIE_ALLOC=system";
  on_thread([] {
    std::vector<Block> blocks;
    std::set<void*> seen;
    for (std::size_t size = 1; size <= kMaxRecycledSize + 64; size += 7) {
      blocks.push_back(make_block(size, static_cast<std::uint8_t>(size)));
      EXPECT_TRUE(seen.insert(blocks.back().ptr).second);
    }
    for (const Block& block : blocks) free_block(block);
  });
}

TEST(RecyclingAllocatorTest, LocalFreeIsReused) {
  if (!enabled()) GTEST_SKIP() << "MAGPIE_ALLOC=system";
  on_thread([] {
    void* first = allocate(100);
    deallocate(first, 100);
    void* second = allocate(112);  // The same class (112 B).
    EXPECT_EQ(first, second);
    deallocate(second, 112);
  });
}

TEST(RecyclingAllocatorTest, CrossThreadFreeReturnsToOwner) {
  if (!enabled()) GTEST_SKIP() << "MAGPIE_ALLOC=system";
  on_thread([] {
    // Exactly one full slab: the next allocation finds the class dry and
    // drains the remote stack (rule 3) before it would make a new slab.
    constexpr std::size_t kBlocks = (kSlabSize - 64) / 64;
    std::vector<void*> blocks;
    for (std::size_t i = 0; i < kBlocks; ++i) blocks.push_back(allocate(64));
    const std::set<void*> mine(blocks.begin(), blocks.end());
    // Another thread frees them: they go back to this thread's heap.
    on_thread([&] {
      for (void* block : blocks) deallocate(block, 64);
    });
    // The remote stack is drained and its blocks reused before any new slab.
    const Stats before = stats();
    std::vector<void*> again;
    for (std::size_t i = 0; i < kBlocks; ++i) again.push_back(allocate(64));
    for (void* block : again) EXPECT_EQ(mine.count(block), 1u);
    EXPECT_EQ(stats().slabs_allocated, before.slabs_allocated);
    for (void* block : again) deallocate(block, 64);
  });
}

TEST(RecyclingAllocatorTest, ThreadExitReleasesEverySlab) {
  if (!enabled()) GTEST_SKIP() << "MAGPIE_ALLOC=system";
  const std::int64_t baseline = stats().live_slabs;
  on_thread([] {
    std::vector<Block> blocks;
    for (int i = 0; i < 5000; ++i) {
      blocks.push_back(make_block(16 + i % 500, static_cast<std::uint8_t>(i)));
    }
    for (const Block& block : blocks) free_block(block);
  });
  EXPECT_EQ(stats().live_slabs, baseline);
}

TEST(RecyclingAllocatorTest, BlocksOutliveTheirThread) {
  if (!enabled()) GTEST_SKIP() << "MAGPIE_ALLOC=system";
  const std::int64_t baseline = stats().live_slabs;
  std::vector<Block> survivors;
  on_thread([&] {
    for (int i = 0; i < 1000; ++i) {
      survivors.push_back(make_block(200, static_cast<std::uint8_t>(i)));
    }
  });
  // The owner is gone: its heap is closed, the slabs stay for the blocks.
  EXPECT_GT(stats().live_slabs, baseline);
  // Freed from two other threads at once (the orphan path, rule 5).
  const std::size_t half = survivors.size() / 2;
  std::thread a([&] {
    for (std::size_t i = 0; i < half; ++i) free_block(survivors[i]);
  });
  std::thread b([&] {
    for (std::size_t i = half; i < survivors.size(); ++i) {
      free_block(survivors[i]);
    }
  });
  a.join();
  b.join();
  EXPECT_EQ(stats().live_slabs, baseline);
}

TEST(RecyclingAllocatorTest, CacheIsBoundedAfterABurst) {
  if (!enabled()) GTEST_SKIP() << "MAGPIE_ALLOC=system";
  on_thread([] {
    const std::int64_t before = stats().live_slabs;
    std::vector<void*> burst;
    for (int i = 0; i < 20000; ++i) burst.push_back(allocate(128));
    EXPECT_GT(stats().live_slabs, before + 30);
    for (void* block : burst) deallocate(block, 128);
    // The front cache keeps its bound's worth (rule 4); each of its blocks
    // can keep at most one slab, and kKeepEmptySlabs empty slabs stay.
    const std::size_t cached = front_cached_blocks();
    EXPECT_EQ(cached, front_cache_limit(block_size(128) / kSmallGranule - 1));
    EXPECT_LE(stats().live_slabs,
              before + kKeepEmptySlabs + static_cast<std::int64_t>(cached));
    trim_this_thread();
    EXPECT_EQ(front_cached_blocks(), 0u);
    EXPECT_EQ(stats().live_slabs, before);
  });
}

TEST(RecyclingAllocatorTest, FrontCacheLimits) {
  // Rule 4: at most kFrontCacheBlocks blocks and kFrontCacheBytes bytes.
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    EXPECT_GE(front_cache_limit(c), 1u);
    EXPECT_LE(front_cache_limit(c), kFrontCacheBlocks);
    EXPECT_LE(front_cache_limit(c) * class_bytes(c), kFrontCacheBytes);
  }
  EXPECT_EQ(front_cache_limit(0), kFrontCacheBlocks);
  EXPECT_EQ(front_cache_limit(kNumClasses - 1),
            kFrontCacheBytes / kMaxRecycledSize);
}

TEST(RecyclingAllocatorTest, FrontCacheIsLifoAndBoundedPerClass) {
  if (!enabled()) GTEST_SKIP() << "MAGPIE_ALLOC=system";
  on_thread([] {
    for (const std::size_t size : {8u, 64u, 104u, 512u, 1024u}) {
      const std::size_t size_class = block_size(size) / kSmallGranule - 1;
      const std::uint32_t limit = front_cache_limit(size_class);
      std::vector<Block> blocks;
      for (std::uint32_t i = 0; i < 3 * limit; ++i) {
        blocks.push_back(make_block(size, static_cast<std::uint8_t>(i)));
      }
      // Allocations that missed refilled the list (rule 7): empty it.
      EXPECT_LE(front_cached_blocks(), kFrontRefill);
      trim_this_thread();
      EXPECT_EQ(front_cached_blocks(), 0u);
      for (const Block& block : blocks) free_block(block);
      // The first `limit` frees stay; the rest went back to their slabs.
      EXPECT_EQ(front_cached_blocks(), limit);
      // LIFO: the last block the cache took comes out first.
      void* again = allocate(size);
      EXPECT_EQ(again, blocks[limit - 1].ptr);
      EXPECT_EQ(front_cached_blocks(), limit - 1);
      deallocate(again, size);
      trim_this_thread();
      EXPECT_EQ(front_cached_blocks(), 0u);
    }
  });
}

// Rule 7: an allocation that misses the front list refills it from the
// class's slabs but makes no slab for it: one slab's worth of blocks takes
// exactly one slab, and leaves the list empty when that slab runs out.
TEST(RecyclingAllocatorTest, FrontRefillMakesNoSlab) {
  if (!enabled()) GTEST_SKIP() << "MAGPIE_ALLOC=system";
  on_thread([] {
    constexpr std::size_t kSlabBlocks = (kSlabSize - 64) / 64;
    const Stats before = stats();
    std::vector<void*> blocks;
    for (std::size_t i = 0; i < kSlabBlocks; ++i) {
      blocks.push_back(allocate(64));
      EXPECT_LE(front_cached_blocks(), kFrontRefill);
    }
    EXPECT_EQ(stats().slabs_allocated, before.slabs_allocated + 1);
    EXPECT_EQ(front_cached_blocks(), 0u);
    for (void* block : blocks) deallocate(block, 64);
  });
}

// Rule 3 with the front cache: a block freed on a thread that does not own
// it goes back to its owner, never into the freer's cache, even when the
// freer has a heap and a cache of its own for that class.
TEST(RecyclingAllocatorTest, CrossThreadFreeSkipsTheFreersCache) {
  if (!enabled()) GTEST_SKIP() << "MAGPIE_ALLOC=system";
  constexpr std::size_t kBlocks = 16;
  std::vector<void*> blocks;
  std::set<void*> mine;
  on_thread([&] {
    // The owner: one slab's worth, so the next allocation finds the class
    // dry, drains the remote stack and reuses the blocks (rule 3).
    constexpr std::size_t kSlabBlocks = (kSlabSize - 64) / 64;
    std::vector<void*> all;
    for (std::size_t i = 0; i < kSlabBlocks; ++i) all.push_back(allocate(64));
    blocks.assign(all.begin(), all.begin() + kBlocks);
    mine.insert(all.begin(), all.end());
    on_thread([&] {
      // The freer has an open heap and a cached block of the same class.
      void* own = allocate(64);
      deallocate(own, 64);
      const std::size_t cached = front_cached_blocks();
      ASSERT_GE(cached, 1u);
      for (void* block : blocks) deallocate(block, 64);
      EXPECT_EQ(front_cached_blocks(), cached);
      // Its cache still hands out its own block, not the owner's.
      void* again = allocate(64);
      EXPECT_EQ(again, own);
      EXPECT_EQ(mine.count(again), 0u);
      deallocate(again, 64);
    });
    EXPECT_EQ(front_cached_blocks(), 0u);
    const Stats before = stats();
    std::set<void*> reused;
    for (std::size_t i = 0; i < kBlocks; ++i) reused.insert(allocate(64));
    for (void* block : blocks) EXPECT_EQ(reused.count(block), 1u);
    EXPECT_EQ(stats().slabs_allocated, before.slabs_allocated);
    for (void* block : reused) deallocate(block, 64);
    for (std::size_t i = kBlocks; i < kSlabBlocks; ++i) deallocate(all[i], 64);
  });
}

// Rule 5 with the front cache: a thread that exits with blocks cached (and
// others still in use elsewhere) releases every slab once all are freed.
TEST(RecyclingAllocatorTest, ThreadExitWithCachedBlocks) {
  if (!enabled()) GTEST_SKIP() << "MAGPIE_ALLOC=system";
  const std::int64_t baseline = stats().live_slabs;
  std::vector<Block> survivors;
  on_thread([&] {
    for (const std::size_t size : {16u, 104u, 200u, 1000u}) {
      std::vector<Block> blocks;
      for (int i = 0; i < 10; ++i) {
        blocks.push_back(make_block(size, static_cast<std::uint8_t>(i)));
      }
      survivors.push_back(blocks.back());
      blocks.pop_back();
      for (const Block& block : blocks) free_block(block);
    }
    EXPECT_GT(front_cached_blocks(), 0u);
  });
  // The cached blocks went back at exit; the survivors keep their slabs.
  EXPECT_GT(stats().live_slabs, baseline);
  std::thread other([&] {
    for (const Block& block : survivors) free_block(block);
    EXPECT_EQ(front_cached_blocks(), 0u);  // Orphans never enter a cache.
  });
  other.join();
  EXPECT_EQ(stats().live_slabs, baseline);
}

TEST(RecyclingAllocatorTest, ThreadExitWithOnlyCachedBlocks) {
  if (!enabled()) GTEST_SKIP() << "MAGPIE_ALLOC=system";
  const std::int64_t baseline = stats().live_slabs;
  on_thread([] {
    void* block = allocate(48);
    deallocate(block, 48);
    EXPECT_GE(front_cached_blocks(), 1u);
  });
  EXPECT_EQ(stats().live_slabs, baseline);
}

TEST(RecyclingAllocatorTest, LargeSizesUseOperatorNew) {
  const std::int64_t before = stats().slabs_allocated;
  void* big = allocate(kMaxRecycledSize + 1);
  std::memset(big, 1, kMaxRecycledSize + 1);
  deallocate(big, kMaxRecycledSize + 1);
  EXPECT_EQ(stats().slabs_allocated, before);
}

// Conservation: threads allocate, hand blocks to each other at random and
// free them; every block is freed exactly once, none overlaps another, and
// once the threads are gone every slab is released.
TEST(RecyclingAllocatorTest, ConservationAcrossThreads) {
  if (!enabled()) GTEST_SKIP() << "MAGPIE_ALLOC=system";
  const std::int64_t baseline = stats().live_slabs;
  constexpr int kThreads = 4;
  constexpr int kRounds = 20000;
  std::mutex mu;
  std::vector<Block> shared;  // Blocks in transit between threads.
  std::atomic<std::int64_t> allocated{0};
  std::atomic<std::int64_t> freed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t + 1);
      std::vector<Block> mine;
      for (int i = 0; i < kRounds; ++i) {
        const std::size_t size = 1 + rng() % 600;
        mine.push_back(make_block(size, static_cast<std::uint8_t>(rng())));
        allocated.fetch_add(1, std::memory_order_relaxed);
        if (rng() % 2 == 0) {
          std::lock_guard<std::mutex> lock(mu);
          shared.push_back(mine.back());
          mine.pop_back();
        }
        if (rng() % 3 == 0 && !mine.empty()) {
          free_block(mine.back());
          mine.pop_back();
          freed.fetch_add(1, std::memory_order_relaxed);
        }
        if (rng() % 3 == 0) {
          Block taken{};
          {
            std::lock_guard<std::mutex> lock(mu);
            if (shared.empty()) continue;
            std::swap(shared[rng() % shared.size()], shared.back());
            taken = shared.back();
            shared.pop_back();
          }
          free_block(taken);
          freed.fetch_add(1, std::memory_order_relaxed);
        }
      }
      for (const Block& block : mine) free_block(block);
      freed.fetch_add(static_cast<std::int64_t>(mine.size()),
                      std::memory_order_relaxed);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const Block& block : shared) free_block(block);
  freed.fetch_add(static_cast<std::int64_t>(shared.size()),
                  std::memory_order_relaxed);
  EXPECT_EQ(allocated.load(), freed.load());
  EXPECT_EQ(stats().live_slabs, baseline);
}

}  // namespace
}  // namespace magpie::alloc
