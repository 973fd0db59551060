// magpie::alloc — a per-thread recycling allocator for task cells and
// coroutine frames (DESIGN.md §2, "Allocation").
//
// What it is for: a spawned task costs a cell (task::Cell) and usually a
// coroutine frame (Task<T>), allocated on one worker and often freed on
// another. glibc malloc contends on such cross-thread frees. Here every
// thread that allocates gets its own Heap; a block freed on another thread
// goes back to its owner through a lock-free stack the owner drains, so the
// owner keeps reusing its own (cache-warm) memory. The embedding program's
// global allocator is never replaced: slabs are carved from 2 MiB segments
// that come from aligned_alloc(), shared by all heaps under one mutex.
//
//   Heap (one per thread, made on its first allocation)
//    |- per size class: a list of slabs with free blocks
//    '- remote: MPSC stack of blocks other threads freed (rule 3)
//   Slab (kSlabSize bytes, kSlabSize-aligned; one size class)
//    +--------+--------+--------+-----+--------+---------------+
//    | header | block  | block  | ... | block  | never used    |
//    | 64 B   |        |        |     |        | (bump region) |
//    +--------+--------+--------+-----+--------+---------------+
//    header: owner Heap*, local free list, bump pointer, blocks in use.
//
//   Front cache (one per thread, constinit thread_local: no init guard)
//    '- per size class: a short LIFO list of this thread's own free blocks
//
// Rules (cited as "alloc rule N"):
//  1. Sizes: requests up to kMaxRecycledSize bytes are rounded up to a
//     multiple of kGranule, or of kSmallGranule when the caller asks for
//     alignment kSmallGranule or less (a task cell: its size is already a
//     multiple of 8, and 16 would round e.g. 104 up to 112), and served from
//     slabs of that size class; larger ones go to ::operator new.
//     deallocate() must be given the same size as allocate() (both callers
//     know it: sizeof the cell, or the sized operator delete of a coroutine
//     frame): the size alone tells a slab block from an operator-new block.
//     Blocks are aligned to kAlignment, or to kSmallGranule when so asked
//     (a class that is an odd multiple of 8 holds 8-aligned blocks).
//  2. The owner: a block belongs to the Heap of the thread that allocated
//     it (found from the slab header: slab = block & ~(kSlabSize - 1)). Only
//     the owning thread touches its Heap's lists, slab headers and front
//     cache.
//  3. Remote frees: a block freed on another thread is pushed on its owner's
//     remote stack (a Treiber stack: CAS on the head, the freer writes only
//     the block's first word); it never enters the freer's front cache. The
//     owner takes the whole stack with one exchange when a size class runs
//     dry, and every kDrainInterval frees that reach its slabs (rule 7),
//     and returns each block to its slab.
//  4. Bounded cache: a slab whose blocks are all free is released, except
//     kKeepEmptySlabs per size class kept for the next burst. The front
//     cache holds at most front_cache_limit(class) blocks per class (at most
//     kFrontCacheBlocks, and kFrontCacheBytes of blocks); its blocks count
//     as in use, so they keep their slabs. So an idle heap pins at most its
//     partly used slabs plus one empty slab per class, and its front cache
//     at most kFrontCacheBytes per class it used. A segment whose slabs are
//     all released goes back to the system, except one kept process-wide.
//  5. Thread exit: the front cache is emptied into the slabs, then the Heap
//     is closed: its remote stack's head becomes the kClosed marker, queued
//     blocks are returned, empty slabs released. Blocks still in use (a
//     JoinHandle on another thread) keep their slabs; each later free of
//     such a block finds kClosed and returns the block under the
//     process-wide orphan mutex. The last one frees the slab and the Heap.
//     So every slab is released once all its blocks are (LSan-clean).
//  6. After a thread's Heap is closed (allocations from thread-local
//     destructors that run later) the thread allocates from a process-wide
//     fallback Heap under the orphan mutex; its front cache stays empty
//     (detail::FrontCache::heap is null, rule 7).
//  7. The inline fast path: allocate() pops the calling thread's front
//     cache list of the size class; deallocate() pushes the block there when
//     the calling thread's open Heap owns it (read from the slab header) and
//     the list is below its limit. Anything else (an empty or full list, a
//     remote free, a large size, no Heap yet, MAGPIE_ALLOC=system) takes the
//     out-of-line slow path, which is the slab allocator above; an
//     allocation there also refills the list with up to kFrontRefill blocks
//     from slabs the class already has (it makes no slab for them). The front
//     cache's heap pointer is set only while the thread's Heap is open and
//     only when the recycling path is enabled, so a null one sends every
//     free to the slow path before the slab header is read (an operator-new
//     block has none).
//
// Threads: allocate() and deallocate() from any thread. Memory ordering: the
// remote push is a release CAS, the owner's exchange acquires it, so the
// freeing thread's writes to the block happen before its reuse (rule 3).
// The orphan mutex orders everything on a closed Heap (rule 5). The front
// cache is thread-local and needs no ordering.
//
// Switch: MAGPIE_ALLOC=system in the environment (read once, at the first
// allocation that misses the front cache) sends every request to
// ::operator new/delete instead, for A/B measurements in one binary.
//
// AddressSanitizer: free blocks are poisoned, in the front cache too
// (a use after free of a task cell still reports), except, while a block
// sits on a remote stack, its link word (rule 3).

#ifndef MAGPIE_RUNTIME_ALLOC_RECYCLING_ALLOCATOR_H_
#define MAGPIE_RUNTIME_ALLOC_RECYCLING_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>
#include <new>

#include "runtime/core/sanitizers.h"

#if defined(MAGPIE_UNDER_ASAN)
#include <sanitizer/asan_interface.h>
#define MAGPIE_ALLOC_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define MAGPIE_ALLOC_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define MAGPIE_ALLOC_POISON(p, n) ((void)(p), (void)(n))
#define MAGPIE_ALLOC_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace magpie::alloc {

// Every block is aligned to this (operator new's default alignment, which
// coroutine frames assume).
inline constexpr std::size_t kAlignment = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
// Size classes of kAlignment-aligned requests are multiples of this.
inline constexpr std::size_t kGranule = 16;
// Size classes are multiples of this (rule 1): requests that need no more
// alignment than it (task cells) are rounded to it.
inline constexpr std::size_t kSmallGranule = 8;
// Larger requests go to ::operator new (rule 1). A task cell and the frame
// of a typical coroutine fit; a slab holds at least 63 of the largest.
inline constexpr std::size_t kMaxRecycledSize = 1024;
inline constexpr std::size_t kNumClasses = kMaxRecycledSize / kSmallGranule;
// One slab: a size class's blocks, and the unit given back to the system.
inline constexpr std::size_t kSlabSize = 64 * 1024;
// Empty slabs a Heap keeps per size class (rule 4).
inline constexpr std::uint32_t kKeepEmptySlabs = 1;
// Frees that reach the slabs between drains of the remote stack (rule 3).
inline constexpr std::uint32_t kDrainInterval = 64;
// The front cache's bound per size class (rule 4): at most this many
// blocks, and at most this many bytes of them (4 blocks of 1 KiB; 39 task
// cells of 104 B). Enough for a task that spawns the next one and exits,
// or a burst of a few dozen, to allocate and free without the slow path.
inline constexpr std::uint32_t kFrontCacheBlocks = 64;
inline constexpr std::size_t kFrontCacheBytes = 4096;
// Blocks an allocation that finds its front list empty moves there from
// the class's slabs (at most half the class's bound), so a burst takes the
// slow path once per this many blocks (rule 7).
inline constexpr std::uint32_t kFrontRefill = 16;

static_assert(kAlignment <= kGranule && kGranule % kAlignment == 0);
static_assert(kGranule % kSmallGranule == 0 && kSmallGranule >= sizeof(void*));
static_assert(kFrontCacheBytes >= kMaxRecycledSize);

// The bytes of size class `size_class` (its index: bytes / kSmallGranule -
// 1).
constexpr std::size_t class_bytes(std::size_t size_class) {
  return (size_class + 1) * kSmallGranule;
}
// Blocks the front cache may hold in one size class (rule 4).
constexpr std::uint32_t front_cache_limit(std::size_t size_class) {
  const std::size_t by_bytes = kFrontCacheBytes / class_bytes(size_class);
  return by_bytes < kFrontCacheBlocks ? static_cast<std::uint32_t>(by_bytes)
                                      : kFrontCacheBlocks;
}

// A block of exactly `bytes` (a block_size() result). Throws std::bad_alloc.
// Inline: the front cache's pop (rule 7).
inline void* allocate_block(std::size_t bytes);

// `size` bytes aligned to `align` (at most kAlignment; kSmallGranule or
// less takes the finer size classes of rule 1). Throws std::bad_alloc.
// Inline, so a constant size and alignment (a task cell) give a constant
// size class.
inline void* allocate(std::size_t size, std::size_t align = kAlignment);
// Frees a block from allocate(size), on any thread (rule 1: same size).
// Inline: the front cache's push (rule 7).
inline void deallocate(void* block, std::size_t size) noexcept;

// For an object of type T (a task cell): the recycling path when T's
// alignment allows, aligned operator new otherwise.
template <class T>
void* allocate_for() {
  if constexpr (alignof(T) <= kAlignment) {
    return allocate(sizeof(T), alignof(T));
  } else {
    return ::operator new(sizeof(T), std::align_val_t(alignof(T)));
  }
}
template <class T>
void deallocate_for(void* block) noexcept {
  if constexpr (alignof(T) <= kAlignment) {
    deallocate(block, sizeof(T));
  } else {
    ::operator delete(block, std::align_val_t(alignof(T)));
  }
}

// The bytes a block of `size` (aligned to `align`) occupies in a slab (its
// size class), or `size` itself past kMaxRecycledSize.
constexpr std::size_t block_size(std::size_t size,
                                 std::size_t align = kAlignment) {
  if (size > kMaxRecycledSize) return size;
  const std::size_t granule = align <= kSmallGranule ? kSmallGranule : kGranule;
  return size == 0 ? granule : (size + granule - 1) / granule * granule;
}

// Diagnostics and tests.
struct Stats {
  // Slabs allocated from the system and not yet released, all threads.
  std::int64_t live_slabs = 0;
  // Slabs ever allocated / released, all threads.
  std::int64_t slabs_allocated = 0;
  std::int64_t slabs_released = 0;
};
Stats stats();
// Whether allocate() uses the recycling path (false under MAGPIE_ALLOC=system).
bool enabled();
// Returns the calling thread's front cache and remotely freed blocks to
// their slabs now and releases all its empty slabs (rule 4's caches
// emptied). Tests use it.
void trim_this_thread();
// Blocks in the calling thread's front cache, all classes (rule 4). Tests.
std::size_t front_cached_blocks();

namespace detail {

struct Heap;  // recycling_allocator.cc

// A free block's first word: the next block of its list.
struct FreeBlock {
  FreeBlock* next;
};

// The first fields of every slab's header (recycling_allocator.cc's Slab
// begins with one): what deallocate()'s inline path reads. Written once,
// when the slab is made, before any of its blocks is handed out.
struct SlabTag {
  Heap* owner;
  std::uint32_t size_class;
};

inline SlabTag* slab_tag(void* block) {
  return reinterpret_cast<SlabTag*>(reinterpret_cast<std::uintptr_t>(block) &
                                    ~(std::uintptr_t{kSlabSize} - 1));
}

// One size class of the front cache (rule 7): a LIFO list, its length and
// its bound (front_cache_limit()).
struct FrontBin {
  FreeBlock* head = nullptr;
  std::uint32_t count = 0;
  std::uint32_t limit = 0;
};

// The calling thread's front cache (rules 4, 7). Touched only by its
// thread. Constant-initialized and trivially destructible, so reaching it
// costs no initialization guard; the Heap's thread-exit hook empties it
// (rule 5).
struct FrontCache {
  // The thread's open Heap; null before it is made, after it is closed
  // (rules 5, 6) and under MAGPIE_ALLOC=system.
  Heap* heap = nullptr;
  FrontBin bins[kNumClasses];

  constexpr FrontCache() {
    for (std::size_t c = 0; c < kNumClasses; ++c) {
      bins[c].limit = front_cache_limit(c);
    }
  }
};
extern constinit thread_local FrontCache t_front;

// The slab allocator behind the front cache (recycling_allocator.cc).
void* allocate_slow(std::size_t bytes);
void deallocate_slow(void* block, std::size_t size) noexcept;

}  // namespace detail

void* allocate_block(std::size_t bytes) {
  if (bytes <= kMaxRecycledSize) [[likely]] {
    detail::FrontBin& bin = detail::t_front.bins[bytes / kSmallGranule - 1];
    detail::FreeBlock* block = bin.head;
    if (block != nullptr) [[likely]] {
      // SAFETY: rule 7; the list holds only this thread's free blocks.
      MAGPIE_ALLOC_UNPOISON(block, bytes);
      bin.head = block->next;
      bin.count -= 1;
      return block;
    }
  }
  return detail::allocate_slow(bytes);
}

void* allocate(std::size_t size, std::size_t align) {
  return allocate_block(block_size(size, align));
}

void deallocate(void* block, std::size_t size) noexcept {
  detail::Heap* heap = detail::t_front.heap;
  // Rule 7: a null heap (system mode among others) leaves before the slab
  // header is read, and so does a large size (an operator-new block).
  if (size <= kMaxRecycledSize && heap != nullptr) [[likely]] {
    const detail::SlabTag* tag = detail::slab_tag(block);
    if (tag->owner == heap) [[likely]] {
      detail::FrontBin& bin = detail::t_front.bins[tag->size_class];
      if (bin.count < bin.limit) [[likely]] {
        auto* free_block = static_cast<detail::FreeBlock*>(block);
        free_block->next = bin.head;
        bin.head = free_block;
        bin.count += 1;
        MAGPIE_ALLOC_POISON(block, class_bytes(tag->size_class));
        return;
      }
    }
  }
  detail::deallocate_slow(block, size);
}

}  // namespace magpie::alloc

#endif  // MAGPIE_RUNTIME_ALLOC_RECYCLING_ALLOCATOR_H_
