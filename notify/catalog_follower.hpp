#pragma once

// Keeps this node's catalog index in step with Redis and turns late matches
// into recall notices.
//
// At start it loads every merchant and catalog into the index. Then it
// follows the catalog log (woken by Pub/Sub, polled as a safety net) and
// reloads just the merchants that changed, on any node. Two events can
// make a shop newly concerned by a recall:
//   - a catalog change: the changed merchant is matched against every
//     active recall alert;
//   - an alert read from the alert log: it is matched against the whole
//     index.
// Both run on one strand, so whichever comes second finds the other in
// place. AlertStore::AddNotices creates a notice once per (alert, merchant).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "canhbao.pb.h"
#include "rules/catalog_index.hpp"
#include "store/alert_store.hpp"
#include "store/merchant_store.hpp"

namespace canhbao::notify {

class CatalogFollower {
 public:
  struct Options {
    std::chrono::milliseconds follow_interval{1000};
  };

  // `executor` must be a strand; Run and the alert queue use it.
  CatalogFollower(boost::asio::any_io_executor executor,
                  std::shared_ptr<store::MerchantStore> merchants,
                  std::shared_ptr<store::AlertStore> alerts,
                  std::shared_ptr<rules::CatalogIndex> index, Options options);

  // Loads the index, then follows the catalog log until the executor stops.
  boost::asio::awaitable<void> Run();
  // Asks the follower to read the catalog log now; any thread.
  void Wake();
  // Queues an alert read from the alert log, in log order; any thread.
  void OnAlert(const v1::Alert& alert);

  // True once the index contains every merchant and the last read succeeded.
  bool IsFollowing() const { return following_.load(); }
  const std::shared_ptr<rules::CatalogIndex>& index() const { return index_; }

 private:
  struct ActiveAlert {
    v1::Alert alert;
    rules::AlertCriteria criteria;
  };

  boost::asio::awaitable<void> LoadAll();
  boost::asio::awaitable<void> CatchUp();
  boost::asio::awaitable<void> ApplyMerchant(const std::string& merchant_id);
  boost::asio::awaitable<void> ProcessAlerts();
  boost::asio::awaitable<void> CreateNotices(const ActiveAlert& active,
                                             const std::vector<rules::MatchRecord>& records);

  boost::asio::any_io_executor executor_;
  std::shared_ptr<store::MerchantStore> merchants_;
  std::shared_ptr<store::AlertStore> alerts_;
  std::shared_ptr<rules::CatalogIndex> index_;
  Options options_;
  boost::asio::steady_timer wake_timer_;

  std::mutex queue_mutex_;
  std::deque<v1::Alert> queued_alerts_;

  // Touched only by Run, on the strand.
  std::map<std::string, ActiveAlert> active_;
  uint64_t version_ = 0;
  bool loaded_ = false;
  std::atomic<bool> following_{false};
};

}  // namespace canhbao::notify
