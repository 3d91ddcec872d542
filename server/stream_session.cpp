#include "server/stream_session.hpp"

#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

namespace canhbao {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

// How long a slow consumer has to reply to the 4008 close frame.
constexpr std::chrono::seconds kCloseGrace{2};

}  // namespace

StreamSession::StreamSession(beast::tcp_stream stream, const Config& config, notify::Hub& hub,
                             Metrics& metrics, uint64_t connection_id,
                             std::function<void()> on_close)
    : ws_(std::move(stream)),
      close_timer_(ws_.get_executor()),
      config_(config),
      hub_(hub),
      metrics_(metrics),
      connection_id_(connection_id),
      on_close_(std::move(on_close)) {
  metrics_.stream_connections().Increment();
}

StreamSession::~StreamSession() {
  if (on_close_) on_close_();
  metrics_.stream_connections().Decrement();
  metrics_.stream_queued_bytes().Decrement(static_cast<double>(queued_bytes_));
}

void StreamSession::Deliver(const notify::Message& message) {
  asio::post(ws_.get_executor(),
             [self = shared_from_this(), message] { self->Enqueue(message); });
}

void StreamSession::Enqueue(notify::Message message) {
  if (closing_) return;
  // An empty queue takes any one message, so that an alert larger than the
  // byte limit still reaches a reader that keeps up.
  if (!queue_.empty() && (queue_.size() >= config_.ws_send_queue_messages ||
                          queued_bytes_ + message->size() > config_.ws_send_queue_bytes)) {
    CloseSlow();
    return;
  }
  queued_bytes_ += message->size();
  metrics_.stream_queued_bytes().Increment(static_cast<double>(message->size()));
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
    // The read loop gets the same failure and ends the session.
    spdlog::debug("stream {}: write failed: {}", connection_id_, ec.message());
    closing_ = true;
    metrics_.stream_queued_bytes().Decrement(static_cast<double>(queued_bytes_));
    queue_.clear();
    queued_bytes_ = 0;
    return;
  }
  queued_bytes_ -= queue_.front()->size();
  metrics_.stream_queued_bytes().Decrement(static_cast<double>(queue_.front()->size()));
  queue_.pop_front();
  if (slow_) {
    SendSlowClose();
    return;
  }
  if (closing_) return;
  if (!queue_.empty()) DoWrite();
}

void StreamSession::SendSlowClose() {
  ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(kCloseSlowConsumer),
                                          "slow consumer: resume with since"),
                  [self = shared_from_this()](beast::error_code) { self->close_timer_.cancel(); });
  // The client should reply to the close frame at once. One that does not
  // is dropped after a short grace, so a stalled socket is never kept.
  close_timer_.expires_after(kCloseGrace);
  close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    self->DropSocket();
  });
}

void StreamSession::CloseSlow() {
  closing_ = true;
  slow_ = true;
  metrics_.slow_consumer_closes().Increment();
  spdlog::warn("stream {}: closing slow consumer with {} messages, {} bytes queued",
               connection_id_, queue_.size(), queued_bytes_);
  hub_.Unsubscribe(connection_id_);

  // Everything not yet on the wire is dropped; the client resumes with
  // since= and gets it from the log.
  size_t keep = writing_ ? 1 : 0;
  while (queue_.size() > keep) {
    queued_bytes_ -= queue_.back()->size();
    metrics_.stream_queued_bytes().Decrement(static_cast<double>(queue_.back()->size()));
    queue_.pop_back();
  }
  if (!writing_) {
    SendSlowClose();
    return;
  }
  // Beast allows no close frame while a write is in flight, so the close
  // (code 4008) follows when the write completes. A client that reads
  // nothing at all never lets it complete: the timer then drops the socket.
  close_timer_.expires_after(config_.ws_ping_interval);
  close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    spdlog::debug("stream {}: slow consumer did not drain; dropping the connection",
                  self->connection_id_);
    self->DropSocket();
  });
}

void StreamSession::DropSocket() {
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(ws_).close();
}

asio::awaitable<beast::error_code> StreamSession::Accept(Request request) {
  auto [ec] = co_await ws_.async_accept(request, asio::as_tuple(asio::use_awaitable));
  co_return ec;
}

asio::awaitable<void> StreamSession::Run(std::shared_ptr<StreamSession> self, Request request,
                                         notify::Subscription subscription) {
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

  beast::error_code accept_ec = co_await Accept(std::move(request));
  if (accept_ec) {
    spdlog::debug("stream {}: handshake failed: {}", connection_id_, accept_ec.message());
    co_return;
  }
  subscription.subscriber = self;
  uint64_t since = subscription.after_seq;
  notify::Hub::SubscribeResult result = hub_.Subscribe(connection_id_, subscription);
  if (subscription.resume) {
    metrics_.stream_resumes().Increment();
    metrics_.stream_resume_depth().Observe(
        static_cast<double>(result.last_seq > since ? result.last_seq - since : 0));
  }
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
    metrics_.stream_queued_bytes().Increment(static_cast<double>(message->size()));
    queue_.push_front(message);
    if (!writing_) DoWrite();
  }
  spdlog::debug("stream {}: subscribed after seq {}{}", connection_id_, subscription.after_seq,
                subscription.merchant_id.empty() ? "" : " as merchant " + subscription.merchant_id);

  // Clients have nothing to send yet. What they send is read in small
  // pieces and dropped, so pings, pongs and close frames are processed
  // without a read buffer per idle connection.
  std::array<char, 256> discard;
  for (;;) {
    auto [ec, bytes] = co_await ws_.async_read_some(asio::buffer(discard),
                                                    asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec != websocket::error::closed && ec != asio::error::operation_aborted &&
          ec != asio::error::eof) {
        spdlog::debug("stream {}: read ended: {}", connection_id_, ec.message());
      }
      break;
    }
  }
  closing_ = true;
  hub_.Unsubscribe(connection_id_);
}

}  // namespace canhbao
