#include "store/device_store.hpp"

#include "store/keys.hpp"
#include "store/redis_call.hpp"

namespace canhbao::store {

using boost::asio::awaitable;

awaitable<void> DeviceStore::Create(const v1::Device& device) {
  co_await CallBatch(*redis_,
                     Batch(Cmd("MULTI"), Cmd("SET", keys::Device(device.id()), device.SerializeAsString()),
                           Cmd("SET", keys::DeviceByTokenHash(device.token_hash()), device.id()),
                           Cmd("EXEC")));
}

awaitable<void> DeviceStore::Update(const v1::Device& device) {
  co_await CallBatch(*redis_,
                     Batch(Cmd("SET", keys::Device(device.id()), device.SerializeAsString()),
                           Cmd("PUBLISH", keys::kEventsChannel, "device " + device.id())));
}

awaitable<bool> DeviceStore::Delete(const std::string& id) {
  std::optional<v1::Device> device = co_await Get(id);
  if (!device) co_return false;
  co_await CallBatch(*redis_, Batch(Cmd("MULTI"), Cmd("DEL", keys::Device(id)),
                                    Cmd("DEL", keys::DeviceByTokenHash(device->token_hash())),
                                    Cmd("EXEC"),
                                    Cmd("PUBLISH", keys::kEventsChannel, "device " + id)));
  co_return true;
}

awaitable<std::optional<v1::Device>> DeviceStore::Get(const std::string& id) {
  RedisReply reply = co_await Call(*redis_, Cmd("GET", keys::Device(id)));
  v1::Device device;
  if (!ParseStored(reply, device)) co_return std::nullopt;
  co_return device;
}

awaitable<std::optional<v1::Device>> DeviceStore::FindByTokenHash(const std::string& hash) {
  RedisReply id = co_await Call(*redis_, Cmd("GET", keys::DeviceByTokenHash(hash)));
  if (!id.IsString()) co_return std::nullopt;
  co_return co_await Get(id.str);
}

awaitable<void> DeviceStore::CreateTicket(const std::string& hash, const std::string& principal,
                                          int ttl_seconds) {
  co_await Call(*redis_,
                Cmd("SET", keys::Ticket(hash), principal, "EX", std::to_string(ttl_seconds)));
}

awaitable<std::optional<std::string>> DeviceStore::ConsumeTicket(const std::string& hash) {
  RedisReply reply = co_await Call(*redis_, Cmd("GETDEL", keys::Ticket(hash)));
  if (!reply.IsString()) co_return std::nullopt;
  co_return reply.str;
}

}  // namespace canhbao::store
