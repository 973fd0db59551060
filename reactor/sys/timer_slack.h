// magpie::reactor::sys — the timer slack of the threads that wait in epoll.
//
// Linux lets a timed wait (epoll_pwait2's timeout among them) end up to the
// thread's "timer slack" late, so the kernel can merge nearby wake-ups: by
// default max(50 us, 0.1% of the timeout). The timer wheel answers the
// reactor's wait to 16.4 us (timer/timer_queue.h "Ticks"); 50 us on top of
// that would be most of a timer's lateness. Asio waits on a timerfd, which
// has no slack.
//
// use_fine_timer_slack() sets the calling thread's slack to kFineTimerSlack
// (prctl PR_SET_TIMERSLACK). Only threads magpie creates call it, once, as
// they start (Reactor::set_up_own_thread: the reactor thread and the
// Runtime's workers). Never Driver::turn: a Reactor without a thread is
// turned by the embedding program's threads, whose slack is theirs
// (tests/regressions/timer_slack_changed_on_user_thread_test). It costs no
// idle CPU: slack only moves wake-ups that happen anyway; a thread waiting
// without a timeout never wakes for it.
//
// Threads: any; it touches only the calling thread's setting.

#ifndef MAGPIE_REACTOR_SYS_TIMER_SLACK_H_
#define MAGPIE_REACTOR_SYS_TIMER_SLACK_H_

#include <chrono>

namespace magpie::reactor::sys {

// 1 us: far below the wheel's 16.4 us tick; not 0, which prctl reads as
// "back to the default".
inline constexpr std::chrono::nanoseconds kFineTimerSlack{1000};

// Sets the calling thread's timer slack to kFineTimerSlack. A failure (a
// kernel without the prctl, a sandbox) is ignored: timers then fire the
// default slack later.
void use_fine_timer_slack();

}  // namespace magpie::reactor::sys

#endif  // MAGPIE_REACTOR_SYS_TIMER_SLACK_H_
