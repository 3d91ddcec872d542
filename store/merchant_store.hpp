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

  // Stores the catalog and records the change in the catalog log, in one
  // atomic step, then wakes every node's catalog follower.
  boost::asio::awaitable<void> ReplaceCatalog(const v1::Catalog& catalog);
  // Returns an empty catalog for a merchant that never uploaded one.
  boost::asio::awaitable<v1::Catalog> GetCatalog(const std::string& merchant_id);

  // Every merchant with its catalog, in two pipelined round trips.
  struct Snapshot {
    std::vector<v1::Merchant> merchants;
    std::vector<v1::Catalog> catalogs;  // parallel to merchants
  };
  boost::asio::awaitable<Snapshot> LoadAll();

  // One merchant with its catalog; nullopt when the merchant is unknown.
  boost::asio::awaitable<std::optional<std::pair<v1::Merchant, v1::Catalog>>> LoadOne(
      const std::string& merchant_id);

  // The newest catalog version (0 before any change).
  boost::asio::awaitable<uint64_t> CatalogVersion();
  struct CatalogChange {
    uint64_t version;
    std::string merchant_id;
  };
  // Changes with version > after, oldest first. `oldest` is set to the
  // oldest version still kept, so a reader further behind can tell that it
  // must reload everything.
  boost::asio::awaitable<std::vector<CatalogChange>> ReadCatalogLog(uint64_t after, size_t limit,
                                                                    uint64_t& oldest);

 private:
  std::shared_ptr<RedisClient> redis_;
};

}  // namespace canhbao::store
