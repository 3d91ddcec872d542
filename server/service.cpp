#include "server/service.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "admin/alert_handlers.hpp"
#include "admin/alert_json.hpp"
#include "admin/auth.hpp"
#include "admin/http_reply.hpp"
#include "admin/device_handlers.hpp"
#include "admin/merchant_handlers.hpp"
#include "admin/wards.hpp"
#include "server/api_error.hpp"
#include "server/stream_request.hpp"
#include "server/stream_session.hpp"
#include "server/websocket.hpp"
#include "store/keys.hpp"
#include "store/redis_endpoint.hpp"

namespace canhbao {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::awaitable;
using asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// How long Stop waits for stream clients to reply to their 1001 close frame.
constexpr std::chrono::milliseconds kShutdownGrace{2500};

tcp::endpoint ParseListen(const std::string& value, const char* setting) {
  size_t colon = value.rfind(':');
  if (colon == std::string::npos) {
    throw std::runtime_error(std::string(setting) + ": expected host:port, got '" + value + "'");
  }
  std::string host = value.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    throw std::runtime_error(std::string(setting) + ": '" + host + "' is not an IP address");
  }
  std::string port = value.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535) {
    throw std::runtime_error(std::string(setting) + ": invalid port '" + port + "'");
  }
  return {address, static_cast<uint16_t>(std::stoul(port))};
}

std::unique_ptr<tcp::acceptor> Bind(asio::io_context& io_context, const tcp::endpoint& endpoint,
                                    const char* setting) {
  auto acceptor = std::make_unique<tcp::acceptor>(io_context);
  boost::system::error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error(std::string("cannot listen on ") + endpoint.address().to_string() +
                             ":" + std::to_string(endpoint.port()) + " (" + setting +
                             "): " + ec.message());
  }
  return acceptor;
}

Response PlainResponse(const Request& request, http::status status, std::string body,
                       const char* content_type = "text/plain; charset=utf-8") {
  Response response(status, request.version());
  response.set(http::field::content_type, content_type);
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response ErrorResponse(const Request& request, const ApiError& error) {
  return admin::JsonResponse(request, StatusFor(error.code()), error.ToJson());
}

}  // namespace

Service::Service(Config config) : config_(std::move(config)), io_context_() {
  app_.config = config_;
}

Service::~Service() { Stop(); }

bool Service::IsReady() const {
  return app_.redis && app_.redis->IsConnected() && app_.hub && app_.hub->IsFollowing() &&
         app_.catalog && app_.catalog->IsFollowing();
}

void Service::Start() {
  auto endpoint = store::RedisEndpoint::Parse(config_.redis);
  if (!endpoint) {
    throw std::runtime_error("redis: invalid URL '" + config_.redis +
                             "' (expected redis://host:port/db or unix:///path)");
  }
  tcp::endpoint listen = ParseListen(config_.listen, "listen");
  tcp::endpoint metrics_listen = ParseListen(config_.metrics_listen, "metrics-listen");
  acceptor_ = Bind(accept_context_, listen, "listen");
  metrics_acceptor_ = Bind(accept_context_, metrics_listen, "metrics-listen");
  port_ = acceptor_->local_endpoint().port();
  metrics_port_ = metrics_acceptor_->local_endpoint().port();

  app_.redis = store::RedisClient::Create(asio::make_strand(io_context_), *endpoint);
  std::string redis_name = endpoint->ToString();
  app_.redis->SetStateCallback([redis_name](bool connected) {
    if (connected) {
      spdlog::info("redis {}: connected", redis_name);
    } else {
      spdlog::warn("redis {}: connection lost; reconnecting", redis_name);
    }
  });
  app_.keys = std::make_shared<store::KeyStore>(app_.redis);
  app_.alerts = std::make_shared<store::AlertStore>(app_.redis);
  app_.merchants = std::make_shared<store::MerchantStore>(app_.redis);
  app_.notices = std::make_shared<store::NoticeStore>(app_.redis);
  app_.devices = std::make_shared<store::DeviceStore>(app_.redis);
  unsigned threads = config_.threads != 0 ? config_.threads
                                          : std::max(1u, std::thread::hardware_concurrency());
  // One hub shard per thread: each runs its share of the stream
  // connections, and a fan-out is one task per shard.
  std::vector<asio::any_io_executor> shards;
  for (unsigned i = 0; i < threads; ++i) shards.push_back(asio::make_strand(io_context_));
  app_.hub = std::make_shared<notify::Hub>(
      asio::make_strand(io_context_), std::move(shards), app_.alerts, app_.notices,
      notify::Hub::Options{config_.replay_window, config_.follow_interval});
  app_.hub->SetDeliveryObserver(
      [this](std::span<const double> seconds) { metrics_.ObservePublishToSend(seconds); });
  app_.index = std::make_shared<rules::CatalogIndex>();
  app_.compute = std::make_shared<asio::thread_pool>(std::max(1u, std::thread::hardware_concurrency()));
  app_.catalog = std::make_shared<notify::CatalogFollower>(
      asio::make_strand(io_context_), app_.merchants, app_.alerts, app_.index,
      notify::CatalogFollower::Options{config_.follow_interval});
  std::weak_ptr<notify::CatalogFollower> catalog = app_.catalog;
  app_.hub->SetAlertObserver([catalog](const v1::Alert& alert) {
    if (auto locked = catalog.lock()) locked->OnAlert(alert);
  });
  std::weak_ptr<notify::Hub> hub = app_.hub;
  auto wake_all = [hub, catalog] {
    if (auto locked = hub.lock()) locked->Wake();
    if (auto locked = catalog.lock()) locked->Wake();
  };
  subscriber_ = store::RedisSubscriber::Create(
      asio::make_strand(io_context_), *endpoint, {store::keys::kEventsChannel},
      [this, wake_all](std::string_view, std::string_view payload) {
        constexpr std::string_view kDevice = "device ";
        if (payload.substr(0, kDevice.size()) == kDevice) {
          asio::co_spawn(io_context_, FollowDeviceChange(std::string(payload.substr(kDevice.size()))),
                         asio::detached);
          return;
        }
        wake_all();
      },
      [wake_all](bool subscribed) {
        // Anything published while the subscription was down is read now.
        if (subscribed) wake_all();
      });

  AddServiceRoutes();
  admin::AddKeyRoutes(router_, app_);
  admin::AddAlertRoutes(router_, app_);
  admin::AddMerchantRoutes(router_, app_);
  admin::AddDeviceRoutes(router_, app_);

  metrics_.SetScrapeHook([this](Metrics& metrics) {
    metrics.SetTotal("canhbao_redis_commands_total", "Redis commands sent (round trips)",
                     app_.redis->commands_sent());
    metrics.SetTotal("canhbao_redis_command_errors_total", "Redis commands that failed",
                     app_.redis->command_errors());
    metrics.Gauge("canhbao_redis_connected", "1 while the Redis connection is up")
        .Set(app_.redis->IsConnected() ? 1 : 0);
    metrics.Gauge("canhbao_stream_subscriptions", "WebSocket subscriptions registered in the hub")
        .Set(static_cast<double>(app_.hub->subscriber_count()));
    metrics.SetTotal("canhbao_stream_deliveries_total",
                     "Messages written or queued to WebSocket subscribers",
                     app_.hub->deliveries());
    metrics.Gauge("canhbao_alert_log_seq", "Newest alert sequence number this node has followed")
        .Set(static_cast<double>(app_.hub->last_seq()));
    metrics.Gauge("canhbao_catalog_products", "Product records in this node's catalog index")
        .Set(static_cast<double>(app_.index->product_count()));
    metrics.Gauge("canhbao_catalog_merchants", "Merchant records in this node's catalog index")
        .Set(static_cast<double>(app_.index->merchant_count()));
  });

  app_.redis->Start();
  subscriber_->Start();
  asio::co_spawn(asio::make_strand(io_context_), app_.hub->Run(), asio::detached);
  asio::co_spawn(asio::make_strand(io_context_), app_.catalog->Run(), asio::detached);
  asio::co_spawn(acceptor_->get_executor(), Accept(*acceptor_, false), asio::detached);
  asio::co_spawn(metrics_acceptor_->get_executor(), Accept(*metrics_acceptor_, true),
                 asio::detached);

  for (unsigned i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { io_context_.run(); });
  }
  accept_thread_ = std::thread([this] { accept_context_.run(); });
  spdlog::info("canhbao listening on {}:{}, metrics on {}:{}, redis {}, {} threads",
               listen.address().to_string(), port_, metrics_listen.address().to_string(),
               metrics_port_, redis_name, threads);
}

void Service::Stop() {
  if (stopped_.exchange(true) || threads_.empty()) return;
  accept_context_.stop();
  if (accept_thread_.joinable()) accept_thread_.join();
  boost::system::error_code ignored;
  if (acceptor_) acceptor_->close(ignored);
  if (metrics_acceptor_) metrics_acceptor_->close(ignored);
  // Each stream gets a 1001 close frame and a moment to reply, so that its
  // client reconnects at once instead of waiting for a timeout.
  if (app_.hub) {
    app_.hub->CloseAll();
    auto deadline = std::chrono::steady_clock::now() + kShutdownGrace;
    while (metrics_.stream_connections().Value() > 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  asio::post(io_context_, [this] {
    if (subscriber_) subscriber_->Stop();
    if (app_.redis) app_.redis->Stop();
  });
  io_context_.stop();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  // The hub keeps the stream sessions alive. They are released now, while the
  // counters their destructors update still exist.
  if (app_.hub) app_.hub->DropSubscribers();
  if (app_.compute) app_.compute->join();
  spdlog::info("canhbao stopped");
}

void Service::RunUntilSignal() {
  asio::io_context signals_context;
  asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int signal) {
    spdlog::info("signal {} received, stopping", signal);
  });
  signals_context.run();
  Stop();
}

namespace {

// The complete HTTP response for a connection the node cannot serve, because
// it is at its connection limit or out of file descriptors.
const std::string& BusyResponse() {
  static const std::string text = [] {
    Request request;
    ApiError error(ErrorCode::kUnavailable, "",
                   "Máy chủ đang có quá nhiều kết nối mở; hãy thử lại sau ít giây",
                   "The server has too many open connections; retry in a few seconds");
    Response response = ErrorResponse(request, error);
    response.set(http::field::retry_after, "5");
    response.keep_alive(false);
    response.prepare_payload();
    std::ostringstream out;
    out << response;
    return out.str();
  }();
  return text;
}

// Writes BusyResponse to a newly accepted socket in one non-blocking send.
// The response is far smaller than an empty socket's send buffer, so the
// send either completes or the client is already gone.
void SendBusyResponse(int fd) {
  const std::string& text = BusyResponse();
  [[maybe_unused]] ssize_t sent = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

int OpenSpareDescriptor() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

awaitable<void> Service::Accept(tcp::acceptor& acceptor, bool metrics) {
  // One descriptor is kept in reserve. When accept fails for lack of
  // descriptors, the reserve is closed so that the waiting connection can be
  // accepted, sent a 503 and closed. The backlog thus drains instead of
  // making accept fail again at once.
  int spare = OpenSpareDescriptor();
  // Connections accepted per wake-up after the first.
  constexpr int kAcceptBatch = 64;
  boost::system::error_code mode_ec;
  acceptor.non_blocking(true, mode_ec);
  bool file_limit_logged = false;
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io_context_), kTuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
    if (ec) {
      if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
        if (!file_limit_logged) {
          spdlog::error("accept failed: open-file limit reached ({}); new connections get 503 "
                        "until descriptors are free",
                        ec.message());
          file_limit_logged = true;
        }
        bool rejected = false;
        if (spare >= 0) {
          ::close(spare);
          int fd = ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
          if (fd >= 0) {
            SendBusyResponse(fd);
            ::close(fd);
            metrics_.CountRequest("accept", 503);
            rejected = true;
          }
          spare = OpenSpareDescriptor();
        }
        if (!rejected) {
          // No reserve to give up, or no connection was waiting: wait for
          // connections to close rather than spin on accept.
          asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
          co_await pause.async_wait(kTuple);
        }
      } else {
        spdlog::warn("accept failed: {}", ec.message());
      }
      continue;
    }
    if (file_limit_logged) {
      spdlog::info("accept: descriptors are free again");
      file_limit_logged = false;
    }
    // Accept what else is waiting without a trip through the event loop, so
    // that a reconnect storm drains the backlog before it overflows.
    for (int more = 0; more <= kAcceptBatch; ++more) {
      auto executor = socket.get_executor();
      if (metrics) {
        asio::co_spawn(executor, ServeMetrics(std::move(socket)), asio::detached);
      } else {
        asio::co_spawn(executor, ServeHttp(std::move(socket)), asio::detached);
      }
      if (more == kAcceptBatch) break;
      boost::system::error_code next_ec;
      socket = acceptor.accept(asio::make_strand(io_context_), next_ec);
      if (next_ec) break;  // would_block, or a failure the next async accept reports
    }
  }
  if (spare >= 0) ::close(spare);
}

awaitable<void> Service::ServeMetrics(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(0);
  stream.expires_after(std::chrono::seconds(10));
  auto [ec, bytes] = co_await http::async_read(stream, buffer, parser, kTuple);
  if (ec) co_return;
  Request request = parser.release();
  request.keep_alive(false);
  Response response =
      request.target() == "/metrics"
          ? PlainResponse(request, http::status::ok, metrics_.Render(),
                          "text/plain; version=0.0.4; charset=utf-8")
          : PlainResponse(request, http::status::not_found, "not found\n");
  co_await http::async_write(stream, response, kTuple);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

std::string Service::ClientAddress(const tcp::socket& socket, const Request& request) const {
  boost::system::error_code ec;
  tcp::endpoint peer = socket.remote_endpoint(ec);
  std::string address = ec ? "unknown" : peer.address().to_string();
  auto forwarded = request.find("X-Forwarded-For");
  if (forwarded == request.end()) return address;
  for (const std::string& proxy : config_.trusted_proxies) {
    if (proxy == address) {
      std::string_view value = forwarded->value();
      size_t comma = value.rfind(',');
      std::string_view last = comma == std::string_view::npos ? value : value.substr(comma + 1);
      while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
      return std::string(last.substr(0, 64));
    }
  }
  return address;
}

awaitable<void> Service::ServeHttp(tcp::socket socket) {
  uint64_t connection_id = next_connection_id_++;
  if (open_connections_.fetch_add(1) >= config_.max_connections) {
    open_connections_.fetch_sub(1);
    spdlog::warn("connection {}: rejected, {} connections open", connection_id,
                 config_.max_connections);
    metrics_.CountRequest("connection_limit", 503);
    SendBusyResponse(socket.native_handle());
    beast::error_code ignored;
    socket.close(ignored);
    co_return;
  }
  metrics_.http_connections().Increment();
  struct Release {
    Service* service;
    bool handed_over = false;  // a StreamSession now owns the connection's place
    ~Release() {
      if (!handed_over) service->open_connections_.fetch_sub(1);
      service->metrics_.http_connections().Decrement();
    }
  } release{this};

  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  bool first = true;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(config_.max_header_bytes));
    // Beast checks Content-Length against the body limit while it parses the
    // header, before the route is known. The route's own limit is checked below.
    parser.body_limit(std::max(config_.max_body_bytes, config_.max_catalog_bytes));
    stream.expires_after(first ? config_.read_timeout : config_.idle_timeout);
    first = false;
    auto [header_ec, header_bytes] = co_await http::async_read_header(stream, buffer, parser, kTuple);
    if (header_ec) {
      if (header_ec == http::error::header_limit) {
        Request dummy;
        Response response = PlainResponse(dummy, http::status::request_header_fields_too_large,
                                           "header too large\n");
        response.keep_alive(false);
        co_await http::async_write(stream, response, kTuple);
      } else if (header_ec != http::error::end_of_stream && header_ec != beast::error::timeout &&
                 header_ec != asio::error::connection_reset && header_ec != asio::error::eof) {
        spdlog::debug("connection {}: bad request header: {}", connection_id, header_ec.message());
        Request dummy;
        ApiError error(ErrorCode::kInvalid, "request", "Yêu cầu HTTP không hợp lệ",
                       "Malformed HTTP request");
        Response response = ErrorResponse(dummy, error);
        response.keep_alive(false);
        co_await http::async_write(stream, response, kTuple);
      }
      break;
    }

    std::string target(parser.get().target());
    auto url = boost::urls::parse_origin_form(target);
    Router::Found found;
    if (url) found = router_.Find(parser.get().method(), url->path());
    size_t body_limit = found.route != nullptr && found.route->body_limit != 0
                            ? found.route->body_limit
                            : config_.max_body_bytes;
    parser.body_limit(body_limit);
    bool too_large = parser.content_length() && *parser.content_length() > body_limit;
    boost::system::error_code body_ec;
    if (!too_large) {
      stream.expires_after(config_.read_timeout);
      auto [read_ec, body_bytes] = co_await http::async_read(stream, buffer, parser, kTuple);
      body_ec = read_ec;
    }
    if (too_large || body_ec) {
      if (too_large || body_ec == http::error::body_limit) {
        Request partial;
        partial.version(parser.get().version());
        size_t limit = body_limit;
        ApiError error(ErrorCode::kTooLarge, "body",
                       "Nội dung yêu cầu vượt quá " + std::to_string(limit) + " byte",
                       "The request body exceeds " + std::to_string(limit) + " bytes");
        Response response = ErrorResponse(partial, error);
        response.keep_alive(false);
        metrics_.CountRequest(found.route ? found.route->pattern : "unknown", 413);
        co_await http::async_write(stream, response, kTuple);
      }
      break;
    }
    Request request = parser.release();

    RequestContext context{request, "r" + std::to_string(connection_id), ClientAddress(stream.socket(), request), found.params, {}};
    if (url) context.url = *url;

    if (found.route != nullptr && found.route->pattern == "/v1/stream" &&
        beast::websocket::is_upgrade(request)) {
      stream.expires_never();
      release.handed_over =
          co_await UpgradeToStream(std::move(stream), request, context, connection_id);
      co_return;
    }

    Response response;
    if (!url) {
      ApiError error(ErrorCode::kInvalid, "target", "Đường dẫn yêu cầu không hợp lệ",
                     "The request target is invalid");
      response = ErrorResponse(request, error);
    } else {
      response = co_await Dispatch(context, found.route, found.path_known);
    }
    response.set("X-Request-Id", context.request_id);
    metrics_.CountRequest(found.route ? found.route->pattern : "unknown", response.result_int());
    spdlog::debug("{} {} {} -> {} ({})", context.request_id, request.method_string(), target,
                  response.result_int(), context.client_address);
    stream.expires_after(config_.read_timeout);
    auto [write_ec, written] = co_await http::async_write(stream, response, kTuple);
    if (write_ec || !response.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

awaitable<Response> Service::Dispatch(RequestContext& context, const Route* route,
                                      bool path_known) {
  const Request& request = context.request;
  try {
    if (route == nullptr) {
      if (path_known) {
        throw ApiError(ErrorCode::kMethodNotAllowed, "method",
                       "Phương thức không được hỗ trợ cho đường dẫn này",
                       "Method not allowed for this path");
      }
      throw ApiError(ErrorCode::kNotFound, "path", "Không có đường dẫn này",
                     "No such path");
    }
    co_return co_await route->handler(context);
  } catch (const ApiError& error) {
    if (error.code() == ErrorCode::kInternal) {
      spdlog::error("{} {} {}: {}", context.request_id, request.method_string(), route->pattern,
                    error.message_en());
    }
    co_return ErrorResponse(request, error);
  } catch (const std::exception& e) {
    spdlog::error("{} {} {}: unexpected failure: {}", context.request_id,
                  request.method_string(), route ? route->pattern : "?", e.what());
    ApiError error(ErrorCode::kInternal, "", "Lỗi máy chủ nội bộ", "Internal server error");
    co_return ErrorResponse(request, error);
  }
}

awaitable<bool> Service::UpgradeToStream(beast::tcp_stream stream, Request& request,
                                         RequestContext& context, uint64_t connection_id) {
  auto reject = [&](const ApiError& error,
                    http::status status = http::status::unknown) -> awaitable<void> {
    Response response = ErrorResponse(request, error);
    if (status != http::status::unknown) response.result(status);
    if (error.code() == ErrorCode::kTooManyRequests) response.set(http::field::retry_after, "10");
    if (status == http::status::upgrade_required) {
      // RFC 7231, section 6.5.15: a 426 names the protocol in an Upgrade header.
      response.set(http::field::upgrade, "websocket");
      response.set(http::field::sec_websocket_version, "13");
    }
    response.keep_alive(false);
    metrics_.CountRequest("/v1/stream", response.result_int());
    stream.expires_after(config_.read_timeout);
    co_await http::async_write(stream, response, kTuple);
  };

  // RFC 6455, section 4.2.1. Beast's is_upgrade has checked the method,
  // the version and the Connection and Upgrade headers.
  std::string_view version = request[http::field::sec_websocket_version];
  if (version != "13") {
    co_await reject(ApiError(ErrorCode::kInvalid, "Sec-WebSocket-Version",
                             "Chỉ hỗ trợ WebSocket phiên bản 13",
                             "Only WebSocket version 13 is supported"),
                    http::status::upgrade_required);
    co_return false;
  }
  std::string_view key = request[http::field::sec_websocket_key];
  if (!ws::IsValidClientKey(key)) {
    co_await reject(ApiError(ErrorCode::kInvalid, "Sec-WebSocket-Key",
                             "Khóa bắt tay WebSocket phải là base64 của 16 byte",
                             "The WebSocket handshake key must be base64 of 16 bytes"));
    co_return false;
  }

  notify::Subscription subscription;
  std::optional<ApiError> rejection;
  try {
    subscription = co_await ResolveStreamRequest(app_, context);
  } catch (const ApiError& error) {
    rejection = error;
  }
  if (rejection) {
    co_await reject(*rejection);
    co_return false;
  }
  {
    std::lock_guard lock(per_address_mutex_);
    size_t& count = per_address_[context.client_address];
    if (count >= config_.ws_max_per_address) {
      if (count == 0) per_address_.erase(context.client_address);
      rejection = ApiError(ErrorCode::kTooManyRequests, "",
                           "Quá nhiều kết nối từ địa chỉ này; hãy đóng bớt rồi thử lại",
                           "Too many connections from this address; close some and retry");
    } else {
      ++count;
    }
  }
  if (rejection) {
    metrics_.stream_rejected("per_address").Increment();
    co_await reject(*rejection);
    co_return false;
  }
  // Until the hand-over, the HTTP session owns the connection's place in the
  // node's count. The per-address place is released here if the upgrade fails.
  auto release_address = [this, address = context.client_address] {
    std::lock_guard lock(per_address_mutex_);
    auto it = per_address_.find(address);
    if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
  };
  struct ReleaseOnExit {
    std::function<void()> release;
    ~ReleaseOnExit() {
      if (release) release();
    }
  } guard{release_address};

  std::string_view chosen = ChooseSubprotocol(request[http::field::sec_websocket_protocol]);
  http::response<http::empty_body> response{http::status::switching_protocols, request.version()};
  response.set(http::field::server, "canhbao");
  response.set(http::field::upgrade, "websocket");
  response.set(http::field::connection, "Upgrade");
  response.set(http::field::sec_websocket_accept, ws::AcceptKey(key));
  if (!chosen.empty()) response.set(http::field::sec_websocket_protocol, chosen);
  stream.expires_after(config_.read_timeout);
  auto [write_ec, written] = co_await http::async_write(stream, response, kTuple);
  if (write_ec) {
    spdlog::debug("stream {}: handshake failed: {}", connection_id, write_ec.message());
    co_return false;
  }
  metrics_.CountRequest("/v1/stream", 101);

  // The socket moves to the executor of its hub shard. Only the
  // descriptor changes hands: this HTTP session's frame, with its parser
  // and read buffer, is freed when it returns.
  stream.expires_never();
  boost::system::error_code ec;
  tcp::socket& http_socket = stream.socket();
  tcp protocol = http_socket.local_endpoint(ec).protocol();
  int fd = ec ? -1 : http_socket.release(ec);
  if (ec || fd < 0) {
    spdlog::warn("stream {}: cannot hand over the socket: {}", connection_id, ec.message());
    co_return false;
  }
  const asio::any_io_executor& shard = app_.hub->ShardExecutor(connection_id);
  tcp::socket socket(shard);
  socket.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    spdlog::warn("stream {}: cannot hand over the socket: {}", connection_id, ec.message());
    co_return false;
  }
  // The session takes over both places and gives them back when it is
  // destroyed.
  guard.release = nullptr;
  auto release = [this, release_address] {
    open_connections_.fetch_sub(1);
    release_address();
  };
  auto session = std::make_shared<StreamSession>(std::move(socket), config_, *app_.hub, metrics_,
                                                 connection_id, chosen == kProtoProtocol,
                                                 std::move(release));
  asio::post(shard, [session, subscription = std::move(subscription)]() mutable {
    session->Start(std::move(subscription));
  });
  co_return true;
}

awaitable<void> Service::FollowDeviceChange(std::string device_id) {
  try {
    std::optional<v1::Device> device = co_await app_.devices->Get(device_id);
    if (device) {
      app_.hub->UpdateDevice(device_id, admin::CategoryMask(device->categories()),
                             {device->wards().begin(), device->wards().end()});
    } else {
      // An unregistered device's open connections receive nothing more.
      app_.hub->UpdateDevice(device_id, 0, {});
    }
  } catch (const std::exception& e) {
    spdlog::warn("device {}: could not apply changed subscriptions: {}", device_id, e.what());
  }
}

void Service::AddServiceRoutes() {
  router_.Add(http::verb::get, "/healthz", [](RequestContext& context) -> awaitable<Response> {
    co_return admin::JsonResponse(context.request, http::status::ok,
                                  json::object{{"status", "ok"}});
  });
  router_.Add(http::verb::get, "/readyz", [this](RequestContext& context) -> awaitable<Response> {
    bool redis = app_.redis->IsConnected();
    bool following = app_.hub->IsFollowing();
    bool catalog = app_.catalog->IsFollowing();
    bool ready = redis && following && catalog;
    json::object body{{"ready", ready},
                      {"redis", redis},
                      {"alert_log_followed", following},
                      {"catalog_followed", catalog},
                      {"seq", app_.hub->last_seq()}};
    co_return admin::JsonResponse(
        context.request, ready ? http::status::ok : http::status::service_unavailable, body);
  });
  // The handler never runs for a WebSocket upgrade (ServeHttp hands the
  // connection over first); a plain GET gets 426.
  router_.Add(http::verb::get, "/v1/stream", [](RequestContext& context) -> awaitable<Response> {
    ApiError error(ErrorCode::kInvalid, "Upgrade",
                   "Đường dẫn này chỉ nhận kết nối WebSocket",
                   "This path only accepts WebSocket connections");
    Response response = ErrorResponse(context.request, error);
    response.result(http::status::upgrade_required);
    response.set(http::field::upgrade, "websocket");
    co_return response;
  });
}

}  // namespace canhbao
