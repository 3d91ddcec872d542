#pragma once

// What request handlers share: the settings, the stores and the hub. Owned
// by the Service; handlers hold a reference for the service's lifetime.

#include <memory>

#include <boost/asio/thread_pool.hpp>

#include "notify/catalog_follower.hpp"
#include "notify/hub.hpp"
#include "rules/catalog_index.hpp"
#include "server/config.hpp"
#include "store/alert_store.hpp"
#include "store/device_store.hpp"
#include "store/key_store.hpp"
#include "store/merchant_store.hpp"
#include "store/notice_store.hpp"
#include "store/redis_client.hpp"

namespace canhbao::admin {

struct AppContext {
  Config config;
  std::shared_ptr<store::RedisClient> redis;
  std::shared_ptr<store::KeyStore> keys;
  std::shared_ptr<store::AlertStore> alerts;
  std::shared_ptr<store::MerchantStore> merchants;
  std::shared_ptr<store::NoticeStore> notices;
  std::shared_ptr<store::DeviceStore> devices;
  std::shared_ptr<notify::Hub> hub;
  std::shared_ptr<rules::CatalogIndex> index;
  std::shared_ptr<notify::CatalogFollower> catalog;
  // Threads for CPU-heavy work (matching against the whole catalog), so
  // that it never runs on the I/O threads.
  std::shared_ptr<boost::asio::thread_pool> compute;
};

}  // namespace canhbao::admin
