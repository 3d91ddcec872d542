#include "store/redis_call.hpp"

#include <spdlog/spdlog.h>

#include "server/api_error.hpp"

namespace canhbao::store {

namespace {

void CheckReply(const RedisReply& reply, const std::string& command) {
  if (reply.IsError()) {
    spdlog::error("redis: {} failed: {}", command, reply.str);
    throw ApiError(ErrorCode::kInternal, "", "Lỗi hệ thống lưu trữ", "Data store error");
  }
}

}  // namespace

boost::asio::awaitable<RedisReply> Call(RedisClient& redis, std::vector<std::string> args) {
  std::string command = args.empty() ? std::string() : args.front();
  auto result = co_await redis.Exec(std::move(args));
  if (!result) {
    // Not being connected is already logged by the client's state changes;
    // every refused command would only repeat it.
    auto level = result.error() == RedisErrc::kNotConnected ? spdlog::level::debug
                                                             : spdlog::level::warn;
    spdlog::log(level, "redis {}: {} failed: {}", redis.endpoint().ToString(), command,
                result.error().message());
    throw Unavailable();
  }
  CheckReply(*result, command);
  co_return std::move(*result);
}

boost::asio::awaitable<std::vector<RedisReply>> CallBatch(
    RedisClient& redis, std::vector<std::vector<std::string>> commands) {
  if (commands.empty()) co_return std::vector<RedisReply>{};
  std::string first = commands.front().empty() ? std::string() : commands.front().front();
  auto result = co_await redis.ExecBatch(std::move(commands));
  if (!result) {
    spdlog::warn("redis {}: pipeline starting with {} failed: {}", redis.endpoint().ToString(),
                 first, result.error().message());
    throw Unavailable();
  }
  for (const RedisReply& reply : *result) CheckReply(reply, first);
  co_return std::move(*result);
}

}  // namespace canhbao::store
