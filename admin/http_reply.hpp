#pragma once

// Building HTTP responses and reading request bodies, shared by handlers.

#include <boost/json/value.hpp>
#include <optional>
#include <string_view>

#include "server/router.hpp"

namespace canhbao::admin {

// A JSON response with the request's HTTP version and keep-alive.
Response JsonResponse(const Request& request, boost::beast::http::status status,
                      const boost::json::value& body);

// Requires Content-Type application/json (charset utf-8 or none); throws
// ApiError 415 otherwise, then parses the body strictly.
boost::json::value ReadJsonBody(const Request& request);

// Lower-cased media type of the request ("text/csv") and its charset
// parameter, lower-cased, if any.
struct MediaType {
  std::string type;
  std::optional<std::string> charset;
};
MediaType ContentType(const Request& request);

// Parses a non-negative decimal query value; throws ApiError naming it.
std::optional<uint64_t> QueryNumber(const RequestContext& context, std::string_view name,
                                    uint64_t max);

}  // namespace canhbao::admin
