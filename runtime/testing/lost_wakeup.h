// magpie::testing — the lost-wakeup scenarios of DESIGN.md §6, as a library:
// the test suite runs them bounded with fixed seeds on 2, 4 and 8 workers
// (tests/runtime/lost_wakeup_test.cc), and `magpie stress` runs them for
// as long as asked with fresh seeds, printing the seed of any failure so it
// can be replayed.
//
//   Runtime rt = Runtime::Builder().worker_threads(4).build();
//   for (const Scenario& s : lost_wakeup_scenarios()) {
//     absl::Status st = s.run(rt, {.seed = 42, .size = 1});
//   }
//
// Each scenario returns OK or a description of what went wrong (a count
// that does not add up, a task polled after completing). A lost wakeup
// shows up as a scenario that never returns: run it under a Watchdog with
// describe_tasks(rt.handle().dump_tasks()) to name the stuck tasks.
//
// Threads: call from a thread that is not one of `rt`'s workers; scenarios
// start threads of their own (event firers, wakers) and join them.

#ifndef MAGPIE_RUNTIME_TESTING_LOST_WAKEUP_H_
#define MAGPIE_RUNTIME_TESTING_LOST_WAKEUP_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "runtime/runtime.h"

namespace magpie::testing {

struct ScenarioOptions {
  // Seeds every random choice (timings, sizes, victims): same seed, same
  // schedule of events (thread interleavings still vary).
  std::uint64_t seed = 1;
  // Work multiplier: 1 is the test suite's size (already scaled down under
  // the sanitizers).
  int size = 1;
};

using ScenarioFn = absl::Status (*)(Runtime& rt,
                                    const ScenarioOptions& options);

struct Scenario {
  std::string_view name;         // e.g. "migrating_task"
  std::string_view description;  // one line, from DESIGN.md §6
  ScenarioFn run;
};

// The six scenarios of DESIGN.md §6, in its order.
std::span<const Scenario> lost_wakeup_scenarios();

}  // namespace magpie::testing

#endif  // MAGPIE_RUNTIME_TESTING_LOST_WAKEUP_H_
