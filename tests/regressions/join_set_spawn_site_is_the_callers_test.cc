// Regression: a task spawned through JoinSet (spawn, spawn_on) was recorded
// as "spawned at runtime/join_set.h:<line>" — the default argument that
// captures the spawn site was evaluated inside JoinSet, not at the user's
// call — so the task dump and the lost-task and unhandled-exception reports
// pointed every JoinSet task at magpie's header. Each JoinSet entry point
// now takes the caller's site and passes it on.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "runtime/coro/task.h"
#include "runtime/join_set.h"
#include "runtime/runtime.h"
#include "runtime/sync/oneshot.h"

namespace magpie {
namespace {

// The dump entry of task `id`, or nullopt.
std::optional<TaskDump> find(const Runtime& rt, std::uint64_t id) {
  for (TaskDump& t : rt.handle().dump_tasks()) {
    if (!t.block_on_root && t.id == id) return std::move(t);
  }
  return std::nullopt;
}

bool ends_with(const char* file, const char* suffix) {
  if (file == nullptr) return false;
  const std::size_t n = std::strlen(file), m = std::strlen(suffix);
  return n >= m && std::strcmp(file + n - m, suffix) == 0;
}

TEST(JoinSetSpawnSite, IsTheCallersLine) {
  auto rt = Runtime::Builder().worker_threads(1).build();
  auto guard = rt.handle().enter();
  // Pending until the senders go (each receiver keeps its waker stored).
  auto [tx1, rx1] = oneshot::channel<int>();
  auto [tx2, rx2] = oneshot::channel<int>();
  auto [tx3, rx3] = oneshot::channel<int>();
  auto drain = [](oneshot::Receiver<int> rx) -> Task<void> {
    (void)co_await rx;
  };

  JoinSet<void> set;
  const std::uint32_t line1 = __LINE__ + 1;
  AbortHandle a1 = set.spawn(drain(std::move(rx1)));
  const std::uint32_t line2 = __LINE__ + 1;
  AbortHandle a2 = set.spawn_on(drain(std::move(rx2)), rt.handle());
  const std::uint32_t line3 = __LINE__ + 1;
  AbortHandle a3 = set.spawn_named("third", drain(std::move(rx3)));

  const struct {
    std::uint64_t id;
    std::uint32_t line;
    const char* name;
  } expected[] = {{a1.id(), line1, ""}, {a2.id(), line2, ""},
                  {a3.id(), line3, "third"}};
  for (const auto& e : expected) {
    std::optional<TaskDump> t = find(rt, e.id);
    ASSERT_TRUE(t.has_value()) << "task " << e.id << " not in the dump";
    EXPECT_TRUE(ends_with(t->spawn_file,
                          "join_set_spawn_site_is_the_callers_test.cc"))
        << (t->spawn_file ? t->spawn_file : "(null)");
    EXPECT_EQ(t->spawn_line, e.line);
    EXPECT_EQ(t->name, e.name);
  }
  set.abort_all();
}

}  // namespace
}  // namespace magpie
