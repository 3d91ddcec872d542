#include "store/redis_reply.hpp"

#include <hiredis/hiredis.h>

namespace canhbao::store {

RedisReply RedisReply::FromHiredis(const redisReply& reply) {
  RedisReply copy;
  switch (reply.type) {
    case REDIS_REPLY_NIL:
      copy.kind = Kind::kNil;
      break;
    case REDIS_REPLY_INTEGER:
      copy.kind = Kind::kInteger;
      copy.integer = reply.integer;
      break;
    case REDIS_REPLY_STRING:
      copy.kind = Kind::kString;
      copy.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_STATUS:
      copy.kind = Kind::kStatus;
      copy.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ERROR:
      copy.kind = Kind::kError;
      copy.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ARRAY:
      copy.kind = Kind::kArray;
      copy.elements.reserve(reply.elements);
      for (size_t i = 0; i < reply.elements; ++i) {
        copy.elements.push_back(FromHiredis(*reply.element[i]));
      }
      break;
    default:
      copy.kind = Kind::kError;
      copy.str = "unsupported hiredis reply type " + std::to_string(reply.type);
      break;
  }
  return copy;
}

}  // namespace canhbao::store
