#pragma once

#include <boost/system/result.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace canhbao::store {

// Address of a Redis server and the logical database to SELECT after connecting.
struct RedisEndpoint {
  enum class Kind { kTcp, kUnix };

  Kind kind = Kind::kTcp;
  std::string host;     // kTcp: host name or IP address (IPv6 without brackets)
  uint16_t port = 6379;  // kTcp only
  std::string path;     // kUnix: absolute path of the socket file
  int db = 0;           // 0..15

  // Parses "redis://host[:port][/db]" (port defaults to 6379, db to 0) or
  // "unix:///path/to.sock[?db=N]". Returns RedisErrc::kInvalidUrl for any other scheme, user
  // info (passwords are not supported), a missing host or path, a port outside 1..65535, a db
  // outside 0..15, or unknown query parameters.
  static boost::system::result<RedisEndpoint> Parse(std::string_view url);

  // Formats the endpoint as a URL that Parse accepts; used in log lines.
  std::string ToString() const;
};

}  // namespace canhbao::store
