#include "store/merchant_store.hpp"

#include "store/keys.hpp"
#include "store/redis_call.hpp"

namespace canhbao::store {

using boost::asio::awaitable;

namespace {

// The newest catalog changes kept in the catalog log; a node further
// behind reloads every merchant.
constexpr int kCatalogLogKeep = 100000;

// KEYS: tax-code index, merchant record, merchant set, key-by-hash,
// key-hash-by-id, key set, catalog version, catalog log, events channel.
// ARGV: merchant id, merchant bytes, key id, key hash, key bytes, log keep.
// The tax-code index doubles as the uniqueness check.
constexpr const char* kCreateScript = R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('SET', KEYS[4], ARGV[5])
redis.call('SET', KEYS[5], ARGV[4])
redis.call('SADD', KEYS[6], ARGV[3])
local version = redis.call('INCR', KEYS[7])
redis.call('ZADD', KEYS[8], version, ARGV[1] .. ':' .. version)
redis.call('ZREMRANGEBYRANK', KEYS[8], 0, -tonumber(ARGV[6]) - 1)
redis.call('PUBLISH', KEYS[9], 'catalog ' .. version)
return 1
)lua";

// KEYS: catalog, catalog version, catalog log, events channel. ARGV:
// catalog bytes, merchant id, log keep. Log members are "merchant:version"
// so that repeated changes of one merchant are all kept.
constexpr const char* kReplaceCatalogScript = R"lua(
redis.call('SET', KEYS[1], ARGV[1])
local version = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[3], version, ARGV[2] .. ':' .. version)
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -tonumber(ARGV[3]) - 1)
redis.call('PUBLISH', KEYS[4], 'catalog ' .. version)
return version
)lua";

}  // namespace

awaitable<bool> MerchantStore::Create(const v1::Merchant& merchant, const v1::ApiKey& key) {
  RedisReply reply = co_await Call(
      *redis_, Cmd("EVAL", kCreateScript, "9", keys::MerchantByTaxCode(merchant.tax_code()),
                   keys::Merchant(merchant.id()), keys::kMerchants, keys::KeyByHash(key.hash()),
                   keys::KeyHashById(key.id()), keys::kKeys, keys::kCatalogVersion,
                   keys::kCatalogLog, keys::kEventsChannel, merchant.id(),
                   merchant.SerializeAsString(), key.id(), key.hash(), key.SerializeAsString(),
                   std::to_string(kCatalogLogKeep)));
  co_return reply.integer == 1;
}

awaitable<std::optional<v1::Merchant>> MerchantStore::Get(const std::string& id) {
  RedisReply reply = co_await Call(*redis_, Cmd("GET", keys::Merchant(id)));
  v1::Merchant merchant;
  if (!ParseStored(reply, merchant)) co_return std::nullopt;
  co_return merchant;
}

awaitable<std::vector<v1::Merchant>> MerchantStore::List() {
  Snapshot snapshot = co_await LoadAll();
  co_return std::move(snapshot.merchants);
}

awaitable<void> MerchantStore::ReplaceCatalog(const v1::Catalog& catalog) {
  co_await Call(*redis_, Cmd("EVAL", kReplaceCatalogScript, "4", keys::Catalog(catalog.merchant_id()),
                             keys::kCatalogVersion, keys::kCatalogLog, keys::kEventsChannel,
                             catalog.SerializeAsString(), catalog.merchant_id(),
                             std::to_string(kCatalogLogKeep)));
}

awaitable<v1::Catalog> MerchantStore::GetCatalog(const std::string& merchant_id) {
  RedisReply reply = co_await Call(*redis_, Cmd("GET", keys::Catalog(merchant_id)));
  v1::Catalog catalog;
  if (!ParseStored(reply, catalog)) catalog.set_merchant_id(merchant_id);
  co_return catalog;
}

awaitable<MerchantStore::Snapshot> MerchantStore::LoadAll() {
  RedisReply ids = co_await Call(*redis_, Cmd("SMEMBERS", keys::kMerchants));
  std::vector<std::vector<std::string>> commands;
  for (const RedisReply& id : ids.elements) {
    commands.push_back({"GET", keys::Merchant(id.str)});
    commands.push_back({"GET", keys::Catalog(id.str)});
  }
  std::vector<RedisReply> replies = co_await CallBatch(*redis_, std::move(commands));
  Snapshot snapshot;
  for (size_t i = 0; i + 1 < replies.size(); i += 2) {
    v1::Merchant merchant;
    if (!ParseStored(replies[i], merchant)) continue;
    v1::Catalog catalog;
    if (!ParseStored(replies[i + 1], catalog)) catalog.set_merchant_id(merchant.id());
    snapshot.merchants.push_back(std::move(merchant));
    snapshot.catalogs.push_back(std::move(catalog));
  }
  // SMEMBERS has no order; sort so that lists and match output are stable.
  std::vector<size_t> order(snapshot.merchants.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return snapshot.merchants[a].id() < snapshot.merchants[b].id();
  });
  Snapshot sorted;
  for (size_t i : order) {
    sorted.merchants.push_back(std::move(snapshot.merchants[i]));
    sorted.catalogs.push_back(std::move(snapshot.catalogs[i]));
  }
  co_return sorted;
}

awaitable<std::optional<std::pair<v1::Merchant, v1::Catalog>>> MerchantStore::LoadOne(
    const std::string& merchant_id) {
  std::vector<RedisReply> replies = co_await CallBatch(
      *redis_, Batch(Cmd("GET", keys::Merchant(merchant_id)), Cmd("GET", keys::Catalog(merchant_id))));
  v1::Merchant merchant;
  if (!ParseStored(replies[0], merchant)) co_return std::nullopt;
  v1::Catalog catalog;
  if (!ParseStored(replies[1], catalog)) catalog.set_merchant_id(merchant_id);
  co_return std::make_pair(std::move(merchant), std::move(catalog));
}

awaitable<uint64_t> MerchantStore::CatalogVersion() {
  RedisReply reply = co_await Call(*redis_, Cmd("GET", keys::kCatalogVersion));
  co_return reply.IsString() ? std::stoull(reply.str) : 0;
}

awaitable<std::vector<MerchantStore::CatalogChange>> MerchantStore::ReadCatalogLog(
    uint64_t after, size_t limit, uint64_t& oldest) {
  std::vector<RedisReply> replies = co_await CallBatch(
      *redis_, Batch(Cmd("ZRANGEBYSCORE", keys::kCatalogLog, "(" + std::to_string(after), "+inf",
                         "WITHSCORES", "LIMIT", "0", std::to_string(limit)),
                     Cmd("ZRANGE", keys::kCatalogLog, "0", "0", "WITHSCORES")));
  oldest = replies[1].elements.size() == 2 ? std::stoull(replies[1].elements[1].str) : 0;
  std::vector<CatalogChange> changes;
  const RedisReply& entries = replies[0];
  for (size_t i = 0; i + 1 < entries.elements.size(); i += 2) {
    const std::string& member = entries.elements[i].str;
    changes.push_back({std::stoull(entries.elements[i + 1].str),
                       member.substr(0, member.rfind(':'))});
  }
  co_return changes;
}

}  // namespace canhbao::store
