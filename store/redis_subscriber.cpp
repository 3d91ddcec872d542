#include "store/redis_subscriber.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <exception>
#include <stdexcept>

namespace canhbao::store {
namespace {

const char* StateName(int state) {
  static constexpr const char* kNames[] = {"idle", "connecting", "subscribed",
                                           "waiting_to_reconnect", "stopped"};
  return kNames[state];
}

std::vector<std::string> Deduplicate(std::vector<std::string> channels) {
  std::sort(channels.begin(), channels.end());
  channels.erase(std::unique(channels.begin(), channels.end()), channels.end());
  return channels;
}

bool ElementIs(const redisReply& reply, size_t index, std::string_view text) {
  if (index >= reply.elements) return false;
  const redisReply* element = reply.element[index];
  return element->type == REDIS_REPLY_STRING &&
         std::string_view(element->str, element->len) == text;
}

std::string_view ElementText(const redisReply& reply, size_t index) {
  const redisReply* element = reply.element[index];
  if (element->type != REDIS_REPLY_STRING) return {};
  return std::string_view(element->str, element->len);
}

}  // namespace

std::shared_ptr<RedisSubscriber> RedisSubscriber::Create(
    boost::asio::any_io_executor executor, RedisEndpoint endpoint,
    std::vector<std::string> channels, MessageCallback on_message,
    std::function<void(bool subscribed)> on_state, RedisOptions options) {
  if (channels.empty()) {
    throw std::invalid_argument("RedisSubscriber needs at least one channel");
  }
  return std::shared_ptr<RedisSubscriber>(
      new RedisSubscriber(std::move(executor), std::move(endpoint), std::move(channels),
                          std::move(on_message), std::move(on_state), options));
}

RedisSubscriber::RedisSubscriber(boost::asio::any_io_executor executor, RedisEndpoint endpoint,
                                 std::vector<std::string> channels, MessageCallback on_message,
                                 std::function<void(bool)> on_state, RedisOptions options)
    : strand_(boost::asio::make_strand(executor)),
      endpoint_(std::move(endpoint)),
      endpoint_text_(endpoint_.ToString()),
      channels_(Deduplicate(std::move(channels))),
      options_(options),
      on_message_(std::move(on_message)),
      on_state_(std::move(on_state)),
      backoff_(options.backoff_initial, options.backoff_max),
      handshake_timer_(strand_),
      reconnect_timer_(strand_) {}

void RedisSubscriber::Start() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    if (self->state_ != State::kIdle) return;
    spdlog::info("redis.subscriber endpoint={} event=start channels={}", self->endpoint_text_,
                 self->channels_.size());
    self->DoConnect();
  });
}

void RedisSubscriber::Stop() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    if (self->state_ == State::kStopped) return;
    self->SetState(State::kStopped);
    self->subscribed_.store(false, std::memory_order_release);
    self->handshake_timer_.cancel();
    self->reconnect_timer_.cancel();
    if (self->connection_) self->connection_->Close("subscriber stopped");
  });
}

void RedisSubscriber::SetState(State state) {
  if (state == state_) return;
  auto level = state == State::kSubscribed || state == State::kStopped ? spdlog::level::info
                                                                        : spdlog::level::debug;
  spdlog::log(level, "redis.subscriber endpoint={} state={} previous={}", endpoint_text_,
              StateName(static_cast<int>(state)), StateName(static_cast<int>(state_)));
  state_ = state;
}

void RedisSubscriber::DoConnect() {
  SetState(State::kConnecting);
  uint64_t id = ++connection_id_;

  connection_ = RedisConnection::Create(
      strand_, endpoint_, this, [self = shared_from_this()] { self->OnConnected(); },
      [self = shared_from_this(), id](const std::string& reason) {
        self->OnConnectionClosed(id, reason);
      });
  connection_->Open();

  handshake_timer_.expires_after(options_.connect_timeout);
  handshake_timer_.async_wait([self = shared_from_this(), id](const boost::system::error_code& ec) {
    if (ec || id != self->connection_id_ || self->state_ != State::kConnecting) return;
    self->connection_->Close("connect or SUBSCRIBE timed out after " +
                             std::to_string(self->options_.connect_timeout.count()) + " ms");
  });
}

void RedisSubscriber::OnConnected() {
  // Runs inside hiredis's connect callback. hiredis routes the confirmations and every later
  // message of these channels to the callback given here.
  std::vector<const char*> argv = {"SUBSCRIBE"};
  std::vector<size_t> lengths = {9};
  for (const auto& channel : channels_) {
    argv.push_back(channel.data());
    lengths.push_back(channel.size());
  }
  unconfirmed_channels_ = channels_.size();
  if (redisAsyncCommandArgv(connection_->context(), &RedisSubscriber::OnSubscriptionThunk, nullptr,
                            static_cast<int>(argv.size()), argv.data(),
                            lengths.data()) != REDIS_OK) {
    spdlog::error("redis.subscriber endpoint={} event=subscribe_failed reason=\"hiredis "
                  "rejected it\"",
                  endpoint_text_);
  }
}

void RedisSubscriber::OnSubscriptionReply(const redisReply* reply) {
  // A NULL reply means the context is being freed; the close is reported separately.
  if (reply == nullptr) return;
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) {
    spdlog::warn("redis.subscriber endpoint={} event=unexpected_reply type={}", endpoint_text_,
                 reply->type);
    return;
  }

  if (ElementIs(*reply, 0, "message")) {
    if (on_message_) on_message_(ElementText(*reply, 1), ElementText(*reply, 2));
    return;
  }
  if (ElementIs(*reply, 0, "subscribe")) {
    if (unconfirmed_channels_ == 0 || --unconfirmed_channels_ > 0) return;
    handshake_timer_.cancel();
    backoff_.Reset();
    failed_attempts_ = 0;
    SetState(State::kSubscribed);
    subscribed_.store(true, std::memory_order_release);
    NotifyState(true);
  }
}

void RedisSubscriber::OnConnectionClosed(uint64_t connection_id, const std::string& reason) {
  if (connection_id != connection_id_) return;
  connection_.reset();
  subscribed_.store(false, std::memory_order_release);
  handshake_timer_.cancel();

  bool was_subscribed = subscribed_reported_;
  if (was_subscribed) NotifyState(false);
  if (state_ == State::kStopped) return;

  if (was_subscribed) {
    spdlog::warn("redis.subscriber endpoint={} event=connection_lost reason=\"{}\"",
                 endpoint_text_, reason);
  } else {
    ++failed_attempts_;
    // Repeated failures during an outage are logged at debug, with every tenth at warning.
    auto level = failed_attempts_ == 1 || failed_attempts_ % 10 == 0 ? spdlog::level::warn
                                                                      : spdlog::level::debug;
    spdlog::log(level,
                "redis.subscriber endpoint={} event=connect_failed attempt={} reason=\"{}\"",
                endpoint_text_, failed_attempts_, reason);
  }
  ScheduleReconnect();
}

void RedisSubscriber::ScheduleReconnect() {
  SetState(State::kWaitingToReconnect);
  std::chrono::milliseconds delay = backoff_.NextDelay();
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->state_ != State::kWaitingToReconnect) return;
    self->DoConnect();
  });
}

void RedisSubscriber::NotifyState(bool subscribed) {
  subscribed_reported_ = subscribed;
  if (!on_state_) return;
  boost::asio::post(strand_, [self = shared_from_this(), subscribed] {
    try {
      self->on_state_(subscribed);
    } catch (const std::exception& e) {
      spdlog::error("redis.subscriber endpoint={} event=state_callback_failed error=\"{}\"",
                    self->endpoint_text_, e.what());
    }
  });
}

void RedisSubscriber::OnSubscriptionThunk(redisAsyncContext* context, void* reply,
                                          void* /*privdata*/) {
  auto* self = static_cast<RedisSubscriber*>(context->data);
  try {
    self->OnSubscriptionReply(static_cast<const redisReply*>(reply));
  } catch (const std::exception& e) {
    spdlog::error("redis.subscriber endpoint={} event=message_callback_failed error=\"{}\"",
                  self->endpoint_text_, e.what());
  } catch (...) {
    spdlog::error("redis.subscriber endpoint={} event=message_callback_failed",
                  self->endpoint_text_);
  }
}

}  // namespace canhbao::store
