#include "reactor/sys/timer_slack.h"

#include <sys/prctl.h>

namespace magpie::reactor::sys {

void use_fine_timer_slack() {
  (void)::prctl(PR_SET_TIMERSLACK,
                static_cast<unsigned long>(kFineTimerSlack.count()), 0, 0, 0);
}

}  // namespace magpie::reactor::sys
