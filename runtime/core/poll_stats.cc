#include "runtime/core/poll_stats.h"

#include <time.h>

#include <mutex>
#include <unordered_map>

namespace magpie::core {

constinit thread_local LeafSlot* current_leaf_slot = nullptr;
constinit thread_local std::uint32_t current_poll_ms = 0;
constinit thread_local std::uint32_t worker_clock_ms = 0;

std::uint32_t coarse_now_ms() noexcept {
  constexpr std::uint64_t kNanosPerMilli = 1'000'000;
  constexpr std::uint64_t kMillisPerSecond = 1'000;
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  const auto ms = static_cast<std::uint32_t>(
      static_cast<std::uint64_t>(ts.tv_sec) * kMillisPerSecond +
      static_cast<std::uint64_t>(ts.tv_nsec) / kNanosPerMilli);
  return ms == 0 ? 1 : ms;  // 0 means "never"
}

namespace {

// The leaf-type table ("Leaf ids"): ids index fixed-size chunks, made on
// demand and never freed, so a reader needs no lock. Registration is under
// a mutex. Every entry and chunk pointer is an atomic written once (entries)
// or published with release; a reader acquires both, so it sees the type,
// or at worst null for a type registered concurrently (shown as unknown,
// never a torn pointer).
constexpr std::size_t kChunkTypes = 1024;
constexpr std::size_t kChunks = kMaxLeafTypes / kChunkTypes;
struct Chunk {
  Atomic<const std::type_info*> entries[kChunkTypes] = {};
};

struct LeafTable {
  std::mutex mu;
  std::unordered_map<const std::type_info*, LeafId> ids;  // Guarded by mu.
  std::size_t next = 1;                                   // Guarded by mu.
  Atomic<Chunk*> chunks[kChunks] = {};
};

LeafTable& leaf_table() {
  static LeafTable* table = new LeafTable;  // Never destroyed: used at exit.
  return *table;
}

}  // namespace

LeafId register_leaf_type(const std::type_info& type) noexcept {
  LeafTable& table = leaf_table();
  try {
    std::lock_guard<std::mutex> lock(table.mu);
    if (auto it = table.ids.find(&type); it != table.ids.end()) {
      return it->second;
    }
    if (table.next >= kMaxLeafTypes) return kNoLeaf;
    const auto id = static_cast<LeafId>(table.next);
    Atomic<Chunk*>& slot = table.chunks[id / kChunkTypes];
    // ORDERING: relaxed; chunks are only made under mu.
    Chunk* chunk = slot.load(std::memory_order_relaxed);
    if (chunk == nullptr) chunk = new Chunk{};
    // ORDERING: release pairs with the acquire loads in leaf_type() (entry
    // and chunk): a reader that finds either sees what was written before.
    chunk->entries[id % kChunkTypes].store(&type, std::memory_order_release);
    slot.store(chunk, std::memory_order_release);
    table.ids.emplace(&type, id);
    table.next = id + 1;
    return id;
  } catch (...) {
    return kNoLeaf;  // Out of memory: the type is shown as unknown.
  }
}

const std::type_info* leaf_type(LeafId id) noexcept {
  if (id == kNoLeaf || id >= kMaxLeafTypes) return nullptr;
  // ORDERING: acquire pairs with the release store in register_leaf_type().
  Chunk* chunk =
      leaf_table().chunks[id / kChunkTypes].load(std::memory_order_acquire);
  if (chunk == nullptr) return nullptr;
  // ORDERING: acquire pairs with the entry's release store.
  return chunk->entries[id % kChunkTypes].load(std::memory_order_acquire);
}

}  // namespace magpie::core
