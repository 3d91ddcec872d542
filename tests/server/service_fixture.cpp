#include "tests/server/service_fixture.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "admin/auth.hpp"
#include "store/keys.hpp"

#ifndef CANHBAO_SOURCE_DIR
#error "CANHBAO_SOURCE_DIR must name the repository root"
#endif

namespace canhbao::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(10);
// Bodies at least this large are sent after the header, and only if the
// server has not already responded, because a server that rejects the
// header closes the connection and an unread body would turn the response
// into a connection reset.
constexpr size_t kLargeBody = 64 * 1024;
constexpr auto kEarlyResponseWait = std::chrono::milliseconds(500);

json::value ParseOrNull(const std::string& text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) return nullptr;
  return value;
}

HttpReply ToReply(const http::response<http::string_body>& response) {
  HttpReply reply;
  reply.status = response.result_int();
  reply.body = response.body();
  reply.json = ParseOrNull(reply.body);
  for (const auto& field : response) {
    reply.headers[std::string(field.name_string())] = std::string(field.value());
  }
  return reply;
}

bool WaitReadable(tcp::socket& socket, std::chrono::milliseconds timeout) {
  pollfd descriptor{socket.native_handle(), POLLIN, 0};
  return ::poll(&descriptor, 1, static_cast<int>(timeout.count())) > 0;
}

}  // namespace

int ConnectLoopback(uint16_t port, int receive_buffer) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (receive_buffer > 0 &&
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

HttpReply SendHttp(uint16_t port, const HttpRequest& request, std::chrono::milliseconds timeout) {
  asio::io_context io_context;
  beast::tcp_stream stream(io_context);
  http::response<http::string_body> response;
  beast::error_code result = asio::error::would_block;
  bool responded = false;

  http::request<http::string_body> message(request.method, request.target, 11);
  message.set(http::field::host, "127.0.0.1");
  if (!request.key.empty()) message.set(http::field::authorization, "Bearer " + request.key);
  if (!request.body.empty() || request.force_content_type) {
    message.set(http::field::content_type, request.content_type);
  }
  message.body() = request.body;
  message.keep_alive(false);
  message.prepare_payload();

  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), result);
  if (result) {
    ADD_FAILURE() << "connecting to 127.0.0.1:" << port << " failed: " << result.message();
    return {};
  }
  http::request_serializer<http::string_body> serializer(message);
  beast::error_code write_ec;
  if (request.body.size() >= kLargeBody) {
    http::write_header(stream.socket(), serializer, write_ec);
    responded = WaitReadable(stream.socket(), kEarlyResponseWait);
  }
  // A write error is not a failure here: the server may reject the request
  // and close before reading the whole body, and its response is what counts.
  if (!responded && !write_ec) http::write(stream.socket(), serializer, write_ec);

  beast::flat_buffer buffer;
  stream.expires_after(timeout);
  http::async_read(stream, buffer, response,
                   [&](beast::error_code ec, size_t) { result = ec; });
  io_context.run();
  if (result) {
    ADD_FAILURE() << request.target << ": no HTTP response: " << result.message()
                  << (write_ec ? " (request write failed: " + write_ec.message() + ")" : "");
    return {};
  }
  return ToReply(response);
}

StreamClient::StreamClient(uint16_t port, const std::string& target, const std::string& key,
                           std::chrono::milliseconds timeout)
    : ws_(io_context_) {
  beast::tcp_stream& lowest = beast::get_lowest_layer(ws_);
  beast::error_code ec;
  lowest.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) {
    ADD_FAILURE() << "connecting to 127.0.0.1:" << port << " failed: " << ec.message();
    return;
  }
  if (!key.empty()) {
    ws_.set_option(websocket::stream_base::decorator([key](websocket::request_type& request) {
      request.set(http::field::authorization, "Bearer " + key);
    }));
  }
  websocket::response_type response;
  beast::error_code handshake_ec = asio::error::would_block;
  lowest.expires_after(timeout);
  ws_.async_handshake(response, "127.0.0.1", target,
                      [&](beast::error_code result) { handshake_ec = result; });
  io_context_.run();
  io_context_.restart();
  if (handshake_ec) {
    rejection_.status = response.result_int();
    rejection_.body = response.body();
    rejection_.json = ParseOrNull(rejection_.body);
    Abort();
    return;
  }
  lowest.expires_never();
  connected_ = true;
}

StreamClient::~StreamClient() {
  if (!connected_) return;
  beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(2));
  ws_.async_close(websocket::close_code::normal, [](beast::error_code) {});
  io_context_.run();
}

void StreamClient::Abort() {
  connected_ = false;
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

std::optional<std::string> StreamClient::Read(std::chrono::milliseconds timeout) {
  if (!connected_) return std::nullopt;
  beast::error_code result = asio::error::would_block;
  // tcp_stream's expiry closes the socket when it fires, which also ends
  // the WebSocket stream, so a read that times out closes the client.
  beast::get_lowest_layer(ws_).expires_after(timeout);
  ws_.async_read(buffer_, [&](beast::error_code ec, size_t) { result = ec; });
  io_context_.run();
  io_context_.restart();
  if (result) {
    Abort();
    return std::nullopt;
  }
  beast::get_lowest_layer(ws_).expires_never();
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  return text;
}

Config ServiceFixture::NodeConfig() const {
  Config config;
  config.listen = "127.0.0.1:0";
  config.metrics_listen = "127.0.0.1:0";
  config.redis = redis_->Url();
  config.state_dir = redis_->Directory() + "/state";
  config.threads = 2;
  config.follow_interval = std::chrono::milliseconds(50);
  return config;
}

std::unique_ptr<Service> ServiceFixture::StartNode(const Config& config) {
  auto node = std::make_unique<Service>(config);
  node->Start();
  auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  while (!node->IsReady() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return node;
}

void ServiceFixture::SetUp() {
  ASSERT_GE(sodium_init(), 0) << "libsodium failed to initialize";
  spdlog::set_level(spdlog::level::warn);
  redis_ = std::make_unique<RedisServer>();

  service_ = StartNode(NodeConfig());
  ASSERT_TRUE(service_->IsReady()) << "the service was not ready within 10 s";

  admin_key_ = CreateKey("admin", "Quản trị viên");
  police_key_ = CreateKey("police", "Trần Văn An");
  police_other_key_ = CreateKey("police", "Lê Thị Bình");
  health_key_ = CreateKey("health", "Nguyễn Thị Cúc");
  market_key_ = CreateKey("market", "Phạm Văn Dũng");
}

void ServiceFixture::TearDown() {
  if (service_) service_->Stop();
  service_.reset();
  redis_.reset();
}

std::string ServiceFixture::CreateKey(const std::string& role, const std::string& name,
                                      const std::string& merchant_id, std::string* key_id) {
  admin::NewKey key = admin::MakeKey(role, name, merchant_id);
  // The same three writes as store::KeyStore::Create.
  redis_->Command({"SET", store::keys::KeyByHash(key.record.hash()), key.record.SerializeAsString()});
  redis_->Command({"SET", store::keys::KeyHashById(key.record.id()), key.record.hash()});
  redis_->Command({"SADD", store::keys::kKeys, key.record.id()});
  if (key_id != nullptr) *key_id = key.record.id();
  return key.secret;
}

RedisSnapshot ServiceFixture::Snapshot() const {
  RedisSnapshot snapshot;
  RedisReplyPtr keys = redis_->Command({"KEYS", "*"});
  if (keys->type != REDIS_REPLY_ARRAY) {
    ADD_FAILURE() << "KEYS * did not return an array";
    return snapshot;
  }
  for (size_t i = 0; i < keys->elements; ++i) {
    std::string name(keys->element[i]->str, keys->element[i]->len);
    RedisReplyPtr dump = redis_->Command({"DUMP", name});
    snapshot[name] = dump->type == REDIS_REPLY_STRING ? std::string(dump->str, dump->len) : "";
  }
  return snapshot;
}

HttpReply ServiceFixture::Get(const std::string& target, const std::string& key) {
  return SendHttp(port(), {http::verb::get, target, "", "", false, key});
}

HttpReply ServiceFixture::PostJson(const std::string& target, const std::string& body,
                                   const std::string& key) {
  return SendHttp(port(), {http::verb::post, target, body, "application/json", false, key});
}

HttpReply ServiceFixture::PostJson(const std::string& target, const json::value& body,
                                   const std::string& key) {
  return PostJson(target, json::serialize(body), key);
}

HttpReply ServiceFixture::Put(const std::string& target, const std::string& body,
                              const std::string& content_type, const std::string& key) {
  return SendHttp(port(), {http::verb::put, target, body, content_type, true, key});
}

json::object ServiceFixture::CreateMerchant(const json::value& request) {
  HttpReply reply = PostJson("/v1/merchants", request, admin_key_);
  EXPECT_EQ(reply.status, 201) << "POST /v1/merchants " << json::serialize(request) << ": "
                               << reply.body;
  if (reply.status != 201 || !reply.json.is_object()) return {};
  return reply.json.as_object();
}

std::string ReadRepoFile(const std::string& relative_path) {
  std::string path = std::string(CANHBAO_SOURCE_DIR) + "/" + relative_path;
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("failed to open " + path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string StringAt(const json::value& value, std::initializer_list<std::string_view> path) {
  const json::value* current = &value;
  for (std::string_view step : path) {
    const json::object* object = current->if_object();
    if (object == nullptr) return "";
    current = object->if_contains(step);
    if (current == nullptr) return "";
  }
  const json::string* text = current->if_string();
  return text == nullptr ? "" : std::string(*text);
}

}  // namespace canhbao::testing
