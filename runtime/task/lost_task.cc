#include "runtime/task/lost_task.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "absl/strings/str_cat.h"
#include "runtime/task/task_dump.h"
#include "runtime/task/unhandled_exception.h"

namespace magpie::task {
namespace {

// The environment variable that turns the default report into an abort.
constexpr const char* kOnLostTaskEnv = "MAGPIE_ON_LOST_TASK";
constexpr const char* kAbortValue = "abort";

bool abort_on_lost_task() {
  // Read once: the environment does not change under a running runtime.
  static const bool abort_on = [] {
    const char* value = std::getenv(kOnLostTaskEnv);
    return value != nullptr && std::strcmp(value, kAbortValue) == 0;
  }();
  return abort_on;
}

}  // namespace

std::string describe_lost_task(const Header& header) {
  const SpawnSite site = header.spawn_site;
  std::string out = absl::StrCat("task ", header.id.value());
  // The name is immutable once the task is bound (spawn_options.h).
  if (const char* name = header.spawn_site.name()) {
    absl::StrAppend(&out, " \"", name, "\"");
  }
  absl::StrAppend(&out, " spawned at ",
                  site.file != nullptr ? site.file : "(unknown)", ":",
                  site.line,
                  " is lost: idle with no live Waker; nothing can wake it "
                  "(its last Pending poll kept no clone of cx.waker(), or the "
                  "last one was dropped unwoken)");
  // ORDERING: relaxed; written by the task's last poll, which the verdict's
  // transition (acq_rel on the state word) ordered before this read.
  const std::type_info* leaf = core::leaf_type(header.leaf);
  if (leaf != nullptr) {
    absl::StrAppend(&out, "; parked on ", demangled_type_name(leaf));
  }
  return out;
}

void default_lost_task_report(const LostTask& lost) noexcept {
  try {
    const std::string line = absl::StrCat("magpie: ", lost.description, "\n");
    std::fwrite(line.data(), 1, line.size(), stderr);
  } catch (...) {
    std::fprintf(stderr, "magpie: task %llu is lost\n",
                 static_cast<unsigned long long>(lost.id));
  }
  if (abort_on_lost_task()) {
    std::fprintf(stderr, "magpie: %s=%s: aborting\n", kOnLostTaskEnv,
                 kAbortValue);
    std::abort();
  }
}

void report_lost_task(const LostTaskHandler& handler,
                      const Header& header) noexcept {
  LostTask lost;
  lost.id = header.id.value();
  lost.spawn_site = header.spawn_site;
  try {
    lost.description = describe_lost_task(header);
  } catch (...) {
    // Out of memory: the id and site still say which task it was.
  }
  if (!handler) {
    default_lost_task_report(lost);
    return;
  }
  try {
    handler(lost);
  } catch (...) {
    default_lost_task_report(lost);
    try {
      const std::string line =
          absl::StrCat("magpie: the lost-task handler threw: ",
                       describe_exception(std::current_exception()), "\n");
      std::fwrite(line.data(), 1, line.size(), stderr);
    } catch (...) {
      std::fputs("magpie: the lost-task handler threw\n", stderr);
    }
  }
}

}  // namespace magpie::task
