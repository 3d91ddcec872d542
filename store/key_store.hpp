#pragma once

// API keys in Redis. A key is stored under the SHA-256 of its secret, so a
// request is authenticated with one GET and the secret is never stored.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "canhbao.pb.h"
#include "store/redis_client.hpp"

namespace canhbao::store {

class KeyStore {
 public:
  explicit KeyStore(std::shared_ptr<RedisClient> redis) : redis_(std::move(redis)) {}

  // Stores a new key record; `key.hash` must be set. Throws ApiError 503
  // when Redis is unreachable.
  boost::asio::awaitable<void> Create(const v1::ApiKey& key);
  // Returns the key whose secret hashes to `hash`, revoked or not.
  boost::asio::awaitable<std::optional<v1::ApiKey>> FindByHash(const std::string& hash);
  boost::asio::awaitable<std::optional<v1::ApiKey>> FindById(const std::string& id);
  // Marks the key revoked; returns false when no key has this id.
  boost::asio::awaitable<bool> Revoke(const std::string& id);
  boost::asio::awaitable<std::vector<v1::ApiKey>> List();

 private:
  std::shared_ptr<RedisClient> redis_;
};

}  // namespace canhbao::store
