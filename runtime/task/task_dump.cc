#include "runtime/task/task_dump.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"

namespace magpie {
namespace {

constexpr std::int64_t kMsPerSecond = 1000;
constexpr std::int64_t kMsPerMinute = 60 * kMsPerSecond;
constexpr std::int64_t kMsPerHour = 60 * kMsPerMinute;

// Two digits, zero-padded.
std::string two_digits(std::int64_t n) {
  return n < 10 ? absl::StrCat("0", n) : absl::StrCat(n);
}

// "850ms", "12.3s", "5m07s", "2h05m".
std::string format_age(std::chrono::milliseconds age) {
  constexpr std::int64_t kMsPerTenth = 100;
  const std::int64_t ms = age.count();
  // The stamps' unit (core/poll_stats.h): an age of 0 means "this unit".
  if (ms < core::kStampUnitMs)
    return absl::StrCat("<", core::kStampUnitMs, "ms");
  if (ms < kMsPerSecond) return absl::StrCat(ms, "ms");
  if (ms < kMsPerMinute) {
    return absl::StrCat(ms / kMsPerSecond, ".",
                        (ms % kMsPerSecond) / kMsPerTenth, "s");
  }
  if (ms < kMsPerHour) {
    return absl::StrCat(ms / kMsPerMinute, "m",
                        two_digits((ms % kMsPerMinute) / kMsPerSecond), "s");
  }
  return absl::StrCat(ms / kMsPerHour, "h",
                      two_digits((ms % kMsPerHour) / kMsPerMinute), "m");
}

std::optional<std::chrono::milliseconds> age_of(std::uint16_t count,
                                                core::Stamp then,
                                                std::uint32_t now_ms) {
  if (count == 0) return std::nullopt;  // never: the stamp means nothing
  // Modulo core::kStampRangeMs (core/poll_stats.h, "Encoding").
  return std::chrono::milliseconds(core::stamp_age_ms(then, now_ms));
}

// "61440+" for a saturated count (core/poll_stats.h, "Encoding").
std::string format_count(std::uint32_t n) {
  if (n >= core::kCountSaturated) {
    return absl::StrCat(core::kCountSaturated, "+");
  }
  return absl::StrCat(n);
}

}  // namespace

std::string demangled_type_name(const std::type_info* type) {
  if (type == nullptr) return "";
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(type->name(), nullptr, nullptr, &status), &std::free);
  if (status != 0 || demangled == nullptr) return type->name();
  return demangled.get();
}

std::string TaskDump::leaf_name() const { return demangled_type_name(leaf); }

std::string TaskDump::to_string() const {
  std::string out = block_on_root ? absl::StrCat("task b", id, ":")
                                  : absl::StrCat("task ", id, ":");
  const char* sep = " ";
  auto flag = [&](bool on, const char* name) {
    if (!on) return;
    absl::StrAppend(&out, sep, name);
    sep = ", ";
  };
  if (block_on_root) {
    flag(true, "block_on root");
    flag(running, "polling");
    flag(!running, "parked");
  } else {
    flag(is_idle(), "idle");
    flag(running, "running");
    flag(notified, "notified");
    flag(complete, "complete");
    flag(cancelled, "cancelled");
    flag(join_interested, "join-handle");
    flag(join_waker, "join-waker");
    absl::StrAppend(&out, sep, "refs=", references);
  }
  if (!name.empty()) absl::StrAppend(&out, ", name=\"", name, "\"");
  if (spawn_file != nullptr) {
    absl::StrAppend(&out, ", spawned at ", spawn_file, ":", spawn_line);
  }
  if (!block_on_root) {
    absl::StrAppend(&out, ", wakers=", wakers);
    if (lost) absl::StrAppend(&out, ", LOST (idle with no live Waker)");
  }
  if (leaf != nullptr && !complete) {
    absl::StrAppend(&out, ", parked on ", leaf_name());
  }
  if (since_last_poll.has_value()) {
    absl::StrAppend(&out, ", last poll ", format_age(*since_last_poll), " ago");
  } else {
    absl::StrAppend(&out, ", not yet polled");
  }
  absl::StrAppend(&out, ", last wake ",
                  since_last_wake.has_value()
                      ? absl::StrCat(format_age(*since_last_wake), " ago")
                      : std::string("never"));
  absl::StrAppend(&out, ", polls=", format_count(polls),
                  " wakes=", format_count(wakes));
  return out;
}

std::string describe_tasks(const std::vector<TaskDump>& tasks) {
  if (tasks.empty()) return "(no live tasks)";
  std::vector<TaskDump> sorted = tasks;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const TaskDump& a, const TaskDump& b) {
                     return a.is_idle() > b.is_idle();
                   });
  std::string out;
  for (const TaskDump& t : sorted) absl::StrAppend(&out, t.to_string(), "\n");
  return out;
}

namespace task {

void fill_poll_stats(const core::PollStats& stats, const core::LeafSlot& leaf,
                     std::uint32_t now_ms, TaskDump& out) {
  // ORDERING: relaxed; a moment's approximation (core/poll_stats.h).
  const std::uint16_t polls = stats.polls.load(std::memory_order_relaxed);
  const std::uint16_t wakes = stats.wakes.load(std::memory_order_relaxed);
  out.polls = core::saturated_count(polls);
  out.wakes = core::saturated_count(wakes);
  out.since_last_poll =
      age_of(polls, stats.last_poll.load(std::memory_order_relaxed), now_ms);
  out.since_last_wake =
      age_of(wakes, stats.last_wake.load(std::memory_order_relaxed), now_ms);
  out.leaf = core::leaf_type(leaf);
}

}  // namespace task
}  // namespace magpie
