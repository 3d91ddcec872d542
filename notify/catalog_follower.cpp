#include "notify/catalog_follower.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <set>
#include <spdlog/spdlog.h>

#include "admin/alert_json.hpp"
#include "admin/merchant_json.hpp"
#include "server/clock.hpp"

namespace canhbao::notify {

namespace asio = boost::asio;

namespace {

constexpr size_t kReadBatch = 1000;

}  // namespace

CatalogFollower::CatalogFollower(asio::any_io_executor executor,
                                 std::shared_ptr<store::MerchantStore> merchants,
                                 std::shared_ptr<store::AlertStore> alerts,
                                 std::shared_ptr<rules::CatalogIndex> index, Options options)
    : executor_(std::move(executor)),
      merchants_(std::move(merchants)),
      alerts_(std::move(alerts)),
      index_(std::move(index)),
      options_(options),
      wake_timer_(executor_) {}

void CatalogFollower::Wake() {
  asio::post(executor_, [this] { wake_timer_.cancel(); });
}

void CatalogFollower::OnAlert(const v1::Alert& alert) {
  {
    std::lock_guard lock(queue_mutex_);
    queued_alerts_.push_back(alert);
  }
  Wake();
}

asio::awaitable<void> CatalogFollower::Run() {
  for (;;) {
    try {
      if (!loaded_) co_await LoadAll();
      co_await CatchUp();
      co_await ProcessAlerts();
      if (!following_.exchange(true)) {
        spdlog::info("catalog: index follows catalog version {} with {} merchants, {} products",
                     version_, index_->merchant_count(), index_->product_count());
      }
    } catch (const std::exception& e) {
      if (following_.exchange(false)) {
        spdlog::warn("catalog: lost the catalog log at version {}: {}", version_, e.what());
      }
    }
    wake_timer_.expires_after(options_.follow_interval);
    co_await wake_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> CatalogFollower::LoadAll() {
  auto started = std::chrono::steady_clock::now();
  // The version is read first: a change made during the load is applied
  // again by CatchUp, which is harmless because Upsert replaces.
  uint64_t version = co_await merchants_->CatalogVersion();
  store::MerchantStore::Snapshot snapshot = co_await merchants_->LoadAll();
  std::set<std::string> present;
  for (size_t i = 0; i < snapshot.merchants.size(); ++i) {
    present.insert(snapshot.merchants[i].id());
    index_->Upsert(admin::ToMerchantRecord(snapshot.merchants[i]),
                   admin::ToProductRecords(snapshot.catalogs[i]));
  }
  version_ = version;
  loaded_ = true;
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  spdlog::info("catalog: loaded {} merchants, {} products at version {} in {} ms",
               index_->merchant_count(), index_->product_count(), version_, elapsed.count());
}

asio::awaitable<void> CatalogFollower::CatchUp() {
  for (;;) {
    uint64_t oldest = 0;
    std::vector<store::MerchantStore::CatalogChange> changes =
        co_await merchants_->ReadCatalogLog(version_, kReadBatch, oldest);
    if (oldest > version_ + 1) {
      // Changes this node never saw were trimmed from the log.
      spdlog::warn("catalog: behind the catalog log (at {}, oldest kept {}); reloading",
                   version_, oldest);
      loaded_ = false;
      co_await LoadAll();
      continue;
    }
    std::set<std::string> changed;
    for (const auto& change : changes) changed.insert(change.merchant_id);
    for (const std::string& merchant_id : changed) co_await ApplyMerchant(merchant_id);
    if (!changes.empty()) version_ = changes.back().version;
    if (changes.size() < kReadBatch) break;
  }
}

asio::awaitable<void> CatalogFollower::ApplyMerchant(const std::string& merchant_id) {
  auto loaded = co_await merchants_->LoadOne(merchant_id);
  if (!loaded) {
    index_->Remove(merchant_id);
    co_return;
  }
  index_->Upsert(admin::ToMerchantRecord(loaded->first), admin::ToProductRecords(loaded->second));
  spdlog::debug("catalog: merchant {} now has {} products", merchant_id,
                loaded->second.products_size());
  for (const auto& [alert_id, active] : active_) {
    auto matched = index_->MatchMerchant(active.criteria, merchant_id);
    if (!matched) {
      spdlog::error("catalog: matching merchant {} against alert {} failed: {}", merchant_id,
                    alert_id, matched.error().message_en);
      continue;
    }
    co_await CreateNotices(active, matched.value());
  }
}

asio::awaitable<void> CatalogFollower::ProcessAlerts() {
  for (;;) {
    std::optional<v1::Alert> alert;
    {
      std::lock_guard lock(queue_mutex_);
      if (queued_alerts_.empty()) break;
      alert = std::move(queued_alerts_.front());
      queued_alerts_.pop_front();
    }
    if (!admin::IsActiveRecall(*alert)) {
      active_.erase(alert->id());
      continue;
    }
    ActiveAlert active;
    active.alert = *alert;
    try {
      active.criteria = admin::BuildCriteria(*alert);
    } catch (const std::exception& e) {
      spdlog::error("catalog: alert {} has criteria that no longer compile: {}", alert->id(),
                    e.what());
      continue;
    }
    auto matched = index_->Match(active.criteria);
    if (!matched) {
      spdlog::error("catalog: matching alert {} failed: {}", alert->id(),
                    matched.error().message_en);
      continue;
    }
    // Stored as active before notices are created, so a failure below is
    // retried by the next catalog change rather than lost for good.
    auto [it, inserted] = active_.insert_or_assign(alert->id(), std::move(active));
    bool failed = false;
    try {
      co_await CreateNotices(it->second, matched.value());
    } catch (const std::exception&) {
      failed = true;
    }
    if (failed) {
      // Put the alert back so the next round retries it once Redis responds.
      std::lock_guard lock(queue_mutex_);
      queued_alerts_.push_front(std::move(*alert));
      throw std::runtime_error("creating notices for alert " + it->first + " failed");
    }
  }
}

asio::awaitable<void> CatalogFollower::CreateNotices(
    const ActiveAlert& active, const std::vector<rules::MatchRecord>& records) {
  if (records.empty()) co_return;
  std::vector<v1::Notice> notices =
      admin::NoticesFor(active.alert, admin::ToAlertMatches(records), NowRfc3339());
  size_t created = co_await alerts_->AddNotices(active.alert.id(), notices);
  if (created > 0) {
    spdlog::info("catalog: alert {} created {} notices for merchants matched after publication",
                 active.alert.id(), created);
  }
}

}  // namespace canhbao::notify
