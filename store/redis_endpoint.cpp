#include "store/redis_endpoint.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>
#include <optional>

#include "store/redis_error.hpp"

namespace canhbao::store {
namespace {

constexpr int kMaxDb = 15;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Parses a decimal integer that must fill `text` completely.
std::optional<long> ParseDecimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int> ParseDb(std::string_view text) {
  std::optional<long> value = ParseDecimal(text);
  if (!value || *value < 0 || *value > kMaxDb) return std::nullopt;
  return static_cast<int>(*value);
}

boost::system::error_code Invalid() { return make_error_code(RedisErrc::kInvalidUrl); }

boost::system::result<RedisEndpoint> ParseTcp(const boost::urls::url_view& url) {
  RedisEndpoint endpoint;
  endpoint.kind = RedisEndpoint::Kind::kTcp;

  switch (url.host_type()) {
    case boost::urls::host_type::ipv6:
      endpoint.host = url.host_ipv6_address().to_string();
      break;
    case boost::urls::host_type::name:
    case boost::urls::host_type::ipv4:
      endpoint.host = url.host();
      break;
    default:
      return Invalid();
  }
  if (endpoint.host.empty()) return Invalid();

  if (url.has_port()) {
    std::optional<long> port = ParseDecimal(url.port());
    if (!port || *port < 1 || *port > 65535) return Invalid();
    endpoint.port = static_cast<uint16_t>(*port);
  }

  std::string_view path = url.encoded_path();
  if (!path.empty() && path != "/") {
    std::optional<int> db = ParseDb(path.substr(1));
    if (!db) return Invalid();
    endpoint.db = *db;
  }
  if (url.has_query()) return Invalid();
  return endpoint;
}

boost::system::result<RedisEndpoint> ParseUnix(const boost::urls::url_view& url) {
  RedisEndpoint endpoint;
  endpoint.kind = RedisEndpoint::Kind::kUnix;
  if (url.has_port() || !url.host().empty()) return Invalid();

  endpoint.path = url.path();
  if (endpoint.path.size() < 2 || endpoint.path.front() != '/') return Invalid();

  if (url.has_query()) {
    for (auto param : url.params()) {
      if (param.key != "db" || !param.has_value) return Invalid();
      std::optional<int> db = ParseDb(param.value);
      if (!db) return Invalid();
      endpoint.db = *db;
    }
  }
  return endpoint;
}

}  // namespace

boost::system::result<RedisEndpoint> RedisEndpoint::Parse(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return Invalid();
  const boost::urls::url_view& url = *parsed;

  if (url.has_userinfo() || url.has_fragment()) return Invalid();
  if (EqualsIgnoreCase(url.scheme(), "redis")) {
    if (!url.has_authority()) return Invalid();
    return ParseTcp(url);
  }
  if (EqualsIgnoreCase(url.scheme(), "unix")) return ParseUnix(url);
  return Invalid();
}

std::string RedisEndpoint::ToString() const {
  if (kind == Kind::kUnix) {
    std::string url = "unix://" + path;
    if (db != 0) url += "?db=" + std::to_string(db);
    return url;
  }
  bool ipv6 = host.find(':') != std::string::npos;
  std::string url = "redis://";
  url += ipv6 ? "[" + host + "]" : host;
  url += ":" + std::to_string(port) + "/" + std::to_string(db);
  return url;
}

}  // namespace canhbao::store
