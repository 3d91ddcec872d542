#include "server/stream_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

namespace canhbao {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

StreamSession::StreamSession(beast::tcp_stream stream, const Config& config, notify::Hub& hub,
                             Metrics& metrics, uint64_t connection_id)
    : ws_(std::move(stream)),
      config_(config),
      hub_(hub),
      metrics_(metrics),
      connection_id_(connection_id) {
  metrics_.stream_connections().Increment();
}

StreamSession::~StreamSession() { metrics_.stream_connections().Decrement(); }

void StreamSession::Deliver(const notify::Message& message) {
  asio::post(ws_.get_executor(),
             [self = shared_from_this(), message] { self->Enqueue(message); });
}

void StreamSession::Enqueue(notify::Message message) {
  if (closing_) return;
  if (queue_.size() >= config_.ws_send_queue_messages ||
      queued_bytes_ + message->size() > config_.ws_send_queue_bytes) {
    CloseSlow();
    return;
  }
  queued_bytes_ += message->size();
  queue_.push_back(std::move(message));
  if (!writing_) DoWrite();
}

void StreamSession::DoWrite() {
  writing_ = true;
  ws_.binary(proto_);
  ws_.async_write(asio::buffer(*queue_.front()),
                  beast::bind_front_handler(&StreamSession::OnWrite, shared_from_this()));
}

void StreamSession::OnWrite(beast::error_code ec, size_t) {
  writing_ = false;
  if (ec) {
    // The read loop sees the same failure and ends the session.
    spdlog::debug("stream {}: write failed: {}", connection_id_, ec.message());
    closing_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    return;
  }
  queued_bytes_ -= queue_.front()->size();
  queue_.pop_front();
  if (closing_) return;
  if (!queue_.empty()) DoWrite();
}

void StreamSession::CloseSlow() {
  closing_ = true;
  metrics_.slow_consumer_closes().Increment();
  spdlog::warn("stream {}: closing slow consumer with {} messages, {} bytes queued",
               connection_id_, queue_.size(), queued_bytes_);
  hub_.Unsubscribe(connection_id_);
  // A close frame cannot be sent while a write is in flight, and waiting
  // for the queue would defeat the limit, so the socket is closed; the
  // client sees an abnormal close and resumes with since=.
  if (writing_) {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).close();
    return;
  }
  ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(kCloseSlowConsumer), "slow consumer: resume with since"),
                  [self = shared_from_this()](beast::error_code) {});
}

asio::awaitable<void> StreamSession::Run(Request request, notify::Subscription subscription) {
  auto self = shared_from_this();
  websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(
      beast::role_type::server);
  timeouts.idle_timeout = config_.ws_ping_interval * 2;
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.read_message_max(config_.ws_max_message_bytes);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(beast::http::field::server, "canhbao");
  }));
  // The first subprotocol the client offers that canhbao speaks wins; a
  // client that offers none gets JSON.
  std::string chosen;
  std::string_view offered = request[beast::http::field::sec_websocket_protocol];
  while (!offered.empty() && chosen.empty()) {
    size_t comma = offered.find(',');
    std::string_view item = offered.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == kJsonProtocol || item == kProtoProtocol) chosen = item;
    offered = comma == std::string_view::npos ? std::string_view() : offered.substr(comma + 1);
  }
  proto_ = chosen == kProtoProtocol;
  subscription.proto = proto_;
  ws_.set_option(websocket::stream_base::decorator([chosen](websocket::response_type& response) {
    response.set(beast::http::field::server, "canhbao");
    if (!chosen.empty()) response.set(beast::http::field::sec_websocket_protocol, chosen);
  }));

  auto [accept_ec] = co_await ws_.async_accept(request, asio::as_tuple(asio::use_awaitable));
  if (accept_ec) {
    spdlog::debug("stream {}: handshake failed: {}", connection_id_, accept_ec.message());
    co_return;
  }
  subscription.subscriber = self;
  notify::Hub::SubscribeResult result = hub_.Subscribe(connection_id_, subscription);
  if (result.resync_oldest_seq) {
    std::string encoded;
    if (proto_) {
      v1::StreamMessage resync;
      resync.set_type("resync");
      resync.set_oldest_seq(*result.resync_oldest_seq);
      encoded = resync.SerializeAsString();
    } else {
      encoded = boost::json::serialize(
          boost::json::object{{"type", "resync"}, {"oldest_seq", *result.resync_oldest_seq}});
    }
    // Sent ahead of the replay already queued: resync must come first.
    auto message = std::make_shared<const std::string>(std::move(encoded));
    queued_bytes_ += message->size();
    queue_.push_front(message);
    if (!writing_) DoWrite();
  }
  spdlog::debug("stream {}: subscribed after seq {}{}", connection_id_, subscription.after_seq,
                subscription.merchant_id.empty() ? "" : " as merchant " + subscription.merchant_id);

  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, bytes] = co_await ws_.async_read(buffer, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec != websocket::error::closed && ec != asio::error::operation_aborted &&
          ec != asio::error::eof) {
        spdlog::debug("stream {}: read ended: {}", connection_id_, ec.message());
      }
      break;
    }
    // Clients have nothing to send yet; their messages are read and
    // dropped so that pings, pongs and close frames are processed.
    buffer.consume(buffer.size());
  }
  closing_ = true;
  hub_.Unsubscribe(connection_id_);
}

}  // namespace canhbao
