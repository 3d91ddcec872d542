#pragma once

// Glue between the Redis client and the HTTP layer: a failed round trip
// becomes ApiError 503 and an error reply becomes ApiError 500, so store
// code reads as straight-line coroutines.

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "store/redis_client.hpp"

namespace canhbao::store {

// Builds a command from its words. Coroutines use this instead of a braced
// list: GCC 12 rejects a braced list of strings inside a co_await
// expression ("array used as initializer").
template <class... Words>
std::vector<std::string> Cmd(Words&&... words) {
  std::vector<std::string> command;
  command.reserve(sizeof...(words));
  (command.emplace_back(std::forward<Words>(words)), ...);
  return command;
}

template <class... Commands>
std::vector<std::vector<std::string>> Batch(Commands&&... commands) {
  std::vector<std::vector<std::string>> batch;
  batch.reserve(sizeof...(commands));
  (batch.push_back(std::forward<Commands>(commands)), ...);
  return batch;
}

// Sends one command. Throws ApiError(kUnavailable) when Redis cannot be
// reached and ApiError(kInternal) on an error reply.
boost::asio::awaitable<RedisReply> Call(RedisClient& redis, std::vector<std::string> args);

// Sends the commands pipelined; throws as Call does, for any of them.
boost::asio::awaitable<std::vector<RedisReply>> CallBatch(
    RedisClient& redis, std::vector<std::vector<std::string>> commands);

// Reads a protobuf message stored as a string; returns false for nil.
// Throws ApiError(kInternal) when the bytes do not parse.
template <class Message>
bool ParseStored(const RedisReply& reply, Message& message);

}  // namespace canhbao::store

#include "store/redis_call_inl.hpp"
