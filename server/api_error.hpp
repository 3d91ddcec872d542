#pragma once

// The HTTP API's error model: every failure a handler reports is an ApiError
// with one of a few codes. The code alone decides the HTTP status
// (StatusFor), and every error body names the field and the problem in
// Vietnamese and English.

#include <boost/beast/http/status.hpp>
#include <boost/json/value.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace canhbao {

enum class ErrorCode {
  kInvalid,               // 400: malformed or invalid input
  kUnauthenticated,       // 401: missing, unknown, expired or revoked key
  kForbidden,             // 403: the key's role may not do this
  kNotFound,              // 404: unknown id or path
  kMethodNotAllowed,      // 405
  kConflict,              // 409: wrong state, duplicate
  kTooLarge,              // 413: body over its limit
  kUnsupportedMediaType,  // 415
  kUnprocessable,         // 422: a batch with bad rows
  kTooManyRequests,       // 429: a rate or connection limit
  kUnavailable,           // 503: Redis unreachable
  kInternal,              // 500
};

// One bad row of a batch (catalog upload), listed in a 422 response.
struct RowError {
  size_t row = 0;  // 1-based data row (CSV: not counting the header)
  std::string field;
  std::string message_vi;
  std::string message_en;
};

class ApiError : public std::exception {
 public:
  ApiError(ErrorCode code, std::string field, std::string message_vi, std::string message_en);

  ErrorCode code() const { return code_; }
  const std::string& field() const { return field_; }
  const std::string& message_vi() const { return message_vi_; }
  const std::string& message_en() const { return message_en_; }
  std::vector<RowError>& rows() { return rows_; }
  const std::vector<RowError>& rows() const { return rows_; }
  const char* what() const noexcept override { return message_en_.c_str(); }

  // Renders {"error": {"code", "field", "message": {"vi", "en"}, "rows"}}.
  boost::json::value ToJson() const;

 private:
  ErrorCode code_;
  std::string field_;
  std::string message_vi_;
  std::string message_en_;
  std::vector<RowError> rows_;
};

boost::beast::http::status StatusFor(ErrorCode code);
const char* CodeName(ErrorCode code);

// Shorthands for the common cases. The field is a JSON path such as
// "identifiers.gtin[2]", and the messages describe what is wrong with it.
ApiError InvalidField(std::string field, std::string problem_vi, std::string problem_en);
ApiError MissingField(std::string field);
ApiError UnknownField(std::string field);
ApiError WrongType(std::string field, std::string_view expected_vi, std::string_view expected_en);
ApiError NotFound(std::string_view what_vi, std::string_view what_en, std::string_view id);
ApiError Conflict(std::string field, std::string message_vi, std::string message_en);
ApiError Unavailable();

}  // namespace canhbao
