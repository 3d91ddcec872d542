#include "store/merchant_store.hpp"

#include "store/keys.hpp"
#include "store/redis_call.hpp"

namespace canhbao::store {

using boost::asio::awaitable;

namespace {

// KEYS: tax-code index, merchant record, merchant set, key-by-hash,
// key-hash-by-id, key set. ARGV: merchant id, merchant bytes, key id, key
// hash, key bytes. The tax-code index doubles as the uniqueness check.
constexpr const char* kCreateScript = R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('SET', KEYS[4], ARGV[5])
redis.call('SET', KEYS[5], ARGV[4])
redis.call('SADD', KEYS[6], ARGV[3])
return 1
)lua";

}  // namespace

awaitable<bool> MerchantStore::Create(const v1::Merchant& merchant, const v1::ApiKey& key) {
  RedisReply reply = co_await Call(*redis_, Cmd("EVAL", kCreateScript, "6", keys::MerchantByTaxCode(merchant.tax_code()),
                keys::Merchant(merchant.id()), keys::kMerchants, keys::KeyByHash(key.hash()),
                keys::KeyHashById(key.id()), keys::kKeys, merchant.id(),
                merchant.SerializeAsString(), key.id(), key.hash(), key.SerializeAsString()));
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
  co_await Call(*redis_, Cmd("SET", keys::Catalog(catalog.merchant_id()), catalog.SerializeAsString()));
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

}  // namespace canhbao::store
