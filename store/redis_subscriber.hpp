#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/redis_client.hpp"
#include "store/redis_connection.hpp"
#include "store/redis_endpoint.hpp"

struct redisAsyncContext;  // hiredis

namespace canhbao::store {

// SUBSCRIBEs to a fixed set of channels on its own connection (a subscribed Redis connection
// accepts no ordinary commands), and resubscribes after every reconnect.
//
// All callbacks run on the subscriber's strand and must not block it. Messages published while
// the subscriber is disconnected are lost: on_state(true) after a reconnect is the caller's cue
// to catch up from the stored state.
class RedisSubscriber : public std::enable_shared_from_this<RedisSubscriber> {
 public:
  using MessageCallback = std::function<void(std::string_view channel, std::string_view payload)>;

  // Throws std::invalid_argument if `channels` is empty. Duplicate channel names are dropped.
  // From RedisOptions it uses connect_timeout (which also bounds the wait for the SUBSCRIBE
  // confirmation) and the backoff settings.
  static std::shared_ptr<RedisSubscriber> Create(boost::asio::any_io_executor executor,
                                                 RedisEndpoint endpoint,
                                                 std::vector<std::string> channels,
                                                 MessageCallback on_message,
                                                 std::function<void(bool subscribed)> on_state,
                                                 RedisOptions options = {});

  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  // Begins connecting and subscribing; reconnects with exponential backoff until Stop(). Any
  // thread may call; calls after the first do nothing.
  void Start();

  // Closes the connection for good. on_state(false) follows if the subscription was confirmed.
  // Any thread may call; the close runs later on the strand.
  void Stop();

  // True while every channel's SUBSCRIBE is confirmed on the current connection. Any thread.
  bool IsSubscribed() const { return subscribed_.load(std::memory_order_acquire); }

  const RedisEndpoint& endpoint() const { return endpoint_; }

 private:
  enum class State { kIdle, kConnecting, kSubscribed, kWaitingToReconnect, kStopped };

  RedisSubscriber(boost::asio::any_io_executor executor, RedisEndpoint endpoint,
                  std::vector<std::string> channels, MessageCallback on_message,
                  std::function<void(bool)> on_state, RedisOptions options);

  void SetState(State state);
  void DoConnect();
  void OnConnected();
  void OnSubscriptionReply(const struct redisReply* reply);
  void OnConnectionClosed(uint64_t connection_id, const std::string& reason);
  void ScheduleReconnect();
  void NotifyState(bool subscribed);

  static void OnSubscriptionThunk(redisAsyncContext* context, void* reply, void* privdata);

  boost::asio::any_io_executor strand_;
  const RedisEndpoint endpoint_;
  const std::string endpoint_text_;
  const std::vector<std::string> channels_;
  const RedisOptions options_;
  MessageCallback on_message_;
  std::function<void(bool)> on_state_;

  // Strand-only state.
  State state_ = State::kIdle;
  std::shared_ptr<RedisConnection> connection_;
  uint64_t connection_id_ = 0;
  size_t unconfirmed_channels_ = 0;
  bool subscribed_reported_ = false;
  int failed_attempts_ = 0;
  ReconnectBackoff backoff_;
  boost::asio::steady_timer handshake_timer_;
  boost::asio::steady_timer reconnect_timer_;

  std::atomic<bool> subscribed_{false};
};

}  // namespace canhbao::store
