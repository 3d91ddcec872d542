#include "admin/json_reader.hpp"

#include <boost/json.hpp>

namespace canhbao::admin {

namespace json = boost::json;

json::value ParseJsonBody(std::string_view body, const JsonLimits& limits) {
  json::parse_options options;
  options.max_depth = limits.max_depth;
  json::stream_parser parser({}, options);
  boost::system::error_code ec;
  size_t consumed = parser.write(body.data(), body.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    // stream_parser stops at the byte it could not read, so `consumed` is
    // the position of the problem.
    std::string at = std::to_string(consumed);
    std::string vi = "Nội dung JSON không hợp lệ tại byte " + at;
    std::string en = "The body is not valid JSON at byte " + at;
    if (ec == json::error::incomplete || ec == json::error::extra_data || body.empty()) {
      vi = "Nội dung JSON bị thiếu hoặc bị cắt ngang";
      en = "The JSON body is empty or cut short";
    }
    if (ec == json::error::too_deep) {
      vi = "Nội dung JSON lồng nhau quá sâu (tối đa " + std::to_string(limits.max_depth) + " cấp)";
      en = "The JSON body is nested too deeply (at most " + std::to_string(limits.max_depth) +
           " levels)";
    }
    throw ApiError(ErrorCode::kInvalid, "body", std::move(vi), std::move(en));
  }
  return parser.release();
}

std::string JoinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string path(parent);
  path += '.';
  path += key;
  return path;
}

std::string IndexPath(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

namespace {

size_t CountCodePoints(std::string_view utf8) {
  size_t count = 0;
  for (unsigned char c : utf8) {
    if ((c & 0xC0) != 0x80) ++count;
  }
  return count;
}

}  // namespace

void CheckText(const std::string& value, const std::string& path, size_t max_chars) {
  if (CountCodePoints(value) > max_chars) {
    throw InvalidField(path, "dài quá " + std::to_string(max_chars) + " ký tự",
                       "longer than " + std::to_string(max_chars) + " characters");
  }
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7F) {
      throw InvalidField(path, "chứa ký tự điều khiển", "contains a control character");
    }
  }
}

ObjectReader::ObjectReader(const json::value& value, std::string path,
                           std::initializer_list<std::string_view> allowed)
    : object_(value.if_object()), path_(std::move(path)) {
  if (object_ == nullptr) {
    throw WrongType(path_.empty() ? "body" : path_, "một đối tượng JSON", "a JSON object");
  }
  for (const auto& member : *object_) {
    bool known = false;
    for (std::string_view name : allowed) {
      if (member.key() == name) {
        known = true;
        break;
      }
    }
    if (!known) throw UnknownField(PathOf(member.key()));
  }
}

bool ObjectReader::Has(std::string_view key) const { return Get(key) != nullptr; }

std::string ObjectReader::PathOf(std::string_view key) const { return JoinPath(path_, key); }

const json::value* ObjectReader::Get(std::string_view key) const {
  const json::value* value = object_->if_contains(key);
  if (value == nullptr || value->is_null()) return nullptr;
  return value;
}

std::string ObjectReader::RequiredString(std::string_view key, size_t max_chars) {
  std::optional<std::string> value = OptionalString(key, max_chars);
  if (!value) throw MissingField(PathOf(key));
  return *std::move(value);
}

std::optional<std::string> ObjectReader::OptionalString(std::string_view key, size_t max_chars) {
  const json::value* value = Get(key);
  if (value == nullptr) return std::nullopt;
  const json::string* text = value->if_string();
  if (text == nullptr) throw WrongType(PathOf(key), "một chuỗi", "a string");
  std::string result(text->data(), text->size());
  CheckText(result, PathOf(key), max_chars);
  return result;
}

bool ObjectReader::OptionalBool(std::string_view key, bool fallback) {
  const json::value* value = Get(key);
  if (value == nullptr) return fallback;
  if (!value->is_bool()) throw WrongType(PathOf(key), "true hoặc false", "true or false");
  return value->get_bool();
}

const json::array* ObjectReader::Array(std::string_view key, size_t max_items) {
  const json::value* value = Get(key);
  if (value == nullptr) return nullptr;
  const json::array* array = value->if_array();
  if (array == nullptr) throw WrongType(PathOf(key), "một mảng", "an array");
  if (array->size() > max_items) {
    throw InvalidField(PathOf(key), "có quá " + std::to_string(max_items) + " phần tử",
                       "has more than " + std::to_string(max_items) + " items");
  }
  return array;
}

std::vector<std::string> ObjectReader::StringArray(std::string_view key, size_t max_items,
                                                   size_t max_chars) {
  std::vector<std::string> result;
  const json::array* array = Array(key, max_items);
  if (array == nullptr) return result;
  result.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    std::string path = IndexPath(PathOf(key), i);
    const json::string* text = (*array)[i].if_string();
    if (text == nullptr) throw WrongType(path, "một chuỗi", "a string");
    std::string item(text->data(), text->size());
    CheckText(item, path, max_chars);
    result.push_back(std::move(item));
  }
  return result;
}

}  // namespace canhbao::admin
