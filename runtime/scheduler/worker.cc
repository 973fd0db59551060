#include "runtime/scheduler/worker.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <optional>
#include <utility>

#include "runtime/core/coop.h"
#include "runtime/core/cpu_relax.h"
#include "runtime/core/poll_stats.h"
#include "runtime/core/wake_batch.h"

namespace magpie::scheduler {

// The worker's own state, touched only by its thread (so no atomics).
class Worker {
 public:
  Worker(Shared* shared, std::size_t index)
      : shared_(shared),
        index_(index),
        remote_(shared->remotes_[index].get()),
        chaos_(remote_->chaos.get()),
        watch_polls_(shared->stall_monitor_ != nullptr),
        ticks_to_maintenance_(shared->config_.event_interval),
        ticks_to_inject_check_(shared->config_.global_queue_interval),
        rng_state_(0x9E3779B97F4A7C15ull * (index + 1)) {
    if (shared->config_.rescue_stalled_workers && shared->remotes_.size() > 1) {
      peer_watch_.resize(shared->remotes_.size());
    }
  }

  void run();

  // Called by Shared::schedule on this worker's thread. Inlined there and
  // in push_local's callers: every wake takes this path (a driver turn's,
  // one per request on the echo server), and the calls with a by-value
  // Notified at each level cost ~25 instructions a wake (callgrind, echo).
  [[gnu::always_inline]] void schedule_local(task::Notified task,
                                             bool use_lifo);
  // Called by Shared::schedule_new (a spawn) on this worker's thread.
  void schedule_new_local(task::Notified task);

  Shared* shared() const { return shared_; }

 private:
  task::Notified next_task();
  task::Notified steal_work();
  task::Notified pop_inject_batch();
  void run_task(task::Notified task);
  void park();
  void maintenance();
  void rescue_stalled_workers();
  bool spin_for_work();
  [[gnu::always_inline]] void push_local(task::Notified task);
  bool should_notify_others() const;
  void shutdown_core();
  std::uint64_t next_random();
  bool chaos_schedule(task::Notified& task, bool& use_lifo);

  Shared* const shared_;
  const std::size_t index_;
  Remote* const remote_;
  Chaos* const chaos_;      // null unless chaos is on (chaos.h)
  const bool watch_polls_;  // a stall monitor reads remote_->poll_slot
  task::Notified lifo_slot_;
  std::uint32_t lifo_polls_ = 0;
  // Countdowns to the tick's periodic checks (worker.h, worker loop 1):
  // a decrement and a test per tick, where `tick % interval` was a division
  // by a runtime value on every tick, twice.
  std::uint32_t ticks_to_maintenance_;   // event_interval
  std::uint32_t ticks_to_inject_check_;  // global_queue_interval
  // Polls until the next read of the clock into core::worker_clock_ms
  // (poll_stats.h, "Worker clock"); 1: the next poll reads it.
  std::uint32_t polls_to_clock_read_ = 1;
  bool is_searching_ = false;
  bool spun_ = false;  // spun since it last ran a task (spin_for_work)
  // Inside a driver turn (park or maintenance): schedule_local defers the
  // notification of other workers to the end of the turn.
  bool in_driver_turn_ = false;
  std::uint64_t rng_state_;
  // Stalled-worker rescue (worker.h): what this worker saw of each other
  // worker at its last checks. Empty when the rescue is off or alone.
  struct PeerWatch {
    std::uint64_t polls = 0;  // its poll count at our last check
    // When we first saw it not moving with tasks queued; {}: not seen so.
    std::chrono::steady_clock::time_point quiet_since{};
  };
  std::vector<PeerWatch> peer_watch_;
};

namespace {

// Stalled-worker rescue (worker.h): how long another worker's poll count
// must stay unchanged, with tasks in its queue, before a busy worker steals
// from it. A poll or driver turn that long is already a fault (or the OS
// took the thread away); shorter ones (a big timer turn, a slow system
// call) are left alone, so a healthy worker is not robbed of the work it
// just queued.
constexpr std::chrono::microseconds kStalledAfter{2000};

// pop_inject_batch(): the most tasks one worker takes from the inject queue
// at once, half its local queue (Tokio: the same bound).
constexpr std::size_t kInjectBatchMax = LocalQueue::kCapacity / 2;

// spin_for_work(): queue checks between reads of the clock.
constexpr std::uint32_t kSpinChecksPerClockRead = 16;

// Polls stamped with one clock reading (poll_stats.h, "Worker clock"): the
// coarse clock only moves every 1-4 ms, and 16 short polls take
// microseconds, so the stamps stay as good as the clock's tick.
constexpr std::uint32_t kPollsPerClockRead = 16;

// The worker running on this thread, if any (of any scheduler).
thread_local Worker* current_worker = nullptr;

class CurrentWorkerScope {
 public:
  explicit CurrentWorkerScope(Worker* worker)
      : saved_(std::exchange(current_worker, worker)) {}
  ~CurrentWorkerScope() { current_worker = saved_; }

 private:
  Worker* saved_;
};

}  // namespace

// ---- Shared --------------------------------------------------------------

Shared::Shared(SchedulerConfig config)
    : config_(config),
      idle_(config.worker_threads),
      owned_(task::OwnedTasks::kShardsPerWorker * config.worker_threads) {
  assert(config.worker_threads > 0);
  remotes_.reserve(config.worker_threads);
  for (std::size_t i = 0; i < config.worker_threads; ++i) {
    remotes_.push_back(std::make_unique<Remote>());
    remotes_.back()->parker =
        std::make_unique<park::WorkerParker>(config.park_driver);
  }
  if (config.chaos_seed != 0) {
    chaos_enabled_.emplace();
    for (std::size_t i = 0; i < remotes_.size(); ++i) {
      remotes_[i]->chaos = std::make_unique<Chaos>(config.chaos_seed, i,
                                                   config.chaos_log_capacity);
    }
  }
  if (config.stuck_poll_threshold.count() > 0) {
    std::vector<const PollSlot*> slots;
    for (const auto& remote : remotes_) slots.push_back(&remote->poll_slot);
    stall_monitor_ = std::make_unique<StallMonitor>(
        std::move(slots), config.stuck_poll_threshold, config.on_stuck_poll);
  }
}

bool current_thread_is_worker() { return current_worker != nullptr; }

bool Shared::is_current_thread_worker() const {
  return current_worker != nullptr && current_worker->shared() == this;
}

void Shared::schedule(task::Notified task, bool is_yield) {
  if (is_current_thread_worker()) {
    current_worker->schedule_local(std::move(task), !is_yield);
    return;
  }
  // A thread that wakes many tasks in a row (the reactor, per turn) batches
  // them: flush_wake_batch() pushes them at once and notifies once.
  task::Header* header = std::move(task).into_raw();
  if (core::WakeBatch::append(this, &Shared::flush_wake_batch, header)) return;
  // A closed inject queue (after shutdown) drops the reference: the task is
  // already complete, so nothing is lost.
  inject_.push(task::Notified::from_raw(header));
  notify_parked();
}

void Shared::flush_wake_batch(void* self, void* const* items, std::size_t n) {
  auto* shared = static_cast<Shared*>(self);
  // SAFETY: every item is a task::Header* owning one queue reference
  // (schedule() above); push_batch takes them over.
  // (void* -> Header* in chunks on the stack: no aliasing cast, no heap.)
  constexpr std::size_t kChunk = 64;
  task::Header* chunk[kChunk];
  for (std::size_t done = 0; done < n;) {
    const std::size_t m = std::min(kChunk, n - done);
    for (std::size_t i = 0; i < m; ++i) {
      chunk[i] = static_cast<task::Header*>(items[done + i]);
    }
    shared->inject_.push_batch(chunk, m);
    done += m;
  }
  // One notification is enough: the woken worker searches, and the last
  // searcher to find work wakes the next (idle rule 3); no notification at
  // all while a worker searches or spins (idle rule 2).
  shared->notify_parked();
}

void Shared::schedule_new(task::Notified task) {
  if (is_current_thread_worker()) {
    current_worker->schedule_new_local(std::move(task));
    return;
  }
  inject_.push(std::move(task));
  notify_parked();
}

void Shared::notify_parked() {
  if (std::optional<std::size_t> worker = idle_.worker_to_notify()) {
    remotes_[*worker]->parker->unpark();
  }
}

void Shared::notify_parked_local() {
  if (std::optional<std::size_t> worker = idle_.worker_to_notify_local()) {
    remotes_[*worker]->parker->unpark();
  }
}

bool Shared::has_work_anywhere() const {
  if (inject_.len() > 0) return true;
  for (const auto& remote : remotes_) {
    if (!remote->queue.is_empty()) return true;
  }
  return false;
}

void Shared::begin_shutdown() {
  // ORDERING: release pairs with the acquire in is_shutdown().
  shutdown_.store(true, std::memory_order_release);
  for (const auto& remote : remotes_) remote->parker->unpark();
}

std::vector<ChaosDecision> Shared::chaos_decisions(std::size_t worker) const {
  if (worker >= remotes_.size() || !remotes_[worker]->chaos) return {};
  return remotes_[worker]->chaos->decisions();
}

void Shared::finish_shutdown() {
  if (stall_monitor_) stall_monitor_->stop();
  // Workers have exited. Anything left is shut down here: tasks spawned
  // while the workers were leaving, and queue entries of finished tasks.
  owned_.close_and_shutdown_all();
  inject_.close();
  inject_.drain();
}

RuntimeMetrics Shared::metrics() const {
  RuntimeMetrics out;
  out.global_queue_depth = inject_.len();
  // ORDERING: relaxed; a statistic.
  out.stale_wakes = stale_wakes_.load(std::memory_order_relaxed);
  for (const auto& remote : remotes_) {
    const WorkerCounters& c = remote->counters;
    WorkerMetrics w;
    w.polls = c.polls.get();
    w.steals = c.steals.get();
    w.steal_attempts = c.steal_attempts.get();
    w.tasks_stolen = c.tasks_stolen.get();
    w.parks = c.parks.get();
    w.unparks = c.unparks.get();
    w.lifo_hits = c.lifo_hits.get();
    w.overflows = c.overflows.get();
    w.spin_hits = c.spin_hits.get();
    w.rescues = c.rescues.get();
    w.local_queue_depth = remote->queue.len();
    out.workers.push_back(w);
  }
  return out;
}

void Shared::run_worker(const Arc<Shared>& shared, std::size_t index) {
  Worker worker(shared.get(), index);
  CurrentWorkerScope scope(&worker);
  worker.run();
  core::worker_clock_ms = 0;  // nothing stamps with it after the worker
}

// ---- Worker --------------------------------------------------------------

std::uint64_t Worker::next_random() {
  // xorshift64*: victim selection only needs to be cheap and spread out.
  rng_state_ ^= rng_state_ >> 12;
  rng_state_ ^= rng_state_ << 25;
  rng_state_ ^= rng_state_ >> 27;
  return rng_state_ * 0x2545F4914F6CDD1Dull;
}

void Worker::run() {
  // Chaos points on this thread reach this worker's engine (chaos rule 3).
  std::optional<core::ChaosHookScope> chaos_hook;
  if (chaos_ != nullptr) chaos_hook.emplace(chaos_);
  while (true) {
    if (--ticks_to_maintenance_ == 0) {
      ticks_to_maintenance_ = shared_->config_.event_interval;
      if (shared_->is_shutdown()) break;
      maintenance();
    }
    task::Notified task = next_task();
    if (!task) task = steal_work();
    if (task) {
      spun_ = false;
      run_task(std::move(task));
      continue;
    }
    if (shared_->is_shutdown()) break;
    park();
  }
  shutdown_core();
}

task::Notified Worker::next_task() {
  if (--ticks_to_inject_check_ == 0) {
    ticks_to_inject_check_ = shared_->config_.global_queue_interval;
    if (task::Notified task = shared_->inject_.pop()) {
      lifo_polls_ = 0;
      return task;
    }
  }
  if (lifo_slot_) {
    if (lifo_polls_ < shared_->config_.max_lifo_polls) {
      ++lifo_polls_;
      remote_->counters.lifo_hits.add();
      return std::move(lifo_slot_);
    }
    // The LIFO cap: to the back of the queue, so queued work gets its turn.
    push_local(std::move(lifo_slot_));
  }
  lifo_polls_ = 0;
  if (task::Notified task = remote_->queue.pop()) return task;
  return pop_inject_batch();
}

task::Notified Worker::pop_inject_batch() {
  // Our queue is empty (both callers looked). Take this worker's share of
  // the inject queue, at most half our queue, so thieves can take some of it
  // and a burst of remote spawns or of overflow is spread across workers
  // one dequeue at a time per worker, not one per task.
  const std::size_t queued = shared_->inject_.len();
  if (queued == 0) return {};
  const std::size_t share = std::min<std::size_t>(
      queued / shared_->remotes_.size() + 1, kInjectBatchMax);
  std::array<task::Header*, kInjectBatchMax> batch;
  const std::size_t n = shared_->inject_.pop_batch(batch.data(), share);
  if (n == 0) return {};
  for (std::size_t i = 1; i < n; ++i) {
    push_local(task::Notified::from_raw(batch[i]));
  }
  // Idle rule 2: queued where others may steal it, so a sleeper may help
  // (a searching worker's hand-off in run_task covers the steal_work path).
  if (n > 1 && should_notify_others()) shared_->notify_parked_local();
  return task::Notified::from_raw(batch[0]);
}

task::Notified Worker::steal_work() {
  if (!is_searching_) {
    if (!shared_->idle_.transition_worker_to_searching()) return {};
    is_searching_ = true;
  }
  const std::size_t n = shared_->remotes_.size();
  const std::size_t start =
      chaos_ != nullptr ? chaos_->steal_start(n) : next_random() % n;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t victim = (start + i) % n;
    if (victim == index_) continue;
    remote_->counters.steal_attempts.add();
    std::uint32_t taken = 0;
    task::Notified task = shared_->remotes_[victim]->queue.steal_into(
        remote_->queue,
        chaos_ != nullptr ? chaos_->steal_limit(LocalQueue::kCapacity)
                          : LocalQueue::kCapacity,
        &taken);
    if (task) {
      remote_->counters.steals.add();
      remote_->counters.tasks_stolen.add(taken);
      return task;
    }
  }
  return pop_inject_batch();
}

void Worker::run_task(task::Notified task) {
  if (is_searching_) {
    is_searching_ = false;
    // Idle rule 3: the last searcher found work; keep someone searching.
    if (shared_->idle_.transition_worker_from_searching()) {
      shared_->notify_parked();
    }
  }
  remote_->counters.polls.add();  // counted as it starts
  if (--polls_to_clock_read_ == 0) {
    polls_to_clock_read_ = kPollsPerClockRead;
    core::worker_clock_ms = core::coarse_now_ms();
  }
  coop::BudgetScope budget;
  if (watch_polls_) [[unlikely]] {
    remote_->poll_slot.begin(task.header()->id, task.header()->spawn_site);
    std::move(task).run();
    remote_->poll_slot.end();
    return;
  }
  std::move(task).run();
}

inline void Worker::push_local(task::Notified task) {
  if (remote_->queue.push_back(std::move(task), shared_->inject_) ==
      PushResult::kOverflowed) {
    remote_->counters.overflows.add();
  }
}

bool Worker::should_notify_others() const {
  // A searching worker will find its own queue's tasks stolen anyway; a
  // busy one with more than one ready task has work to give away.
  if (is_searching_) return false;
  return (lifo_slot_ ? 1u : 0u) + remote_->queue.len() > 1;
}

// Chaos (chaos.h): a random delay, then maybe deliver the wake late (through
// the inject queue, behind other work; true: done) or skip the LIFO slot.
bool Worker::chaos_schedule(task::Notified& task, bool& use_lifo) {
  chaos_->at(core::ChaosPoint::kSchedule);
  if (chaos_->defer_wake()) {
    shared_->inject_.push(std::move(task));
    shared_->notify_parked();
    return true;
  }
  if (use_lifo && chaos_->bypass_lifo()) use_lifo = false;
  return false;
}

inline void Worker::schedule_local(task::Notified task, bool use_lifo) {
  if (chaos_ != nullptr) [[unlikely]] {
    if (chaos_schedule(task, use_lifo)) return;
  }
  // A driver turn's wakes (I/O readiness, timers) go straight to the back
  // of the local queue, in event order: the LIFO slot is for the task a
  // running task just woke (its data is hot in this cache); a turn's wakes
  // would only displace one another through it. The notification of other
  // workers waits for the turn's end (maintenance(), park()), which counts
  // this queue (should_notify_others).
  if (in_driver_turn_) {
    push_local(std::move(task));
    return;
  }
  if (use_lifo) {
    task::Notified previous = std::exchange(lifo_slot_, std::move(task));
    if (!previous) return;  // nothing displaced, nothing new to steal
    push_local(std::move(previous));
  } else {
    push_local(std::move(task));
  }
  if (should_notify_others()) {
    shared_->notify_parked_local();
  }
}

void Worker::schedule_new_local(task::Notified task) {
  // The LIFO slot only when it is empty: a task that spawns one successor
  // (a chain) hands it over hot and unstealable, as Tokio does, while a
  // burst of spawns keeps its FIFO order in the queue and displaces nothing.
  schedule_local(std::move(task), /*use_lifo=*/!lifo_slot_);
}

void Worker::maintenance() {
  if (!peer_watch_.empty()) rescue_stalled_workers();
  if (!remote_->parker->has_driver()) return;
  in_driver_turn_ = true;
  const bool turned = remote_->parker->poll_driver();
  in_driver_turn_ = false;
  if (turned && should_notify_others()) shared_->notify_parked();
}

void Worker::rescue_stalled_workers() {
  using Clock = std::chrono::steady_clock;
  // Read only when some worker looks stalled: a busy runtime's workers all
  // move between two checks, so the common case reads no clock.
  std::optional<Clock::time_point> now;
  bool rescued = false;
  const std::size_t n = peer_watch_.size();
  for (std::size_t victim = 0; victim < n; ++victim) {
    if (victim == index_) continue;
    Remote& peer = *shared_->remotes_[victim];
    PeerWatch& watch = peer_watch_[victim];
    const std::uint64_t polls = peer.counters.polls.get();
    // It started a poll since our last check; or it is parked (its queue is
    // empty before it sleeps), or stuck with nothing behind it: nothing to
    // rescue.
    if (polls != watch.polls || peer.queue.is_empty()) {
      watch.polls = polls;
      watch.quiet_since = Clock::time_point{};
      continue;
    }
    if (!now) now = Clock::now();
    if (watch.quiet_since == Clock::time_point{}) {
      watch.quiet_since = *now;
      continue;
    }
    if (*now - watch.quiet_since < kStalledAfter) continue;
    // At most what keeps our queue from filling (a full queue overflows
    // half of itself to the inject queue at the next push); none when it
    // is half full already: then this worker has work enough, and the rest
    // waits for the next check (quiet_since is kept: still stalled, the
    // next check steals again).
    const std::uint32_t room =
        LocalQueue::kCapacity / 2 -
        std::min(remote_->queue.len(), LocalQueue::kCapacity / 2);
    if (room == 0) continue;
    std::uint32_t taken = 0;
    task::Notified task = peer.queue.steal_into(
        remote_->queue,
        chaos_ != nullptr ? std::min(room, chaos_->steal_limit(room)) : room,
        &taken);
    if (!task) continue;
    remote_->counters.rescues.add();
    remote_->counters.tasks_stolen.add(taken);
    // Behind this worker's own queued tasks: they were ready first.
    push_local(std::move(task));
    rescued = true;
  }
  // Now this worker holds more than it can run at once: a sleeper may take
  // some (idle rule 2).
  if (rescued && should_notify_others()) shared_->notify_parked();
}

bool Worker::spin_for_work() {
  // Still counted as unparked (and searching, if it was): a producer that
  // sees a searcher notifies nobody (idle rule 2) and this loop finds the
  // work; one that sees no searcher may wake a sleeper, as for a busy
  // worker. Nothing here replaces the announce/re-check of park().
  const std::chrono::nanoseconds spin = shared_->config_.park_spin;
  if (spin.count() <= 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + spin;
  for (std::uint32_t i = 1;; ++i) {
    if (!remote_->queue.is_empty() || shared_->inject_.len() > 0 ||
        shared_->is_shutdown()) {
      return true;
    }
    // Others' queues only when this worker may steal from them; otherwise
    // it would come straight back here.
    if (is_searching_ && shared_->has_work_anywhere()) return true;
    core::cpu_relax();
    if (i % kSpinChecksPerClockRead == 0 &&
        std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
  }
}

void Worker::park() {
  // However long this takes, the first poll after it reads the clock.
  polls_to_clock_read_ = 1;
  if (chaos_ != nullptr) [[unlikely]]
    chaos_->before_park();
  // Spin once per idle spell (spun_ is cleared when a task runs): bounded,
  // so an idle runtime still sleeps.
  if (!spun_) {
    spun_ = true;
    if (spin_for_work()) {
      remote_->counters.spin_hits.add();
      return;
    }
  }
  remote_->counters.parks.add();
  // Idle rule 1: announce first...
  if (shared_->idle_.transition_worker_to_parked(index_, is_searching_)) {
    // Idle rule 3: the last searcher re-checks everything before sleeping.
    if (shared_->has_work_anywhere()) shared_->notify_parked();
  }
  is_searching_ = false;
  while (true) {
    if (chaos_ != nullptr) [[unlikely]]
      chaos_->before_park_recheck();
    // ...then re-check (the partner of the producer's push-then-notify)...
    if (!remote_->queue.is_empty() || lifo_slot_ ||
        shared_->inject_.len() > 0 || shared_->is_shutdown()) {
      // ...and withdraw, unless a notifier already claimed us (then we wake
      // counted as searching).
      if (!shared_->idle_.unpark_worker_by_id(index_)) is_searching_ = true;
      break;
    }
    // ...then sleep. Woken by a notifier (which took us off the sleepers
    // list) or at shutdown; a stale unpark token just loops once. In the
    // driver, also after any turn (worker_parker.h rule 2): tasks the turn
    // woke are in our queues, and the re-check above withdraws us.
    in_driver_turn_ = true;
    remote_->parker->park();
    in_driver_turn_ = false;
    if (!shared_->idle_.is_parked(index_)) {
      is_searching_ = true;
      break;
    }
  }
  remote_->counters.unparks.add();
  // Deferred from the driver turn: off the sleepers list now, so a sleeper
  // we wake to steal is another worker.
  if (remote_->parker->has_driver() && should_notify_others()) {
    shared_->notify_parked();
  }
}

void Worker::shutdown_core() {
  if (is_searching_) {
    is_searching_ = false;
    (void)shared_->idle_.transition_worker_from_searching();
  }
  // Drop every task's future on this runtime thread (any worker may take
  // any task; the list hands each out once).
  shared_->owned_.close_and_shutdown_all();
  // Our queue entries point at tasks that are complete now: drop them.
  lifo_slot_.reset();
  remote_->queue.drain();
}

}  // namespace magpie::scheduler
