#include "broker/recent_events.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace accord::broker {
namespace {

std::shared_ptr<const StoredEvent> Event(uint64_t sequence) {
  auto e = std::make_shared<StoredEvent>();
  e->set_sequence(sequence);
  return e;
}

TEST(RecentEventsTest, KeepsTheNewestWithinItsCapacity) {
  RecentEvents recent(3);
  EXPECT_EQ(recent.Find("e1"), nullptr);
  for (uint64_t i = 1; i <= 5; ++i) recent.Keep("e" + std::to_string(i), Event(i));
  EXPECT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent.Find("e1"), nullptr);
  EXPECT_EQ(recent.Find("e2"), nullptr);
  for (uint64_t i = 3; i <= 5; ++i) {
    std::shared_ptr<const StoredEvent> e = recent.Find("e" + std::to_string(i));
    ASSERT_NE(e, nullptr) << i;
    EXPECT_EQ(e->sequence(), i);
  }
  // Kept again: the first copy stays (a stored event never changes).
  recent.Keep("e5", Event(99));
  EXPECT_EQ(recent.Find("e5")->sequence(), 5u);
}

TEST(RecentEventsTest, DroppedEventsAreGoneAndDoNotGrowTheBookkeeping) {
  RecentEvents recent(2);
  for (int round = 0; round < 100; ++round) {
    const std::string id = "e" + std::to_string(round);
    recent.Keep(id, Event(static_cast<uint64_t>(round)));
    recent.Drop(id);
    EXPECT_EQ(recent.Find(id), nullptr);
  }
  EXPECT_EQ(recent.size(), 0u);
  RecentEvents none(0);
  none.Keep("e", Event(1));
  EXPECT_EQ(none.Find("e"), nullptr);
}

}  // namespace
}  // namespace accord::broker
