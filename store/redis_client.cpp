#include "store/redis_client.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

namespace canhbao::store {
namespace {

const char* StateName(int state) {
  static constexpr const char* kNames[] = {"idle", "connecting", "connected",
                                           "waiting_to_reconnect", "stopped"};
  return kNames[state];
}

// Holds the coroutine's completion handler, and work on its executor so that the executor does
// not run out of work while the command is in flight.
template <typename Handler>
class Completion final : public detail::RedisCompletion {
 public:
  explicit Completion(Handler handler)
      : handler_(std::move(handler)), work_(boost::asio::make_work_guard(handler_)) {}

  void Post(boost::system::error_code error, std::vector<RedisReply> replies) override {
    auto executor = work_.get_executor();
    boost::asio::post(executor, [handler = std::move(handler_), error,
                                 replies = std::move(replies)]() mutable {
      std::move(handler)(error, std::move(replies));
    });
    work_.reset();
  }

 private:
  Handler handler_;
  boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> work_;
};

std::chrono::milliseconds SweepInterval(std::chrono::milliseconds command_timeout) {
  return std::clamp(command_timeout / 10, std::chrono::milliseconds(10),
                    std::chrono::milliseconds(1000));
}

}  // namespace

std::shared_ptr<RedisClient> RedisClient::Create(boost::asio::any_io_executor executor,
                                                 RedisEndpoint endpoint, RedisOptions options) {
  return std::shared_ptr<RedisClient>(
      new RedisClient(std::move(executor), std::move(endpoint), options));
}

RedisClient::RedisClient(boost::asio::any_io_executor executor, RedisEndpoint endpoint,
                         RedisOptions options)
    : strand_(boost::asio::make_strand(executor)),
      endpoint_(std::move(endpoint)),
      endpoint_text_(endpoint_.ToString()),
      options_(options),
      backoff_(options.backoff_initial, options.backoff_max),
      handshake_timer_(strand_),
      reconnect_timer_(strand_),
      sweep_timer_(strand_) {}

// A started client is destroyed only after its connection reported the close, when no call is
// left. Calls remain only if the executor was destroyed with handlers queued; they are dropped.
RedisClient::~RedisClient() = default;

void RedisClient::SetStateCallback(std::function<void(bool connected)> callback) {
  state_callback_ = std::move(callback);
}

void RedisClient::Start() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    if (self->state_ != State::kIdle) return;
    spdlog::info("redis.client endpoint={} event=start", self->endpoint_text_);
    self->DoConnect();
  });
}

void RedisClient::Stop() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    if (self->state_ == State::kStopped) return;
    self->SetState(State::kStopped);
    self->connected_.store(false, std::memory_order_release);
    self->handshake_timer_.cancel();
    self->reconnect_timer_.cancel();
    self->sweep_timer_.cancel();
    self->disconnect_error_ = RedisErrc::kStopped;
    if (self->connection_) self->connection_->Close("client stopped");
  });
}

void RedisClient::SetState(State state) {
  if (state == state_) return;
  auto level = state == State::kConnected || state == State::kStopped ? spdlog::level::info
                                                                      : spdlog::level::debug;
  spdlog::log(level, "redis.client endpoint={} state={} previous={}", endpoint_text_,
              StateName(static_cast<int>(state)), StateName(static_cast<int>(state_)));
  state_ = state;
}

void RedisClient::DoConnect() {
  SetState(State::kConnecting);
  disconnect_error_ = RedisErrc::kConnectionLost;
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
    self->connection_->Close("connect timed out after " +
                             std::to_string(self->options_.connect_timeout.count()) + " ms");
  });
}

void RedisClient::OnConnected() {
  // Runs inside hiredis's connect callback. SELECT is sent even for db 0 because its reply also
  // proves that the server processes commands, not only that it accepted the socket.
  std::string db = std::to_string(endpoint_.db);
  const char* argv[] = {"SELECT", db.c_str()};
  const size_t lengths[] = {6, db.size()};
  if (redisAsyncCommandArgv(connection_->context(), &RedisClient::OnSelectThunk, nullptr, 2, argv,
                            lengths) != REDIS_OK) {
    spdlog::error("redis.client endpoint={} event=select_failed reason=\"hiredis rejected it\"",
                  endpoint_text_);
  }
}

void RedisClient::OnSelectReply(const redisReply* reply) {
  if (reply == nullptr) return;  // the context is being freed, and the close is reported apart

  if (reply->type != REDIS_REPLY_STATUS) {
    std::string text = reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len)
                                                        : "unexpected reply type";
    spdlog::error("redis.client endpoint={} event=select_failed db={} reply=\"{}\"",
                  endpoint_text_, endpoint_.db, text);
    // Closing from inside a hiredis callback is not allowed, so leave the callback first.
    boost::asio::post(strand_, [self = shared_from_this(), id = connection_id_] {
      if (id == self->connection_id_ && self->connection_) {
        self->connection_->Close("SELECT failed");
      }
    });
    return;
  }

  handshake_timer_.cancel();
  backoff_.Reset();
  failed_attempts_ = 0;
  SetState(State::kConnected);
  connected_.store(true, std::memory_order_release);
  ArmTimeoutSweep();
  NotifyState(true);
}

void RedisClient::OnConnectionClosed(uint64_t connection_id, const std::string& reason) {
  if (connection_id != connection_id_) return;
  connection_.reset();
  connected_.store(false, std::memory_order_release);
  handshake_timer_.cancel();
  sweep_timer_.cancel();

  bool was_connected = connected_reported_;
  if (was_connected) NotifyState(false);
  if (state_ == State::kStopped) return;

  if (was_connected) {
    spdlog::warn("redis.client endpoint={} event=connection_lost reason=\"{}\"", endpoint_text_,
                 reason);
  } else {
    ++failed_attempts_;
    // Repeated failures while the server is down are logged at debug, with every tenth attempt
    // at warning, so a long outage does not flood the log.
    auto level = failed_attempts_ == 1 || failed_attempts_ % 10 == 0 ? spdlog::level::warn
                                                                      : spdlog::level::debug;
    spdlog::log(level, "redis.client endpoint={} event=connect_failed attempt={} reason=\"{}\"",
                endpoint_text_, failed_attempts_, reason);
  }
  ScheduleReconnect();
}

void RedisClient::ScheduleReconnect() {
  SetState(State::kWaitingToReconnect);
  std::chrono::milliseconds delay = backoff_.NextDelay();
  spdlog::debug("redis.client endpoint={} event=reconnect_scheduled delay_ms={}", endpoint_text_,
                delay.count());
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->state_ != State::kWaitingToReconnect) return;
    self->DoConnect();
  });
}

void RedisClient::DropConnection(const std::string& reason) {
  connected_.store(false, std::memory_order_release);
  if (connection_) connection_->Close(reason);
}

void RedisClient::NotifyState(bool connected) {
  connected_reported_ = connected;
  if (!state_callback_) return;
  // Posted so that the callback never runs inside hiredis, where it could not safely call back
  // into the client.
  boost::asio::post(strand_, [self = shared_from_this(), connected] {
    try {
      self->state_callback_(connected);
    } catch (const std::exception& e) {
      spdlog::error("redis.client endpoint={} event=state_callback_failed error=\"{}\"",
                    self->endpoint_text_, e.what());
    }
  });
}

void RedisClient::ArmTimeoutSweep() {
  sweep_timer_.expires_after(SweepInterval(options_.command_timeout));
  sweep_timer_.async_wait(
      [self = shared_from_this(), id = connection_id_](const boost::system::error_code& ec) {
        if (ec || id != self->connection_id_ || self->state_ != State::kConnected) return;
        self->SweepTimeouts();
        if (self->state_ == State::kConnected && self->connected_.load()) self->ArmTimeoutSweep();
      });
}

void RedisClient::SweepTimeouts() {
  // Every call gets the same timeout and ids grow with submission time, so deadlines grow with
  // the id and the scan can stop at the first call that has time left.
  auto now = std::chrono::steady_clock::now();
  size_t expired = 0;
  for (auto& [id, call] : calls_) {
    if (call->deadline > now) break;
    call->failure = make_error_code(RedisErrc::kTimeout);
    ++expired;
  }
  if (expired == 0) return;

  spdlog::warn(
      "redis.client endpoint={} event=command_timeout calls={} timeout_ms={} action=reconnect",
      endpoint_text_, expired, options_.command_timeout.count());
  DropConnection("command timed out");
}

boost::asio::awaitable<boost::system::result<RedisReply>> RedisClient::Exec(
    std::vector<std::string> args) {
  std::vector<std::vector<std::string>> commands;
  commands.push_back(std::move(args));
  auto [error, replies] = co_await Submit(std::move(commands));
  if (error) co_return error;
  if (replies.size() != 1) co_return make_error_code(RedisErrc::kProtocol);
  co_return std::move(replies.front());
}

boost::asio::awaitable<boost::system::result<std::vector<RedisReply>>> RedisClient::ExecBatch(
    std::vector<std::vector<std::string>> commands) {
  auto [error, replies] = co_await Submit(std::move(commands));
  if (error) co_return error;
  co_return std::move(replies);
}

boost::asio::awaitable<std::tuple<boost::system::error_code, std::vector<RedisReply>>>
RedisClient::Submit(std::vector<std::vector<std::string>> commands) {
  auto initiation = [self = shared_from_this()](auto handler,
                                                std::vector<std::vector<std::string>> commands) {
    auto call = std::make_unique<Call>();
    call->completion = std::make_unique<Completion<decltype(handler)>>(std::move(handler));
    boost::asio::post(self->strand_, [self, call = std::move(call),
                                      commands = std::move(commands)]() mutable {
      self->DoSubmit(std::move(call), std::move(commands));
    });
  };
  return boost::asio::async_initiate<const boost::asio::as_tuple_t<boost::asio::use_awaitable_t<>>,
                                     CompletionSignature>(
      std::move(initiation), boost::asio::as_tuple(boost::asio::use_awaitable), std::move(commands));
}

void RedisClient::DoSubmit(std::unique_ptr<Call> call,
                           std::vector<std::vector<std::string>> commands) {
  for (const auto& command : commands) {
    if (command.empty()) {
      Complete(std::move(call), make_error_code(RedisErrc::kProtocol));
      return;
    }
  }
  if (commands.empty()) {
    Complete(std::move(call), {});
    return;
  }

  redisAsyncContext* context = connection_ ? connection_->context() : nullptr;
  if (state_ == State::kStopped) {
    command_errors_.fetch_add(commands.size(), std::memory_order_relaxed);
    Complete(std::move(call), make_error_code(RedisErrc::kStopped));
    return;
  }
  if (state_ != State::kConnected || context == nullptr) {
    command_errors_.fetch_add(commands.size(), std::memory_order_relaxed);
    Complete(std::move(call), make_error_code(RedisErrc::kNotConnected));
    return;
  }
  if (commands_in_flight_ + commands.size() > options_.max_pending) {
    command_errors_.fetch_add(commands.size(), std::memory_order_relaxed);
    Complete(std::move(call), make_error_code(RedisErrc::kQueueFull));
    return;
  }

  call->id = next_call_id_++;
  call->deadline = std::chrono::steady_clock::now() + options_.command_timeout;
  call->replies.reserve(commands.size());
  Call* raw_call = call.get();
  calls_.emplace(raw_call->id, std::move(call));

  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const auto& command : commands) {
    argv.clear();
    lengths.clear();
    for (const auto& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    // hiredis copies the arguments into its output buffer, so they need not outlive this call.
    if (redisAsyncCommandArgv(context, &RedisClient::OnReplyThunk, raw_call,
                              static_cast<int>(argv.size()), argv.data(),
                              lengths.data()) != REDIS_OK) {
      // Only a context that is closing rejects commands. Those already written get their NULL
      // reply when it is freed.
      raw_call->failure = make_error_code(RedisErrc::kConnectionLost);
      break;
    }
    ++raw_call->unanswered;
    ++commands_in_flight_;
    commands_sent_.fetch_add(1, std::memory_order_relaxed);
  }

  if (raw_call->unanswered == 0) {
    auto node = calls_.extract(raw_call->id);
    Complete(std::move(node.mapped()), raw_call->failure);
  }
}

void RedisClient::OnReply(Call* call, const redisReply* reply) {
  --commands_in_flight_;
  if (reply == nullptr) {
    // hiredis runs every pending callback with a NULL reply when it frees the context.
    command_errors_.fetch_add(1, std::memory_order_relaxed);
    if (!call->failure) call->failure = make_error_code(disconnect_error_);
  } else {
    if (reply->type == REDIS_REPLY_ERROR) command_errors_.fetch_add(1, std::memory_order_relaxed);
    call->replies.push_back(RedisReply::FromHiredis(*reply));
  }

  if (--call->unanswered > 0) return;
  auto node = calls_.extract(call->id);
  Complete(std::move(node.mapped()), call->failure);
}

void RedisClient::Complete(std::unique_ptr<Call> call, boost::system::error_code error) {
  std::vector<RedisReply> replies;
  if (!error) replies = std::move(call->replies);
  // Posted, never run inline: resuming the coroutine here could re-enter hiredis from inside
  // one of its callbacks.
  call->completion->Post(error, std::move(replies));
}

void RedisClient::OnReplyThunk(redisAsyncContext* context, void* reply, void* privdata) {
  auto* self = static_cast<RedisClient*>(context->data);
  try {
    self->OnReply(static_cast<Call*>(privdata), static_cast<const redisReply*>(reply));
  } catch (const std::exception& e) {
    spdlog::error("redis.client endpoint={} event=reply_callback_failed error=\"{}\"",
                  self->endpoint_text_, e.what());
  } catch (...) {
    spdlog::error("redis.client endpoint={} event=reply_callback_failed", self->endpoint_text_);
  }
}

void RedisClient::OnSelectThunk(redisAsyncContext* context, void* reply, void* /*privdata*/) {
  auto* self = static_cast<RedisClient*>(context->data);
  try {
    self->OnSelectReply(static_cast<const redisReply*>(reply));
  } catch (const std::exception& e) {
    spdlog::error("redis.client endpoint={} event=select_callback_failed error=\"{}\"",
                  self->endpoint_text_, e.what());
  } catch (...) {
    spdlog::error("redis.client endpoint={} event=select_callback_failed", self->endpoint_text_);
  }
}

}  // namespace canhbao::store
