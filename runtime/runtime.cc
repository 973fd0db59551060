#include "runtime/runtime.h"

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string_view>

namespace magpie {
namespace {

// The calling thread's current runtime (innermost EnterGuard), or null.
thread_local const Handle* current_handle = nullptr;

// For blocking-pool threads: their Handle and reactor guard, for the
// thread's life (set by the pool's start hook, cleared by its stop hook).
thread_local std::unique_ptr<Handle> thread_handle;
thread_local std::optional<reactor::EnterGuard> thread_reactor_guard;

void set_thread_name(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace

// ---- Handle --------------------------------------------------------------

Handle Handle::current() { return current_ref(); }

const Handle& Handle::current_ref() {
  if (current_handle == nullptr) throw NoCurrentRuntime();
  return *current_handle;
}

std::optional<Handle> Handle::try_current() {
  if (current_handle == nullptr) return std::nullopt;
  return *current_handle;
}

Handle::EnterGuard::EnterGuard(const Handle& handle)
    : handle_(handle), saved_(current_handle) {
  handle_.shared_->enter_reactor(reactor_guard_);
  current_handle = &handle_;
}

Handle::EnterGuard::~EnterGuard() {
  current_handle = saved_;
  reactor_guard_.reset();  // guards unwind in reverse order
}

namespace runtime_internal {

void RuntimeShared::enter_reactor(
    std::optional<reactor::EnterGuard>& slot) const {
  if (reactor.has_value()) slot.emplace(reactor->handle());
}

}  // namespace runtime_internal

RuntimeMetrics Handle::metrics() const {
  RuntimeMetrics metrics = shared_->scheduler->metrics();
  metrics.blocking_threads = shared_->blocking->num_threads();
  metrics.blocking_queue_depth = shared_->blocking->queue_depth();
  return metrics;
}

std::vector<TaskDump> Handle::dump_tasks() const {
  std::vector<TaskDump> tasks = shared_->scheduler->owned().dump();
  for (TaskDump& root :
       block_on_internal::RootRegistration::dump(dump_tag(), false)) {
    tasks.push_back(std::move(root));
  }
  return tasks;
}

// ---- Builder -------------------------------------------------------------

Runtime::Builder::Builder() {
  const unsigned cores = std::thread::hardware_concurrency();
  scheduler_.worker_threads = cores == 0 ? 1 : cores;
  if (const char* seed = std::getenv("MAGPIE_CHAOS_SEED")) {
    scheduler_.chaos_seed = std::strtoull(seed, nullptr, 10);
    // Said once per process, so a log of a run under the variable names the
    // seed; a Builder::chaos caller (the stress harness) reports its own.
    static std::once_flag said;
    std::call_once(said, [seed = scheduler_.chaos_seed] {
      std::fprintf(stderr,
                   "magpie: MAGPIE_CHAOS_SEED=%llu: chaos scheduling on for "
                   "runtimes built without Builder::chaos\n",
                   static_cast<unsigned long long>(seed));
    });
  }
  if (const char* mode = std::getenv("MAGPIE_IO_DRIVER")) {
    const std::string_view name(mode);
    if (name == "workers") io_driver_ = IoDriver::kWorkers;
    if (name == "reactor") io_driver_ = IoDriver::kReactorThread;
  }
}

Runtime::Builder& Runtime::Builder::worker_threads(std::size_t n) {
  if (n == 0) throw std::invalid_argument("magpie: worker_threads must be > 0");
  scheduler_.worker_threads = n;
  return *this;
}
Runtime::Builder& Runtime::Builder::thread_name(std::string prefix) {
  // Thread names reach pthread_setname_np as C strings.
  if (prefix.find('\0') != std::string::npos) {
    throw std::invalid_argument("magpie: thread_name contains a NUL character");
  }
  thread_name_ = std::move(prefix);
  return *this;
}
Runtime::Builder& Runtime::Builder::on_thread_start(
    std::function<void()> hook) {
  on_thread_start_ = std::move(hook);
  return *this;
}
Runtime::Builder& Runtime::Builder::on_thread_stop(std::function<void()> hook) {
  on_thread_stop_ = std::move(hook);
  return *this;
}
Runtime::Builder& Runtime::Builder::global_queue_interval(std::uint32_t ticks) {
  if (ticks == 0) throw std::invalid_argument("magpie: interval must be > 0");
  scheduler_.global_queue_interval = ticks;
  return *this;
}
Runtime::Builder& Runtime::Builder::park_spin(std::chrono::nanoseconds spin) {
  scheduler_.park_spin = std::max(spin, std::chrono::nanoseconds::zero());
  return *this;
}
Runtime::Builder& Runtime::Builder::rescue_stalled_workers(bool on) {
  scheduler_.rescue_stalled_workers = on;
  return *this;
}
Runtime::Builder& Runtime::Builder::event_interval(std::uint32_t ticks) {
  if (ticks == 0) throw std::invalid_argument("magpie: interval must be > 0");
  scheduler_.event_interval = ticks;
  return *this;
}
Runtime::Builder& Runtime::Builder::max_blocking_threads(std::size_t n) {
  if (n == 0)
    throw std::invalid_argument("magpie: max_blocking_threads must be > 0");
  max_blocking_threads_ = n;
  return *this;
}
Runtime::Builder& Runtime::Builder::thread_keep_alive(
    std::chrono::milliseconds keep_alive) {
  keep_alive_ = keep_alive;
  return *this;
}

Runtime::Builder& Runtime::Builder::enable_io(bool on) {
  enable_io_ = on;
  return *this;
}
Runtime::Builder& Runtime::Builder::enable_time(bool on) {
  enable_time_ = on;
  return *this;
}

Runtime::Builder& Runtime::Builder::io_driver(IoDriver mode) {
  io_driver_ = mode;
  return *this;
}

Runtime::Builder& Runtime::Builder::unhandled_exception(
    UnhandledExceptionHandler handler) {
  scheduler_.unhandled_exception = std::move(handler);
  return *this;
}

Runtime::Builder& Runtime::Builder::chaos(std::uint64_t seed) {
  scheduler_.chaos_seed = seed;
  return *this;
}
Runtime::Builder& Runtime::Builder::chaos_decision_log(std::size_t capacity) {
  scheduler_.chaos_log_capacity = capacity;
  return *this;
}
Runtime::Builder& Runtime::Builder::stuck_poll_threshold(
    std::chrono::nanoseconds threshold) {
  scheduler_.stuck_poll_threshold =
      threshold.count() > 0 ? threshold : std::chrono::nanoseconds(0);
  return *this;
}
Runtime::Builder& Runtime::Builder::on_stuck_poll(StuckPollHandler handler) {
  scheduler_.on_stuck_poll = std::move(handler);
  return *this;
}
Runtime::Builder& Runtime::Builder::on_lost_task(
    task::LostTaskHandler handler) {
  scheduler_.on_lost_task = std::move(handler);
  return *this;
}

Runtime Runtime::Builder::build() { return Runtime(*this); }

// ---- Runtime -------------------------------------------------------------

Runtime::Runtime() : Runtime(Builder()) {}

Runtime::Runtime(const Builder& builder)
    : handle_(make_arc<runtime_internal::RuntimeShared>()) {
  auto& shared = *handle_.shared_;
  scheduler::SchedulerConfig config = builder.scheduler_;
  if (builder.enable_io_ || builder.enable_time_) {
    reactor::Reactor::Options options;
    options.thread_name = builder.thread_name_ + "-io";
    // kWorkers: the workers turn the driver (reactor thread only after
    // they stopped, see shutdown_until).
    options.own_thread = builder.io_driver_ == IoDriver::kReactorThread;
    absl::StatusOr<reactor::Reactor> started = reactor::Reactor::start(options);
    if (!started.ok()) {
      throw std::runtime_error("magpie: cannot start the reactor: " +
                               started.status().ToString());
    }
    shared.reactor.emplace(std::move(*started));
    if (!options.own_thread) config.park_driver = shared.reactor->park_driver();
  }
  shared.scheduler =
      task::make_registered_arc<scheduler::Shared>(std::move(config));

  // Blocking threads see this runtime as current, and run the user's hooks.
  // They hold a Handle (not the Runtime), so the hooks can't outlive it.
  scheduler::BlockingPoolConfig blocking;
  blocking.max_threads = builder.max_blocking_threads_;
  blocking.keep_alive = builder.keep_alive_;
  blocking.thread_name = builder.thread_name_ + "-blk";
  blocking.unhandled_exception = builder.scheduler_.unhandled_exception;
  Handle handle = handle_;
  auto on_start = builder.on_thread_start_;
  auto on_stop = builder.on_thread_stop_;
  blocking.on_thread_start = [handle, on_start] {
    thread_handle = std::make_unique<Handle>(handle);
    current_handle = thread_handle.get();
    handle.shared_->enter_reactor(thread_reactor_guard);
    if (on_start) on_start();
  };
  blocking.on_thread_stop = [on_stop] {
    if (on_stop) on_stop();
    thread_reactor_guard.reset();
    current_handle = nullptr;
    thread_handle.reset();
  };
  shared.blocking =
      std::make_unique<scheduler::BlockingPool>(std::move(blocking));

  const std::size_t n = builder.scheduler_.worker_threads;
  workers_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    workers_.emplace_back([handle, on_start, on_stop, i,
                           name =
                               builder.thread_name_ + "-" + std::to_string(i)] {
      set_thread_name(name);
      // A thread magpie created: 1 us timer slack for its timed waits
      // (parked with a timer deadline, or in epoll with IoDriver::kWorkers).
      reactor::Reactor::set_up_own_thread();
      // Any block_on here would stall the worker (DESIGN.md §5).
      block_on_internal::NoBlockOnScope no_block_on("a runtime worker");
      Handle::EnterGuard guard(handle);
      if (on_start) on_start();
      scheduler::Shared::run_worker(handle.shared_->scheduler, i);
      if (on_stop) on_stop();
    });
  }
}

Runtime::Runtime(Runtime&& other) noexcept
    : handle_(std::move(other.handle_)),
      workers_(std::move(other.workers_)),
      shut_down_(std::exchange(other.shut_down_, true)) {}

Runtime::~Runtime() { shutdown(); }

std::size_t Runtime::num_workers() const { return workers_.size(); }

std::uint64_t Runtime::chaos_seed() const {
  return handle_.shared_->scheduler->config().chaos_seed;
}

std::vector<ChaosDecision> Runtime::chaos_decisions(std::size_t worker) const {
  return handle_.shared_->scheduler->chaos_decisions(worker);
}

void Runtime::check_not_on_worker(const char* what) const {
  if (handle_.shared_->scheduler->is_current_thread_worker()) {
    throw std::logic_error(std::string("magpie: Runtime::") + what +
                           " called from one of the runtime's own workers");
  }
}

void Runtime::shutdown() {
  shutdown_until(std::chrono::steady_clock::time_point::max());
}

bool Runtime::shutdown_timeout(std::chrono::nanoseconds timeout) {
  return shutdown_until(core::deadline_after(timeout));
}

bool Runtime::shutdown_until(std::chrono::steady_clock::time_point deadline) {
  if (shut_down_) return true;
  check_not_on_worker("shutdown");
  shut_down_ = true;
  auto& shared = *handle_.shared_;
  shared.scheduler->begin_shutdown();
  for (std::thread& worker : workers_) worker.join();
  // kWorkers: nobody turns the driver any more, but blocking jobs and the
  // futures dropped below may still wait on sockets and timers: a reactor
  // thread serves them until the reactor shuts down (no-op otherwise).
  if (shared.reactor.has_value()) shared.reactor->start_thread();
  bool blocking_done;
  {
    // The futures and blocking jobs dropped here see this runtime as the
    // current one, like those dropped on a worker: a destructor may spawn
    // (and gets a cancelled handle) or deregister a socket.
    Handle::EnterGuard guard(handle_);
    shared.scheduler->finish_shutdown();
    blocking_done = shared.blocking->shutdown(deadline);
  }
  // Last: the futures dropped above may have deregistered sockets.
  if (shared.reactor.has_value()) shared.reactor->shutdown();
  return blocking_done;
}

}  // namespace magpie
