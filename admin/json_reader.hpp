#pragma once

// Strict reading of JSON request bodies. Every accessor throws ApiError
// (400) that names the field by its JSON path, so handlers read a body in
// straight-line code and the first problem becomes the response.

#include <boost/json/value.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/api_error.hpp"

namespace canhbao::admin {

// Limits on a JSON document as a whole, checked while parsing.
struct JsonLimits {
  size_t max_depth = 16;
};

// Parses a request body. Fails with 400 naming the position of a syntax
// error, invalid UTF-8, or a nesting deeper than the limit.
boost::json::value ParseJsonBody(std::string_view body, const JsonLimits& limits = {});

// Reads one JSON object. The constructor rejects a non-object value and any
// member whose name is not in `allowed`.
class ObjectReader {
 public:
  // `path` is the object's own JSON path ("" for the document root); member
  // paths are built from it.
  ObjectReader(const boost::json::value& value, std::string path,
               std::initializer_list<std::string_view> allowed);

  bool Has(std::string_view key) const;
  std::string PathOf(std::string_view key) const;

  // A string member of at most `max_chars` code points. The parser already
  // guarantees valid UTF-8; control characters other than newline, carriage
  // return and tab are rejected.
  std::string RequiredString(std::string_view key, size_t max_chars);
  std::optional<std::string> OptionalString(std::string_view key, size_t max_chars);
  bool OptionalBool(std::string_view key, bool fallback);
  // An array of strings, each of at most `max_chars`, at most `max_items`.
  std::vector<std::string> StringArray(std::string_view key, size_t max_items, size_t max_chars);
  // The raw member, or null when absent. JSON null counts as absent.
  const boost::json::value* Get(std::string_view key) const;
  // An array member of at most `max_items` values (empty when absent).
  const boost::json::array* Array(std::string_view key, size_t max_items);

 private:
  const boost::json::object* object_;
  std::string path_;
};

// Checks a free-text value: length in code points and no control
// characters other than tab and newline. Throws ApiError naming `path`.
void CheckText(const std::string& value, const std::string& path, size_t max_chars);

std::string JoinPath(std::string_view parent, std::string_view key);
std::string IndexPath(std::string_view parent, size_t index);

}  // namespace canhbao::admin
