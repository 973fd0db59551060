// Regression: oneshot::Receiver's move-assignment dropped the channel it
// held without marking it closed, so that channel's sender saw its send()
// "delivered" to nobody. A move-assignment now releases what the target
// held exactly as its destructor would. Sender's move-assignment did; it
// is checked here too, with self-assignment (which closed the channel).

#include <optional>
#include <utility>

#include "gtest/gtest.h"
#include "runtime/block_on.h"
#include "runtime/sync/oneshot.h"

namespace magpie {
namespace {

TEST(OneshotMoveAssignTest, ReceiverMoveAssignClosesTheOldChannel) {
  auto [tx1, rx1] = oneshot::channel<int>();
  auto [tx2, rx2] = oneshot::channel<int>();
  EXPECT_FALSE(tx1.is_closed());
  rx1 = std::move(rx2);  // rx1's old channel loses its receiver
  EXPECT_TRUE(tx1.is_closed());
  EXPECT_EQ(std::move(tx1).send(1), std::optional<int>(1));  // handed back
  EXPECT_FALSE(tx2.is_closed());
  EXPECT_EQ(std::move(tx2).send(2), std::nullopt);
  EXPECT_EQ(block_on(rx1), std::optional<int>(2));
}

TEST(OneshotMoveAssignTest, SenderMoveAssignClosesTheOldChannel) {
  auto [tx1, rx1] = oneshot::channel<int>();
  auto [tx2, rx2] = oneshot::channel<int>();
  tx1 = std::move(tx2);  // rx1's sender is gone
  EXPECT_EQ(block_on(rx1), std::nullopt);
  EXPECT_EQ(std::move(tx1).send(3), std::nullopt);
  EXPECT_EQ(block_on(rx2), std::optional<int>(3));
}

TEST(OneshotMoveAssignTest, SelfMoveAssignKeepsTheChannel) {
  auto [tx, rx] = oneshot::channel<int>();
  oneshot::Sender<int>& tx_alias = tx;
  oneshot::Receiver<int>& rx_alias = rx;
  tx = std::move(tx_alias);
  rx = std::move(rx_alias);
  EXPECT_FALSE(tx.is_closed());
  EXPECT_EQ(std::move(tx).send(4), std::nullopt);
  EXPECT_EQ(block_on(rx), std::optional<int>(4));
}

}  // namespace
}  // namespace magpie
