#pragma once

#include "server/api_error.hpp"

namespace canhbao::store {

template <class Message>
bool ParseStored(const RedisReply& reply, Message& message) {
  if (reply.IsNil()) return false;
  if (!reply.IsString() || !message.ParseFromString(reply.str)) {
    throw ApiError(ErrorCode::kInternal, "", "Dữ liệu lưu trữ bị hỏng",
                   "A stored record is corrupt");
  }
  return true;
}

}  // namespace canhbao::store
