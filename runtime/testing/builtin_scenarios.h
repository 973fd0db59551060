// magpie::testing::register_builtin_stress_scenarios — puts magpie's own
// lost-wakeup suite into the stress registry (runtime/testing/stress.h), so
// `magpie stress` and a user's stress binary (--builtin) run it:
//
//  - the six scenarios of DESIGN.md §6 (lost_wakeup.h), as blocking
//    scenarios: migrating_task, wake_during_poll, steal_storm,
//    sleepy_workers, wake_flood, timers_and_sockets;
//  - the same hunt through the synchronization primitives and the reactor,
//    as task scenarios: channel_mpsc, mutex, semaphore, notify_oneshot,
//    timer, socket (127.0.0.1).
//
// Idempotent. Call from main() before run_stress() (registration is not
// thread-safe).

#ifndef MAGPIE_RUNTIME_TESTING_BUILTIN_SCENARIOS_H_
#define MAGPIE_RUNTIME_TESTING_BUILTIN_SCENARIOS_H_

namespace magpie::testing {

void register_builtin_stress_scenarios();

}  // namespace magpie::testing

#endif  // MAGPIE_RUNTIME_TESTING_BUILTIN_SCENARIOS_H_
