// Resilience of the WebSocket fan-out: resuming with since= while alerts are
// published, slow readers, several nodes on one Redis, a Redis restart, and
// clients that fall behind the hub's replay window.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>

#include "tests/server/service_fixture.hpp"

namespace canhbao::testing {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxDescriptionChars = 5000;

// A scam alert for one ward: it needs no whole-city confirmation.
json::object ScamAlert(const std::string& description = "") {
  json::object alert{{"category", "scam"},
                     {"severity", "moderate"},
                     {"areas", json::array{"19753"}},
                     {"headline", {{"vi", "Lừa đảo qua điện thoại"}, {"en", "Phone scam"}}},
                     {"identifiers", {{"phone", json::array{"0905 123 456"}}}}};
  if (!description.empty()) alert["description"] = {{"vi", description}, {"en", description}};
  return alert;
}

// Creates and publishes `alert` through the node on `port`. Returns the
// alert's seq, or nullopt after a non-fatal failure, so that it may run on
// any thread.
std::optional<uint64_t> Publish(uint16_t port, const std::string& key, const json::object& alert) {
  HttpReply created =
      SendHttp(port, {http::verb::post, "/v1/alerts", json::serialize(alert), "application/json",
                      false, key});
  if (created.status != 201) {
    ADD_FAILURE() << "POST /v1/alerts on port " << port << " returned " << created.status << ": "
                  << created.body;
    return std::nullopt;
  }
  std::string id = StringAt(created.json, {"id"});
  HttpReply published = SendHttp(
      port, {http::verb::post, "/v1/alerts/" + id + "/publish", "", "application/json", false, key});
  const json::object* body = published.json.if_object();
  const json::value* seq = body != nullptr ? body->if_contains("seq") : nullptr;
  if (published.status != 200 || seq == nullptr || !seq->is_number()) {
    ADD_FAILURE() << "publishing alert " << id << " on port " << port << " returned "
                  << published.status << ": " << published.body;
    return std::nullopt;
  }
  return seq->to_number<uint64_t>();
}

// The sequence first, first + 1, ..., last (empty when last < first).
std::vector<uint64_t> SeqRange(uint64_t first, uint64_t last) {
  if (last < first) return {};
  std::vector<uint64_t> seqs(last - first + 1);
  std::iota(seqs.begin(), seqs.end(), first);
  return seqs;
}

std::chrono::milliseconds Remaining(Clock::time_point deadline) {
  return std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

// What a client read from the stream: the seq of each alert message in
// arrival order, and every message of another type.
struct StreamLog {
  std::vector<uint64_t> seqs;
  std::vector<json::value> other_messages;
};

// Reads messages until an alert with seq >= `last_seq` arrives, the
// connection ends or `timeout` passes. A message that is not JSON fails
// the test and is kept with the other messages as a string.
StreamLog ReadThrough(StreamClient& client, uint64_t last_seq, std::chrono::milliseconds timeout) {
  StreamLog log;
  Clock::time_point deadline = Clock::now() + timeout;
  while (Remaining(deadline) > 0ms) {
    std::optional<std::string> text = client.Read(Remaining(deadline));
    if (!text) break;
    boost::system::error_code ec;
    json::value message = json::parse(*text, ec);
    if (ec) {
      ADD_FAILURE() << "the stream sent a message that is not JSON: " << *text;
      log.other_messages.emplace_back(*text);
      continue;
    }
    const json::value* seq = message.is_object() ? message.as_object().if_contains("seq") : nullptr;
    if (StringAt(message, {"type"}) != "alert" || seq == nullptr || !seq->is_number()) {
      log.other_messages.push_back(std::move(message));
      continue;
    }
    log.seqs.push_back(seq->to_number<uint64_t>());
    if (log.seqs.back() >= last_seq) break;
  }
  return log;
}

std::string StreamTarget(uint64_t since) {
  return "/v1/stream?categories=scam,price&since=" + std::to_string(since);
}

// Returns the value of the unlabelled sample `name` in the Prometheus text
// served on the metrics port, or nullopt when it is missing.
// The sum of every series of metric `name`, whatever its labels, or
// nothing when /metrics has no series of that name.
std::optional<double> ScrapeMetric(uint16_t metrics_port, const std::string& name) {
  HttpReply reply = SendHttp(metrics_port, {http::verb::get, "/metrics", "", "", false, ""});
  if (reply.status != 200) return std::nullopt;
  std::optional<double> sum;
  size_t start = 0;
  while (start < reply.body.size()) {
    size_t end = reply.body.find('\n', start);
    if (end == std::string::npos) end = reply.body.size();
    std::string_view line(reply.body.data() + start, end - start);
    start = end + 1;
    if (line.size() <= name.size() || line.substr(0, name.size()) != name) continue;
    std::string_view rest = line.substr(name.size());
    if (rest.front() == '{') {
      size_t close = rest.find('}');
      if (close == std::string_view::npos) continue;
      rest.remove_prefix(close + 1);
    }
    if (rest.empty() || rest.front() != ' ') continue;
    sum = sum.value_or(0.0) + std::stod(std::string(rest.substr(1)));
  }
  return sum;
}

// A WebSocket client on a raw socket that completes the upgrade and then
// reads nothing until DrainUntilEnd, with a small kernel receive buffer so
// that the server's writes stall quickly.
class StalledWebSocket {
 public:
  StalledWebSocket() = default;
  ~StalledWebSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  StalledWebSocket(const StalledWebSocket&) = delete;
  StalledWebSocket& operator=(const StalledWebSocket&) = delete;

  // Connects to 127.0.0.1:`port` with SO_RCVBUF set to `receive_buffer`
  // bytes and sends the upgrade request for `target`. Returns an empty
  // string on a 101 response, or what failed.
  std::string Connect(uint16_t port, const std::string& target, int receive_buffer,
                      std::chrono::milliseconds timeout) {
    fd_ = ConnectLoopback(port, receive_buffer);
    if (fd_ < 0) return std::string("connect() failed: ") + std::strerror(errno);
    std::string request = "GET " + target +
                          " HTTP/1.1\r\n"
                          "Host: 127.0.0.1\r\n"
                          "Upgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Sec-WebSocket-Key: c3RhbGxlZC1yZWFkZXItMQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      return std::string("sending the upgrade request failed: ") + std::strerror(errno);
    }
    Clock::time_point deadline = Clock::now() + timeout;
    size_t header_end = std::string::npos;
    while (header_end == std::string::npos) {
      if (!ReceiveSome(deadline)) return "no complete upgrade response: " + pending_;
      header_end = pending_.find("\r\n\r\n");
    }
    std::string header = pending_.substr(0, header_end);
    pending_.erase(0, header_end + 4);
    if (header.rfind("HTTP/1.1 101", 0) != 0) return "the upgrade was rejected: " + header;
    return "";
  }

  // What the server sent after the upgrade, up to the end of the connection.
  struct Drained {
    bool ended = false;           // EOF or a reset was seen
    std::string end_reason;       // "EOF", or the socket error
    size_t text_frames = 0;
    std::optional<uint16_t> close_code;  // from a close frame, if one arrived
  };

  // Reads everything until the server ends the connection or `timeout`
  // passes, and parses the server's (unmasked) frames.
  Drained DrainUntilEnd(std::chrono::milliseconds timeout) {
    Drained drained;
    Clock::time_point deadline = Clock::now() + timeout;
    for (;;) {
      ParseFrames(drained);
      if (closed_) break;
      if (!ReceiveSome(deadline)) break;
    }
    ParseFrames(drained);
    drained.ended = closed_;
    drained.end_reason = end_reason_;
    return drained;
  }

 private:
  // Appends what arrives before `deadline` to pending_. Returns false when
  // nothing more can arrive (end of connection or timeout).
  bool ReceiveSome(Clock::time_point deadline) {
    if (closed_) return false;
    pollfd descriptor{fd_, POLLIN, 0};
    int ready = ::poll(&descriptor, 1, static_cast<int>(Remaining(deadline).count()));
    if (ready <= 0) return false;
    char buffer[64 * 1024];
    ssize_t received = ::recv(fd_, buffer, sizeof buffer, 0);
    if (received > 0) {
      pending_.append(buffer, static_cast<size_t>(received));
      return true;
    }
    closed_ = true;
    end_reason_ = received == 0 ? "EOF" : std::strerror(errno);
    return false;
  }

  // Consumes every complete frame in pending_.
  void ParseFrames(Drained& drained) {
    for (;;) {
      if (pending_.size() < 2) return;
      auto byte = [this](size_t i) { return static_cast<uint8_t>(pending_[i]); };
      uint8_t opcode = byte(0) & 0x0f;
      uint64_t length = byte(1) & 0x7f;
      size_t header = 2;
      if (length == 126) {
        if (pending_.size() < 4) return;
        length = (uint64_t{byte(2)} << 8) | byte(3);
        header = 4;
      } else if (length == 127) {
        if (pending_.size() < 10) return;
        length = 0;
        for (size_t i = 2; i < 10; ++i) length = (length << 8) | byte(i);
        header = 10;
      }
      if (pending_.size() < header + length) return;
      if (opcode == 0x1) ++drained.text_frames;
      if (opcode == 0x8 && length >= 2) {
        drained.close_code = static_cast<uint16_t>((byte(header) << 8) | byte(header + 1));
      }
      pending_.erase(0, header + length);
    }
  }

  int fd_ = -1;
  std::string pending_;
  bool closed_ = false;
  std::string end_reason_;
};

class StreamTest : public ServiceFixture {
 protected:
  std::optional<uint64_t> PublishScam(uint16_t node_port, const std::string& description = "") {
    return Publish(node_port, police_key_, ScamAlert(description));
  }

  // Polls GET /readyz on the fixture's node until it returns `status` or
  // `timeout` passes; returns the last status seen.
  int WaitForReadyz(int status, std::chrono::milliseconds timeout) {
    Clock::time_point deadline = Clock::now() + timeout;
    int last = 0;
    while (Clock::now() < deadline) {
      last = SendHttp(port(), {http::verb::get, "/readyz", "", "", false, ""}, 2s).status;
      if (last == status) break;
      std::this_thread::sleep_for(20ms);
    }
    return last;
  }

  // What OverflowStalledReader observed.
  struct SlowReaderRun {
    std::vector<uint64_t> published;
    std::vector<uint64_t> received_by_normal_reader;
    bool close_counted_while_publishing = false;
    StalledWebSocket::Drained stalled_reader;
    std::optional<double> slow_consumer_closes;
  };

  // Starts a node with small send queues and connects a stalled reader and
  // a normal reader. Then publishes alerts with 5000-character descriptions
  // while the normal reader reads, until 5 alerts after the node has counted
  // a slow-consumer close (at most 400 alerts). Fails the test when the
  // setup fails.
  SlowReaderRun OverflowStalledReader() {
    // A message is about 10 KB (two 5000-character descriptions), so the
    // byte limit takes about 12 of them: enough for the bursts a normal
    // reader receives, far less than the stalled reader is sent.
    constexpr size_t kQueueBytes = 128 * 1024;
    constexpr size_t kQueueMessages = 64;
    constexpr int kMaxAlerts = 400;
    constexpr int kAlertsAfterClose = 5;
    SlowReaderRun run;

    Config config = NodeConfig();
    config.ws_send_queue_bytes = kQueueBytes;
    config.ws_send_queue_messages = kQueueMessages;
    std::unique_ptr<Service> node = StartNode(config);
    if (!node->IsReady()) {
      ADD_FAILURE() << "the node with small send queues was not ready within 10 s";
      return run;
    }

    StalledWebSocket slow;
    std::string slow_error = slow.Connect(node->port(), "/v1/stream", 4096, 5s);
    if (!slow_error.empty()) {
      ADD_FAILURE() << "the stalled reader failed to connect: " << slow_error;
      return run;
    }
    StreamClient normal(node->port(), "/v1/stream");
    if (!normal.connected()) {
      ADD_FAILURE() << "the normal reader failed to connect: " << normal.rejection().body;
      return run;
    }

    // The publisher stops a few alerts after the node reports the close, so
    // the normal reader also gets alerts sent after the slow one was dropped.
    const std::string description(kMaxDescriptionChars, 'x');
    std::mutex published_mutex;
    std::atomic<bool> publishing_done{false};
    std::atomic<bool> close_counted{false};
    std::jthread publisher([&] {
      int after_close = 0;
      for (int i = 0; i < kMaxAlerts && after_close < kAlertsAfterClose; ++i) {
        std::optional<uint64_t> seq = PublishScam(node->port(), description);
        if (!seq) break;
        {
          std::lock_guard lock(published_mutex);
          run.published.push_back(*seq);
        }
        if (close_counted) {
          ++after_close;
        } else if (i % 10 == 9) {
          std::optional<double> closes = ScrapeMetric(node->metrics_port(), kClosesMetric);
          close_counted = closes && *closes >= 1;
        }
      }
      publishing_done = true;
    });

    // The normal reader keeps reading while the alerts are published. When
    // it has the last alert before the publisher has reported it, one read
    // waits for its full timeout and ends the loop.
    std::vector<uint64_t>& received = run.received_by_normal_reader;
    Clock::time_point deadline = Clock::now() + 90s;
    while (Clock::now() < deadline) {
      uint64_t newest_published = 0;
      {
        std::lock_guard lock(published_mutex);
        if (!run.published.empty()) newest_published = run.published.back();
      }
      if (publishing_done && (newest_published == 0 ||
                              (!received.empty() && received.back() >= newest_published))) {
        break;
      }
      std::optional<std::string> text = normal.Read(std::min(Remaining(deadline), 5000ms));
      if (!text) break;
      json::value message = json::parse(*text);
      if (StringAt(message, {"type"}) != "alert") {
        ADD_FAILURE() << "the normal reader got a message that is not an alert: " << *text;
        break;
      }
      received.push_back(message.as_object().at("seq").to_number<uint64_t>());
    }
    publisher.join();

    run.close_counted_while_publishing = close_counted;
    run.stalled_reader = slow.DrainUntilEnd(10s);
    run.slow_consumer_closes = ScrapeMetric(node->metrics_port(), kClosesMetric);
    return run;
  }

  static constexpr const char* kClosesMetric = "canhbao_stream_slow_consumer_closes_total";
};

TEST_F(StreamTest, ResumeAcrossRacingPublish) {
  constexpr int kRounds = 10;
  constexpr int kPublishedWhileAway = 2;
  constexpr int kPublishedDuringReconnect = 4;

  uint64_t newest = 0;
  for (int i = 0; i < 3; ++i) {
    std::optional<uint64_t> seq = PublishScam(port());
    ASSERT_TRUE(seq.has_value());
    newest = *seq;
  }
  uint64_t last_seen = 0;
  {
    StreamClient first(port(), StreamTarget(0));
    ASSERT_TRUE(first.connected()) << first.rejection().body;
    StreamLog log = ReadThrough(first, newest, 5s);
    ASSERT_EQ(log.seqs, SeqRange(1, newest)) << "since=0 must replay the whole log in order";
    last_seen = log.seqs.back();
  }

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + ", resuming after seq " +
                 std::to_string(last_seen));
    for (int i = 0; i < kPublishedWhileAway; ++i) {
      ASSERT_TRUE(PublishScam(port()).has_value());
    }

    // The racer publishes while the client reconnects, so that some alerts
    // land in the hub around the moment the subscription switches from
    // replay to live delivery.
    std::atomic<uint64_t> racer_newest{0};
    std::jthread racer([&] {
      for (int i = 0; i < kPublishedDuringReconnect; ++i) {
        if (std::optional<uint64_t> seq = PublishScam(port())) racer_newest = *seq;
      }
    });
    StreamClient client(port(), StreamTarget(last_seen));
    racer.join();
    ASSERT_TRUE(client.connected()) << client.rejection().body;
    ASSERT_NE(racer_newest.load(), 0u) << "the racing publisher failed";
    newest = racer_newest.load();

    StreamLog log = ReadThrough(client, newest, 5s);
    EXPECT_EQ(log.seqs, SeqRange(last_seen + 1, newest))
        << "after since=" << last_seen << " the client must get every later seq once, in order";
    EXPECT_TRUE(log.other_messages.empty())
        << "unexpected message: " << json::serialize(log.other_messages.front());
    EXPECT_FALSE(client.Read(200ms).has_value()) << "a message arrived after the newest seq";
    if (::testing::Test::HasFailure()) return;
    last_seen = newest;
  }
}

TEST_F(StreamTest, SlowReaderIsClosedOthersUnaffected) {
  SlowReaderRun run = OverflowStalledReader();
  ASSERT_FALSE(run.published.empty()) << "no alert with a 5000-character description was published";

  EXPECT_TRUE(run.close_counted_while_publishing)
      << "the node never counted a slow-consumer close after " << run.published.size()
      << " alerts";
  EXPECT_EQ(run.received_by_normal_reader, run.published)
      << "the normal reader must receive every alert in order";

  const StalledWebSocket::Drained& slow = run.stalled_reader;
  EXPECT_TRUE(slow.ended) << "the server did not end the stalled connection; read "
                          << slow.text_frames << " alert frames";
  EXPECT_LT(slow.text_frames, run.published.size())
      << "the stalled reader was sent every alert, so its queue never overflowed";
  if (slow.close_code) {
    EXPECT_EQ(*slow.close_code, 4008) << "a slow consumer's close frame must carry 4008";
  }

  ASSERT_TRUE(run.slow_consumer_closes.has_value()) << kClosesMetric << " is missing from /metrics";
  EXPECT_GE(*run.slow_consumer_closes, 1.0);
}

// The client of a dropped connection must be able to tell "too slow, resume
// with since" from a network failure, so the close carries 4008.
TEST_F(StreamTest, SlowReaderSeesCloseCode4008) {
  SlowReaderRun run = OverflowStalledReader();
  ASSERT_TRUE(run.close_counted_while_publishing)
      << "the stalled reader was never closed as a slow consumer";

  const StalledWebSocket::Drained& slow = run.stalled_reader;
  ASSERT_TRUE(slow.ended) << "the server did not end the stalled connection";
  ASSERT_TRUE(slow.close_code.has_value())
      << "the connection ended (" << slow.end_reason << ") after " << slow.text_frames
      << " alert frames without a close frame, so the client cannot see close code 4008";
  EXPECT_EQ(*slow.close_code, 4008);
}

// The smallest send-queue byte limit the configuration accepts (4096) is
// below the size of an alert with a 5000-character description. An empty
// queue must still take one message, or every reader is closed as slow and
// is closed again each time it resumes.
TEST_F(StreamTest, LargeAlertReachesReaderWithSmallestQueue) {
  Config config = NodeConfig();
  config.ws_send_queue_bytes = 4096;
  std::unique_ptr<Service> node = StartNode(config);
  ASSERT_TRUE(node->IsReady()) << "the node with a 4096-byte send queue was not ready within 10 s";
  StreamClient client(node->port(), "/v1/stream");
  ASSERT_TRUE(client.connected()) << client.rejection().body;

  std::optional<uint64_t> seq = PublishScam(node->port(), std::string(kMaxDescriptionChars, 'x'));
  ASSERT_TRUE(seq.has_value());

  StreamLog log = ReadThrough(client, *seq, 5s);
  EXPECT_EQ(log.seqs, std::vector<uint64_t>{*seq})
      << "a reader that reads everything was closed instead of receiving a 10 KB alert";
  std::optional<double> closes = ScrapeMetric(node->metrics_port(), kClosesMetric);
  ASSERT_TRUE(closes.has_value()) << kClosesMetric << " is missing from /metrics";
  EXPECT_EQ(*closes, 0.0) << "the reader was counted as a slow consumer";
}

TEST_F(StreamTest, TwoNodesDeliverToEachOther) {
  constexpr int kAlerts = 10;
  std::unique_ptr<Service> node_b = StartNode(NodeConfig());
  ASSERT_TRUE(node_b->IsReady()) << "the second node was not ready within 10 s";

  StreamClient client_a(port(), "/v1/stream");
  ASSERT_TRUE(client_a.connected()) << client_a.rejection().body;
  StreamClient client_b(node_b->port(), "/v1/stream");
  ASSERT_TRUE(client_b.connected()) << client_b.rejection().body;

  std::vector<uint64_t> published;
  for (int i = 0; i < kAlerts; ++i) {
    uint16_t publishing_port = i % 2 == 0 ? port() : node_b->port();
    std::optional<uint64_t> seq = PublishScam(publishing_port);
    ASSERT_TRUE(seq.has_value()) << "publishing alert " << i << " on port " << publishing_port;
    published.push_back(*seq);
  }

  StreamLog log_a = ReadThrough(client_a, published.back(), 5s);
  StreamLog log_b = ReadThrough(client_b, published.back(), 5s);
  EXPECT_EQ(log_a.seqs, published) << "the client on node A missed or reordered alerts";
  EXPECT_EQ(log_b.seqs, published) << "the client on node B missed or reordered alerts";
}

TEST_F(StreamTest, RedisRestartLosesNothing) {
  StreamClient client(port(), "/v1/stream");
  ASSERT_TRUE(client.connected()) << client.rejection().body;

  std::vector<uint64_t> published;
  for (int i = 0; i < 3; ++i) {
    std::optional<uint64_t> seq = PublishScam(port());
    ASSERT_TRUE(seq.has_value());
    published.push_back(*seq);
  }
  HttpReply created = PostJson("/v1/alerts", json::value(ScamAlert()), police_key_);
  ASSERT_EQ(created.status, 201) << created.body;
  std::string last_before_restart = StringAt(created.json, {"id"});
  HttpReply accepted = PostJson("/v1/alerts/" + last_before_restart + "/publish", "", police_key_);
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  ASSERT_TRUE(accepted.json.as_object().at("seq").is_number()) << accepted.body;
  published.push_back(accepted.json.as_object().at("seq").to_number<uint64_t>());

  redis_->Stop();
  EXPECT_EQ(WaitForReadyz(503, 5s), 503) << "the node must report not-ready while Redis is down";
  HttpReply rejected_write = PostJson("/v1/alerts", json::value(ScamAlert()), police_key_);
  EXPECT_EQ(rejected_write.status, 503)
      << "a write while Redis is down must get 503: " << rejected_write.body;

  redis_->Restart();
  EXPECT_EQ(WaitForReadyz(200, 10s), 200) << "the node did not become ready after Redis returned";

  for (int i = 0; i < 3; ++i) {
    std::optional<uint64_t> seq = PublishScam(port());
    ASSERT_TRUE(seq.has_value()) << "publishing after the restart failed";
    published.push_back(*seq);
  }
  ASSERT_EQ(published, SeqRange(1, published.back()))
      << "the log must continue after the restart without reusing or skipping a seq";

  StreamLog live = ReadThrough(client, published.back(), 5s);
  EXPECT_EQ(live.seqs, published)
      << "the client connected across the restart must get every alert once, in order";

  StreamClient replay(port(), StreamTarget(0));
  ASSERT_TRUE(replay.connected()) << replay.rejection().body;
  StreamLog replayed = ReadThrough(replay, published.back(), 5s);
  EXPECT_EQ(replayed.seqs, published) << "since=0 after the restart must replay the whole log";

  HttpReply list = Get("/v1/alerts?limit=500");
  ASSERT_EQ(list.status, 200) << list.body;
  std::vector<std::string> listed_ids;
  for (const json::value& alert : list.json.as_object().at("alerts").as_array()) {
    listed_ids.push_back(StringAt(alert, {"id"}));
  }
  EXPECT_NE(std::find(listed_ids.begin(), listed_ids.end(), last_before_restart), listed_ids.end())
      << "alert " << last_before_restart << " was published with 200 before the restart"
      << " but is missing from GET /v1/alerts";
}

TEST_F(StreamTest, ResyncWhenBehindTheWindow) {
  constexpr size_t kWindow = 16;
  constexpr int kBeforeStart = 10;
  constexpr int kAfterStart = 20;

  // Some alerts exist before the node starts (it loads the newest ones)
  // and the rest arrive live (it drops the oldest as the window fills).
  uint64_t newest = 0;
  for (int i = 0; i < kBeforeStart; ++i) {
    std::optional<uint64_t> seq = PublishScam(port());
    ASSERT_TRUE(seq.has_value());
    newest = *seq;
  }
  Config config = NodeConfig();
  config.replay_window = kWindow;
  std::unique_ptr<Service> node = StartNode(config);
  ASSERT_TRUE(node->IsReady()) << "the node with a 16-alert window was not ready within 10 s";
  for (int i = 0; i < kAfterStart; ++i) {
    std::optional<uint64_t> seq = PublishScam(port());
    ASSERT_TRUE(seq.has_value());
    newest = *seq;
  }
  // The node must have followed the log to the newest alert before the
  // client connects, or its window would still contain older ones.
  bool followed = false;
  Clock::time_point deadline = Clock::now() + 5s;
  while (!followed && Clock::now() < deadline) {
    HttpReply ready = SendHttp(node->port(), {http::verb::get, "/readyz", "", "", false, ""});
    const json::object* body = ready.json.if_object();
    const json::value* seq = body != nullptr ? body->if_contains("seq") : nullptr;
    followed = seq != nullptr && seq->is_number() && seq->to_number<uint64_t>() >= newest;
    if (!followed) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(followed) << "the node did not follow the log to seq " << newest << " within 5 s";
  const uint64_t oldest_kept = newest - kWindow + 1;

  StreamClient client(node->port(), StreamTarget(1));
  ASSERT_TRUE(client.connected()) << client.rejection().body;
  std::optional<std::string> first = client.Read(5s);
  ASSERT_TRUE(first.has_value()) << "no message after connecting with since=1";
  json::value resync = json::parse(*first);
  EXPECT_EQ(StringAt(resync, {"type"}), "resync") << *first;
  const json::value* oldest =
      resync.is_object() ? resync.as_object().if_contains("oldest_seq") : nullptr;
  ASSERT_NE(oldest, nullptr) << "the resync message has no oldest_seq: " << *first;
  ASSERT_TRUE(oldest->is_number()) << "oldest_seq is not a number: " << *first;
  EXPECT_EQ(oldest->to_number<uint64_t>(), oldest_kept) << *first;

  StreamLog log = ReadThrough(client, newest, 5s);
  EXPECT_EQ(log.seqs, SeqRange(oldest_kept, newest))
      << "after the resync the client must get the window from oldest_seq on, in order";
  EXPECT_TRUE(log.other_messages.empty())
      << "unexpected message: " << json::serialize(log.other_messages.front());
}

TEST_F(StreamTest, SinceEqualToNewestGetsOnlyLive) {
  uint64_t newest = 0;
  for (int i = 0; i < 3; ++i) {
    std::optional<uint64_t> seq = PublishScam(port());
    ASSERT_TRUE(seq.has_value());
    newest = *seq;
  }

  StreamClient client(port(), StreamTarget(newest));
  ASSERT_TRUE(client.connected()) << client.rejection().body;
  std::vector<uint64_t> live;
  for (int i = 0; i < 2; ++i) {
    std::optional<uint64_t> seq = PublishScam(port());
    ASSERT_TRUE(seq.has_value());
    live.push_back(*seq);
  }

  // Any replayed alert would arrive before the live ones.
  StreamLog log = ReadThrough(client, live.back(), 5s);
  EXPECT_EQ(log.seqs, live) << "since=" << newest << " must replay nothing";
  EXPECT_TRUE(log.other_messages.empty())
      << "unexpected message: " << json::serialize(log.other_messages.front());
}

// Connections from one client address are limited; the one over the limit
// gets 429 before the upgrade, and a freed place can be taken again.
TEST_F(StreamTest, PerAddressLimitAnswers429) {
  Config config = NodeConfig();
  config.ws_max_per_address = 2;
  std::unique_ptr<Service> node = StartNode(config);
  ASSERT_TRUE(node->IsReady());

  auto first = std::make_unique<StreamClient>(node->port(), "/v1/stream");
  StreamClient second(node->port(), "/v1/stream");
  ASSERT_TRUE(first->connected());
  ASSERT_TRUE(second.connected());
  StreamClient third(node->port(), "/v1/stream");
  EXPECT_FALSE(third.connected());
  EXPECT_EQ(third.rejection().status, 429) << third.rejection().body;
  EXPECT_FALSE(StringAt(third.rejection().json, {"error", "message", "vi"}).empty());

  first.reset();
  bool reconnected = false;
  for (int attempt = 0; attempt < 50 && !reconnected; ++attempt) {
    StreamClient again(node->port(), "/v1/stream");
    reconnected = again.connected();
    if (!reconnected) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(reconnected) << "the place of a closed connection was never freed";
}

}  // namespace
TEST_F(StreamTest, ConnectionLimitAnswers503) {
  Config config = NodeConfig();
  config.max_connections = 2;
  std::unique_ptr<Service> node = StartNode(config);
  ASSERT_TRUE(node->IsReady());
  StreamClient first(node->port(), "/v1/stream");
  StreamClient second(node->port(), "/v1/stream");
  ASSERT_TRUE(first.connected());
  ASSERT_TRUE(second.connected());

  HttpReply rejected = SendHttp(node->port(), {http::verb::get, "/healthz", "", "", false, ""});
  EXPECT_EQ(rejected.status, 503) << rejected.body;
  EXPECT_EQ(rejected.headers["Retry-After"], "5");
  EXPECT_FALSE(StringAt(rejected.json, {"error", "message", "vi"}).empty()) << rejected.body;
  EXPECT_FALSE(StringAt(rejected.json, {"error", "message", "en"}).empty()) << rejected.body;
}

TEST_F(StreamTest, MetricsCountStreamsDeliveriesAndRedisRoundTrips) {
  StreamClient first(port(), "/v1/stream?categories=scam");
  StreamClient second(port(), "/v1/stream");
  ASSERT_TRUE(first.connected());
  ASSERT_TRUE(second.connected());
  std::optional<uint64_t> seq = PublishScam(port());
  ASSERT_TRUE(seq.has_value());
  ASSERT_EQ(ReadThrough(first, *seq, 5s).seqs, std::vector<uint64_t>{*seq});

  uint16_t metrics = service_->metrics_port();
  // The hub counts a delivery when it writes, even before the second reader
  // has read it.
  Clock::time_point deadline = Clock::now() + 5s;
  std::optional<double> deliveries;
  while (Clock::now() < deadline) {
    deliveries = ScrapeMetric(metrics, "canhbao_stream_deliveries_total");
    if (deliveries && *deliveries >= 2) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(deliveries.has_value());
  EXPECT_EQ(*deliveries, 2.0) << "one alert to two subscribers";
  EXPECT_EQ(ScrapeMetric(metrics, "canhbao_connections{kind=\"websocket\"}"), 2.0);
  EXPECT_EQ(ScrapeMetric(metrics, "canhbao_stream_subscriptions"), 2.0);
  EXPECT_EQ(ScrapeMetric(metrics, "canhbao_publish_to_send_seconds_count"), 2.0)
      << "one publish-to-send observation per delivery";
  EXPECT_GT(ScrapeMetric(metrics, "canhbao_redis_commands_total").value_or(0), 0.0);
  EXPECT_TRUE(ScrapeMetric(metrics, "canhbao_redis_command_errors_total").has_value());

  HttpReply text = SendHttp(metrics, {http::verb::get, "/metrics", "", "", false, ""});
  for (const char* counter : {"canhbao_stream_deliveries_total", "canhbao_redis_commands_total",
                              "canhbao_stream_slow_consumer_closes_total"}) {
    EXPECT_NE(text.body.find(std::string("# TYPE ") + counter + " counter"), std::string::npos)
        << counter << " must be a counter";
  }
}

}  // namespace canhbao::testing
