#pragma once

// One WebSocket connection of GET /v1/stream. The session owns its stream
// on a strand; the hub hands it shared, already-serialized messages through
// Deliver, which queues them for a single writer. A client whose queue
// passes the byte or message limit is closed with close code 4008 once the
// frame in flight is written (or dropped after ws_ping_interval if it never
// is), and resumes later with since=.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <functional>
#include <memory>

#include "canhbao.pb.h"
#include "notify/hub.hpp"
#include "server/config.hpp"
#include "server/metrics.hpp"
#include "server/router.hpp"

namespace canhbao {

// Close code sent to a client that cannot keep up (application range).
inline constexpr uint16_t kCloseSlowConsumer = 4008;

// WebSocket subprotocols: JSON text frames, or StreamMessage protobuf in
// binary frames.
inline constexpr std::string_view kJsonProtocol = "canhbao.v1.json";
inline constexpr std::string_view kProtoProtocol = "canhbao.v1.proto";

// The messages waiting for one connection, oldest first. A vector with a
// moving head: unlike std::deque it allocates nothing until the first
// message, which matters with tens of thousands of idle connections.
class SendQueue {
 public:
  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  const notify::Message& front() const { return items_[head_]; }
  const notify::Message& back() const { return items_.back(); }
  void push_back(notify::Message message) { items_.push_back(std::move(message)); }
  void push_front(notify::Message message) {
    if (head_ > 0) {
      items_[--head_] = std::move(message);
    } else {
      items_.insert(items_.begin(), std::move(message));
    }
  }
  void pop_front() {
    items_[head_++].reset();
    if (empty()) clear();
  }
  void pop_back() {
    items_.pop_back();
    if (empty()) clear();
  }
  void clear() {
    items_.clear();
    head_ = 0;
  }

 private:
  std::vector<notify::Message> items_;
  size_t head_ = 0;
};

class StreamSession : public notify::Subscriber,
                      public std::enable_shared_from_this<StreamSession> {
 public:
  // `on_close` runs when the session is destroyed, to give back its place
  // in the connection limits.
  StreamSession(boost::beast::tcp_stream stream, const Config& config, notify::Hub& hub,
                Metrics& metrics, uint64_t connection_id, std::function<void()> on_close);
  ~StreamSession() override;

  // Completes the WebSocket handshake for `request`, subscribes, and reads
  // until the client closes. Runs on the stream's strand.
  // `self` is this session: the coroutine frame owns it, so the session
  // lives until the coroutine ends even if it is started later.
  boost::asio::awaitable<void> Run(std::shared_ptr<StreamSession> self, Request request,
                                   notify::Subscription subscription);

  void Deliver(const notify::Message& message) override;

  // The strand the session runs on.
  boost::asio::any_io_executor executor() { return ws_.get_executor(); }

 private:
  // Completes the handshake; the request is freed when this returns.
  boost::asio::awaitable<boost::beast::error_code> Accept(Request request);
  void Enqueue(notify::Message message);
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void CloseSlow();
  void SendSlowClose();
  void DropSocket();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::asio::steady_timer close_timer_;
  const Config& config_;
  notify::Hub& hub_;
  Metrics& metrics_;
  uint64_t connection_id_;
  std::function<void()> on_close_;
  SendQueue queue_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool proto_ = false;
  bool slow_ = false;  // closing because the send queue overflowed
};

}  // namespace canhbao
