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

Message Serialize(const boost::json::object& object) {
  return std::make_shared<const std::string>(boost::json::serialize(object));
}

Message SerializeProto(const v1::StreamMessage& message) {
  return std::make_shared<const std::string>(message.SerializeAsString());
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

Hub::Hub(asio::any_io_executor executor, std::shared_ptr<store::AlertStore> alerts,
         std::shared_ptr<store::NoticeStore> notices, Options options)
    : executor_(std::move(executor)),
      alerts_(std::move(alerts)),
      notices_(std::move(notices)),
      options_(options),
      wake_timer_(executor_) {}

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
  std::lock_guard lock(mutex_);
  last_seq_ = entry.seq;
  for (auto& [id, subscription] : subscriptions_) {
    if (entry.seq <= subscription.after_seq || !Wants(subscription, entry)) continue;
    if (auto subscriber = subscription.subscriber.lock()) {
      subscriber->Deliver(subscription.proto ? entry.proto : entry.json);
      ++deliveries_;
    }
  }
  alert_window_.push_back(std::move(entry));
  while (alert_window_.size() > options_.replay_window) {
    oldest_seq_ = alert_window_.front().seq + 1;
    alert_window_.pop_front();
  }
}

void Hub::DispatchNotice(NoticeEntry entry) {
  std::lock_guard lock(mutex_);
  last_notice_seq_ = entry.notice_seq;
  for (auto& [id, subscription] : subscriptions_) {
    if (subscription.merchant_id != entry.merchant_id ||
        entry.notice_seq <= subscription.after_notice_seq) {
      continue;
    }
    if (auto subscriber = subscription.subscriber.lock()) {
      subscriber->Deliver(subscription.proto ? entry.proto : entry.json);
      ++deliveries_;
    }
  }
  notice_window_.push_back(std::move(entry));
  while (notice_window_.size() > options_.replay_window) {
    oldest_notice_seq_ = notice_window_.front().notice_seq + 1;
    notice_window_.pop_front();
  }
}

Hub::SubscribeResult Hub::Subscribe(uint64_t connection_id, Subscription subscription) {
  SubscribeResult result;
  std::shared_ptr<Subscriber> subscriber = subscription.subscriber.lock();
  std::lock_guard lock(mutex_);
  result.last_seq = last_seq_;
  if (subscriber != nullptr && subscription.after_seq < last_seq_) {
    if (subscription.after_seq + 1 < oldest_seq_) {
      result.resync_oldest_seq = oldest_seq_;
      subscription.after_seq = oldest_seq_ - 1;
    }
    for (const AlertEntry& entry : alert_window_) {
      if (entry.seq > subscription.after_seq && Wants(subscription, entry)) {
        subscriber->Deliver(subscription.proto ? entry.proto : entry.json);
        ++deliveries_;
      }
    }
  }
  if (subscriber != nullptr && !subscription.merchant_id.empty()) {
    // Notices older than the window are still in Redis; the merchant reads
    // them through GET /v1/merchants/{id}/notices.
    for (const NoticeEntry& entry : notice_window_) {
      if (entry.notice_seq > subscription.after_notice_seq &&
          entry.merchant_id == subscription.merchant_id) {
        subscriber->Deliver(subscription.proto ? entry.proto : entry.json);
        ++deliveries_;
      }
    }
  }
  // Live entries continue after whatever was replayed.
  subscription.after_seq = std::max(subscription.after_seq, last_seq_.load());
  subscription.after_notice_seq =
      std::max(subscription.after_notice_seq, last_notice_seq_.load());
  subscriptions_[connection_id] = std::move(subscription);
  return result;
}

void Hub::Unsubscribe(uint64_t connection_id) {
  std::lock_guard lock(mutex_);
  subscriptions_.erase(connection_id);
}

void Hub::UpdateDevice(const std::string& device_id, uint32_t category_mask,
                       std::vector<std::string> wards) {
  std::lock_guard lock(mutex_);
  for (auto& [id, subscription] : subscriptions_) {
    if (subscription.device_id != device_id) continue;
    subscription.category_mask = category_mask;
    subscription.wards = wards;
  }
}

size_t Hub::subscriber_count() const {
  std::lock_guard lock(mutex_);
  return subscriptions_.size();
}

}  // namespace canhbao::notify
