// magpie::core::Atomic — the one alias every atomic in magpie goes through.
//
// Why: STYLE rule 7. Routing atomics through one name lets a model checker
// (or a shim that counts operations) be swapped in later without touching
// the lock-free code. Every operation on an Atomic names its memory order.

#ifndef MAGPIE_RUNTIME_CORE_ATOMIC_H_
#define MAGPIE_RUNTIME_CORE_ATOMIC_H_

#include <atomic>

namespace magpie::core {

template <class T>
using Atomic = std::atomic<T>;

// A cache line, for padding hot atomics apart (false sharing).
inline constexpr std::size_t kCacheLineSize = 64;

}  // namespace magpie::core

#endif  // MAGPIE_RUNTIME_CORE_ATOMIC_H_
