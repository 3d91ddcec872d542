// The two subprotocols of the stream: canhbao.v1.json text frames and
// canhbao.v1.proto binary StreamMessage frames, each serialized once.

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "canhbao.pb.h"
#include "tests/server/service_fixture.hpp"

namespace canhbao::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using namespace std::chrono_literals;

// A blocking client that offers `protocols` and reads one message.
class ProtocolClient {
 public:
  ProtocolClient(uint16_t port, const std::string& protocols) : ws_(io_context_) {
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    beast::get_lowest_layer(ws_).expires_after(5s);
    beast::get_lowest_layer(ws_).connect(endpoint);
    ws_.set_option(beast::websocket::stream_base::decorator(
        [protocols](beast::websocket::request_type& request) {
          if (!protocols.empty()) {
            request.set(beast::http::field::sec_websocket_protocol, protocols);
          }
        }));
    ws_.handshake(response_, "127.0.0.1", "/v1/stream?categories=scam");
  }

  std::string chosen() const {
    return std::string(response_[beast::http::field::sec_websocket_protocol]);
  }

  // Reads one message within 3 s; returns its bytes and whether it was binary.
  std::pair<std::string, bool> Read() {
    beast::get_lowest_layer(ws_).expires_after(3s);
    beast::flat_buffer buffer;
    ws_.read(buffer);
    return {beast::buffers_to_string(buffer.data()), ws_.got_binary()};
  }

 private:
  asio::io_context io_context_;
  beast::websocket::stream<beast::tcp_stream> ws_;
  beast::websocket::response_type response_;
};

class StreamProtocolTest : public ServiceFixture {
 protected:
  uint64_t PublishScam() {
    json::object alert{{"category", "scam"},
                       {"severity", "moderate"},
                       {"areas", json::array{"19753"}},
                       {"headline", {{"vi", "Giả danh công an gọi điện yêu cầu chuyển tiền"},
                                     {"en", "Fake police calls asking for transfers"}}},
                       {"identifiers", {{"phone", json::array{"0905 123 456"}}}}};
    HttpReply created = PostJson("/v1/alerts", json::value(alert), police_key_);
    EXPECT_EQ(created.status, 201) << created.body;
    HttpReply published =
        PostJson("/v1/alerts/" + StringAt(created.json, {"id"}) + "/publish", "", police_key_);
    EXPECT_EQ(published.status, 200) << published.body;
    return published.json.as_object().at("seq").to_number<uint64_t>();
  }
};

TEST_F(StreamProtocolTest, ProtoClientGetsBinaryStreamMessage) {
  ProtocolClient client(port(), "canhbao.v1.proto");
  EXPECT_EQ(client.chosen(), "canhbao.v1.proto");
  uint64_t seq = PublishScam();

  auto [bytes, binary] = client.Read();
  EXPECT_TRUE(binary) << "proto messages travel in binary frames";
  v1::StreamMessage message;
  ASSERT_TRUE(message.ParseFromString(bytes));
  EXPECT_EQ(message.type(), "alert");
  EXPECT_EQ(message.alert().seq(), seq);
  EXPECT_EQ(message.alert().category(), v1::CATEGORY_SCAM);
  EXPECT_EQ(message.alert().headline().vi(), "Giả danh công an gọi điện yêu cầu chuyển tiền");
  EXPECT_EQ(message.alert().identifiers().phone_size(), 0)
      << "the stream must not carry the alert's matching criteria";
  EXPECT_TRUE(message.alert().author_name().empty()) << "authorship stays on the server";
}

TEST_F(StreamProtocolTest, JsonIsTheDefault) {
  ProtocolClient client(port(), "");
  EXPECT_TRUE(client.chosen().empty()) << "no protocol offered, none echoed";
  PublishScam();
  auto [bytes, binary] = client.Read();
  EXPECT_FALSE(binary);
  json::value message = json::parse(bytes);
  EXPECT_EQ(StringAt(message, {"type"}), "alert");
  EXPECT_EQ(StringAt(message, {"category"}), "scam");
}

TEST_F(StreamProtocolTest, FirstSupportedOfferWins) {
  ProtocolClient client(port(), "chat.v2, canhbao.v1.json, canhbao.v1.proto");
  EXPECT_EQ(client.chosen(), "canhbao.v1.json");
}

}  // namespace
}  // namespace canhbao::testing
