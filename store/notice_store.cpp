#include "store/notice_store.hpp"

#include "store/keys.hpp"
#include "store/redis_call.hpp"

namespace canhbao::store {

using boost::asio::awaitable;

namespace {

// notice_seq is not part of the stored bytes (the publish script assigns it
// with INCR), so the stored record compares equal without it.
constexpr const char* kCompareAndSetScript = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
)lua";

std::string StoredBytes(v1::Notice notice) {
  notice.clear_notice_seq();
  return notice.SerializeAsString();
}

}  // namespace

awaitable<std::vector<v1::Notice>> NoticeStore::LoadScored(const RedisReply& ids_with_scores) {
  std::vector<std::vector<std::string>> commands;
  std::vector<uint64_t> seqs;
  for (size_t i = 0; i + 1 < ids_with_scores.elements.size(); i += 2) {
    commands.push_back({"GET", keys::Notice(ids_with_scores.elements[i].str)});
    seqs.push_back(std::stoull(ids_with_scores.elements[i + 1].str));
  }
  std::vector<RedisReply> records = co_await CallBatch(*redis_, std::move(commands));
  std::vector<v1::Notice> notices;
  for (size_t i = 0; i < records.size(); ++i) {
    v1::Notice notice;
    if (!ParseStored(records[i], notice)) continue;
    notice.set_notice_seq(seqs[i]);
    notices.push_back(std::move(notice));
  }
  co_return notices;
}

awaitable<std::optional<v1::Notice>> NoticeStore::Get(const std::string& id) {
  std::vector<RedisReply> replies =
      co_await CallBatch(*redis_, Batch(Cmd("GET", keys::Notice(id)), Cmd("ZSCORE", keys::kNoticeLog, id)));
  v1::Notice notice;
  if (!ParseStored(replies[0], notice)) co_return std::nullopt;
  if (replies[1].IsString()) notice.set_notice_seq(std::stoull(replies[1].str));
  co_return notice;
}

awaitable<std::vector<v1::Notice>> NoticeStore::ListForMerchant(const std::string& merchant_id,
                                                                uint64_t after, size_t limit) {
  RedisReply ids = co_await Call(*redis_, Cmd("ZRANGEBYSCORE", keys::MerchantNotices(merchant_id), "(" + std::to_string(after),
                "+inf", "WITHSCORES", "LIMIT", "0", std::to_string(limit)));
  co_return co_await LoadScored(ids);
}

awaitable<std::vector<v1::Notice>> NoticeStore::ReadLog(uint64_t after, size_t limit) {
  RedisReply ids = co_await Call(*redis_, Cmd("ZRANGEBYSCORE", keys::kNoticeLog,
                                           "(" + std::to_string(after), "+inf", "WITHSCORES",
                                           "LIMIT", "0", std::to_string(limit)));
  co_return co_await LoadScored(ids);
}

awaitable<bool> NoticeStore::CompareAndSet(const v1::Notice& before, const v1::Notice& after) {
  RedisReply reply = co_await Call(*redis_, Cmd("EVAL", kCompareAndSetScript, "1",
                                             keys::Notice(before.id()), StoredBytes(before),
                                             StoredBytes(after)));
  co_return reply.integer == 1;
}

awaitable<std::vector<v1::Notice>> NoticeStore::GetMany(const std::vector<std::string>& ids) {
  std::vector<std::vector<std::string>> commands;
  for (const std::string& id : ids) {
    commands.push_back({"GET", keys::Notice(id)});
    commands.push_back({"ZSCORE", keys::kNoticeLog, id});
  }
  std::vector<RedisReply> replies = co_await CallBatch(*redis_, std::move(commands));
  std::vector<v1::Notice> notices;
  for (size_t i = 0; i + 1 < replies.size(); i += 2) {
    v1::Notice notice;
    if (!ParseStored(replies[i], notice)) continue;
    if (replies[i + 1].IsString()) notice.set_notice_seq(std::stoull(replies[i + 1].str));
    notices.push_back(std::move(notice));
  }
  co_return notices;
}

}  // namespace canhbao::store
