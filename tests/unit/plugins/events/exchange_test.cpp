// The event exchange: order per subscriber, filters, what it refuses, a
// subscriber that falls behind cut off without holding up publishers, and
// shutdown waking every reader.
#include "exchange.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "status_matchers.hpp"

namespace berth::events_plugin {
namespace {

using std::chrono::milliseconds;

Filter filter(std::vector<std::string> f) {
  auto parsed = Filter::parse(f);
  EXPECT_TRUE(parsed.ok()) << parsed.status().to_string();
  return parsed.ok() ? std::move(*parsed) : Filter();
}

std::string next_name(Subscription& sub) {
  auto e = sub.next(milliseconds(1000));
  if (!e.ok()) return "error: " + e.status().to_string();
  if (!e->has_value()) return "timeout";
  if (const auto* c = std::get_if<events::ImageCreate>(&(*e)->event)) return (*e)->ns + ":" + c->name;
  if (const auto* d = std::get_if<events::ImageDelete>(&(*e)->event)) return (*e)->ns + ":-" + d->name;
  return (*e)->ns + ":" + (*e)->topic;
}

TEST(ExchangeTest, EachSubscriberGetsWhatMatchesInOrder) {
  auto ex = std::make_shared<Exchange>();
  auto all = ex->subscribe(Filter());
  auto deletes = ex->subscribe(filter({"topic==\"/images/delete\""}));
  auto labelled = ex->subscribe(filter({"event.labels.a==1", "namespace==n2"}));
  ASSERT_OK(ex->publish("n1", "/images/create", events::ImageCreate{.name = "x", .labels = {{"a", "1"}}}));
  ASSERT_OK(ex->publish("n1", "/images/delete", events::ImageDelete{.name = "x"}));
  ASSERT_OK(ex->publish("n2", "/images/create", events::ImageCreate{.name = "y"}));

  EXPECT_EQ(next_name(*all), "n1:x");
  EXPECT_EQ(next_name(*all), "n1:-x");
  EXPECT_EQ(next_name(*all), "n2:y");
  EXPECT_EQ(next_name(*deletes), "n1:-x");
  EXPECT_EQ(next_name(*labelled), "n1:x");
  EXPECT_EQ(next_name(*labelled), "n2:y");
  auto none = all->next(milliseconds(10));
  ASSERT_OK(none.status());
  EXPECT_FALSE(none->has_value());
}

TEST(ExchangeTest, RefusesBadTopicsNamespacesAndUnstampedEnvelopes) {
  auto ex = std::make_shared<Exchange>();
  EXPECT_EQ(ex->publish("n", "nope", events::ImageDelete{}).code(), Code::kInvalidArgument);
  EXPECT_EQ(ex->publish("bad ns", "/a", events::ImageDelete{}).code(), Code::kInvalidArgument);
  EXPECT_EQ(
      ex->forward(Envelope{.timestamp = 0, .ns = "n", .topic = "/a", .event = events::ImageDelete{}}).code(),
      Code::kInvalidArgument);
  EXPECT_OK(
      ex->forward(Envelope{.timestamp = 1, .ns = "n", .topic = "/a/b", .event = events::ImageDelete{}}));
}

TEST(ExchangeTest, ASubscriberFarBehindIsCutOffAndOthersCarryOn) {
  auto ex = std::make_shared<Exchange>();
  auto slow = ex->subscribe(Filter());
  auto fast = ex->subscribe(Filter());
  for (std::size_t i = 0; i < Exchange::kQueueLimit + 10; ++i) {
    ASSERT_OK(ex->publish("n", "/images/delete", events::ImageDelete{.name = std::to_string(i)}));
    EXPECT_EQ(next_name(*fast), "n:-" + std::to_string(i));
  }
  auto cut = slow->next(milliseconds(10));
  EXPECT_EQ(cut.status().code(), Code::kResourceExhausted);
  EXPECT_NE(cut.status().message().find("subscribe again"), std::string::npos);
  // It stays cut off: no silent gap in what it reads.
  ASSERT_OK(ex->publish("n", "/images/delete", events::ImageDelete{.name = "later"}));
  EXPECT_EQ(slow->next(milliseconds(10)).status().code(), Code::kResourceExhausted);
}

TEST(ExchangeTest, DroppedSubscriptionsStopReceiving) {
  auto ex = std::make_shared<Exchange>();
  { auto sub = ex->subscribe(Filter()); }
  // Nothing left to deliver to; publishing stays cheap and correct.
  ASSERT_OK(ex->publish("n", "/a", events::ImageDelete{}));
  auto sub = ex->subscribe(Filter());
  ASSERT_OK(ex->publish("n", "/b", events::ImageDelete{.name = "b"}));
  EXPECT_EQ(next_name(*sub), "n:-b");
}

TEST(ExchangeTest, CloseWakesWaitingReaders) {
  auto ex = std::make_shared<Exchange>();
  auto sub = ex->subscribe(Filter());
  Status seen;
  std::thread reader([&] {
    auto e = sub->next(milliseconds(10000));
    seen = e.status();
  });
  std::this_thread::sleep_for(milliseconds(20));
  ASSERT_OK(ex->close());
  reader.join();
  EXPECT_EQ(seen.code(), Code::kUnavailable);
  EXPECT_EQ(ex->subscribe(Filter())->next(milliseconds(10)).status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace berth::events_plugin
