#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "store/redis_connection.hpp"
#include "store/redis_endpoint.hpp"
#include "store/redis_error.hpp"
#include "store/redis_reply.hpp"

struct redisAsyncContext;  // hiredis

namespace canhbao::store {
namespace detail {

// The type-erased completion handler of one Exec() or ExecBatch().
class RedisCompletion {
 public:
  virtual ~RedisCompletion() = default;
  // Posts the result to the waiting coroutine's executor. RedisClient calls it once per call.
  virtual void Post(boost::system::error_code error, std::vector<RedisReply> replies) = 0;
};

}  // namespace detail

// Limits and timings of one Redis connection.
struct RedisOptions {
  // Maximum time from starting a connect until the server has confirmed SELECT (or SUBSCRIBE).
  std::chrono::milliseconds connect_timeout{2000};
  // Maximum time a command may wait for its reply. When it passes, the connection is treated as
  // broken: it is closed and reopened. Checked every command_timeout / 10 (at least 10 ms, at
  // most 1 s), so a timeout fires up to that much late.
  std::chrono::milliseconds command_timeout{5000};
  // Reconnect delay after the first failure. It doubles per failed attempt up to backoff_max, and
  // each delay is scaled by a random factor in [0.5, 1].
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  // Maximum number of commands written and awaiting a reply; more fail with kQueueFull.
  size_t max_pending = 100000;
};

// A reconnecting Redis client on one hiredis async connection. Commands are pipelined, so many
// coroutines may await replies at the same time. Redis sends the replies in command order.
//
// The hiredis context and all its callbacks live on one strand of the executor given to Create().
// Create() the client, optionally SetStateCallback(), then Start(). Once started, the client stays
// alive (its pending operations own it) until Stop() has been called and those operations have
// finished.
class RedisClient : public std::enable_shared_from_this<RedisClient> {
 public:
  static std::shared_ptr<RedisClient> Create(boost::asio::any_io_executor executor,
                                             RedisEndpoint endpoint, RedisOptions options = {});
  ~RedisClient();

  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Begins connecting, and SELECTs endpoint().db on every connect. After a failed attempt or a
  // lost connection it reconnects with exponential backoff until Stop(). Any thread may call;
  // calls after the first do nothing.
  void Start();

  // Closes the connection and stops reconnecting for good. Commands in flight complete with
  // kStopped, and later commands fail with kStopped. Any thread may call. It returns before the
  // connection is closed: the close runs on the client's strand.
  void Stop();

  // Sends one command. Arguments are binary-safe. Any thread may call; the coroutine resumes on
  // its own executor.
  // Returns the reply; a Redis error reply is a RedisReply of Kind::kError, not a failure.
  // Failures:
  //   kNotConnected   no usable connection at the time of the call; the command is not queued.
  //   kConnectionLost the connection dropped before the reply arrived.
  //   kTimeout        no reply within RedisOptions::command_timeout; the connection is reopened.
  //   kStopped        Stop() was called.
  //   kQueueFull      RedisOptions::max_pending commands are already in flight.
  //   kProtocol       the command is empty.
  boost::asio::awaitable<boost::system::result<RedisReply>> Exec(std::vector<std::string> args);

  // Sends the commands back to back without waiting in between, and returns their replies in
  // order. An error reply to one command does not fail the batch; the failures of Exec() fail the
  // whole batch. An empty batch returns an empty vector.
  boost::asio::awaitable<boost::system::result<std::vector<RedisReply>>> ExecBatch(
      std::vector<std::vector<std::string>> commands);

  // True once SELECT succeeded on the current connection. Any thread may call.
  bool IsConnected() const { return connected_.load(std::memory_order_acquire); }

  // Sets the function called on the client's strand with true after each successful (re)connect
  // and with false after each loss of an established connection, including the one caused by
  // Stop(). Failed connect attempts do not call it. Call before Start().
  void SetStateCallback(std::function<void(bool connected)> callback);

  const RedisEndpoint& endpoint() const { return endpoint_; }

  // Commands written to Redis. Any thread may call.
  uint64_t commands_sent() const { return commands_sent_.load(std::memory_order_relaxed); }
  // Commands that failed with a RedisErrc or got a Redis error reply. Any thread may call.
  uint64_t command_errors() const { return command_errors_.load(std::memory_order_relaxed); }

 private:
  enum class State { kIdle, kConnecting, kConnected, kWaitingToReconnect, kStopped };
  using CompletionSignature = void(boost::system::error_code, std::vector<RedisReply>);

  // One Exec() or ExecBatch(): its commands, replies so far and the waiting coroutine.
  struct Call {
    uint64_t id = 0;
    size_t unanswered = 0;  // commands handed to hiredis whose callback has not run yet
    std::chrono::steady_clock::time_point deadline;
    boost::system::error_code failure;
    std::vector<RedisReply> replies;
    // A hand-written type erasure: in Boost 1.81, moving an any_completion_handler into one
    // that already exists wraps the handler in itself until the stack overflows.
    std::unique_ptr<detail::RedisCompletion> completion;
  };

  RedisClient(boost::asio::any_io_executor executor, RedisEndpoint endpoint, RedisOptions options);

  boost::asio::awaitable<std::tuple<boost::system::error_code, std::vector<RedisReply>>> Submit(
      std::vector<std::vector<std::string>> commands);
  void DoSubmit(std::unique_ptr<Call> call, std::vector<std::vector<std::string>> commands);
  void OnReply(Call* call, const struct redisReply* reply);
  void Complete(std::unique_ptr<Call> call, boost::system::error_code error);

  void SetState(State state);
  void DoConnect();
  void OnConnected();
  void OnSelectReply(const struct redisReply* reply);
  void OnConnectionClosed(uint64_t connection_id, const std::string& reason);
  void ScheduleReconnect();
  void DropConnection(const std::string& reason);
  void ArmTimeoutSweep();
  void SweepTimeouts();
  void NotifyState(bool connected);

  static void OnReplyThunk(redisAsyncContext* context, void* reply, void* privdata);
  static void OnSelectThunk(redisAsyncContext* context, void* reply, void* privdata);

  boost::asio::any_io_executor strand_;
  const RedisEndpoint endpoint_;
  const std::string endpoint_text_;  // endpoint_.ToString(), for log lines
  const RedisOptions options_;
  std::function<void(bool)> state_callback_;

  // Strand-only state.
  State state_ = State::kIdle;
  std::shared_ptr<RedisConnection> connection_;
  uint64_t connection_id_ = 0;
  RedisErrc disconnect_error_ = RedisErrc::kConnectionLost;
  bool connected_reported_ = false;
  int failed_attempts_ = 0;
  ReconnectBackoff backoff_;
  boost::asio::steady_timer handshake_timer_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer sweep_timer_;
  std::map<uint64_t, std::unique_ptr<Call>> calls_;  // by id, so the oldest call is first
  uint64_t next_call_id_ = 1;
  size_t commands_in_flight_ = 0;

  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> commands_sent_{0};
  std::atomic<uint64_t> command_errors_{0};
};

}  // namespace canhbao::store
