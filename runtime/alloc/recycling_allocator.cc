#include "runtime/alloc/recycling_allocator.h"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "runtime/core/atomic.h"

namespace magpie::alloc {
namespace detail {
namespace {

struct Segment;

// The header at the start of every slab. Touched by the owner only (rule
// 2), or under the orphan mutex once the owner closed (rule 5); its tag is
// read by any thread that frees one of its blocks (rule 7).
struct alignas(core::kCacheLineSize) Slab {
  SlabTag tag;  // First: the owner and size class (rule 7).
  Slab* prev;   // In the owner's list of slabs with free blocks (avail).
  Slab* next;
  FreeBlock* free;   // Blocks returned to this slab.
  Segment* segment;  // Where the slab's memory came from.
  // Offsets from the slab's start (32 bits: the header fits a cache line).
  std::uint32_t bump;  // The next never-used block.
  std::uint32_t end;   // Past the last block.
  std::uint32_t used;  // Blocks handed out (front-cached ones included).
  bool in_avail;
};
static_assert(offsetof(Slab, tag) == 0);
// Blocks start one cache line in, so blocks of 64 B or more never share
// their first cache line with another block's first (a task's state word).
constexpr std::size_t kFirstBlockOffset = sizeof(Slab);
static_assert(kFirstBlockOffset == core::kCacheLineSize);
static_assert(kFirstBlockOffset % kAlignment == 0);

struct SizeClass {
  Slab* avail = nullptr;          // Slabs with a free or never-used block.
  std::uint32_t empty_slabs = 0;  // Of those, the ones with used == 0.
};

// Marks a closed Heap's remote stack (rule 5); never a block address.
FreeBlock* const kClosed = reinterpret_cast<FreeBlock*>(std::uintptr_t{1});

}  // namespace

struct Heap {
  SizeClass classes[kNumClasses];
  std::int64_t live_slabs = 0;
  std::uint32_t frees_since_drain = 0;
  // Rule 3. On its own cache line: every remote freer writes it.
  alignas(core::kCacheLineSize) core::Atomic<FreeBlock*> remote{nullptr};
};

constinit thread_local FrontCache t_front;

namespace {

// Protects every closed Heap and the fallback heap (rules 5, 6).
std::mutex& orphan_mutex() {
  static std::mutex* mu = new std::mutex;  // Never destroyed: used at exit.
  return *mu;
}

core::Atomic<std::int64_t> g_slabs_allocated{0};
core::Atomic<std::int64_t> g_slabs_released{0};

Slab* slab_of(void* block) {
  return reinterpret_cast<Slab*>(reinterpret_cast<std::uintptr_t>(block) &
                                 ~(std::uintptr_t{kSlabSize} - 1));
}

void avail_push_front(SizeClass& sc, Slab* slab) {
  slab->prev = nullptr;
  slab->next = sc.avail;
  if (sc.avail != nullptr) sc.avail->prev = slab;
  sc.avail = slab;
  slab->in_avail = true;
}

void avail_unlink(SizeClass& sc, Slab* slab) {
  if (slab->prev != nullptr) {
    slab->prev->next = slab->next;
  } else {
    sc.avail = slab->next;
  }
  if (slab->next != nullptr) slab->next->prev = slab->prev;
  slab->prev = slab->next = nullptr;
  slab->in_avail = false;
}

// Slab memory comes from segments of kSlabsPerSegment slabs, one
// aligned_alloc each (so glibc's per-allocation overhead and alignment slack
// are paid once per segment, not once per slab), shared by all heaps under
// one mutex (taken once per 64 KiB slab). A segment whose slabs are all free
// is given back, except kKeepEmptySegments kept for the next burst.
constexpr std::size_t kSlabsPerSegment = 32;
constexpr std::uint32_t kKeepEmptySegments = 1;

struct Segment {
  char* memory;
  Segment* prev = nullptr;  // In the list of segments with a free slab.
  Segment* next = nullptr;
  void* free_slabs = nullptr;  // Released slabs (first word: the next one).
  std::uint32_t carved = 0;    // Slabs ever handed out.
  std::uint32_t in_use = 0;
  bool in_partial = false;
  bool counted_empty = false;
};

struct SegmentPool {
  std::mutex mu;
  Segment* partial = nullptr;  // Segments with a free or never-used slab.
  std::uint32_t empty_segments = 0;
};

SegmentPool& segment_pool() {
  static SegmentPool* pool = new SegmentPool;  // Never destroyed: used at exit.
  return *pool;
}

void partial_push(SegmentPool& pool, Segment* segment) {
  segment->prev = nullptr;
  segment->next = pool.partial;
  if (pool.partial != nullptr) pool.partial->prev = segment;
  pool.partial = segment;
  segment->in_partial = true;
}

void partial_unlink(SegmentPool& pool, Segment* segment) {
  if (segment->prev != nullptr) {
    segment->prev->next = segment->next;
  } else {
    pool.partial = segment->next;
  }
  if (segment->next != nullptr) segment->next->prev = segment->prev;
  segment->prev = segment->next = nullptr;
  segment->in_partial = false;
}

void* acquire_slab_memory(Segment** from) {
  SegmentPool& pool = segment_pool();
  std::lock_guard<std::mutex> lock(pool.mu);
  Segment* segment = pool.partial;
  if (segment == nullptr) {
    void* memory = std::aligned_alloc(kSlabSize, kSlabSize * kSlabsPerSegment);
    if (memory == nullptr) throw std::bad_alloc();
    segment = new Segment{static_cast<char*>(memory)};
    partial_push(pool, segment);
  }
  void* slab;
  if (segment->free_slabs != nullptr) {
    slab = segment->free_slabs;
    segment->free_slabs = *static_cast<void**>(slab);
  } else {
    slab = segment->memory + kSlabSize * segment->carved;
    segment->carved += 1;
  }
  if (segment->counted_empty) {
    segment->counted_empty = false;
    pool.empty_segments -= 1;
  }
  segment->in_use += 1;
  if (segment->free_slabs == nullptr && segment->carved == kSlabsPerSegment) {
    partial_unlink(pool, segment);
  }
  *from = segment;
  return slab;
}

void release_slab_memory(void* slab, Segment* segment) {
  SegmentPool& pool = segment_pool();
  char* doomed = nullptr;
  {
    std::lock_guard<std::mutex> lock(pool.mu);
    *static_cast<void**>(slab) = segment->free_slabs;
    segment->free_slabs = slab;
    if (!segment->in_partial) partial_push(pool, segment);
    segment->in_use -= 1;
    if (segment->in_use != 0) return;
    if (pool.empty_segments < kKeepEmptySegments) {
      pool.empty_segments += 1;
      segment->counted_empty = true;
      return;
    }
    partial_unlink(pool, segment);
    doomed = segment->memory;
    delete segment;
  }
  std::free(doomed);
}

Slab* new_slab(Heap* heap, std::size_t size_class) {
  Segment* segment;
  void* memory = acquire_slab_memory(&segment);
  // ORDERING: relaxed; statistics only.
  g_slabs_allocated.fetch_add(1, std::memory_order_relaxed);
  auto* slab = new (memory) Slab{};
  const std::size_t bytes = class_bytes(size_class);
  char* first = static_cast<char*>(memory) + kFirstBlockOffset;
  slab->tag.owner = heap;
  slab->segment = segment;
  slab->bump = kFirstBlockOffset;
  slab->end = static_cast<std::uint32_t>(
      kFirstBlockOffset + (kSlabSize - kFirstBlockOffset) / bytes * bytes);
  slab->tag.size_class = static_cast<std::uint32_t>(size_class);
  heap->live_slabs += 1;
  MAGPIE_ALLOC_POISON(first, kSlabSize - kFirstBlockOffset);
  return slab;
}

void release_slab(Heap* heap, Slab* slab) {
  heap->live_slabs -= 1;
  MAGPIE_ALLOC_UNPOISON(slab, kSlabSize);
  Segment* segment = slab->segment;
  slab->~Slab();
  release_slab_memory(slab, segment);
  // ORDERING: relaxed; statistics only.
  g_slabs_released.fetch_add(1, std::memory_order_relaxed);
}

// Returns `block` to its slab; the caller is the owner or holds the orphan
// mutex (rule 2, 5). Keeps at most `keep` empty slabs in the class (rule 4).
void free_local(Heap* heap, void* block, std::uint32_t keep) {
  Slab* slab = slab_of(block);
  SizeClass& sc = heap->classes[slab->tag.size_class];
  auto* free_block = static_cast<FreeBlock*>(block);
  free_block->next = slab->free;
  slab->free = free_block;
  MAGPIE_ALLOC_POISON(block, class_bytes(slab->tag.size_class));
  if (!slab->in_avail) avail_push_front(sc, slab);
  slab->used -= 1;
  if (slab->used != 0) return;
  if (sc.empty_slabs < keep) {
    sc.empty_slabs += 1;
    return;
  }
  avail_unlink(sc, slab);
  release_slab(heap, slab);
}

// Takes the remote stack (rule 3) and returns its blocks to their slabs.
void drain_remote(Heap* heap, std::uint32_t keep) {
  // ORDERING: acquire pairs with the release CAS in free_remote(): the
  // freers' writes to each block happen before we reuse it.
  FreeBlock* block = heap->remote.exchange(nullptr, std::memory_order_acquire);
  while (block != nullptr) {
    FreeBlock* next = block->next;
    free_local(heap, block, keep);
    block = next;
  }
  heap->frees_since_drain = 0;
}

void* take_block(Heap* heap, std::size_t size_class) {
  SizeClass& sc = heap->classes[size_class];
  Slab* slab = sc.avail;
  if (slab == nullptr) {
    // ORDERING: relaxed; a peek, the exchange in drain_remote() acquires.
    FreeBlock* remote = heap->remote.load(std::memory_order_relaxed);
    // The fallback heap's stack stays closed (rule 6).
    if (remote != nullptr && remote != kClosed) {
      drain_remote(heap, kKeepEmptySlabs);
    }
    slab = sc.avail;
    if (slab == nullptr) {
      slab = new_slab(heap, size_class);
      avail_push_front(sc, slab);
      sc.empty_slabs += 1;
    }
  }
  const std::size_t bytes = class_bytes(size_class);
  void* block;
  if (slab->free != nullptr) {
    FreeBlock* free_block = slab->free;
    MAGPIE_ALLOC_UNPOISON(free_block, bytes);
    slab->free = free_block->next;
    block = free_block;
  } else {
    block = reinterpret_cast<char*>(slab) + slab->bump;
    MAGPIE_ALLOC_UNPOISON(block, bytes);
    slab->bump += static_cast<std::uint32_t>(bytes);
  }
  if (slab->used == 0) sc.empty_slabs -= 1;
  slab->used += 1;
  if (slab->free == nullptr && slab->bump == slab->end) avail_unlink(sc, slab);
  return block;
}

// Releases every empty slab of `heap`.
void release_empty_slabs(Heap* heap) {
  for (SizeClass& sc : heap->classes) {
    Slab* slab = sc.avail;
    while (slab != nullptr) {
      Slab* next = slab->next;
      if (slab->used == 0) {
        avail_unlink(sc, slab);
        release_slab(heap, slab);
      }
      slab = next;
    }
    sc.empty_slabs = 0;
  }
}

// Rule 6: the fallback heap, closed from the start, never freed.
Heap* fallback_heap() {
  static Heap* heap = [] {
    auto* h = new Heap;
    // ORDERING: relaxed; published by the static's initialization.
    h->remote.store(kClosed, std::memory_order_relaxed);
    return h;
  }();
  return heap;
}

void free_orphan(Heap* heap, void* block) {
  bool dead;
  {
    std::lock_guard<std::mutex> lock(orphan_mutex());
    free_local(heap, block, /*keep=*/0);
    dead = heap->live_slabs == 0 && heap != fallback_heap();
  }
  if (dead) delete heap;  // Rule 5: its last block; nobody else can see it.
}

void free_remote(Heap* heap, void* block) {
  auto* free_block = static_cast<FreeBlock*>(block);
  [[maybe_unused]] const std::size_t bytes =
      class_bytes(slab_of(block)->tag.size_class);
  // Before the push: once pushed, the block may be reused at once.
  MAGPIE_ALLOC_POISON(static_cast<char*>(block) + sizeof(FreeBlock),
                      bytes - sizeof(FreeBlock));
  // ORDERING: relaxed; the CAS below re-checks it.
  FreeBlock* head = heap->remote.load(std::memory_order_relaxed);
  do {
    if (head == kClosed) {
      free_orphan(heap, block);
      return;
    }
    free_block->next = head;
    // ORDERING: release pairs with the acquire exchange in drain_remote()
    // and close_heap(): our writes to the block happen before its reuse.
  } while (!heap->remote.compare_exchange_weak(
      head, free_block, std::memory_order_release, std::memory_order_relaxed));
}

// Rule 5, at thread exit.
void close_heap(Heap* heap) {
  bool dead;
  {
    std::lock_guard<std::mutex> lock(orphan_mutex());
    // ORDERING: acq_rel; acquire pairs with the freers' release CAS (their
    // blocks), release publishes kClosed to later freers, who then take the
    // orphan mutex that orders the rest.
    FreeBlock* block =
        heap->remote.exchange(kClosed, std::memory_order_acq_rel);
    while (block != nullptr) {
      FreeBlock* next = block->next;
      free_local(heap, block, /*keep=*/0);
      block = next;
    }
    release_empty_slabs(heap);
    dead = heap->live_slabs == 0;
  }
  if (dead) delete heap;
}

// Returns every block of the calling thread's front cache to its slab
// (rules 4, 5). `heap` is the thread's Heap, still open.
void flush_front(Heap* heap) {
  for (FrontBin& bin : t_front.bins) {
    FreeBlock* block = bin.head;
    while (block != nullptr) {
      MAGPIE_ALLOC_UNPOISON(block, sizeof(FreeBlock));
      FreeBlock* next = block->next;
      free_local(heap, block, kKeepEmptySlabs);
      block = next;
    }
    bin.head = nullptr;
    bin.count = 0;
  }
}

enum class ThreadHeapState : std::uint8_t { kNone, kOpen, kClosed };

thread_local ThreadHeapState t_state = ThreadHeapState::kNone;

struct HeapCloser {
  ~HeapCloser() {
    Heap* heap = t_front.heap;
    t_state = ThreadHeapState::kClosed;
    if (heap == nullptr) return;
    // Rule 5: the front cache first (its blocks are this Heap's), then no
    // more pushes into it (rule 6), then the Heap closes.
    flush_front(heap);
    t_front.heap = nullptr;
    close_heap(heap);
  }
};
thread_local HeapCloser t_closer;

// The calling thread's heap, made on first use; nullptr once closed.
Heap* thread_heap_slow() {
  if (t_state == ThreadHeapState::kClosed) return nullptr;
  t_state = ThreadHeapState::kOpen;
  // The first use of t_closer registers its destructor (rule 5).
  [[maybe_unused]] HeapCloser* volatile closer = &t_closer;
  t_front.heap = new Heap;
  return t_front.heap;
}

bool read_enabled() {
  const char* value = std::getenv("MAGPIE_ALLOC");
  return value == nullptr || std::strcmp(value, "system") != 0;
}

}  // namespace

void* allocate_slow(std::size_t bytes) {
  // An open heap implies the recycling path (rule 7): no enabled() call.
  Heap* heap = t_front.heap;
  if (bytes > kMaxRecycledSize || (heap == nullptr && !enabled())) {
    return ::operator new(bytes);
  }
  const std::size_t size_class = bytes / kSmallGranule - 1;
  if (heap == nullptr) heap = thread_heap_slow();
  if (heap == nullptr) {
    std::lock_guard<std::mutex> lock(orphan_mutex());
    return take_block(fallback_heap(), size_class);
  }
  void* block = take_block(heap, size_class);
  // The front list of the class is empty: refill part of it from the slabs
  // the class has (making none), so a burst of allocations takes the slow
  // path once per kFrontRefill blocks, not for every one (rule 7).
  // Appended in the order taken, so the list hands them out in the order
  // the slab would have (ascending addresses from a fresh slab): a burst's
  // blocks stay in address order, which the hardware prefetcher follows.
  SizeClass& sc = heap->classes[size_class];
  FrontBin& bin = t_front.bins[size_class];
  const std::uint32_t refill = std::min(bin.limit / 2, kFrontRefill);
  FreeBlock* first = nullptr;
  FreeBlock* last = nullptr;
  std::uint32_t taken = 0;
  while (bin.count + taken < refill && sc.avail != nullptr) {
    auto* cached = static_cast<FreeBlock*>(take_block(heap, size_class));
    if (last == nullptr) {
      first = cached;
    } else {
      last->next = cached;
      MAGPIE_ALLOC_POISON(last, bytes);
    }
    last = cached;
    taken += 1;
  }
  if (last != nullptr) {
    last->next = bin.head;
    MAGPIE_ALLOC_POISON(last, bytes);
    bin.head = first;
    bin.count += taken;
  }
  return block;
}

void deallocate_slow(void* block, std::size_t size) noexcept {
  if (size > kMaxRecycledSize) {
#if defined(__cpp_sized_deallocation)
    ::operator delete(block, size);  // block_size(size) == size.
#else
    ::operator delete(block);  // Clang without -fsized-deallocation.
#endif
    return;
  }
  if (t_front.heap == nullptr && !enabled()) {
    // Unsized: operator new was given block_size(size, align), which this
    // call cannot know (the alignment is not passed here); a sized delete
    // with `size` would not match it.
    ::operator delete(block);
    return;
  }
  Heap* heap = slab_of(block)->tag.owner;
  if (heap != t_front.heap) {
    free_remote(heap, block);  // Rule 3 (or rule 5 if the owner closed).
    return;
  }
  // Our own block past a full front cache (rule 7): back to its slab.
  free_local(heap, block, kKeepEmptySlabs);
  heap->frees_since_drain += 1;
  if (heap->frees_since_drain >= kDrainInterval) {
    // ORDERING: relaxed; a peek, the exchange in drain_remote() acquires.
    if (heap->remote.load(std::memory_order_relaxed) != nullptr) {
      drain_remote(heap, kKeepEmptySlabs);
    } else {
      heap->frees_since_drain = 0;
    }
  }
}

}  // namespace detail

bool enabled() {
  static const bool on = detail::read_enabled();
  return on;
}

Stats stats() {
  Stats out;
  // ORDERING: relaxed; statistics only.
  out.slabs_allocated =
      detail::g_slabs_allocated.load(std::memory_order_relaxed);
  out.slabs_released = detail::g_slabs_released.load(std::memory_order_relaxed);
  out.live_slabs = out.slabs_allocated - out.slabs_released;
  return out;
}

void trim_this_thread() {
  detail::Heap* heap = detail::t_front.heap;
  if (heap == nullptr) return;
  detail::flush_front(heap);
  detail::drain_remote(heap, /*keep=*/0);
  detail::release_empty_slabs(heap);
}

std::size_t front_cached_blocks() {
  std::size_t blocks = 0;
  for (const detail::FrontBin& bin : detail::t_front.bins) blocks += bin.count;
  return blocks;
}

}  // namespace magpie::alloc
