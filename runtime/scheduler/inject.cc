#include "runtime/scheduler/inject.h"

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "runtime/core/sanitizers.h"

#if defined(MAGPIE_UNDER_TSAN)
// ThreadSanitizer suppression, compiled into every TSan binary that uses the
// inject queue (so tests, tools and users' TSan builds all get it, with no
// file path to wire up). Keep it narrow; never suppress magpie's own code.
//
// moodycamel::ConcurrentQueue 1.0.3 (Debian libconcurrentqueue-dev), used by
// runtime/scheduler/inject.cc: when several consumers dequeue from one
// implicit producer's block, each marks its slot consumed with
// `elementsCompletelyDequeued.fetch_add(1, release)`; the one that makes the
// count reach BLOCK_SIZE puts the block on the free list (release CAS) without
// acquiring the other consumers' increments, and a producer that takes the
// block off the free list (acquire) overwrites the slots. So another
// consumer's read of a slot has no C++ happens-before edge to the producer's
// later write, and TSan reports "read in ImplicitProducer::dequeue / write in
// ImplicitProducer::enqueue or enqueue_bulk" on a block allocated in
// requisition_block. TSan reports in the queue's lock-free paths have been
// raised upstream before (cameron314/concurrentqueue issues #49, #254). The
// slot read is ordered before the release RMW in program order, and the
// free-list release
// is cumulative on x86-64 and ARMv8, so it cannot misbehave on the hardware
// we target; TSan follows the language model. Matching the dequeue frame
// only suppresses races whose one side is inside moodycamel's implicit-
// producer dequeue (copying a Header* out of a slot), never magpie's code.
//
// The explicit producers (inject rule 5) have the same shape with a fence:
// a consumer marks its slot empty with a release store, and the producer
// that reuses the block checks every slot's flag with relaxed loads followed
// by std::atomic_thread_fence(acquire) (Block::is_empty<explicit_context>),
// a correct C++ happens-before edge that TSan does not model (it ignores
// fences). So TSan reports "write in ExplicitProducer::enqueue or
// enqueue_bulk (into a reused slot) / read in ExplicitProducer::dequeue"; the
// read's stack is often lost, hence both frames. Each matches only a slot
// copy inside moodycamel's explicit producer.
extern "C" const char* __tsan_default_suppressions() {
  return "race:moodycamel::ConcurrentQueue*::ImplicitProducer::dequeue*\n"
         "race:moodycamel::ConcurrentQueue*::ExplicitProducer::dequeue*\n"
         "race:moodycamel::ConcurrentQueue*::ExplicitProducer::enqueue*\n";
}
#endif  // MAGPIE_UNDER_TSAN

namespace magpie::scheduler {
namespace {

// moodycamel's enqueue fails only when it cannot allocate a block. Dropping
// the task would lose it silently (its JoinHandle would never complete), so
// treat it like any other allocation failure in the scheduler: abort.
[[noreturn]] void enqueue_failed() {
  std::fputs("magpie: Inject queue could not allocate; aborting\n", stderr);
  std::abort();
}

// Rule 5: the home stripe of the calling thread, handed out round robin on
// its first push (to any Inject: the index is only a starting point).
std::size_t home_stripe() {
  // ORDERING: relaxed; the counter only spreads threads over stripes.
  static core::Atomic<std::size_t> next{0};
  thread_local const std::size_t home =
      next.fetch_add(1, std::memory_order_relaxed);
  return home;
}

// Rule 6: serials start at 1; 0 means "no token yet".
std::uint64_t next_serial() {
  // ORDERING: relaxed; only uniqueness matters.
  static core::Atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void Inject::StripeLock::lock() {
  // Only when every stripe was busy: the holder is inside one enqueue, or
  // was preempted there, so yield rather than spin hard.
  while (!try_lock()) std::this_thread::yield();
}

Inject::Inject() : serial_(next_serial()) {
  for (Stripe& stripe : stripes_) {
    stripe.mu.lock();
    stripe.token.emplace(queue_);
    stripe.mu.unlock();
  }
}

template <class Enqueue>
void Inject::enqueue_striped(Enqueue&& enqueue) {
  static_assert((kProducerStripes & (kProducerStripes - 1)) == 0);
  const std::size_t home = home_stripe();
  // Try-lock round the stripes from our home one; if every one is busy,
  // wait for the home one.
  for (std::size_t i = 0; i < kProducerStripes; ++i) {
    Stripe& stripe = stripes_[(home + i) & (kProducerStripes - 1)];
    if (!stripe.mu.try_lock()) continue;
    const bool ok = enqueue(*stripe.token);
    stripe.mu.unlock();
    if (!ok) enqueue_failed();
    return;
  }
  Stripe& stripe = stripes_[home & (kProducerStripes - 1)];
  stripe.mu.lock();
  const bool ok = enqueue(*stripe.token);
  stripe.mu.unlock();
  if (!ok) enqueue_failed();
}

Inject::~Inject() {
  assert(is_empty() && "drain() the Inject queue first");
  drain();
}

bool Inject::begin_push() {
  // ORDERING: seq_cst, the pusher's half of the Dekker pair with close()
  // (rule 3): this increment and the load of closed_ below against close()'s
  // store of closed_ and its load of pushers_.
  pushers_.fetch_add(1, std::memory_order_seq_cst);
  if (closed_.load(std::memory_order_seq_cst)) {
    end_push();
    return false;
  }
  return true;
}

void Inject::end_push() {
  // ORDERING: release pairs with close()'s load of pushers_: our enqueue and
  // count happen before close() returns (rule 4).
  pushers_.fetch_sub(1, std::memory_order_release);
}

bool Inject::push(task::Notified task) {
  if (!begin_push()) return false;  // `task` drops its reference
  task::Header* header = std::move(task).into_raw();
  enqueue_striped([&](moodycamel::ProducerToken& token) {
    return queue_.enqueue(token, header);
  });
  // ORDERING: seq_cst, after the enqueue (rules 1, 2); pairs with the
  // seq_cst loads in len() — the worker's pre-park check.
  len_.fetch_add(1, std::memory_order_seq_cst);
  end_push();
  return true;
}

bool Inject::push_batch(task::Header* const* tasks, std::size_t n) {
  if (n == 0) return !is_closed();
  if (!begin_push()) {
    for (std::size_t i = 0; i < n; ++i) {
      task::Notified::from_raw(tasks[i]).reset();
    }
    return false;
  }
  enqueue_striped([&](moodycamel::ProducerToken& token) {
    return queue_.enqueue_bulk(token, tasks, n);
  });
  // ORDERING: as in push().
  len_.fetch_add(static_cast<std::int64_t>(n), std::memory_order_seq_cst);
  end_push();
  return true;
}

moodycamel::ConsumerToken& Inject::consumer_token() {
  struct Cached {
    std::uint64_t serial = 0;
    std::optional<moodycamel::ConsumerToken> token;
  };
  thread_local Cached cached;
  if (cached.serial != serial_) {
    cached.token.emplace(queue_);
    cached.serial = serial_;
  }
  return *cached.token;
}

task::Notified Inject::pop() {
  for (int attempt = 0; attempt < kPopAttempts; ++attempt) {
    if (len() == 0) return {};
    task::Header* header = nullptr;
    if (queue_.try_dequeue(consumer_token(), header)) {
      // ORDERING: seq_cst, after the dequeue (rules 1, 2); pairs with the
      // seq_cst loads in len().
      len_.fetch_sub(1, std::memory_order_seq_cst);
      return task::Notified::from_raw(header);
    }
  }
  return {};
}

std::size_t Inject::pop_batch(task::Header** out, std::size_t max) {
  if (max == 0) return 0;
  for (int attempt = 0; attempt < kPopAttempts; ++attempt) {
    if (len() == 0) return 0;
    const std::size_t n = queue_.try_dequeue_bulk(consumer_token(), out, max);
    if (n > 0) {
      // ORDERING: seq_cst, after the dequeue (rules 1, 2), as in pop().
      len_.fetch_sub(static_cast<std::int64_t>(n), std::memory_order_seq_cst);
      return n;
    }
  }
  return 0;
}

std::size_t Inject::len() const {
  // ORDERING: seq_cst pairs with the seq_cst updates in push, push_batch and
  // pop, and orders this read in the single total order with a parking
  // worker's announcement (rule 2).
  const std::int64_t n = len_.load(std::memory_order_seq_cst);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

void Inject::close() {
  // ORDERING: seq_cst, the closer's half of the Dekker pair (rule 3).
  closed_.store(true, std::memory_order_seq_cst);
  // ORDERING: seq_cst (the Dekker load; it also acquires, pairing with
  // end_push's release). Pushers hold the count only across one enqueue, so
  // yielding briefly is enough.
  while (pushers_.load(std::memory_order_seq_cst) != 0) {
    std::this_thread::yield();
  }
}

bool Inject::is_closed() const {
  // ORDERING: relaxed; a hint for callers that want to skip work. Rule 3
  // rests on begin_push's seq_cst load, not on this one.
  return closed_.load(std::memory_order_relaxed);
}

void Inject::drain() {
  while (true) {
    if (task::Notified task = pop()) continue;  // drops its reference
    if (len() == 0) return;
    // Entries are counted but another consumer holds the one we missed, or
    // the dequeue failed spuriously (rule 1): let it finish.
    std::this_thread::yield();
  }
}

}  // namespace magpie::scheduler
