#include "runtime/scheduler/stall_monitor.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"

namespace magpie::scheduler {
namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t millis(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

void PollSlot::begin(std::uint64_t id, task::SpawnSite site) {
  // ORDERING: stall rule 2. Each release store orders the previous end()
  // (start 0) before it: a monitor that acquires one of these values and
  // then loads start again sees 0 or a newer start, never the old one, so
  // it drops the mixed read. (Release stores rather than a fence: TSan does
  // not model fences.)
  task_id.store(id, std::memory_order_release);
  file.store(site.file, std::memory_order_release);
  line.store(site.line, std::memory_order_release);
  // ORDERING: release pairs with the monitor's acquire load of start: the
  // fields above are this poll's when it sees this start (stall rule 1).
  // max(1, ...): 0 means "not polling".
  start_ns.store(std::max<std::int64_t>(1, now_ns()),
                 std::memory_order_release);
}

StallMonitor::StallMonitor(std::vector<const PollSlot*> slots,
                           std::chrono::nanoseconds threshold,
                           StuckPollHandler handler)
    : slots_(std::move(slots)),
      threshold_(threshold),
      handler_(std::move(handler)),
      reported_(slots_.size(), 0) {
  thread_ = std::thread([this] { run(); });
}

StallMonitor::~StallMonitor() { stop(); }

void StallMonitor::stop() {
  {
    core::MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string StallMonitor::describe(const StuckPoll& stuck) {
  const char* file = stuck.spawn_site.file;
  return absl::StrCat(
      "magpie: worker ", stuck.worker, " has been polling task ", stuck.task_id,
      " (spawned at ", file != nullptr ? file : "<unknown>", ":",
      stuck.spawn_site.line, ") for ", millis(stuck.running_for),
      " ms (stuck_poll_threshold ", millis(stuck.threshold),
      " ms): a blocking call on a worker?");
}

void StallMonitor::run() {
  // Stall rule 3.
  const auto period =
      std::max<std::chrono::nanoseconds>(kMinCheckPeriod, threshold_ / 4);
  while (true) {
    {
      core::MutexLock lock(&mu_);
      if (stopping_) return;
      lock.wait_for(cv_, period);
      if (stopping_) return;
    }
    check(now_ns());
  }
}

void StallMonitor::check(std::int64_t now) {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const PollSlot& slot = *slots_[i];
    // ORDERING: acquire pairs with the release store in begin(): the fields
    // we read next are at least this poll's (stall rule 2).
    const std::int64_t start = slot.start_ns.load(std::memory_order_acquire);
    if (start == 0 || start == reported_[i]) continue;
    const std::chrono::nanoseconds running_for(now - start);
    if (running_for < threshold_) continue;
    StuckPoll stuck;
    stuck.worker = i;
    // ORDERING: acquire pairs with the release stores in begin() (stall rule
    // 2): if a field came from a later poll, start reads as changed below.
    stuck.task_id = slot.task_id.load(std::memory_order_acquire);
    stuck.spawn_site.file = slot.file.load(std::memory_order_acquire);
    stuck.spawn_site.line = slot.line.load(std::memory_order_acquire);
    if (slot.start_ns.load(std::memory_order_relaxed) != start) continue;
    reported_[i] = start;
    stuck.running_for = running_for;
    stuck.threshold = threshold_;
    stuck.description = describe(stuck);
    if (handler_) {
      handler_(stuck);
    } else {
      std::fprintf(stderr, "%s\n", stuck.description.c_str());
    }
  }
}

}  // namespace magpie::scheduler
