#pragma once

// Alerts in Redis: drafts, the ordered alert log and the recall notices
// that publishing creates.
//
// The log is a sorted set scored by sequence number. Publishing runs one Lua
// script that checks the expected next sequence number, so sequence numbers
// are committed strictly in order across every node: a follower that has
// read up to N can never later find a smaller number appear.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "canhbao.pb.h"
#include "store/redis_client.hpp"

namespace canhbao::store {

class AlertStore {
 public:
  explicit AlertStore(std::shared_ptr<RedisClient> redis) : redis_(std::move(redis)) {}

  // Stores a new draft and its matches.
  boost::asio::awaitable<void> CreateDraft(const v1::Alert& alert, const v1::AlertMatches& matches);
  boost::asio::awaitable<std::optional<v1::Alert>> Get(const std::string& id);
  boost::asio::awaitable<v1::AlertMatches> GetMatches(const std::string& id);
  // merchant id -> notice id, for a published alert.
  boost::asio::awaitable<std::vector<std::pair<std::string, std::string>>> GetNoticeIds(
      const std::string& id);

  struct PublishResult {
    uint64_t seq = 0;
    bool already_published = false;
  };
  // Appends the alert to the log. `build` is called with the sequence
  // number the alert will get and must return the published record (with
  // that seq) and the notices to create. It is called again if another node
  // published in between. Returns the existing seq, without calling `build`
  // again, when the alert was already published.
  struct PublishBatch {
    v1::Alert alert;
    v1::AlertMatches matches;
    std::vector<v1::Notice> notices;
  };
  boost::asio::awaitable<PublishResult> Publish(
      const std::string& id, const std::function<PublishBatch(uint64_t seq)>& build);

  // Creates notices for merchants of a published alert that have none yet
  // (a catalog changed after publication, or this node's index was behind
  // when it published). A merchant that already has a notice for the alert
  // is skipped, so every node may call this for the same change. Returns the
  // number of notices created.
  boost::asio::awaitable<size_t> AddNotices(const std::string& alert_id,
                                            const std::vector<v1::Notice>& notices);

  // Published alerts with seq in (after, before), newest first, at most
  // `limit`. `before` = 0 means no upper bound.
  boost::asio::awaitable<std::vector<v1::Alert>> ListPublished(uint64_t after, uint64_t before,
                                                               size_t limit);
  // Log entries with seq > after, oldest first, at most `limit`.
  boost::asio::awaitable<std::vector<v1::Alert>> ReadLog(uint64_t after, size_t limit);
  boost::asio::awaitable<uint64_t> LastSeq();

 private:
  // The alert records of `ids` (a reply listing alert ids), in that order;
  // ids whose record is missing are skipped.
  boost::asio::awaitable<std::vector<v1::Alert>> LoadAlerts(const RedisReply& ids);

  std::shared_ptr<RedisClient> redis_;
};

}  // namespace canhbao::store
