// Device registration, subscriptions that follow the device on open
// connections, and one-time stream tickets.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "tests/server/service_fixture.hpp"

namespace canhbao::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

json::object AlertOf(const std::string& category) {
  return {{"category", category},
          {"severity", "moderate"},
          {"areas", json::array{"19753"}},
          {"headline", {{"vi", "Cảnh báo thử nghiệm " + category}, {"en", "Test " + category}}},
          {"identifiers", {{"phone", json::array{"0905 123 456"}}}}};
}

class DeviceTest : public ServiceFixture {
 protected:
  // Registers a device; returns {id, token}.
  std::pair<std::string, std::string> Register(const json::object& body) {
    HttpReply reply = PostJson("/v1/devices", json::value(body), "");
    EXPECT_EQ(reply.status, 201) << reply.body;
    return {StringAt(reply.json, {"id"}), StringAt(reply.json, {"device_token"})};
  }

  void Publish(const std::string& category) {
    HttpReply created = PostJson("/v1/alerts", json::value(AlertOf(category)), police_key_);
    ASSERT_EQ(created.status, 201) << created.body;
    HttpReply published =
        PostJson("/v1/alerts/" + StringAt(created.json, {"id"}) + "/publish", "", police_key_);
    ASSERT_EQ(published.status, 200) << published.body;
  }

  // Reads messages until one of type "alert" arrives or the time is up.
  std::optional<json::value> NextAlert(StreamClient& client, std::chrono::milliseconds timeout) {
    std::optional<std::string> message = client.Read(timeout);
    if (!message) return std::nullopt;
    return json::parse(*message);
  }
};

TEST_F(DeviceTest, RegisterReturnsTokenOnce) {
  HttpReply reply = PostJson("/v1/devices",
                             R"({"language":"vi","categories":["scam"],"wards":["19753"],
                                 "push":{"provider":"none"}})",
                             "");
  ASSERT_EQ(reply.status, 201) << reply.body;
  EXPECT_EQ(StringAt(reply.json, {"device_token"}).rfind("cbd_", 0), 0u) << reply.body;
  EXPECT_EQ(StringAt(reply.json, {"language"}), "vi");
  EXPECT_EQ(Snapshot().count("cb:device:" + StringAt(reply.json, {"id"})), 1u);
  for (const auto& [key, value] : Snapshot()) {
    EXPECT_EQ(value.find(StringAt(reply.json, {"device_token"})), std::string::npos)
        << "the device token is stored in clear under " << key;
  }
}

TEST_F(DeviceTest, RejectsInvalidRegistrations) {
  struct Case {
    const char* body;
    const char* field;
  };
  const Case cases[] = {
      {R"({"language":"fr"})", "language"},
      {R"({"categories":["weather"]})", "categories[0]"},
      {R"({"wards":["00000"]})", "wards[0]"},
      {R"({"push":{"provider":"sms"}})", "push.provider"},
      {R"({"push":{"provider":"fcm"}})", "push.token"},
      {R"({"push":{"provider":"apns","token":"zz","apns_topic":"vn.hue.s"}})", "push.token"},
      {R"({"push":{"provider":"webpush","webpush":{"endpoint":"http://push.example/x",
          "keys":{"p256dh":"BPk","auth":"aa"}}}})", "push.webpush.endpoint"},
      {R"({"push":{"provider":"webpush","webpush":{"endpoint":"https://push.example/x"}}})",
       "push.webpush.keys"},
      {R"({"colour":"blue"})", "colour"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    RedisSnapshot before = Snapshot();
    HttpReply reply = PostJson("/v1/devices", std::string(c.body), "");
    EXPECT_EQ(reply.status, 400) << reply.body;
    EXPECT_EQ(StringAt(reply.json, {"error", "field"}), c.field) << reply.body;
    EXPECT_FALSE(StringAt(reply.json, {"error", "message", "vi"}).empty());
    EXPECT_FALSE(StringAt(reply.json, {"error", "message", "en"}).empty());
    EXPECT_EQ(Snapshot(), before) << "a rejected registration must change nothing";
  }
}

TEST_F(DeviceTest, StreamFollowsChangedSubscriptions) {
  auto [id, token] = Register({{"categories", json::array{"scam"}}});
  StreamClient client(port(), "/v1/stream", token);
  ASSERT_TRUE(client.connected()) << client.rejection().body;

  Publish("price");
  Publish("scam");
  std::optional<json::value> first = NextAlert(client, 2s);
  ASSERT_TRUE(first.has_value()) << "the scam alert did not arrive";
  EXPECT_EQ(StringAt(*first, {"category"}), "scam") << "a price alert reached a scam subscriber";

  HttpRequest change;
  change.method = boost::beast::http::verb::put;
  change.target = "/v1/devices/" + id;
  change.body = R"({"categories":["price"]})";
  change.key = token;
  HttpReply changed = SendHttp(port(), change);
  ASSERT_EQ(changed.status, 200) << changed.body;

  // The change reaches the open connection through Redis Pub/Sub; give it
  // a moment, then the next price alert must arrive on the same socket.
  std::this_thread::sleep_for(300ms);
  Publish("scam");
  Publish("price");
  std::optional<json::value> next = NextAlert(client, 2s);
  ASSERT_TRUE(next.has_value()) << "no alert after the subscription changed";
  EXPECT_EQ(StringAt(*next, {"category"}), "price");
}

TEST_F(DeviceTest, OtherTokenCannotChangeDevice) {
  auto [id, token] = Register({});
  auto [other_id, other_token] = Register({});
  HttpRequest change;
  change.method = boost::beast::http::verb::put;
  change.target = "/v1/devices/" + id;
  change.body = R"({"categories":["price"]})";
  change.key = other_token;
  RedisSnapshot before = Snapshot();
  EXPECT_EQ(SendHttp(port(), change).status, 404);
  change.key = "cbd_not-a-real-token";
  EXPECT_EQ(SendHttp(port(), change).status, 401);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(DeviceTest, DeletedDeviceTokenStopsWorking) {
  auto [id, token] = Register({});
  HttpRequest remove;
  remove.method = boost::beast::http::verb::delete_;
  remove.target = "/v1/devices/" + id;
  remove.key = token;
  EXPECT_EQ(SendHttp(port(), remove).status, 200);
  EXPECT_EQ(SendHttp(port(), remove).status, 401) << "the token must die with the device";
  StreamClient client(port(), "/v1/stream", token);
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(client.rejection().status, 401);
}

TEST_F(DeviceTest, TicketWorksOnce) {
  auto [id, token] = Register({{"categories", json::array{"scam"}}});
  HttpReply issued = PostJson("/v1/stream/ticket", "", token);
  ASSERT_EQ(issued.status, 201) << issued.body;
  std::string ticket = StringAt(issued.json, {"ticket"});
  ASSERT_EQ(ticket.rfind("cbt_", 0), 0u) << issued.body;

  StreamClient first(port(), "/v1/stream?ticket=" + ticket);
  ASSERT_TRUE(first.connected()) << first.rejection().body;
  Publish("price");
  Publish("scam");
  std::optional<json::value> alert = NextAlert(first, 2s);
  ASSERT_TRUE(alert.has_value());
  EXPECT_EQ(StringAt(*alert, {"category"}), "scam") << "the ticket must carry the device's subscriptions";

  StreamClient second(port(), "/v1/stream?ticket=" + ticket);
  EXPECT_FALSE(second.connected()) << "a ticket must work only once";
  EXPECT_EQ(second.rejection().status, 401);
}

TEST_F(DeviceTest, TicketNeedsDeviceOrMerchant) {
  EXPECT_EQ(PostJson("/v1/stream/ticket", "", "").status, 401);
  EXPECT_EQ(PostJson("/v1/stream/ticket", "", police_key_).status, 403);
}

}  // namespace
}  // namespace canhbao::testing
