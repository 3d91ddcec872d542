#include "server/router.hpp"

#include <boost/url/parse.hpp>

namespace canhbao {

namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> segments;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    segments.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

}  // namespace

std::optional<std::string> RequestContext::Query(std::string_view name) const {
  for (auto param : url.params()) {
    if (param.key == name) return std::string(param.value);
  }
  return std::nullopt;
}

void Router::Add(boost::beast::http::verb method, std::string_view pattern, Handler handler,
                 size_t body_limit) {
  routes_.push_back(
      {method, SplitPath(pattern), std::move(handler), body_limit, std::string(pattern)});
}

Router::Found Router::Find(boost::beast::http::verb method, std::string_view path) const {
  Found found;
  if (path.empty() || path.front() != '/') return found;
  std::vector<std::string> segments = SplitPath(path);
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::vector<std::string> params;
    bool matched = true;
    for (size_t i = 0; i < segments.size(); ++i) {
      if (route.segments[i] == "{}") {
        if (segments[i].empty()) {
          matched = false;
          break;
        }
        params.push_back(segments[i]);
      } else if (route.segments[i] != segments[i]) {
        matched = false;
        break;
      }
    }
    if (!matched) continue;
    found.path_known = true;
    if (route.method == method) {
      found.route = &route;
      found.params = std::move(params);
      return found;
    }
  }
  return found;
}

}  // namespace canhbao
