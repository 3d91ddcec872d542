#include "store/redis_subscriber.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tests/store/io_threads.hpp"
#include "tests/support/redis_server.hpp"

namespace canhbao::store {
namespace {

using canhbao::testing::IoThreads;
using canhbao::testing::RedisServer;
using canhbao::testing::WaitFor;
using std::chrono::milliseconds;

// Collects what the subscriber's callbacks receive; the strand may run on either io thread.
class Inbox {
 public:
  void AddMessage(std::string_view channel, std::string_view payload) {
    std::lock_guard lock(mutex_);
    messages_.emplace_back(std::string(channel), std::string(payload));
  }
  void AddState(bool subscribed) {
    std::lock_guard lock(mutex_);
    states_.push_back(subscribed);
  }
  std::vector<std::pair<std::string, std::string>> Messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::vector<bool> States() const {
    std::lock_guard lock(mutex_);
    return states_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> messages_;
  std::vector<bool> states_;
};

class RedisSubscriberTest : public ::testing::Test {
 protected:
  void StartSubscriber(std::vector<std::string> channels) {
    auto endpoint = RedisEndpoint::Parse(server_.Url());
    ASSERT_TRUE(endpoint);
    RedisOptions options;
    options.backoff_initial = milliseconds(20);
    options.backoff_max = milliseconds(200);
    subscriber_ = RedisSubscriber::Create(
        io_.executor(), *endpoint, std::move(channels),
        [this](std::string_view channel, std::string_view payload) {
          inbox_.AddMessage(channel, payload);
        },
        [this](bool subscribed) { inbox_.AddState(subscribed); }, options);
    subscriber_->Start();
    ASSERT_TRUE(WaitFor([&] { return !inbox_.States().empty(); })) << "never subscribed";
    ASSERT_TRUE(subscriber_->IsSubscribed());
  }

  void TearDown() override {
    if (subscriber_) subscriber_->Stop();
  }

  long long Publish(const std::string& channel, const std::string& payload) {
    auto reply = server_.Command({"PUBLISH", channel, payload});
    return reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
  }

  RedisServer server_;
  Inbox inbox_;
  IoThreads io_;
  std::shared_ptr<RedisSubscriber> subscriber_;
};

TEST_F(RedisSubscriberTest, ReceivesPublishedMessages) {
  StartSubscriber({"alerts", "audit", "alerts"});
  const std::string payload("bin\0ary", 7);

  EXPECT_EQ(Publish("alerts", payload), 1) << "the subscriber should be the one receiver";
  EXPECT_EQ(Publish("audit", "second"), 1);
  EXPECT_EQ(Publish("unrelated", "ignored"), 0);

  ASSERT_TRUE(WaitFor([&] { return inbox_.Messages().size() >= 2; }));
  auto messages = inbox_.Messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].first, "alerts");
  EXPECT_EQ(messages[0].second, payload);
  EXPECT_EQ(messages[1].first, "audit");
  EXPECT_EQ(messages[1].second, "second");
}

TEST_F(RedisSubscriberTest, ResubscribesAfterServerRestart) {
  StartSubscriber({"alerts"});
  server_.Restart();

  ASSERT_TRUE(WaitFor([&] { return inbox_.States().size() >= 3; }))
      << "state callback calls: " << inbox_.States().size();
  EXPECT_EQ(inbox_.States(), (std::vector<bool>{true, false, true}));
  EXPECT_TRUE(subscriber_->IsSubscribed());

  EXPECT_EQ(Publish("alerts", "after restart"), 1);
  ASSERT_TRUE(WaitFor([&] { return !inbox_.Messages().empty(); }));
  EXPECT_EQ(inbox_.Messages().front().second, "after restart");
}

TEST_F(RedisSubscriberTest, StopReportsUnsubscribed) {
  StartSubscriber({"alerts"});
  subscriber_->Stop();
  ASSERT_TRUE(WaitFor([&] { return inbox_.States().size() >= 2; }));
  EXPECT_EQ(inbox_.States(), (std::vector<bool>{true, false}));
  EXPECT_FALSE(subscriber_->IsSubscribed());
  EXPECT_TRUE(WaitFor([&] { return Publish("alerts", "nobody") == 0; }))
      << "the server still counts a subscriber after Stop()";
}

TEST(RedisSubscriber, RejectsEmptyChannelList) {
  IoThreads io(1);
  RedisEndpoint endpoint;
  EXPECT_THROW(RedisSubscriber::Create(io.executor(), endpoint, {}, nullptr, nullptr),
               std::invalid_argument);
}

}  // namespace
}  // namespace canhbao::store
