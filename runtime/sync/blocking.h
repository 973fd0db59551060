// magpie::sync::internal::check_may_block — refuses a blocking call (a
// channel's blocking_send / blocking_recv) on a runtime worker thread, where
// it would stall every task queued behind it, or deadlock waiting for a
// task that can only run on that worker.
//
// Threads: any. Throws std::logic_error on a worker of any Runtime; other
// threads (plain threads, the blocking pool, block_on) may block.

#ifndef MAGPIE_RUNTIME_SYNC_BLOCKING_H_
#define MAGPIE_RUNTIME_SYNC_BLOCKING_H_

namespace magpie::sync::internal {

// `what` names the call in the error ("mpsc::Sender::blocking_send").
void check_may_block(const char* what);

}  // namespace magpie::sync::internal

#endif  // MAGPIE_RUNTIME_SYNC_BLOCKING_H_
