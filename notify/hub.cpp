#include "notify/hub.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "admin/alert_json.hpp"
#include "admin/merchant_json.hpp"

namespace canhbao::notify {

namespace asio = boost::asio;

namespace {

constexpr size_t kReadBatch = 1000;

// JSON in a text frame, protobuf in a binary frame.
Message Serialize(const boost::json::object& object) {
  return MakeFrame(Opcode::kText, boost::json::serialize(object));
}

Message SerializeProto(const v1::StreamMessage& message) {
  return MakeFrame(Opcode::kBinary, message.SerializeAsString());
}

// The alert as the stream publishes it: matching criteria, authorship and
// the draft's bookkeeping stay on the server.
v1::StreamMessage AlertStreamMessage(const v1::Alert& alert) {
  v1::StreamMessage message;
  message.set_type("alert");
  v1::Alert* out = message.mutable_alert();
  *out = alert;
  out->clear_identifiers();
  out->clear_products();
  out->clear_rules();
  out->clear_error_cancellation();
  out->clear_author_key_id();
  out->clear_author_name();
  out->clear_author_role();
  out->clear_created();
  out->clear_source();
  return message;
}

}  // namespace

uint32_t AllCategories() {
  uint32_t mask = 0;
  for (int category = v1::Category_MIN; category <= v1::Category_MAX; ++category) {
    mask |= 1u << category;
  }
  return mask;
}

Hub::Hub(asio::any_io_executor executor, std::vector<asio::any_io_executor> shards,
         std::shared_ptr<store::AlertStore> alerts, std::shared_ptr<store::NoticeStore> notices,
         Options options)
    : executor_(std::move(executor)),
      alerts_(std::move(alerts)),
      notices_(std::move(notices)),
      options_(options),
      wake_timer_(executor_) {
  if (shards.empty()) shards.push_back(executor_);
  for (asio::any_io_executor& shard_executor : shards) {
    auto shard = std::make_unique<Shard>();
    shard->executor = std::move(shard_executor);
    shards_.push_back(std::move(shard));
  }
}

void Hub::Wake() {
  asio::post(executor_, [this] { wake_timer_.cancel(); });
}

asio::awaitable<void> Hub::Run() {
  for (;;) {
    try {
      co_await CatchUp();
      if (!following_.exchange(true)) {
        spdlog::info("hub: following the alert log at seq {}, notice seq {}", last_seq_.load(),
                     last_notice_seq_.load());
      }
    } catch (const std::exception& e) {
      if (following_.exchange(false)) {
        spdlog::warn("hub: lost the alert log at seq {}: {}", last_seq_.load(), e.what());
      }
    }
    wake_timer_.expires_after(options_.follow_interval);
    co_await wake_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> Hub::CatchUp() {
  if (!loaded_) {
    // Start with the newest `replay_window` entries; older ones are served
    // by GET /v1/alerts after a resync.
    uint64_t newest = co_await alerts_->LastSeq();
    uint64_t start = newest > options_.replay_window ? newest - options_.replay_window : 0;
    std::lock_guard lock(mutex_);
    oldest_seq_ = start + 1;
    last_seq_ = start;
    loaded_ = true;
  }
  for (;;) {
    std::vector<v1::Alert> batch = co_await alerts_->ReadLog(last_seq_, kReadBatch);
    for (v1::Alert& alert : batch) {
      if (alert.seq() <= last_seq_) continue;
      if (alert_observer_) alert_observer_(alert);
      AlertEntry entry;
      entry.seq = alert.seq();
      entry.sent_unix_ms = alert.sent_unix_ms();
      entry.category_bit = 1u << alert.category();
      entry.whole_city = alert.areas_size() == 1 && alert.areas(0) == "all";
      entry.areas.assign(alert.areas().begin(), alert.areas().end());
      if (alert.cap_status() == v1::CAP_STATUS_ACTUAL) {
        entry.json = Serialize(admin::AlertMessage(alert));
        entry.proto = SerializeProto(AlertStreamMessage(alert));
      }
      DispatchAlert(std::move(entry));
    }
    if (batch.size() < kReadBatch) break;
  }
  for (;;) {
    std::vector<v1::Notice> batch = co_await notices_->ReadLog(last_notice_seq_, kReadBatch);
    for (v1::Notice& notice : batch) {
      if (notice.notice_seq() <= last_notice_seq_) continue;
      v1::StreamMessage proto;
      proto.set_type("notice");
      *proto.mutable_notice() = notice;
      DispatchNotice({notice.notice_seq(), notice.merchant_id(),
                      Serialize(admin::NoticeMessage(notice)), SerializeProto(proto)});
    }
    if (batch.size() < kReadBatch) break;
  }
}

bool Hub::Wants(const Subscription& subscription, const AlertEntry& entry) {
  if (entry.json == nullptr) return false;
  if ((subscription.category_mask & entry.category_bit) == 0) return false;
  if (entry.whole_city || subscription.wards.empty()) return true;
  for (const std::string& area : entry.areas) {
    for (const std::string& ward : subscription.wards) {
      if (area == ward) return true;
    }
  }
  return false;
}

void Hub::DispatchAlert(AlertEntry entry) {
  auto shared = std::make_shared<const AlertEntry>(std::move(entry));
  {
    std::lock_guard lock(mutex_);
    last_seq_ = shared->seq;
    alert_window_.push_back(shared);
    while (alert_window_.size() > options_.replay_window) {
      oldest_seq_ = alert_window_.front()->seq + 1;
      alert_window_.pop_front();
    }
  }
  if (shared->json == nullptr) return;
  for (const std::unique_ptr<Shard>& shard : shards_) {
    asio::post(shard->executor,
               [this, shard = shard.get(), shared] { DeliverAlert(*shard, *shared); });
  }
}

void Hub::DispatchNotice(NoticeEntry entry) {
  auto shared = std::make_shared<const NoticeEntry>(std::move(entry));
  {
    std::lock_guard lock(mutex_);
    last_notice_seq_ = shared->notice_seq;
    notice_window_.push_back(shared);
    while (notice_window_.size() > options_.replay_window) {
      oldest_notice_seq_ = notice_window_.front()->notice_seq + 1;
      notice_window_.pop_front();
    }
  }
  for (const std::unique_ptr<Shard>& shard : shards_) {
    asio::post(shard->executor,
               [this, shard = shard.get(), shared] { DeliverNotice(*shard, *shared); });
  }
}

void Hub::DeliverAlert(Shard& shard, const AlertEntry& entry) {
  // Reused by every fan-out loop on this thread.
  thread_local std::vector<double> latencies;
  latencies.clear();
  bool timed = entry.sent_unix_ms > 0 && delivery_observer_;
  uint64_t delivered = 0;
  shard.dispatching = true;
  for (auto& [id, subscription] : shard.subscriptions) {
    if (subscription.subscriber == nullptr || entry.seq <= subscription.after_seq ||
        !Wants(subscription, entry)) {
      continue;
    }
    subscription.after_seq = entry.seq;
    subscription.subscriber->Deliver(subscription.proto ? entry.proto : entry.json);
    ++delivered;
    if (timed) {
      auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch());
      latencies.push_back(static_cast<double>(now.count() - entry.sent_unix_ms) / 1000.0);
    }
  }
  shard.dispatching = false;
  EraseRemoved(shard);
  shard.deliveries.fetch_add(delivered, std::memory_order_relaxed);
  if (timed && !latencies.empty()) delivery_observer_(latencies);
}

void Hub::DeliverNotice(Shard& shard, const NoticeEntry& entry) {
  uint64_t delivered = 0;
  shard.dispatching = true;
  for (auto& [id, subscription] : shard.subscriptions) {
    if (subscription.subscriber == nullptr || subscription.merchant_id != entry.merchant_id ||
        entry.notice_seq <= subscription.after_notice_seq) {
      continue;
    }
    subscription.after_notice_seq = entry.notice_seq;
    subscription.subscriber->Deliver(subscription.proto ? entry.proto : entry.json);
    ++delivered;
  }
  shard.dispatching = false;
  EraseRemoved(shard);
  shard.deliveries.fetch_add(delivered, std::memory_order_relaxed);
}

Hub::SubscribeResult Hub::Subscribe(uint64_t connection_id, Subscription subscription) {
  SubscribeResult result;
  Shard& shard = *shards_[connection_id % shards_.size()];
  Subscriber* subscriber = subscription.subscriber.get();
  uint64_t delivered = 0;
  std::lock_guard lock(mutex_);
  result.last_seq = last_seq_;
  if (subscriber != nullptr && subscription.after_seq < last_seq_) {
    if (subscription.after_seq + 1 < oldest_seq_) {
      result.resync_oldest_seq = oldest_seq_;
      subscription.after_seq = oldest_seq_ - 1;
    }
    for (const std::shared_ptr<const AlertEntry>& entry : alert_window_) {
      if (entry->seq > subscription.after_seq && Wants(subscription, *entry)) {
        subscriber->Deliver(subscription.proto ? entry->proto : entry->json);
        ++delivered;
      }
    }
  }
  if (subscriber != nullptr && !subscription.merchant_id.empty()) {
    // Notices older than the window are still in Redis; the merchant reads
    // them through GET /v1/merchants/{id}/notices.
    for (const std::shared_ptr<const NoticeEntry>& entry : notice_window_) {
      if (entry->notice_seq > subscription.after_notice_seq &&
          entry->merchant_id == subscription.merchant_id) {
        subscriber->Deliver(subscription.proto ? entry->proto : entry->json);
        ++delivered;
      }
    }
  }
  shard.deliveries.fetch_add(delivered, std::memory_order_relaxed);
  // Live entries continue after whatever was replayed.
  subscription.after_seq = std::max(subscription.after_seq, last_seq_.load());
  subscription.after_notice_seq =
      std::max(subscription.after_notice_seq, last_notice_seq_.load());
  auto [it, inserted] = shard.index.try_emplace(connection_id, shard.subscriptions.size());
  if (inserted) {
    shard.subscriptions.emplace_back(connection_id, std::move(subscription));
  } else {
    shard.subscriptions[it->second].second = std::move(subscription);
  }
  shard.count.store(shard.index.size(), std::memory_order_relaxed);
  return result;
}

void Hub::Erase(Shard& shard, uint64_t connection_id) {
  auto it = shard.index.find(connection_id);
  if (it == shard.index.end()) return;
  size_t position = it->second;
  shard.index.erase(it);
  if (position + 1 != shard.subscriptions.size()) {
    shard.subscriptions[position] = std::move(shard.subscriptions.back());
    shard.index[shard.subscriptions[position].first] = position;
  }
  shard.subscriptions.pop_back();
  shard.count.store(shard.index.size(), std::memory_order_relaxed);
}

void Hub::EraseRemoved(Shard& shard) {
  for (uint64_t connection_id : shard.removed) Erase(shard, connection_id);
  shard.removed.clear();
}

void Hub::Unsubscribe(uint64_t connection_id) {
  Shard& shard = *shards_[connection_id % shards_.size()];
  if (!shard.dispatching) {
    Erase(shard, connection_id);
    return;
  }
  auto it = shard.index.find(connection_id);
  if (it == shard.index.end()) return;
  // The fan-out loop is iterating over the vector, so positions must not move.
  shard.subscriptions[it->second].second.subscriber.reset();
  shard.removed.push_back(connection_id);
}

void Hub::CloseAll() {
  for (const std::unique_ptr<Shard>& shard : shards_) {
    asio::post(shard->executor, [shard = shard.get()] {
      shard->dispatching = true;
      for (auto& [id, subscription] : shard->subscriptions) {
        if (subscription.subscriber != nullptr) subscription.subscriber->GoAway();
      }
      shard->dispatching = false;
      EraseRemoved(*shard);
    });
  }
}

void Hub::DropSubscribers() {
  for (const std::unique_ptr<Shard>& shard : shards_) {
    shard->subscriptions.clear();
    shard->index.clear();
    shard->count.store(0);
  }
}

void Hub::UpdateDevice(const std::string& device_id, uint32_t category_mask,
                       std::vector<std::string> wards) {
  for (const std::unique_ptr<Shard>& shard : shards_) {
    asio::post(shard->executor, [shard = shard.get(), device_id, category_mask, wards] {
      for (auto& [id, subscription] : shard->subscriptions) {
        if (subscription.device_id != device_id) continue;
        subscription.category_mask = category_mask;
        subscription.wards = wards;
      }
    });
  }
}

size_t Hub::subscriber_count() const {
  size_t count = 0;
  for (const std::unique_ptr<Shard>& shard : shards_) count += shard->count.load();
  return count;
}

uint64_t Hub::deliveries() const {
  uint64_t count = 0;
  for (const std::unique_ptr<Shard>& shard : shards_) count += shard->deliveries.load();
  return count;
}

}  // namespace canhbao::notify
