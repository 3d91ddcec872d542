#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace canhbao::store {

// Failures of a Redis round trip. A Redis error reply ("-ERR ...") is not one of these: it arrives
// as a RedisReply of Kind::kError.
enum class RedisErrc {
  kNotConnected = 1,  // the client had no usable connection when the command was submitted
  kConnectionLost,    // the connection dropped while the command was in flight
  kTimeout,           // no reply within RedisOptions::command_timeout
  kStopped,           // Stop() was called before the reply arrived
  kQueueFull,         // RedisOptions::max_pending commands were already in flight
  kProtocol,          // the reply could not be used, or the request was malformed (empty command)
  kInvalidUrl,        // RedisEndpoint::Parse rejected the URL
};

const boost::system::error_category& RedisCategory();
boost::system::error_code make_error_code(RedisErrc code);

}  // namespace canhbao::store

template <>
struct boost::system::is_error_code_enum<canhbao::store::RedisErrc> : std::true_type {};
