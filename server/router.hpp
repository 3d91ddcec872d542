#pragma once

// Maps a method and path to a handler. Paths are literal segments and
// "{}" placeholders, whose values the handler reads from RequestContext.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/url_view.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace canhbao {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

struct RequestContext {
  const Request& request;
  std::string request_id;
  // The client's address, after X-Forwarded-For from a trusted proxy.
  std::string client_address;
  std::vector<std::string> params;  // values of the "{}" segments, in order
  boost::urls::url_view url;

  // The query parameter, if present (percent-decoded).
  std::optional<std::string> Query(std::string_view name) const;
};

using Handler = std::function<boost::asio::awaitable<Response>(RequestContext&)>;

struct Route {
  boost::beast::http::verb method;
  std::vector<std::string> segments;
  Handler handler;
  // The largest body this route accepts; 0 means the configured default.
  size_t body_limit = 0;
  std::string pattern;  // as registered, for logs and metrics
};

class Router {
 public:
  void Add(boost::beast::http::verb method, std::string_view pattern, Handler handler,
           size_t body_limit = 0);

  struct Found {
    const Route* route = nullptr;
    std::vector<std::string> params;
    // True when the path exists with another method (405, not 404).
    bool path_known = false;
  };
  Found Find(boost::beast::http::verb method, std::string_view path) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace canhbao
