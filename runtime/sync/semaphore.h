// magpie::sync::Semaphore — an async counting semaphore, fair and FIFO, the
// base of the async Mutex, RwLock and the bounded mpsc channel. The shape and
// the semantics are tokio::sync::Semaphore's (batch_semaphore.rs).
//
//   sync::Semaphore sem(10);
//   auto permit = co_await sem.acquire(3);      // Result<SemaphorePermit, ...>
//   if (!permit.ok()) return;                    // closed
//   ...                                          // 3 permits held
//   // ~SemaphorePermit returns them (or permit->forget() keeps them out)
//
// Fairness: waiters are served strictly in FIFO order. A waiter at the head
// blocks every later one, even if enough permits for a later, smaller
// request are free: released permits are assigned to the head waiter, in
// part if it needs more than there are, until it has all it asked for. So a
// large request is never starved by a stream of small ones.
//
// Ownership: the Semaphore is not movable; it must outlive every permit and
// every Acquire future made from it. Threads: every member from any thread.
// An Acquire future is polled by one thread at a time (the Future contract).
//
// The permit word (`permits_`), as in Tokio:
//
//   bit 63 ..................... 1 | 0
//       available permits          | CLOSED
//
// Invariant (semaphore rule 1): while the waiter list is non-empty the word
// holds no permits. Releases go to waiters first (under the lock) and only
// the remainder goes to the word; a new waiter drains the word (under the
// lock) before it queues. So try_acquire(), which only CASes the word and
// takes no lock, can never overtake a queued waiter.
//
// Waiter states (an Acquire future; node fields guarded by `mu_`):
//
//   state    | event                         | next
//   ---------+-------------------------------+---------------------------------
//   Idle     | poll, word has n              | Done: Ready(permit)
//   Idle     | poll, word has k < n          | Waiting (linked, k assigned)
//   Idle     | poll, CLOSED                  | Done: Ready(Closed)
//   Waiting  | release assigns the rest      | unlinked, remaining = 0, woken
//   Waiting  | close()                       | unlinked, remaining > 0, woken
//   Waiting  | poll, unlinked, remaining = 0 | Done: Ready(permit)
//   Waiting  | poll, unlinked, remaining > 0 | Done: assigned ones returned;
//            |                               |   Ready(Closed)
//   Waiting  | poll, still linked            | Waiting (waker replaced)
//   Waiting  | destroyed                     | unlinked; every permit assigned
//            |                               |   to it passes to the next
//            |                               |   waiter (rule 2)
//
// Rule 2: a permit assigned to a waiter is never lost: the waiter turns it
// into a SemaphorePermit (Ready), or gives it back through release() — the
// next waiter gets it — when it is dropped or sees the semaphore closed.
//
// Cancellation: acquire() is cancellation-safe: dropping the future at any
// point loses no permits (rule 2), though it gives up its place in line.
//
// Memory ordering: the word is CASed acq_rel; a permit taken with an acquire
// CAS sees everything the releasing side did before its release fetch_add.
// Waiter nodes are only touched under `mu_`, which orders the rest.

#ifndef MAGPIE_RUNTIME_SYNC_SEMAPHORE_H_
#define MAGPIE_RUNTIME_SYNC_SEMAPHORE_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "runtime/core/atomic.h"
#include "runtime/core/context.h"
#include "runtime/core/mutex.h"
#include "runtime/core/poll.h"
#include "runtime/sync/result.h"
#include "runtime/sync/waiter_list.h"

namespace magpie::sync {

// acquire() on a closed semaphore.
enum class AcquireError { kClosed };

enum class TryAcquireError {
  kClosed,     // the semaphore was closed
  kNoPermits,  // not enough permits right now (or waiters ahead)
};

class Semaphore;

// Permits taken from a Semaphore, returned when destroyed. Move-only.
class [[nodiscard]] SemaphorePermit {
 public:
  SemaphorePermit() = default;  // holds no permits
  SemaphorePermit(SemaphorePermit&& other) noexcept;
  SemaphorePermit& operator=(SemaphorePermit&& other) noexcept;
  ~SemaphorePermit();

  std::uint32_t num_permits() const noexcept { return permits_; }

  // Keeps the permits out of the semaphore for good (its count shrinks).
  void forget() noexcept { permits_ = 0; }

  // Takes over `other`'s permits. Both must come from the same semaphore
  // (or one of them hold none); otherwise throws std::invalid_argument.
  void merge(SemaphorePermit&& other);

  // Splits `n` permits off into a new permit; nullopt if fewer are held.
  std::optional<SemaphorePermit> split(std::uint32_t n);

 private:
  friend class Semaphore;
  SemaphorePermit(Semaphore* sem, std::uint32_t permits) noexcept
      : sem_(sem), permits_(permits) {}

  Semaphore* sem_ = nullptr;
  std::uint32_t permits_ = 0;
};

class Semaphore {
 public:
  class Acquire;

  // Beyond this, add_permits() and the constructor throw std::length_error
  // (Tokio's MAX_PERMITS: three bits are kept free).
  static constexpr std::size_t kMaxPermits = SIZE_MAX >> 3;

  explicit Semaphore(std::size_t permits);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;
  ~Semaphore() = default;

  // Waits for `n` permits, FIFO. Output: Result<SemaphorePermit,
  // AcquireError>; the error once the semaphore is closed. Cancellation-
  // safe (see the top). acquire(0) is ready at once with an empty permit.
  Acquire acquire(std::uint32_t n = 1);

  // Takes `n` permits now if they are free and nobody waits ahead.
  Result<SemaphorePermit, TryAcquireError> try_acquire(std::uint32_t n = 1);

  // Adds `n` permits (waiters first, in order). Throws std::length_error if
  // the count would pass kMaxPermits.
  void add_permits(std::size_t n);

  // Closes: every waiter and every later acquire() gets AcquireError::
  // kClosed, try_acquire() kClosed. Permits already held stay valid and
  // are returned as usual. Idempotent.
  void close();
  bool is_closed() const;

  // A snapshot.
  std::size_t available_permits() const;

  // Returns `n` permits taken earlier and forgotten (for primitives built
  // on the semaphore: Mutex, RwLock and mpsc keep their permits in guards).
  // Waiters first, in order.
  void release(std::size_t n);

 private:
  friend class Acquire;

  static constexpr std::size_t kClosed = 1;
  static constexpr int kShift = 1;

  // What one CAS on the word did.
  enum class Taken { kAll, kSome, kClosed };

  // Takes up to `n` permits from the word (all of them, or with
  // `partial`, as many as there are), counting them in `*taken`.
  [[nodiscard]] Taken take(std::uint32_t n, bool partial, std::size_t* taken);

  // One waiting Acquire. Fields guarded by the semaphore's mu_.
  struct Node : internal::WaiterLink {
    std::size_t remaining = 0;  // permits still to be assigned
    Waker waker;
  };

  // Assigns `n` permits to the waiters in order, the rest to the word.
  void release_locked(std::size_t n, internal::WakeList& wake)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  core::Atomic<std::size_t> permits_;
  core::Mutex mu_;
  internal::WaiterList<Node> waiters_ ABSL_GUARDED_BY(mu_);
};

// The future of Semaphore::acquire(). Movable only before its first poll.
class [[nodiscard]] Semaphore::Acquire {
 public:
  using Output = Result<SemaphorePermit, AcquireError>;

  Acquire(Acquire&& other) noexcept;
  Acquire& operator=(Acquire&&) = delete;
  ~Acquire();

  Poll<Output> poll(Context& cx);

 private:
  friend class Semaphore;
  enum class State { kIdle, kWaiting, kDone };

  Acquire(Semaphore* sem, std::uint32_t n) noexcept : sem_(sem), n_(n) {}

  Semaphore* sem_;
  std::uint32_t n_;
  State state_ = State::kIdle;
  Node node_;
};

}  // namespace magpie::sync

#endif  // MAGPIE_RUNTIME_SYNC_SEMAPHORE_H_
