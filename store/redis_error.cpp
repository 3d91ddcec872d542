#include "store/redis_error.hpp"

#include <string>

namespace canhbao::store {
namespace {

class RedisErrorCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "canhbao.redis"; }

  std::string message(int value) const override {
    switch (static_cast<RedisErrc>(value)) {
      case RedisErrc::kNotConnected:
        return "not connected to Redis";
      case RedisErrc::kConnectionLost:
        return "Redis connection lost before the reply arrived";
      case RedisErrc::kTimeout:
        return "Redis command timed out";
      case RedisErrc::kStopped:
        return "Redis client stopped";
      case RedisErrc::kQueueFull:
        return "too many Redis commands in flight";
      case RedisErrc::kProtocol:
        return "invalid Redis request or reply";
      case RedisErrc::kInvalidUrl:
        return "invalid Redis URL";
    }
    return "unknown Redis error " + std::to_string(value);
  }
};

}  // namespace

const boost::system::error_category& RedisCategory() {
  static const RedisErrorCategory category;
  return category;
}

boost::system::error_code make_error_code(RedisErrc code) {
  return {static_cast<int>(code), RedisCategory()};
}

}  // namespace canhbao::store
