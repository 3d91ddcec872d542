#include "admin/http_reply.hpp"

#include <boost/json/serialize.hpp>

#include "admin/json_reader.hpp"
#include "server/api_error.hpp"

namespace canhbao::admin {

namespace http = boost::beast::http;

Response JsonResponse(const Request& request, http::status status,
                      const boost::json::value& body) {
  Response response(status, request.version());
  response.set(http::field::content_type, "application/json; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = boost::json::serialize(body);
  response.body() += '\n';
  response.prepare_payload();
  return response;
}

MediaType ContentType(const Request& request) {
  MediaType media;
  auto header = request.find(http::field::content_type);
  if (header == request.end()) return media;
  std::string value(header->value());
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t semicolon = value.find(';');
  media.type = value.substr(0, semicolon);
  while (!media.type.empty() && media.type.back() == ' ') media.type.pop_back();
  while (semicolon != std::string::npos) {
    size_t next = value.find(';', semicolon + 1);
    std::string param = value.substr(semicolon + 1, next == std::string::npos
                                                        ? std::string::npos
                                                        : next - semicolon - 1);
    size_t start = param.find_first_not_of(' ');
    if (start != std::string::npos && param.compare(start, 8, "charset=") == 0) {
      std::string charset = param.substr(start + 8);
      if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"') {
        charset = charset.substr(1, charset.size() - 2);
      }
      media.charset = charset;
    }
    semicolon = next;
  }
  return media;
}

boost::json::value ReadJsonBody(const Request& request) {
  MediaType media = ContentType(request);
  if (media.type != "application/json") {
    throw ApiError(ErrorCode::kUnsupportedMediaType, "Content-Type",
                   "Content-Type phải là application/json",
                   "Content-Type must be application/json");
  }
  if (media.charset && *media.charset != "utf-8") {
    throw ApiError(ErrorCode::kUnsupportedMediaType, "Content-Type",
                   "JSON phải được mã hóa UTF-8", "JSON must be encoded as UTF-8");
  }
  return ParseJsonBody(request.body());
}

std::optional<uint64_t> QueryNumber(const RequestContext& context, std::string_view name,
                                    uint64_t max) {
  std::optional<std::string> text = context.Query(name);
  if (!text) return std::nullopt;
  if (text->empty() || text->size() > 19 ||
      text->find_first_not_of("0123456789") != std::string::npos) {
    throw InvalidField(std::string(name), "phải là số nguyên không âm",
                       "must be a non-negative whole number");
  }
  uint64_t value = std::stoull(*text);
  if (value > max) {
    throw InvalidField(std::string(name), "không được lớn hơn " + std::to_string(max),
                       "must not exceed " + std::to_string(max));
  }
  return value;
}

}  // namespace canhbao::admin
