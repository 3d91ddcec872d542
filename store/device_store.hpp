#pragma once

// Registered devices and one-time stream tickets in Redis.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>

#include "canhbao.pb.h"
#include "store/redis_client.hpp"

namespace canhbao::store {

class DeviceStore {
 public:
  explicit DeviceStore(std::shared_ptr<RedisClient> redis) : redis_(std::move(redis)) {}

  // Stores a new device (token_hash set) and its token index.
  boost::asio::awaitable<void> Create(const v1::Device& device);
  // Replaces the stored record and publishes the change to every node, so
  // open connections of the device follow at once.
  boost::asio::awaitable<void> Update(const v1::Device& device);
  // Deletes the device and its token index; returns false when unknown.
  boost::asio::awaitable<bool> Delete(const std::string& id);
  boost::asio::awaitable<std::optional<v1::Device>> Get(const std::string& id);
  boost::asio::awaitable<std::optional<v1::Device>> FindByTokenHash(const std::string& hash);

  // Stores a one-time ticket (by the hash of its secret) naming `principal`
  // ("device:<id>" or "merchant:<id>") for `ttl_seconds`.
  boost::asio::awaitable<void> CreateTicket(const std::string& hash, const std::string& principal,
                                            int ttl_seconds);
  // Returns the ticket's principal and deletes it, so it works only once.
  boost::asio::awaitable<std::optional<std::string>> ConsumeTicket(const std::string& hash);

 private:
  std::shared_ptr<RedisClient> redis_;
};

}  // namespace canhbao::store
