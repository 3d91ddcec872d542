#include "store/alert_store.hpp"

#include <spdlog/spdlog.h>

#include "server/api_error.hpp"
#include "store/keys.hpp"
#include "store/redis_call.hpp"

namespace canhbao::store {

using boost::asio::awaitable;

namespace {

// KEYS: seq counter, alert log, published index, alert record, matches,
// alert notices, notice counter, notice log, events channel.
// ARGV: alert id, expected seq, alert bytes, matches bytes, notice count,
// then (notice id, merchant notices key, notice key, merchant id, bytes) for
// each notice. Returns {"published", seq} when the alert was already
// published, {"conflict", current} when another alert took the expected seq,
// and {"ok", seq} on success.
constexpr const char* kPublishScript = R"lua(
local done = redis.call('HGET', KEYS[3], ARGV[1])
if done then return {'published', done} end
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current + 1 ~= tonumber(ARGV[2]) then return {'conflict', tostring(current)} end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[4], ARGV[3])
redis.call('SET', KEYS[5], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
local count = tonumber(ARGV[5])
for i = 0, count - 1 do
  local base = 6 + i * 5
  local notice_seq = redis.call('INCR', KEYS[7])
  redis.call('SET', ARGV[base + 2], ARGV[base + 4])
  redis.call('ZADD', KEYS[8], notice_seq, ARGV[base])
  redis.call('ZADD', ARGV[base + 1], notice_seq, ARGV[base])
  redis.call('HSET', KEYS[6], ARGV[base + 3], ARGV[base])
end
redis.call('PUBLISH', KEYS[9], 'alert ' .. ARGV[2])
return {'ok', ARGV[2]}
)lua";

// KEYS: notice counter, notice log, alert notices, events channel.
// ARGV: notice count, then (notice id, merchant notices key, notice key,
// merchant id, bytes) per notice. HSETNX on the alert's notices makes the
// creation happen once per (alert, merchant) across all nodes.
constexpr const char* kAddNoticesScript = R"lua(
local created = 0
local count = tonumber(ARGV[1])
for i = 0, count - 1 do
  local base = 2 + i * 5
  if redis.call('HSETNX', KEYS[3], ARGV[base + 3], ARGV[base]) == 1 then
    local notice_seq = redis.call('INCR', KEYS[1])
    redis.call('SET', ARGV[base + 2], ARGV[base + 4])
    redis.call('ZADD', KEYS[2], notice_seq, ARGV[base])
    redis.call('ZADD', ARGV[base + 1], notice_seq, ARGV[base])
    created = created + 1
  end
end
if created > 0 then redis.call('PUBLISH', KEYS[4], 'notice') end
return created
)lua";

constexpr int kMaxPublishAttempts = 20;

uint64_t ToSeq(const std::string& text) { return text.empty() ? 0 : std::stoull(text); }

}  // namespace

awaitable<void> AlertStore::CreateDraft(const v1::Alert& alert, const v1::AlertMatches& matches) {
  co_await CallBatch(*redis_, Batch(Cmd("MULTI"),
                               Cmd("SET", keys::Alert(alert.id()), alert.SerializeAsString()),
                               Cmd("SET", keys::AlertMatches(alert.id()), matches.SerializeAsString()),
                               Cmd("EXEC")));
}

awaitable<std::optional<v1::Alert>> AlertStore::Get(const std::string& id) {
  RedisReply reply = co_await Call(*redis_, Cmd("GET", keys::Alert(id)));
  v1::Alert alert;
  if (!ParseStored(reply, alert)) co_return std::nullopt;
  co_return alert;
}

awaitable<v1::AlertMatches> AlertStore::GetMatches(const std::string& id) {
  RedisReply reply = co_await Call(*redis_, Cmd("GET", keys::AlertMatches(id)));
  v1::AlertMatches matches;
  ParseStored(reply, matches);
  co_return matches;
}

awaitable<std::vector<std::pair<std::string, std::string>>> AlertStore::GetNoticeIds(
    const std::string& id) {
  RedisReply reply = co_await Call(*redis_, Cmd("HGETALL", keys::AlertNotices(id)));
  std::vector<std::pair<std::string, std::string>> result;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    result.emplace_back(reply.elements[i].str, reply.elements[i + 1].str);
  }
  co_return result;
}

awaitable<AlertStore::PublishResult> AlertStore::Publish(
    const std::string& id, const std::function<PublishBatch(uint64_t seq)>& build) {
  RedisReply current = co_await Call(*redis_, Cmd("GET", keys::kAlertSeq));
  uint64_t expected = (current.IsString() ? ToSeq(current.str) : 0) + 1;
  for (int attempt = 0; attempt < kMaxPublishAttempts; ++attempt) {
    PublishBatch batch = build(expected);
    std::vector<std::string> args = {"EVAL",
                                     kPublishScript,
                                     "9",
                                     keys::kAlertSeq,
                                     keys::kAlertLog,
                                     keys::kPublished,
                                     keys::Alert(id),
                                     keys::AlertMatches(id),
                                     keys::AlertNotices(id),
                                     keys::kNoticeSeq,
                                     keys::kNoticeLog,
                                     keys::kEventsChannel,
                                     id,
                                     std::to_string(expected),
                                     batch.alert.SerializeAsString(),
                                     batch.matches.SerializeAsString(),
                                     std::to_string(batch.notices.size())};
    for (const v1::Notice& notice : batch.notices) {
      args.push_back(notice.id());
      args.push_back(keys::MerchantNotices(notice.merchant_id()));
      args.push_back(keys::Notice(notice.id()));
      args.push_back(notice.merchant_id());
      args.push_back(notice.SerializeAsString());
    }
    RedisReply reply = co_await Call(*redis_, std::move(args));
    if (reply.elements.size() != 2) {
      throw ApiError(ErrorCode::kInternal, "", "Lỗi hệ thống lưu trữ", "Data store error");
    }
    const std::string& outcome = reply.elements[0].str;
    uint64_t seq = ToSeq(reply.elements[1].str);
    if (outcome == "ok") co_return PublishResult{seq, false};
    if (outcome == "published") co_return PublishResult{seq, true};
    spdlog::debug("alert {}: seq {} taken, retrying after {}", id, expected, seq);
    expected = seq + 1;
  }
  throw ApiError(ErrorCode::kUnavailable, "", "Hệ thống đang bận, vui lòng thử lại",
                 "The alert log is busy; retry the request");
}

awaitable<size_t> AlertStore::AddNotices(const std::string& alert_id,
                                          const std::vector<v1::Notice>& notices) {
  if (notices.empty()) co_return 0;
  std::vector<std::string> args = {"EVAL",
                                   kAddNoticesScript,
                                   "4",
                                   keys::kNoticeSeq,
                                   keys::kNoticeLog,
                                   keys::AlertNotices(alert_id),
                                   keys::kEventsChannel,
                                   std::to_string(notices.size())};
  for (const v1::Notice& notice : notices) {
    args.push_back(notice.id());
    args.push_back(keys::MerchantNotices(notice.merchant_id()));
    args.push_back(keys::Notice(notice.id()));
    args.push_back(notice.merchant_id());
    args.push_back(notice.SerializeAsString());
  }
  RedisReply reply = co_await Call(*redis_, std::move(args));
  co_return static_cast<size_t>(reply.integer);
}

awaitable<std::vector<v1::Alert>> AlertStore::ListPublished(uint64_t after, uint64_t before,
                                                            size_t limit) {
  std::string max = before == 0 ? "+inf" : "(" + std::to_string(before);
  std::string min = "(" + std::to_string(after);
  RedisReply ids = co_await Call(*redis_, Cmd("ZREVRANGEBYSCORE", keys::kAlertLog, max, min,
                                              "LIMIT", "0", std::to_string(limit)));
  co_return co_await LoadAlerts(ids);
}

awaitable<std::vector<v1::Alert>> AlertStore::ReadLog(uint64_t after, size_t limit) {
  RedisReply ids = co_await Call(*redis_, Cmd("ZRANGEBYSCORE", keys::kAlertLog,
                                              "(" + std::to_string(after), "+inf", "LIMIT", "0",
                                              std::to_string(limit)));
  co_return co_await LoadAlerts(ids);
}

awaitable<std::vector<v1::Alert>> AlertStore::LoadAlerts(const RedisReply& ids) {
  std::vector<std::vector<std::string>> commands;
  for (const RedisReply& id : ids.elements) commands.push_back(Cmd("GET", keys::Alert(id.str)));
  std::vector<RedisReply> records = co_await CallBatch(*redis_, std::move(commands));
  std::vector<v1::Alert> alerts;
  for (const RedisReply& record : records) {
    v1::Alert alert;
    if (ParseStored(record, alert)) alerts.push_back(std::move(alert));
  }
  co_return alerts;
}

awaitable<uint64_t> AlertStore::LastSeq() {
  RedisReply reply = co_await Call(*redis_, Cmd("GET", keys::kAlertSeq));
  co_return reply.IsString() ? ToSeq(reply.str) : 0;
}

}  // namespace canhbao::store
