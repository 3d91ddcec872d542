#include "store/redis_connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <exception>

namespace canhbao::store {
namespace {

// Forwards a hiredis event hook into a member. hiredis is C and cannot unwind an exception, so
// none may leave the hook.
template <void (RedisConnection::*Method)()>
void ForwardHook(void* privdata) noexcept {
  try {
    (static_cast<RedisConnection*>(privdata)->*Method)();
  } catch (const std::exception& e) {
    spdlog::error("redis event hook failed: {}", e.what());
  } catch (...) {
    spdlog::error("redis event hook failed with a non-standard exception");
  }
}

}  // namespace

std::shared_ptr<RedisConnection> RedisConnection::Create(boost::asio::any_io_executor strand,
                                                         RedisEndpoint endpoint, void* user_data,
                                                         ConnectedCallback on_connected,
                                                         ClosedCallback on_closed) {
  return std::shared_ptr<RedisConnection>(new RedisConnection(
      std::move(strand), std::move(endpoint), user_data, std::move(on_connected),
      std::move(on_closed)));
}

RedisConnection::RedisConnection(boost::asio::any_io_executor strand, RedisEndpoint endpoint,
                                 void* user_data, ConnectedCallback on_connected,
                                 ClosedCallback on_closed)
    : strand_(strand),
      endpoint_(std::move(endpoint)),
      user_data_(user_data),
      on_connected_(std::move(on_connected)),
      on_closed_(std::move(on_closed)),
      resolver_(strand),
      descriptor_(strand) {}

void RedisConnection::Open() {
  if (endpoint_.kind == RedisEndpoint::Kind::kUnix) {
    Connect(endpoint_.path);
    return;
  }

  boost::system::error_code ec;
  boost::asio::ip::make_address(endpoint_.host, ec);
  if (!ec) {
    Connect(endpoint_.host);
    return;
  }

  // hiredis would resolve the name with a blocking getaddrinfo() inside redisAsyncConnect, which
  // would stall every other handler on this thread, so resolve here and pass it an address.
  resolver_.async_resolve(
      endpoint_.host, std::to_string(endpoint_.port),
      [self = shared_from_this()](const boost::system::error_code& ec,
                                  const boost::asio::ip::tcp::resolver::results_type& results) {
        if (self->closed_reported_) return;
        if (ec) {
          self->ReportClosed("resolving the host name failed: " + ec.message());
          return;
        }
        // NOTE: only the first resolved address is tried. If it refuses (say "localhost" gives
        // ::1 first but Redis binds only 127.0.0.1), every attempt fails; configure an address.
        self->Connect(results.begin()->endpoint().address().to_string());
      });
}

void RedisConnection::Connect(const std::string& address) {
  redisAsyncContext* context = endpoint_.kind == RedisEndpoint::Kind::kUnix
                                   ? redisAsyncConnectUnix(address.c_str())
                                   : redisAsyncConnect(address.c_str(), endpoint_.port);
  if (context == nullptr) {
    ReportClosed("hiredis could not allocate a connection context");
    return;
  }
  if (context->err != 0) {
    std::string reason = context->errstr;
    redisAsyncFree(context);
    ReportClosed(reason);
    return;
  }

  boost::system::error_code ec;
  descriptor_.assign(context->c.fd, ec);
  if (ec) {
    redisAsyncFree(context);
    ReportClosed("registering the socket with the event loop failed: " + ec.message());
    return;
  }

  context_ = context;
  context->data = user_data_;
  context->ev.data = this;
  context->ev.addRead = &ForwardHook<&RedisConnection::AddRead>;
  context->ev.delRead = &ForwardHook<&RedisConnection::DelRead>;
  context->ev.addWrite = &ForwardHook<&RedisConnection::AddWrite>;
  context->ev.delWrite = &ForwardHook<&RedisConnection::DelWrite>;
  context->ev.cleanup = &ForwardHook<&RedisConnection::Cleanup>;

  // The hooks must be in place first: setting the connect callback calls addWrite, and
  // hiredis detects the end of the non-blocking connect from the first write event.
  redisAsyncSetConnectCallback(context, &RedisConnection::OnConnectThunk);
}

void RedisConnection::Close(const std::string& reason) {
  if (context_ == nullptr) {
    resolver_.cancel();
    ReportClosed(reason);
    return;
  }
  close_reason_ = reason;
  redisAsyncFree(context_);  // calls Cleanup(), which reports the close
}

void RedisConnection::ReportClosed(const std::string& reason) {
  if (closed_reported_) return;
  closed_reported_ = true;
  boost::asio::post(strand_, [self = shared_from_this(), reason] {
    ClosedCallback callback = std::move(self->on_closed_);
    self->on_connected_ = nullptr;
    if (callback) callback(reason);
  });
}

void RedisConnection::AddRead() {
  want_read_ = true;
  if (read_armed_ || context_ == nullptr) return;
  read_armed_ = true;
  descriptor_.async_wait(
      boost::asio::posix::stream_descriptor::wait_read,
      [self = shared_from_this()](const boost::system::error_code& ec) { self->OnReadable(ec); });
}

void RedisConnection::DelRead() { want_read_ = false; }

void RedisConnection::AddWrite() {
  want_write_ = true;
  if (write_armed_ || context_ == nullptr) return;
  write_armed_ = true;
  descriptor_.async_wait(
      boost::asio::posix::stream_descriptor::wait_write,
      [self = shared_from_this()](const boost::system::error_code& ec) { self->OnWritable(ec); });
}

void RedisConnection::DelWrite() { want_write_ = false; }

void RedisConnection::OnReadable(const boost::system::error_code& ec) {
  read_armed_ = false;
  if (ec == boost::asio::error::operation_aborted || context_ == nullptr) return;
  if (ec) {
    Close("waiting for the socket to become readable failed: " + ec.message());
    return;
  }
  if (!want_read_) return;

  redisAsyncHandleRead(context_);  // may free the context, which clears context_
  if (context_ != nullptr && want_read_) AddRead();
}

void RedisConnection::OnWritable(const boost::system::error_code& ec) {
  write_armed_ = false;
  if (ec == boost::asio::error::operation_aborted || context_ == nullptr) return;
  if (ec) {
    Close("waiting for the socket to become writable failed: " + ec.message());
    return;
  }
  if (!want_write_) return;

  redisAsyncHandleWrite(context_);  // may free the context, which clears context_
  if (context_ != nullptr && want_write_) AddWrite();
}

void RedisConnection::Cleanup() {
  if (context_ == nullptr) return;  // hiredis may call the cleanup hook more than once

  if (close_reason_.empty()) {
    close_reason_ = context_->err != 0 ? context_->errstr : "connection closed";
  }
  // hiredis owns the descriptor and closes it in redisFree(), so hand it back instead of
  // closing it. release() also cancels the waits, which then complete with operation_aborted.
  descriptor_.release();
  context_ = nullptr;
  ReportClosed(close_reason_);
}

void RedisConnection::OnConnectThunk(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisConnection*>(context->ev.data);
  try {
    if (status != REDIS_OK) {
      // hiredis frees the context right after this returns, which calls Cleanup().
      self->close_reason_ = std::string("connect failed: ") + context->errstr;
      return;
    }
    if (self->endpoint_.kind == RedisEndpoint::Kind::kTcp) {
      // Lets the kernel detect a peer that vanished without closing the TCP connection.
      redisEnableKeepAlive(&self->context_->c);
    }
    if (self->on_connected_) self->on_connected_();
  } catch (const std::exception& e) {
    spdlog::error("redis {}: connect callback failed: {}", self->endpoint_.ToString(), e.what());
  } catch (...) {
    spdlog::error("redis {}: connect callback failed with a non-standard exception",
                  self->endpoint_.ToString());
  }
}

ReconnectBackoff::ReconnectBackoff(std::chrono::milliseconds initial,
                                   std::chrono::milliseconds max)
    : initial_(std::max(initial, std::chrono::milliseconds(1))),
      max_(std::max(max, initial_)),
      random_(std::random_device{}()) {}

std::chrono::milliseconds ReconnectBackoff::NextDelay() {
  std::chrono::milliseconds delay = initial_;
  for (int i = 0; i < attempts_ && delay < max_; ++i) delay *= 2;
  delay = std::min(delay, max_);
  ++attempts_;

  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return std::chrono::milliseconds(
      std::max<long long>(1, static_cast<long long>(delay.count() * jitter(random_))));
}

}  // namespace canhbao::store
