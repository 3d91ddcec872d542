#include "server/api_error.hpp"

#include <boost/json.hpp>

namespace canhbao {

namespace http = boost::beast::http;
namespace json = boost::json;

ApiError::ApiError(ErrorCode code, std::string field, std::string message_vi,
                   std::string message_en)
    : code_(code),
      field_(std::move(field)),
      message_vi_(std::move(message_vi)),
      message_en_(std::move(message_en)) {}

json::value ApiError::ToJson() const {
  json::object error;
  error["code"] = CodeName(code_);
  if (field_.empty()) {
    error["field"] = nullptr;
  } else {
    error["field"] = field_;
  }
  error["message"] = {{"vi", message_vi_}, {"en", message_en_}};
  if (!rows_.empty()) {
    json::array rows;
    for (const RowError& row : rows_) {
      rows.push_back({{"row", row.row},
                      {"field", row.field},
                      {"message", {{"vi", row.message_vi}, {"en", row.message_en}}}});
    }
    error["rows"] = std::move(rows);
  }
  return json::object{{"error", std::move(error)}};
}

http::status StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalid:
      return http::status::bad_request;
    case ErrorCode::kUnauthenticated:
      return http::status::unauthorized;
    case ErrorCode::kForbidden:
      return http::status::forbidden;
    case ErrorCode::kNotFound:
      return http::status::not_found;
    case ErrorCode::kMethodNotAllowed:
      return http::status::method_not_allowed;
    case ErrorCode::kConflict:
      return http::status::conflict;
    case ErrorCode::kTooLarge:
      return http::status::payload_too_large;
    case ErrorCode::kUnsupportedMediaType:
      return http::status::unsupported_media_type;
    case ErrorCode::kUnprocessable:
      return http::status::unprocessable_entity;
    case ErrorCode::kTooManyRequests:
      return http::status::too_many_requests;
    case ErrorCode::kUnavailable:
      return http::status::service_unavailable;
    case ErrorCode::kInternal:
      return http::status::internal_server_error;
  }
  return http::status::internal_server_error;
}

const char* CodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalid:
      return "invalid";
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kForbidden:
      return "forbidden";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kMethodNotAllowed:
      return "method_not_allowed";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kTooLarge:
      return "too_large";
    case ErrorCode::kUnsupportedMediaType:
      return "unsupported_media_type";
    case ErrorCode::kUnprocessable:
      return "unprocessable";
    case ErrorCode::kTooManyRequests:
      return "too_many_requests";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

ApiError InvalidField(std::string field, std::string problem_vi, std::string problem_en) {
  std::string vi = "Trường '" + field + "': " + problem_vi;
  std::string en = "Field '" + field + "': " + problem_en;
  return ApiError(ErrorCode::kInvalid, std::move(field), std::move(vi), std::move(en));
}

ApiError MissingField(std::string field) {
  return InvalidField(std::move(field), "thiếu trường bắt buộc", "required field is missing");
}

ApiError UnknownField(std::string field) {
  return InvalidField(std::move(field), "trường không được hỗ trợ", "unknown field");
}

ApiError WrongType(std::string field, std::string_view expected_vi, std::string_view expected_en) {
  return InvalidField(std::move(field), "phải là " + std::string(expected_vi),
                      "must be " + std::string(expected_en));
}

ApiError NotFound(std::string_view what_vi, std::string_view what_en, std::string_view id) {
  std::string vi = "Không tìm thấy " + std::string(what_vi) + " '" + std::string(id) + "'";
  std::string en = "No " + std::string(what_en) + " '" + std::string(id) + "' was found";
  return ApiError(ErrorCode::kNotFound, "id", std::move(vi), std::move(en));
}

ApiError Conflict(std::string field, std::string message_vi, std::string message_en) {
  return ApiError(ErrorCode::kConflict, std::move(field), std::move(message_vi),
                  std::move(message_en));
}

ApiError Unavailable() {
  return ApiError(ErrorCode::kUnavailable, "",
                  "Hệ thống lưu trữ tạm thời không truy cập được; vui lòng thử lại sau",
                  "The data store is temporarily unreachable; retry later");
}

}  // namespace canhbao
