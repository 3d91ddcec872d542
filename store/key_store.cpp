#include "store/key_store.hpp"

#include "store/keys.hpp"
#include "store/redis_call.hpp"

namespace canhbao::store {

using boost::asio::awaitable;

awaitable<void> KeyStore::Create(const v1::ApiKey& key) {
  co_await CallBatch(*redis_, Batch(Cmd("MULTI"),
                               Cmd("SET", keys::KeyByHash(key.hash()), key.SerializeAsString()),
                               Cmd("SET", keys::KeyHashById(key.id()), key.hash()),
                               Cmd("SADD", keys::kKeys, key.id()),
                               Cmd("EXEC")));
}

awaitable<std::optional<v1::ApiKey>> KeyStore::FindByHash(const std::string& hash) {
  RedisReply reply = co_await Call(*redis_, Cmd("GET", keys::KeyByHash(hash)));
  v1::ApiKey key;
  if (!ParseStored(reply, key)) co_return std::nullopt;
  co_return key;
}

awaitable<std::optional<v1::ApiKey>> KeyStore::FindById(const std::string& id) {
  RedisReply hash = co_await Call(*redis_, Cmd("GET", keys::KeyHashById(id)));
  if (!hash.IsString()) co_return std::nullopt;
  co_return co_await FindByHash(hash.str);
}

awaitable<bool> KeyStore::Revoke(const std::string& id) {
  std::optional<v1::ApiKey> key = co_await FindById(id);
  if (!key) co_return false;
  key->set_revoked(true);
  co_await Call(*redis_, Cmd("SET", keys::KeyByHash(key->hash()), key->SerializeAsString()));
  co_return true;
}

awaitable<std::vector<v1::ApiKey>> KeyStore::List() {
  RedisReply ids = co_await Call(*redis_, Cmd("SMEMBERS", keys::kKeys));
  std::vector<std::vector<std::string>> commands;
  for (const RedisReply& id : ids.elements) commands.push_back({"GET", keys::KeyHashById(id.str)});
  std::vector<RedisReply> hashes = co_await CallBatch(*redis_, std::move(commands));
  commands.clear();
  for (const RedisReply& hash : hashes) {
    if (hash.IsString()) commands.push_back({"GET", keys::KeyByHash(hash.str)});
  }
  std::vector<RedisReply> records = co_await CallBatch(*redis_, std::move(commands));
  std::vector<v1::ApiKey> result;
  for (const RedisReply& record : records) {
    v1::ApiKey key;
    if (ParseStored(record, key)) result.push_back(std::move(key));
  }
  std::sort(result.begin(), result.end(),
            [](const v1::ApiKey& a, const v1::ApiKey& b) { return a.created() < b.created(); });
  co_return result;
}

}  // namespace canhbao::store
