#pragma once

// Recall notices in Redis. Notices are created by AlertStore::Publish; this
// class reads them and records acknowledgements.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "canhbao.pb.h"
#include "store/redis_client.hpp"

namespace canhbao::store {

class NoticeStore {
 public:
  explicit NoticeStore(std::shared_ptr<RedisClient> redis) : redis_(std::move(redis)) {}

  // Returns the notice with its notice_seq filled in.
  boost::asio::awaitable<std::optional<v1::Notice>> Get(const std::string& id);
  // Notices of one merchant with notice_seq > after, oldest first.
  boost::asio::awaitable<std::vector<v1::Notice>> ListForMerchant(const std::string& merchant_id,
                                                                  uint64_t after, size_t limit);
  // Notices of all merchants with notice_seq > after, oldest first.
  boost::asio::awaitable<std::vector<v1::Notice>> ReadLog(uint64_t after, size_t limit);
  // Replaces `before` with `after` only if the stored record still equals
  // `before`; returns false when another request changed it first.
  boost::asio::awaitable<bool> CompareAndSet(const v1::Notice& before, const v1::Notice& after);
  // Notices by id, in the order given; missing ids are skipped.
  boost::asio::awaitable<std::vector<v1::Notice>> GetMany(const std::vector<std::string>& ids);

 private:
  boost::asio::awaitable<std::vector<v1::Notice>> LoadScored(const RedisReply& ids_with_scores);

  std::shared_ptr<RedisClient> redis_;
};

}  // namespace canhbao::store
