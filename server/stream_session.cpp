#include "server/stream_session.hpp"

#include <array>

#include <boost/asio/socket_base.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

namespace canhbao {

namespace asio = boost::asio;
using boost::system::error_code;
using notify::Message;
using notify::Opcode;

namespace {

// How long a client has to reply to the server's close frame once it is sent.
constexpr std::chrono::seconds kCloseGrace{2};
// Frames gathered into one send when a queue is flushed.
constexpr size_t kMaxGather = 64;
// Reads per readable event, so a client that floods cannot hold the shard.
constexpr int kReadsPerEvent = 4;

const Message& PingFrame() {
  static const Message frame = notify::MakeFrame(Opcode::kPing, "");
  return frame;
}

}  // namespace

std::string_view ChooseSubprotocol(std::string_view offered) {
  while (!offered.empty()) {
    size_t comma = offered.find(',');
    std::string_view item = offered.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == kJsonProtocol) return kJsonProtocol;
    if (item == kProtoProtocol) return kProtoProtocol;
    offered = comma == std::string_view::npos ? std::string_view() : offered.substr(comma + 1);
  }
  return {};
}

StreamSession::StreamSession(asio::ip::tcp::socket socket, const Config& config, notify::Hub& hub,
                             Metrics& metrics, uint64_t connection_id, bool proto,
                             std::function<void()> on_close)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      config_(config),
      hub_(hub),
      metrics_(metrics),
      connection_id_(connection_id),
      on_close_(std::move(on_close)),
      parser_(config.ws_max_message_bytes),
      proto_(proto) {
  metrics_.stream_connections().Increment();
}

StreamSession::~StreamSession() {
  if (on_close_) on_close_();
  metrics_.stream_connections().Decrement();
  if (queued_bytes_ > 0) {
    metrics_.stream_queued_bytes().Decrement(static_cast<double>(queued_bytes_));
  }
}

void StreamSession::AddQueued(size_t bytes) {
  queued_bytes_ += bytes;
  metrics_.stream_queued_bytes().Increment(static_cast<double>(bytes));
}

void StreamSession::RemoveQueued(size_t bytes) {
  queued_bytes_ -= bytes;
  metrics_.stream_queued_bytes().Decrement(static_cast<double>(bytes));
}

void StreamSession::Start(notify::Subscription subscription) {
  error_code ec;
  socket_.non_blocking(true, ec);
  if (!ec) socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (ec) {
    spdlog::debug("stream {}: cannot set up the socket: {}", connection_id_, ec.message());
    Finish();
    return;
  }

  // The replay is queued, not written, so that a resync notice can still
  // go ahead of it.
  holding_ = true;
  subscription.subscriber = shared_from_this();
  subscription.proto = proto_;
  uint64_t since = subscription.after_seq;
  bool resume = subscription.resume;
  bool merchant = !subscription.merchant_id.empty();
  notify::Hub::SubscribeResult result = hub_.Subscribe(connection_id_, std::move(subscription));
  holding_ = false;
  if (closing_) {
    // The replay alone passed the queue limit, so CloseSlow ran before the
    // subscription was registered.
    hub_.Unsubscribe(connection_id_);
  }
  if (resume) {
    metrics_.stream_resumes().Increment();
    metrics_.stream_resume_depth().Observe(
        static_cast<double>(result.last_seq > since ? result.last_seq - since : 0));
  }
  if (result.resync_oldest_seq && !closing_) {
    std::string payload;
    if (proto_) {
      v1::StreamMessage resync;
      resync.set_type("resync");
      resync.set_oldest_seq(*result.resync_oldest_seq);
      payload = resync.SerializeAsString();
    } else {
      payload = boost::json::serialize(
          boost::json::object{{"type", "resync"}, {"oldest_seq", *result.resync_oldest_seq}});
    }
    Message frame = notify::MakeFrame(proto_ ? Opcode::kBinary : Opcode::kText, payload);
    AddQueued(frame->size());
    queue_.push_front(std::move(frame));
  }
  spdlog::debug("stream {}: subscribed after seq {}{}", connection_id_, since,
                merchant ? " as merchant" : "");
  if (!queue_.empty()) Flush();
  if (finished_) return;
  WaitReadable();
  if (!closing_) ArmTimer(config_.ws_ping_interval);
}

void StreamSession::Deliver(const Message& message) {
  if (closing_ || finished_) return;
  if (!Send(message)) CloseSlow();
}

void StreamSession::GoAway() {
  if (closing_ || finished_) return;
  end_reason_ = "shutdown";
  StartClose(ws::kCloseGoingAway, "server stopping: reconnect with since", kCloseGrace);
}

bool StreamSession::Send(const Message& frame) {
  if (queue_.empty() && !holding_) {
    // The common case: one send of the shared frame, nothing allocated.
    error_code ec;
    size_t written = socket_.write_some(asio::buffer(*frame), ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      spdlog::debug("stream {}: write failed: {}", connection_id_, ec.message());
      Finish();
      return true;
    }
    if (written == frame->size()) return true;
    front_written_ = written;
    AddQueued(frame->size() - written);
    queue_.push_back(frame);
    WaitWritable();
    return true;
  }
  // An empty queue takes any one frame, so that an alert larger than the
  // byte limit still reaches a reader that keeps up.
  if (!queue_.empty() && (queue_.size() >= config_.ws_send_queue_messages ||
                          queued_bytes_ + frame->size() > config_.ws_send_queue_bytes)) {
    return false;
  }
  AddQueued(frame->size());
  queue_.push_back(frame);
  return true;
}

void StreamSession::Flush() {
  while (!queue_.empty()) {
    std::array<asio::const_buffer, kMaxGather> buffers;
    size_t count = std::min(queue_.size(), kMaxGather);
    for (size_t i = 0; i < count; ++i) buffers[i] = asio::buffer(*queue_[i]);
    buffers[0] += front_written_;
    error_code ec;
    size_t written = socket_.write_some(
        std::span<const asio::const_buffer>(buffers.data(), count), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      WaitWritable();
      return;
    }
    if (ec) {
      spdlog::debug("stream {}: write failed: {}", connection_id_, ec.message());
      Finish();
      return;
    }
    RemoveQueued(written);
    written += front_written_;
    front_written_ = 0;
    while (!queue_.empty() && written >= queue_.front()->size()) {
      written -= queue_.front()->size();
      queue_.pop_front();
    }
    front_written_ = written;
  }
  if (!closing_ || close_sent_) return;
  close_sent_ = true;
  if (close_received_) {
    // Both close frames are through: the server closes the connection.
    Finish();
    return;
  }
  // The client has the server's close frame and should reply at once.
  ArmTimer(kCloseGrace);
}

void StreamSession::WaitWritable() {
  if (wait_writable_ || finished_) return;
  wait_writable_ = true;
  socket_.async_wait(asio::socket_base::wait_write,
                     [self = shared_from_this()](error_code ec) {
                       self->wait_writable_ = false;
                       if (ec || self->finished_) return;
                       self->Flush();
                     });
}

void StreamSession::WaitReadable() {
  socket_.async_wait(asio::socket_base::wait_read,
                     [self = shared_from_this()](error_code ec) { self->OnReadable(ec); });
}

void StreamSession::OnReadable(error_code ec) {
  if (finished_) return;
  if (ec) {
    if (ec != asio::error::operation_aborted) {
      spdlog::debug("stream {}: wait failed: {}", connection_id_, ec.message());
    }
    Finish();
    return;
  }
  // Shared by every session that runs on this thread. Nothing is kept in it
  // between calls.
  thread_local std::array<char, 16 * 1024> buffer;
  std::vector<ws::ControlFrame> controls;
  for (int round = 0; round < kReadsPerEvent; ++round) {
    size_t bytes = socket_.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) {
      if (ec != asio::error::eof && ec != asio::error::connection_reset) {
        spdlog::debug("stream {}: read ended: {}", connection_id_, ec.message());
      }
      Finish();
      return;
    }
    read_since_tick_ = true;
    if (parser_.closed()) continue;  // after the client's close, bytes are ignored
    controls.clear();
    ws::FrameParser::Result result =
        parser_.Feed(std::string_view(buffer.data(), bytes), controls);
    for (ws::ControlFrame& frame : controls) {
      HandleControl(frame);
      if (finished_) return;
    }
    if (result.error_code != 0) {
      spdlog::debug("stream {}: protocol error: {}", connection_id_, result.error_reason);
      end_reason_ = "protocol_error";
      // The parser reads nothing after an error, so the client's close reply
      // could never be seen. The connection is closed once the close frame is out.
      close_received_ = true;
      StartClose(result.error_code, result.error_reason, kCloseGrace);
      if (finished_) return;
    }
  }
  WaitReadable();
}

void StreamSession::HandleControl(ws::ControlFrame& frame) {
  switch (frame.opcode) {
    case Opcode::kPing: {
      if (closing_) return;
      Message pong = notify::MakeFrame(Opcode::kPong, frame.payload);
      if (!Send(pong)) CloseSlow();
      return;
    }
    case Opcode::kPong:
      ping_outstanding_ = false;
      return;
    case Opcode::kClose: {
      close_received_ = true;
      if (!closing_) end_reason_ = "client";
      if (closing_) {
        // The reply to the server's close: done once that frame is out.
        if (close_sent_) Finish();
        return;
      }
      // The close reply carries the client's status code.
      uint16_t code = ws::kCloseNormal;
      if (frame.payload.size() >= 2) {
        code = static_cast<uint16_t>((static_cast<uint8_t>(frame.payload[0]) << 8) |
                                     static_cast<uint8_t>(frame.payload[1]));
      }
      StartClose(code, "", kCloseGrace);
      return;
    }
    default:
      return;
  }
}

void StreamSession::StartClose(uint16_t code, std::string_view reason,
                               std::chrono::steady_clock::duration grace) {
  if (closing_ || finished_) return;
  closing_ = true;
  hub_.Unsubscribe(connection_id_);
  // Frames not yet begun are dropped. A half-written frame must be finished
  // first, or the stream would be corrupt.
  size_t keep = front_written_ > 0 ? 1 : 0;
  while (queue_.size() > keep) {
    RemoveQueued(queue_.back()->size());
    queue_.pop_back();
  }
  Message frame = std::make_shared<const std::string>(notify::EncodeClose(code, reason));
  AddQueued(frame->size());
  queue_.push_back(std::move(frame));
  ArmTimer(grace);
  if (!wait_writable_ && !holding_) Flush();
}

void StreamSession::CloseSlow() {
  if (closing_) return;
  metrics_.slow_consumer_closes(queue_.size() >= config_.ws_send_queue_messages ? "messages"
                                                                               : "bytes")
      .Increment();
  end_reason_ = "slow_consumer";
  spdlog::warn("stream {}: closing slow consumer with {} messages, {} bytes queued",
               connection_id_, queue_.size(), queued_bytes_);
  // A client that reads nothing never receives the close frame either, so it
  // is dropped after a ping interval.
  bool blocked = front_written_ > 0 || wait_writable_;
  StartClose(kCloseSlowConsumer, "slow consumer: resume with since",
             blocked ? std::chrono::steady_clock::duration(config_.ws_ping_interval)
                     : std::chrono::steady_clock::duration(kCloseGrace));
}

void StreamSession::ArmTimer(std::chrono::steady_clock::duration after) {
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](error_code ec) { self->OnTimer(ec); });
}

void StreamSession::OnTimer(error_code ec) {
  if (ec == asio::error::operation_aborted || finished_) return;
  if (closing_) {
    spdlog::debug("stream {}: no close from the client in time; dropping", connection_id_);
    if (end_reason_ == "client") end_reason_ = "close_timeout";
    if (end_reason_ == "network") end_reason_ = "close_timeout";
    Finish();
    return;
  }
  if (read_since_tick_) {
    read_since_tick_ = false;
    ping_outstanding_ = false;
  } else if (ping_outstanding_) {
    spdlog::debug("stream {}: no pong since the last ping; dropping", connection_id_);
    end_reason_ = "ping_timeout";
    Finish();
    return;
  } else {
    ping_outstanding_ = true;
    if (!Send(PingFrame())) {
      CloseSlow();
      return;
    }
  }
  ArmTimer(config_.ws_ping_interval);
}

void StreamSession::Finish() {
  if (finished_) return;
  // Unsubscribe may release the hub's reference, so this one keeps the
  // session alive until the call returns.
  auto self = shared_from_this();
  finished_ = true;
  metrics_.stream_closes(std::string(end_reason_)).Increment();
  hub_.Unsubscribe(connection_id_);
  error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  timer_.cancel();
  if (queued_bytes_ > 0) RemoveQueued(queued_bytes_);
  queue_.clear();
}

}  // namespace canhbao
