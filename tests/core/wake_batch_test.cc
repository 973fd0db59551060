// core::WakeBatchScope: appends are kept only inside a scope, flushed once
// at the outermost scope's end, grouped by owner in first-append order, and
// refused while flushing.

#include "runtime/core/wake_batch.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace magpie::core {
namespace {

struct Sink {
  std::vector<std::pair<Sink*, std::vector<std::uintptr_t>>>* log;
  bool append_while_flushing = false;
  bool refused_while_flushing = false;
};

void record(void* owner, void* const* items, std::size_t n) {
  auto* sink = static_cast<Sink*>(owner);
  std::vector<std::uintptr_t> got;
  for (std::size_t i = 0; i < n; ++i) {
    got.push_back(reinterpret_cast<std::uintptr_t>(items[i]));
  }
  sink->log->emplace_back(sink, std::move(got));
  if (sink->append_while_flushing) {
    EXPECT_FALSE(WakeBatch::is_open());
    WakeBatchScope nested;  // opened by "user code" during the flush
    sink->refused_while_flushing =
        !WakeBatch::append(sink, &record, reinterpret_cast<void*>(99));
  }
}

void* item(std::uintptr_t v) { return reinterpret_cast<void*>(v); }

TEST(WakeBatchTest, AppendOutsideAScopeIsRefused) {
  std::vector<std::pair<Sink*, std::vector<std::uintptr_t>>> log;
  Sink a{&log};
  EXPECT_FALSE(WakeBatch::is_open());
  EXPECT_FALSE(WakeBatch::append(&a, &record, item(1)));
  EXPECT_TRUE(log.empty());
}

TEST(WakeBatchTest, FlushesOncePerOwnerAtTheOutermostScopeEnd) {
  std::vector<std::pair<Sink*, std::vector<std::uintptr_t>>> log;
  Sink a{&log};
  Sink b{&log};
  {
    WakeBatchScope outer;
    EXPECT_TRUE(WakeBatch::is_open());
    EXPECT_TRUE(WakeBatch::append(&a, &record, item(1)));
    {
      WakeBatchScope inner;
      EXPECT_TRUE(WakeBatch::append(&b, &record, item(2)));
      EXPECT_TRUE(WakeBatch::append(&a, &record, item(3)));
    }
    EXPECT_TRUE(log.empty());  // the inner scope does not flush
    EXPECT_TRUE(WakeBatch::append(&a, &record, item(4)));
  }
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].first, &a);
  EXPECT_EQ(log[0].second, (std::vector<std::uintptr_t>{1, 3, 4}));
  EXPECT_EQ(log[1].first, &b);
  EXPECT_EQ(log[1].second, (std::vector<std::uintptr_t>{2}));
  EXPECT_FALSE(WakeBatch::is_open());

  // The next batch starts empty.
  log.clear();
  {
    WakeBatchScope scope;
    EXPECT_TRUE(WakeBatch::append(&b, &record, item(5)));
  }
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].second, (std::vector<std::uintptr_t>{5}));
}

TEST(WakeBatchTest, AppendWhileFlushingIsRefused) {
  std::vector<std::pair<Sink*, std::vector<std::uintptr_t>>> log;
  Sink a{&log, /*append_while_flushing=*/true};
  {
    WakeBatchScope scope;
    EXPECT_TRUE(WakeBatch::append(&a, &record, item(1)));
  }
  EXPECT_TRUE(a.refused_while_flushing);
  ASSERT_EQ(log.size(), 1u);  // the nested scope flushed nothing
}

}  // namespace
}  // namespace magpie::core
