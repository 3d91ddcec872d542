#pragma once

// One WebSocket connection of GET /v1/stream, after the handshake. The
// session speaks the frames itself (server/websocket.hpp) on a plain
// socket in non-blocking mode, on its hub shard's executor:
//
// - A message from the hub is already a complete frame. When nothing is
//   queued, it goes straight to the socket in one send. Only what the
//   socket does not take is queued, and the queue is flushed with one
//   gathered send per writable event.
// - Reads wait for readiness and then use a buffer shared by the thread,
//   so an idle connection owns no read buffer.
// - One timer sends keep-alive pings and drops peers that stay silent.
//
// A client whose queue passes the byte or message limit is closed with
// close code 4008 and resumes later with since=.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "notify/hub.hpp"
#include "server/config.hpp"
#include "server/metrics.hpp"
#include "server/websocket.hpp"

namespace canhbao {

// Close code sent to a client that cannot keep up (application range).
inline constexpr uint16_t kCloseSlowConsumer = 4008;

// WebSocket subprotocols: JSON text frames, or StreamMessage protobuf in
// binary frames.
inline constexpr std::string_view kJsonProtocol = "canhbao.v1.json";
inline constexpr std::string_view kProtoProtocol = "canhbao.v1.proto";

// Returns the subprotocol to select from a Sec-WebSocket-Protocol offer: the
// first one canhbao supports, or empty (JSON) when it supports none.
std::string_view ChooseSubprotocol(std::string_view offered);

// The frames waiting for one connection, oldest first. A vector with a
// moving head: unlike std::deque it allocates nothing until the first
// frame, which matters with tens of thousands of idle connections.
class SendQueue {
 public:
  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  const notify::Message& front() const { return items_[head_]; }
  const notify::Message& operator[](size_t i) const { return items_[head_ + i]; }
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
    items_.shrink_to_fit();
    head_ = 0;
  }

 private:
  std::vector<notify::Message> items_;
  size_t head_ = 0;
};

class StreamSession : public notify::Subscriber,
                      public std::enable_shared_from_this<StreamSession> {
 public:
  // `socket` has completed the handshake and runs on the hub shard of
  // `connection_id`. `on_close` runs when the session is destroyed, to give
  // back its place in the connection limits.
  StreamSession(boost::asio::ip::tcp::socket socket, const Config& config, notify::Hub& hub,
                Metrics& metrics, uint64_t connection_id, bool proto,
                std::function<void()> on_close);
  ~StreamSession() override;

  // Subscribes (replaying what the client missed) and starts reading. On
  // the socket's executor.
  void Start(notify::Subscription subscription);

  void Deliver(const notify::Message& message) override;
  // Closes with 1001 so that the client reconnects, to another node or
  // after the restart, with since=.
  void GoAway() override;

 private:
  // Writes `frame` now if nothing is queued, else queues it. False when
  // the queue limit is passed (the caller closes the connection).
  bool Send(const notify::Message& frame);
  // Writes as much of the queue as the socket takes.
  void Flush();
  void WaitWritable();
  void WaitReadable();
  void OnReadable(boost::system::error_code ec);
  void HandleControl(ws::ControlFrame& frame);
  // Drops every queued frame not yet begun, sends a close frame and waits
  // up to `grace` for the client's close before dropping the socket.
  void StartClose(uint16_t code, std::string_view reason, std::chrono::steady_clock::duration grace);
  void CloseSlow();
  void ArmTimer(std::chrono::steady_clock::duration after);
  void OnTimer(boost::system::error_code ec);
  // Ends the session: unsubscribes and closes the socket.
  void Finish();
  void AddQueued(size_t bytes);
  void RemoveQueued(size_t bytes);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  const Config& config_;
  notify::Hub& hub_;
  Metrics& metrics_;
  uint64_t connection_id_;
  std::function<void()> on_close_;
  ws::FrameParser parser_;
  SendQueue queue_;
  size_t front_written_ = 0;  // bytes of the queue's front already sent
  size_t queued_bytes_ = 0;   // bytes queued and not yet sent
  // Why the connection ends, for canhbao_stream_closes_total.
  std::string_view end_reason_ = "network";
  bool proto_;
  bool holding_ = false;       // queue without writing (during Start)
  bool wait_writable_ = false;
  bool closing_ = false;       // a close frame is queued or sent
  bool close_sent_ = false;
  bool close_received_ = false;
  bool finished_ = false;
  bool read_since_tick_ = false;
  bool ping_outstanding_ = false;
};

}  // namespace canhbao
