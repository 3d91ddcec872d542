// The stream's WebSocket layer on the wire, from a client on a raw socket:
// rejected handshakes, control frames, the close handshake, protocol errors
// and keep-alive pings.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include "tests/server/service_fixture.hpp"

namespace canhbao::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";

// A frame the server sent.
struct ServerFrame {
  uint8_t opcode = 0;
  std::string payload;
  bool masked = false;
  bool final = false;
};

// A client on a plain socket that writes its own frames, so that tests can
// send frames a WebSocket library would reject.
class RawClient {
 public:
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Connects and sends `request` as is. Returns false if the connection
  // failed.
  bool Open(uint16_t port, const std::string& request) {
    fd_ = ConnectLoopback(port);
    if (fd_ < 0) return false;
    return Send(request);
  }

  // Opens a stream connection and returns the response header.
  std::string Upgrade(uint16_t port, const std::string& version = "13",
                      const std::string& key = kKey) {
    std::string request = "GET /v1/stream?categories=scam HTTP/1.1\r\n"
                          "Host: 127.0.0.1\r\n"
                          "Upgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Sec-WebSocket-Key: " + key + "\r\n"
                          "Sec-WebSocket-Version: " + version + "\r\n\r\n";
    if (!Open(port, request)) return "";
    return ReadHeader(5s);
  }

  std::string ReadHeader(std::chrono::milliseconds timeout) {
    Clock::time_point deadline = Clock::now() + timeout;
    size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Receive(deadline)) return pending_;
    }
    std::string header = pending_.substr(0, end + 4);
    pending_.erase(0, end + 4);
    return header;
  }

  // Reads what follows a rejected upgrade, up to the end of the connection.
  std::string ReadRest(std::chrono::milliseconds timeout) {
    Clock::time_point deadline = Clock::now() + timeout;
    while (Receive(deadline)) {
    }
    return pending_;
  }

  // Sends a final frame with `opcode`, masked unless `masked` is false.
  bool SendFrame(uint8_t opcode, std::string_view payload, bool masked = true) {
    std::string out;
    out.push_back(static_cast<char>(0x80 | opcode));
    uint8_t mask_bit = masked ? 0x80 : 0;
    if (payload.size() < 126) {
      out.push_back(static_cast<char>(mask_bit | payload.size()));
    } else {
      out.push_back(static_cast<char>(mask_bit | 126));
      out.push_back(static_cast<char>(payload.size() >> 8));
      out.push_back(static_cast<char>(payload.size() & 0xFF));
    }
    const char key[4] = {0x12, 0x34, 0x56, 0x78};
    if (masked) out.append(key, 4);
    for (size_t i = 0; i < payload.size(); ++i) {
      out.push_back(masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
    }
    return Send(out);
  }

  // The next frame within `timeout`, or nothing when the connection ended
  // or the time ran out (see ended()).
  std::optional<ServerFrame> ReadFrame(std::chrono::milliseconds timeout) {
    Clock::time_point deadline = Clock::now() + timeout;
    for (;;) {
      if (std::optional<ServerFrame> frame = TakeFrame()) return frame;
      if (!Receive(deadline)) return std::nullopt;
    }
  }

  // Waits until the server closes the connection. True if it did in time.
  bool WaitForEnd(std::chrono::milliseconds timeout) {
    Clock::time_point deadline = Clock::now() + timeout;
    while (Receive(deadline)) {
    }
    return ended_;
  }

  bool ended() const { return ended_; }

 private:
  bool Send(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  bool Receive(Clock::time_point deadline) {
    if (ended_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd descriptor{fd_, POLLIN, 0};
    if (::poll(&descriptor, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[16 * 1024];
    ssize_t received = ::recv(fd_, buffer, sizeof buffer, 0);
    if (received <= 0) {
      ended_ = true;
      return false;
    }
    pending_.append(buffer, static_cast<size_t>(received));
    return true;
  }

  std::optional<ServerFrame> TakeFrame() {
    if (pending_.size() < 2) return std::nullopt;
    auto byte = [this](size_t i) { return static_cast<uint8_t>(pending_[i]); };
    ServerFrame frame;
    frame.final = (byte(0) & 0x80) != 0;
    frame.opcode = byte(0) & 0x0F;
    frame.masked = (byte(1) & 0x80) != 0;
    uint64_t length = byte(1) & 0x7F;
    size_t header = 2;
    if (length == 126) {
      if (pending_.size() < 4) return std::nullopt;
      length = (uint64_t{byte(2)} << 8) | byte(3);
      header = 4;
    } else if (length == 127) {
      if (pending_.size() < 10) return std::nullopt;
      length = 0;
      for (size_t i = 2; i < 10; ++i) length = (length << 8) | byte(i);
      header = 10;
    }
    if (pending_.size() < header + length) return std::nullopt;
    frame.payload = pending_.substr(header, length);
    pending_.erase(0, header + length);
    return frame;
  }

  int fd_ = -1;
  std::string pending_;
  bool ended_ = false;
};

uint16_t CloseCode(const ServerFrame& frame) {
  if (frame.payload.size() < 2) return 0;
  return static_cast<uint16_t>((static_cast<uint8_t>(frame.payload[0]) << 8) |
                               static_cast<uint8_t>(frame.payload[1]));
}

class WebSocketWireTest : public ServiceFixture {
 protected:
  // A second node on the fixture's Redis with `ping_interval`.
  std::unique_ptr<Service> StartPingNode(std::chrono::seconds ping_interval) {
    Config config = NodeConfig();
    config.ws_ping_interval = ping_interval;
    return StartNode(config);
  }
};

TEST_F(WebSocketWireTest, HandshakeAnswersTheRfcAcceptKey) {
  RawClient client;
  std::string header = client.Upgrade(port());
  EXPECT_EQ(header.rfind("HTTP/1.1 101", 0), 0u) << header;
  EXPECT_NE(header.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            std::string::npos)
      << header;
}

TEST_F(WebSocketWireTest, UnsupportedVersionGets426NamingTheField) {
  RawClient client;
  std::string header = client.Upgrade(port(), "8");
  EXPECT_EQ(header.rfind("HTTP/1.1 426", 0), 0u) << header;
  EXPECT_NE(header.find("Sec-WebSocket-Version: 13"), std::string::npos) << header;
  EXPECT_NE(header.find("Upgrade: websocket"), std::string::npos) << header;
  json::value body = json::parse(client.ReadRest(2s));
  EXPECT_EQ(StringAt(body, {"error", "field"}), "Sec-WebSocket-Version");
  EXPECT_EQ(StringAt(body, {"error", "message", "vi"}), "Chỉ hỗ trợ WebSocket phiên bản 13");
  EXPECT_FALSE(StringAt(body, {"error", "message", "en"}).empty());
}

TEST_F(WebSocketWireTest, MalformedKeyGets400NamingTheField) {
  RawClient client;
  std::string header = client.Upgrade(port(), "13", "bm90LXNpeHRlZW4tYnl0ZXMtbG9uZw==");
  EXPECT_EQ(header.rfind("HTTP/1.1 400", 0), 0u) << header;
  json::value body = json::parse(client.ReadRest(2s));
  EXPECT_EQ(StringAt(body, {"error", "field"}), "Sec-WebSocket-Key");
  EXPECT_FALSE(StringAt(body, {"error", "message", "vi"}).empty());
}

TEST_F(WebSocketWireTest, PingIsAnsweredWithItsPayload) {
  RawClient client;
  ASSERT_EQ(client.Upgrade(port()).rfind("HTTP/1.1 101", 0), 0u);
  ASSERT_TRUE(client.SendFrame(0x9, "còn đó không?"));
  std::optional<ServerFrame> pong = client.ReadFrame(3s);
  ASSERT_TRUE(pong.has_value()) << "no pong within 3 s";
  EXPECT_EQ(pong->opcode, 0xA);
  EXPECT_EQ(pong->payload, "còn đó không?");
  EXPECT_FALSE(pong->masked) << "server frames are never masked";
  EXPECT_TRUE(pong->final);
}

TEST_F(WebSocketWireTest, ClientCloseIsEchoed) {
  RawClient client;
  ASSERT_EQ(client.Upgrade(port()).rfind("HTTP/1.1 101", 0), 0u);
  ASSERT_TRUE(client.SendFrame(0x8, std::string("\x0F\xA0", 2) + "tạm biệt"));  // 4000
  std::optional<ServerFrame> close = client.ReadFrame(3s);
  ASSERT_TRUE(close.has_value()) << "no close frame within 3 s";
  EXPECT_EQ(close->opcode, 0x8);
  EXPECT_EQ(CloseCode(*close), 4000) << "the server echoes the client's code";
  EXPECT_TRUE(client.WaitForEnd(3s)) << "the server kept the TCP connection open";
}

TEST_F(WebSocketWireTest, UnmaskedFrameIsAProtocolError) {
  RawClient client;
  ASSERT_EQ(client.Upgrade(port()).rfind("HTTP/1.1 101", 0), 0u);
  ASSERT_TRUE(client.SendFrame(0x1, "không che", false));
  std::optional<ServerFrame> close = client.ReadFrame(3s);
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->opcode, 0x8);
  EXPECT_EQ(CloseCode(*close), 1002);
  EXPECT_EQ(close->payload.substr(2), "client frame not masked");
  // After a protocol error the server does not wait for the client's close.
  EXPECT_TRUE(client.WaitForEnd(1s));
}

TEST_F(WebSocketWireTest, OversizedMessageIsClosedWith1009) {
  RawClient client;
  ASSERT_EQ(client.Upgrade(port()).rfind("HTTP/1.1 101", 0), 0u);
  // The default limit is 16 KiB, and the header alone announces more.
  ASSERT_TRUE(client.SendFrame(0x2, std::string(20000, 'x')));
  std::optional<ServerFrame> close = client.ReadFrame(3s);
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(CloseCode(*close), 1009);
  EXPECT_TRUE(client.WaitForEnd(1s));
}

TEST_F(WebSocketWireTest, StoppingNodeSendsGoingAway) {
  std::unique_ptr<Service> node = StartNode(NodeConfig());
  ASSERT_TRUE(node->IsReady());
  RawClient client;
  ASSERT_EQ(client.Upgrade(node->port()).rfind("HTTP/1.1 101", 0), 0u);
  std::thread stopper([&node] { node->Stop(); });
  std::optional<ServerFrame> close = client.ReadFrame(5s);
  ASSERT_TRUE(close.has_value()) << "no close frame while the node stopped";
  EXPECT_EQ(close->opcode, 0x8);
  EXPECT_EQ(CloseCode(*close), 1001);
  EXPECT_EQ(close->payload.substr(2), "server stopping: reconnect with since");
  EXPECT_TRUE(client.SendFrame(0x8, std::string("\x03\xE9", 2)));
  EXPECT_TRUE(client.WaitForEnd(3s)) << "the server kept the connection after both closes";
  stopper.join();
}

TEST_F(WebSocketWireTest, SilentClientIsPingedThenDropped) {
  std::unique_ptr<Service> node = StartPingNode(1s);
  ASSERT_TRUE(node->IsReady());
  RawClient client;
  ASSERT_EQ(client.Upgrade(node->port()).rfind("HTTP/1.1 101", 0), 0u);
  std::optional<ServerFrame> ping = client.ReadFrame(3s);
  ASSERT_TRUE(ping.has_value()) << "no ping within 3 s with a 1 s interval";
  EXPECT_EQ(ping->opcode, 0x9);
  // No pong: the next tick drops the connection.
  EXPECT_TRUE(client.WaitForEnd(4s)) << "a peer that never answers pings was kept";
}

TEST_F(WebSocketWireTest, ClientThatAnswersPingsStaysAndReceivesAlerts) {
  std::unique_ptr<Service> node = StartPingNode(1s);
  ASSERT_TRUE(node->IsReady());
  RawClient client;
  ASSERT_EQ(client.Upgrade(node->port()).rfind("HTTP/1.1 101", 0), 0u);
  Clock::time_point until = Clock::now() + 3500ms;
  int pings = 0;
  while (Clock::now() < until) {
    std::optional<ServerFrame> frame = client.ReadFrame(500ms);
    if (client.ended()) break;
    if (frame && frame->opcode == 0x9) {
      ++pings;
      ASSERT_TRUE(client.SendFrame(0xA, frame->payload));
    }
  }
  ASSERT_FALSE(client.ended()) << "a client that answered every ping was dropped";
  EXPECT_GE(pings, 2);

  json::object alert{{"category", "scam"},
                     {"severity", "moderate"},
                     {"areas", json::array{"19753"}},
                     {"headline", {{"vi", "Tin nhắn giả mạo ngân hàng"},
                                   {"en", "Fake bank text messages"}}},
                     {"identifiers", {{"phone", json::array{"0905 123 456"}}}}};
  HttpReply created = PostJson("/v1/alerts", json::value(alert), police_key_);
  ASSERT_EQ(created.status, 201) << created.body;
  HttpReply published =
      PostJson("/v1/alerts/" + StringAt(created.json, {"id"}) + "/publish", "", police_key_);
  ASSERT_EQ(published.status, 200) << published.body;

  std::optional<ServerFrame> message;
  Clock::time_point deadline = Clock::now() + 5s;
  while (Clock::now() < deadline) {
    message = client.ReadFrame(500ms);
    if (message && message->opcode == 0x9) {
      ASSERT_TRUE(client.SendFrame(0xA, message->payload));
      continue;
    }
    if (message || client.ended()) break;
  }
  ASSERT_TRUE(message.has_value()) << "the alert did not arrive";
  EXPECT_EQ(message->opcode, 0x1);
  EXPECT_EQ(StringAt(json::parse(message->payload), {"headline", "vi"}),
            "Tin nhắn giả mạo ngân hàng");
}

}  // namespace
}  // namespace canhbao::testing
