#pragma once

// A test fixture that runs the whole service in-process against a private
// redis-server, with blocking HTTP and WebSocket clients for driving it from
// the test thread. Every client call is bounded by a deadline, so a service
// that stops responding fails the test instead of hanging it.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/service.hpp"
#include "tests/support/redis_server.hpp"

namespace canhbao::testing {

// One HTTP response: the status, the raw body and the body parsed as JSON
// (null when the body is not JSON).
struct HttpReply {
  int status = 0;
  std::string body;
  boost::json::value json;
  std::map<std::string, std::string> headers;
};

// One HTTP request of the blocking client.
struct HttpRequest {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;
  std::string body;
  // Sent only when `body` is not empty or `force_content_type` is set.
  std::string content_type = "application/json";
  bool force_content_type = false;
  // The API key, sent as "Authorization: Bearer <key>" when not empty.
  std::string key;
};

// Sends one request on a new connection to 127.0.0.1:`port` and reads the
// response. Fails the calling test (ADD_FAILURE) and returns status 0 when
// the connection fails or nothing arrives within `timeout`.
// Opens a blocking TCP connection to 127.0.0.1:`port` and returns its
// descriptor, or -1 with errno set. A `receive_buffer` above zero sets
// SO_RCVBUF before connecting, so that the advertised window stays small.
int ConnectLoopback(uint16_t port, int receive_buffer = 0);

HttpReply SendHttp(uint16_t port, const HttpRequest& request,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A blocking WebSocket client for /v1/stream. Not thread-safe: use it from
// the test thread only.
class StreamClient {
 public:
  // Connects to 127.0.0.1:`port` and runs the upgrade for `target`, with
  // "Authorization: Bearer <key>" when `key` is not empty. Check
  // connected() afterwards; when the server rejected the upgrade,
  // rejection() contains its HTTP response.
  StreamClient(uint16_t port, const std::string& target, const std::string& key = "",
               std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~StreamClient();

  bool connected() const { return connected_; }
  const HttpReply& rejection() const { return rejection_; }

  // Returns the next text message, or nullopt when none arrives within
  // `timeout` or the connection ends. After nullopt the client is closed
  // and every later call returns nullopt at once.
  std::optional<std::string> Read(std::chrono::milliseconds timeout);

 private:
  void Abort();

  boost::asio::io_context io_context_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
  HttpReply rejection_;
};

// Every Redis key and its DUMP serialization, for proving that a rejected
// request changed nothing.
using RedisSnapshot = std::map<std::string, std::string>;

class ServiceFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  uint16_t port() const { return service_->port(); }

  // The settings of a node on the fixture's Redis, as SetUp uses them.
  Config NodeConfig() const;
  // Starts another node with `config` and waits up to 10 s for it to be
  // ready; the caller checks IsReady().
  std::unique_ptr<Service> StartNode(const Config& config);

  // Writes a key record straight into Redis, as `canhbao key create` does,
  // and returns its secret. `key_id`, when given, receives the record's id.
  std::string CreateKey(const std::string& role, const std::string& name,
                        const std::string& merchant_id = "", std::string* key_id = nullptr);

  RedisSnapshot Snapshot() const;

  HttpReply Get(const std::string& target, const std::string& key = "");
  HttpReply PostJson(const std::string& target, const std::string& body, const std::string& key);
  HttpReply PostJson(const std::string& target, const boost::json::value& body,
                     const std::string& key);
  // A string literal is a body as written, not a JSON string value.
  HttpReply PostJson(const std::string& target, const char* body, const std::string& key) {
    return PostJson(target, std::string(body), key);
  }
  HttpReply Put(const std::string& target, const std::string& body, const std::string& content_type,
                const std::string& key);

  // Registers a merchant with the admin key; returns the 201 body (with
  // "id" and "key"), or a null value after failing the test.
  boost::json::object CreateMerchant(const boost::json::value& request);

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<Service> service_;
  std::string admin_key_;
  std::string police_key_;
  std::string police_other_key_;  // same role, another person
  std::string health_key_;
  std::string market_key_;
};

// Reads a file of the repository, relative to its root. Throws
// std::runtime_error when the file cannot be read.
std::string ReadRepoFile(const std::string& relative_path);

// Returns `value[a][b]...` as a string, or "" when a step is missing or the
// leaf is not a string.
std::string StringAt(const boost::json::value& value, std::initializer_list<std::string_view> path);

}  // namespace canhbao::testing
