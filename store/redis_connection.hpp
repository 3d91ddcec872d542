#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include "store/redis_endpoint.hpp"

struct redisAsyncContext;  // hiredis

namespace canhbao::store {

// One hiredis async connection attempt, driven by Asio waits on the context's file descriptor.
// Internal to the store: RedisClient and RedisSubscriber create a new RedisConnection for each
// (re)connect attempt, so a stale handler can never touch a newer context.
//
// Every method, and every callback it makes, runs on the strand given to Create(). hiredis is not
// thread-safe, so the context must only be used there too.
class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  // Called once the socket is connected, from inside hiredis's connect callback. It may issue
  // commands on context() but must not call Close().
  using ConnectedCallback = std::function<void()>;
  // Called once per Open(), with the reason for the log, after the context has been freed or
  // failed to be created. It is posted, so it never runs inside a hiredis callback.
  using ClosedCallback = std::function<void(const std::string& reason)>;

  // `user_data` is stored in redisAsyncContext::data for the owner's reply callbacks.
  static std::shared_ptr<RedisConnection> Create(boost::asio::any_io_executor strand,
                                                 RedisEndpoint endpoint, void* user_data,
                                                 ConnectedCallback on_connected,
                                                 ClosedCallback on_closed);

  // Resolves the host name (TCP only, without blocking) and starts a non-blocking connect.
  // Failures are reported through the ClosedCallback. Call once.
  void Open();

  // Frees the context now: hiredis runs every pending reply callback with a NULL reply before
  // this returns. Must not be called from inside a hiredis callback (post it instead).
  // Does nothing if already closed.
  void Close(const std::string& reason);

  // The live context, or nullptr before the connect starts and after it is freed.
  redisAsyncContext* context() const { return context_; }

 private:
  RedisConnection(boost::asio::any_io_executor strand, RedisEndpoint endpoint, void* user_data,
                  ConnectedCallback on_connected, ClosedCallback on_closed);

  void Connect(const std::string& address);
  void ReportClosed(const std::string& reason);

  // Event hooks that hiredis calls through redisAsyncContext::ev.
  void AddRead();
  void DelRead();
  void AddWrite();
  void DelWrite();
  void Cleanup();
  void OnReadable(const boost::system::error_code& ec);
  void OnWritable(const boost::system::error_code& ec);

  static void OnConnectThunk(const redisAsyncContext* context, int status);

  boost::asio::any_io_executor strand_;
  RedisEndpoint endpoint_;
  void* user_data_;
  ConnectedCallback on_connected_;
  ClosedCallback on_closed_;

  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::posix::stream_descriptor descriptor_;
  redisAsyncContext* context_ = nullptr;
  std::string close_reason_;
  bool closed_reported_ = false;
  bool want_read_ = false;
  bool want_write_ = false;
  bool read_armed_ = false;
  bool write_armed_ = false;
};

// Exponential reconnect delay: initial, 2x initial, ... capped at max, each scaled by a random
// factor in [0.5, 1] so that many clients do not reconnect in lockstep.
class ReconnectBackoff {
 public:
  ReconnectBackoff(std::chrono::milliseconds initial, std::chrono::milliseconds max);

  std::chrono::milliseconds NextDelay();
  void Reset() { attempts_ = 0; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  int attempts_ = 0;
  std::minstd_rand random_;
};

}  // namespace canhbao::store
