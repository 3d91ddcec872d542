#include "store/redis_endpoint.hpp"

#include <gtest/gtest.h>

#include <string>

#include "store/redis_error.hpp"

namespace canhbao::store {
namespace {

struct GoodUrl {
  std::string url;
  RedisEndpoint::Kind kind;
  std::string host;
  uint16_t port;
  std::string path;
  int db;
};

TEST(RedisEndpoint, ParsesValidUrls) {
  const GoodUrl cases[] = {
      {"redis://localhost", RedisEndpoint::Kind::kTcp, "localhost", 6379, "", 0},
      {"redis://localhost/", RedisEndpoint::Kind::kTcp, "localhost", 6379, "", 0},
      {"redis://127.0.0.1:6380", RedisEndpoint::Kind::kTcp, "127.0.0.1", 6380, "", 0},
      {"redis://redis.internal:7000/5", RedisEndpoint::Kind::kTcp, "redis.internal", 7000, "", 5},
      {"redis://[::1]:6381/15", RedisEndpoint::Kind::kTcp, "::1", 6381, "", 15},
      {"REDIS://Host/0", RedisEndpoint::Kind::kTcp, "Host", 6379, "", 0},
      {"unix:///tmp/redis.sock", RedisEndpoint::Kind::kUnix, "", 6379, "/tmp/redis.sock", 0},
      {"unix:///var/run/redis/redis.sock?db=2", RedisEndpoint::Kind::kUnix, "", 6379,
       "/var/run/redis/redis.sock", 2},
  };
  for (const GoodUrl& expected : cases) {
    SCOPED_TRACE(expected.url);
    auto parsed = RedisEndpoint::Parse(expected.url);
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->kind, expected.kind);
    EXPECT_EQ(parsed->host, expected.host);
    EXPECT_EQ(parsed->port, expected.port);
    EXPECT_EQ(parsed->path, expected.path);
    EXPECT_EQ(parsed->db, expected.db);

    auto reparsed = RedisEndpoint::Parse(parsed->ToString());
    ASSERT_TRUE(reparsed) << "ToString() gave " << parsed->ToString();
    EXPECT_EQ(reparsed->ToString(), parsed->ToString());
  }
}

TEST(RedisEndpoint, RejectsInvalidUrls) {
  const std::string cases[] = {
      "",
      "localhost:6379",
      "http://localhost",
      "rediss://localhost",
      "redis://",
      "redis://:6379",
      "redis://localhost:0",
      "redis://localhost:65536",
      "redis://localhost:port",
      "redis://localhost/16",
      "redis://localhost/-1",
      "redis://localhost/db",
      "redis://localhost/1/2",
      "redis://localhost?db=1",
      "redis://user:secret@localhost",
      "redis://localhost#fragment",
      "unix://",
      "unix:///",
      "unix://host/tmp/redis.sock",
      "unix:///tmp/redis.sock?db=16",
      "unix:///tmp/redis.sock?db=",
      "unix:///tmp/redis.sock?database=1",
  };
  for (const std::string& url : cases) {
    SCOPED_TRACE(url);
    auto parsed = RedisEndpoint::Parse(url);
    ASSERT_FALSE(parsed) << "accepted as " << parsed->ToString();
    EXPECT_EQ(parsed.error(), RedisErrc::kInvalidUrl);
  }
}

TEST(RedisEndpoint, FormatsUrls) {
  RedisEndpoint tcp;
  tcp.host = "10.0.0.5";
  tcp.port = 6380;
  tcp.db = 4;
  EXPECT_EQ(tcp.ToString(), "redis://10.0.0.5:6380/4");

  RedisEndpoint unix_socket;
  unix_socket.kind = RedisEndpoint::Kind::kUnix;
  unix_socket.path = "/run/redis.sock";
  EXPECT_EQ(unix_socket.ToString(), "unix:///run/redis.sock");
  unix_socket.db = 1;
  EXPECT_EQ(unix_socket.ToString(), "unix:///run/redis.sock?db=1");
}

}  // namespace
}  // namespace canhbao::store
