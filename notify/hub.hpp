#pragma once

// The fan-out hub of one node. It follows the alert log and the notice log
// in Redis (woken by Pub/Sub, polled as a safety net), keeps the newest
// entries in memory, and hands each new entry to every matching subscriber
// as one shared, immutable, already-serialized message.
//
// Sharding: subscribers are split into shards, one per event-loop thread,
// each with its own executor (a strand). A connection lives on its shard's
// executor, and the hub hands each new entry to a shard as one task that
// writes it to every matching subscriber there. No lock is taken and
// nothing is allocated per delivery.
//
// Ordering: entries enter the replay window in log order under the hub's
// lock, and reach each shard in that order. Subscribe runs on the shard,
// replays the window after `since` under the same lock and registers in
// one step, so a subscriber receives every entry after its `since` exactly
// once, in order.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <span>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "canhbao.pb.h"
#include "notify/frame.hpp"
#include "store/alert_store.hpp"
#include "store/notice_store.hpp"

namespace canhbao::notify {

// A receiver of messages, implemented by a WebSocket session.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Called on the subscriber's shard executor, sometimes with the hub's
  // lock held. An implementation writes or queues the frames and returns. It
  // may call Unsubscribe, but no other hub method.
  virtual void Deliver(const Message& message) = 0;
  // Closes the client's connection because the node is stopping, so that the
  // client reconnects. Like Deliver, it runs on the shard and may call Unsubscribe.
  virtual void GoAway() = 0;
};

// The alerts and notices one connection receives.
struct Subscription {
  // The hub keeps the subscriber alive until Unsubscribe.
  std::shared_ptr<Subscriber> subscriber;
  // Bit (1 << category) for each subscribed v1::Category.
  uint32_t category_mask = 0;
  // Subscribed ward codes; empty means every ward.
  std::vector<std::string> wards;
  // Set for a merchant connection: its notices are delivered too.
  std::string merchant_id;
  // Set for a device connection that follows the device's registered
  // subscriptions, so that UpdateDevice can change them while it is open.
  std::string device_id;
  // True for the canhbao.v1.proto subprotocol: binary protobuf messages.
  bool proto = false;
  // True when the client asked for a replay with since=.
  bool resume = false;
  // Entries at or below these numbers were already seen by the client.
  uint64_t after_seq = 0;
  uint64_t after_notice_seq = 0;
};

uint32_t AllCategories();

class Hub {
 public:
  struct Options {
    size_t replay_window = 100000;
    std::chrono::milliseconds follow_interval{1000};
  };

  // `executor` runs the log follower. Each of `shards` (at least one) runs
  // the connections assigned to it and must not run two handlers at once:
  // a strand, or an io_context run by one thread.
  Hub(boost::asio::any_io_executor executor, std::vector<boost::asio::any_io_executor> shards,
      std::shared_ptr<store::AlertStore> alerts, std::shared_ptr<store::NoticeStore> notices,
      Options options);

  // Called with every alert read from the log, in log order, before it is
  // dispatched; on the hub's strand. Set before Run.
  void SetAlertObserver(std::function<void(const v1::Alert&)> observer) {
    alert_observer_ = std::move(observer);
  }

  // Called on a shard after it handed an alert to its subscribers, with
  // the seconds from publication to each write (or queueing when the
  // socket was full). Set before Run.
  void SetDeliveryObserver(std::function<void(std::span<const double>)> observer) {
    delivery_observer_ = std::move(observer);
  }

  // The executor of the shard that owns `connection_id`. The connection's
  // socket and every hub call about it run there.
  const boost::asio::any_io_executor& ShardExecutor(uint64_t connection_id) const {
    return shards_[connection_id % shards_.size()]->executor;
  }

  // Follows the logs until the executor stops. Start it once.
  boost::asio::awaitable<void> Run();
  // Asks the follower to read the logs now; any thread.
  void Wake();

  struct SubscribeResult {
    // Set when the client's `since` is older than the replay window: the
    // client must reload through GET /v1/alerts. The subscription still
    // starts, from the oldest entry kept.
    std::optional<uint64_t> resync_oldest_seq;
    uint64_t last_seq = 0;
  };
  // Replays the entries after `subscription.after_seq` (and, for a
  // merchant, after `after_notice_seq`) through Deliver, then registers the
  // subscription for live entries. On ShardExecutor(connection_id).
  SubscribeResult Subscribe(uint64_t connection_id, Subscription subscription);
  // On ShardExecutor(connection_id), including from within Deliver.
  void Unsubscribe(uint64_t connection_id);
  // Calls Subscriber::GoAway for every subscriber, on its shard. Any thread.
  void CloseAll();
  // Releases every subscriber. Only once the executors have stopped.
  void DropSubscribers();
  // Changes the categories and wards of every open connection of the
  // device that follows its registered subscriptions. Any thread.
  void UpdateDevice(const std::string& device_id, uint32_t category_mask,
                    std::vector<std::string> wards);

  // True once the follower has read the logs up to date and its last read
  // succeeded.
  bool IsFollowing() const { return following_.load(); }
  uint64_t last_seq() const { return last_seq_.load(); }
  size_t subscriber_count() const;
  uint64_t deliveries() const;

 private:
  // Each entry is serialized once per subprotocol; every subscriber of that
  // subprotocol gets the same buffer.
  struct AlertEntry {
    uint64_t seq;
    int64_t sent_unix_ms;
    uint32_t category_bit;
    bool whole_city;
    std::vector<std::string> areas;
    Message json;   // null for alerts the public stream does not carry
    Message proto;
  };
  struct NoticeEntry {
    uint64_t notice_seq;
    std::string merchant_id;
    Message json;
    Message proto;
  };

  // The subscribers of one shard, touched only on its executor. A vector,
  // so that the fan-out loop walks memory in order.
  struct Shard {
    boost::asio::any_io_executor executor;
    std::vector<std::pair<uint64_t, Subscription>> subscriptions;
    std::unordered_map<uint64_t, size_t> index;  // connection id -> position
    // Unsubscribe during a fan-out loop only marks the entry (null
    // subscriber); the loop removes it afterwards.
    bool dispatching = false;
    std::vector<uint64_t> removed;
    std::atomic<size_t> count{0};
    std::atomic<uint64_t> deliveries{0};
  };

  boost::asio::awaitable<void> CatchUp();
  static bool Wants(const Subscription& subscription, const AlertEntry& entry);
  void DispatchAlert(AlertEntry entry);
  void DispatchNotice(NoticeEntry entry);
  void DeliverAlert(Shard& shard, const AlertEntry& entry);
  void DeliverNotice(Shard& shard, const NoticeEntry& entry);
  static void Erase(Shard& shard, uint64_t connection_id);
  static void EraseRemoved(Shard& shard);

  boost::asio::any_io_executor executor_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::shared_ptr<store::AlertStore> alerts_;
  std::shared_ptr<store::NoticeStore> notices_;
  Options options_;
  boost::asio::steady_timer wake_timer_;
  std::function<void(const v1::Alert&)> alert_observer_;
  std::function<void(std::span<const double>)> delivery_observer_;

  mutable std::mutex mutex_;
  std::deque<std::shared_ptr<const AlertEntry>> alert_window_;
  std::deque<std::shared_ptr<const NoticeEntry>> notice_window_;
  // The oldest sequence number the window could hold: entries before it
  // were never loaded (or dropped) and need a resync.
  uint64_t oldest_seq_ = 1;
  uint64_t oldest_notice_seq_ = 1;

  std::atomic<uint64_t> last_seq_{0};
  std::atomic<uint64_t> last_notice_seq_{0};
  std::atomic<bool> following_{false};
  std::atomic<bool> loaded_{false};
};

}  // namespace canhbao::notify
