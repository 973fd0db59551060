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
//     the owning thread touches its Heap's lists and slab headers.
//  3. Remote frees: a block freed on another thread is pushed on its owner's
//     remote stack (a Treiber stack: CAS on the head, the freer writes only
//     the block's first word). The owner takes the whole stack with one
//     exchange when a size class runs dry, and every kDrainInterval local
//     frees, and returns each block to its slab.
//  4. Bounded cache: a slab whose blocks are all free is released, except
//     kKeepEmptySlabs per size class kept for the next burst. So an idle heap
//     pins at most its partly used slabs plus one empty slab per class. A
//     segment whose slabs are all released goes back to the system, except
//     one kept process-wide.
//  5. Thread exit: the Heap is closed: its remote stack's head becomes the
//     kClosed marker, queued blocks are returned, empty slabs released. Blocks
//     still in use (a JoinHandle on another thread) keep their slabs; each
//     later free of such a block finds kClosed and returns the block under
//     the process-wide orphan mutex. The last one frees the slab and the
//     Heap. So every slab is released once all its blocks are (LSan-clean).
//  6. After a thread's Heap is closed (allocations from thread-local
//     destructors that run later) the thread allocates from a process-wide
//     fallback Heap under the orphan mutex.
//
// Threads: allocate() and deallocate() from any thread. Memory ordering: the
// remote push is a release CAS, the owner's exchange acquires it, so the
// freeing thread's writes to the block happen before its reuse (rule 3).
// The orphan mutex orders everything on a closed Heap (rule 5).
//
// Switch: MAGPIE_ALLOC=system in the environment (read once, at the first
// allocation) sends every request to ::operator new/delete instead, for A/B
// measurements in one binary.

#ifndef MAGPIE_RUNTIME_ALLOC_RECYCLING_ALLOCATOR_H_
#define MAGPIE_RUNTIME_ALLOC_RECYCLING_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>
#include <new>

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
// Local frees between drains of the remote stack (rule 3).
inline constexpr std::uint32_t kDrainInterval = 64;

static_assert(kAlignment <= kGranule && kGranule % kAlignment == 0);
static_assert(kGranule % kSmallGranule == 0 && kSmallGranule >= sizeof(void*));

// A block of exactly `bytes` (a block_size() result). Throws std::bad_alloc.
void* allocate_block(std::size_t bytes);

// `size` bytes aligned to `align` (at most kAlignment; kSmallGranule or
// less takes the finer size classes of rule 1). Throws std::bad_alloc.
// Inline, so a constant size and alignment (a task cell) give a constant
// size class.
inline void* allocate(std::size_t size, std::size_t align = kAlignment);
// Frees a block from allocate(size), on any thread (rule 1: same size).
void deallocate(void* block, std::size_t size) noexcept;

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

void* allocate(std::size_t size, std::size_t align) {
  return allocate_block(block_size(size, align));
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
// Returns the calling thread's remotely freed blocks to their slabs now and
// releases all its empty slabs (rule 4's cache emptied). Tests use it.
void trim_this_thread();

}  // namespace magpie::alloc

#endif  // MAGPIE_RUNTIME_ALLOC_RECYCLING_ALLOCATOR_H_
