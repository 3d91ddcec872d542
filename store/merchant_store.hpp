#pragma once

// Merchants and their catalogs in Redis. A catalog is one protobuf value,
// so replacing it is a single SET and readers never see half a catalog.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "canhbao.pb.h"
#include "store/redis_client.hpp"

namespace canhbao::store {

class MerchantStore {
 public:
  explicit MerchantStore(std::shared_ptr<RedisClient> redis) : redis_(std::move(redis)) {}

  // Stores the merchant and its first key in one atomic step. Returns false
  // (and stores nothing) when a merchant with this tax code exists.
  boost::asio::awaitable<bool> Create(const v1::Merchant& merchant, const v1::ApiKey& key);
  boost::asio::awaitable<std::optional<v1::Merchant>> Get(const std::string& id);
  boost::asio::awaitable<std::vector<v1::Merchant>> List();

  boost::asio::awaitable<void> ReplaceCatalog(const v1::Catalog& catalog);
  // Returns an empty catalog for a merchant that never uploaded one.
  boost::asio::awaitable<v1::Catalog> GetCatalog(const std::string& merchant_id);

  // Every merchant with its catalog, in two pipelined round trips.
  struct Snapshot {
    std::vector<v1::Merchant> merchants;
    std::vector<v1::Catalog> catalogs;  // parallel to merchants
  };
  boost::asio::awaitable<Snapshot> LoadAll();

 private:
  std::shared_ptr<RedisClient> redis_;
};

}  // namespace canhbao::store
