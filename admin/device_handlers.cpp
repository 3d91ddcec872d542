#include "admin/device_handlers.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "admin/alert_json.hpp"
#include "admin/auth.hpp"
#include "admin/http_reply.hpp"
#include "admin/json_reader.hpp"
#include "admin/wards.hpp"
#include "notify/hub.hpp"
#include "server/api_error.hpp"
#include "server/clock.hpp"

namespace canhbao::admin {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using asio::awaitable;

namespace {

constexpr size_t kMaxPushTokenChars = 4096;
constexpr size_t kMaxEndpointChars = 2048;

bool IsBase64Url(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '=';
  });
}

v1::PushChannel ReadPush(const json::value& value) {
  ObjectReader reader(value, "push", {"provider", "token", "apns_topic", "apns_env", "webpush"});
  v1::PushChannel push;
  std::string provider = reader.RequiredString("provider", 16);
  if (provider != "fcm" && provider != "apns" && provider != "webpush" && provider != "none") {
    throw InvalidField("push.provider", "phải là fcm, apns, webpush hoặc none",
                       "must be fcm, apns, webpush or none");
  }
  push.set_provider(provider);
  std::optional<std::string> token = reader.OptionalString("token", kMaxPushTokenChars);
  std::optional<std::string> topic = reader.OptionalString("apns_topic", 255);
  std::optional<std::string> environment = reader.OptionalString("apns_env", 16);
  const json::value* webpush = reader.Get("webpush");

  auto forbid = [&](bool present, const char* field) {
    if (present) {
      throw InvalidField(std::string("push.") + field,
                         "không dùng với nhà cung cấp '" + provider + "'",
                         "does not apply to provider '" + provider + "'");
    }
  };
  if (provider == "fcm" || provider == "apns") {
    if (!token || token->empty()) throw MissingField("push.token");
    push.set_token(*token);
    forbid(webpush != nullptr, "webpush");
  }
  if (provider == "apns") {
    if (!topic || topic->empty()) throw MissingField("push.apns_topic");
    if (token->size() % 2 != 0 ||
        token->find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      throw InvalidField("push.token", "mã thiết bị APNs phải là chuỗi hex",
                         "an APNs device token must be hexadecimal");
    }
    std::string env = environment.value_or("production");
    if (env != "production" && env != "sandbox") {
      throw InvalidField("push.apns_env", "phải là production hoặc sandbox",
                         "must be production or sandbox");
    }
    push.set_apns_topic(*topic);
    push.set_apns_env(env);
  } else {
    forbid(topic.has_value(), "apns_topic");
    forbid(environment.has_value(), "apns_env");
  }
  if (provider == "webpush") {
    forbid(token.has_value(), "token");
    if (webpush == nullptr) throw MissingField("push.webpush");
    ObjectReader subscription(*webpush, "push.webpush", {"endpoint", "keys"});
    std::string endpoint = subscription.RequiredString("endpoint", kMaxEndpointChars);
    if (endpoint.rfind("https://", 0) != 0 || endpoint.size() <= 8) {
      throw InvalidField("push.webpush.endpoint", "phải là địa chỉ https://",
                         "must be an https:// URL");
    }
    const json::value* keys = subscription.Get("keys");
    if (keys == nullptr) throw MissingField("push.webpush.keys");
    ObjectReader key_reader(*keys, "push.webpush.keys", {"p256dh", "auth"});
    std::string p256dh = key_reader.RequiredString("p256dh", 200);
    std::string auth = key_reader.RequiredString("auth", 100);
    if (!IsBase64Url(p256dh)) {
      throw InvalidField("push.webpush.keys.p256dh", "phải là base64url", "must be base64url");
    }
    if (!IsBase64Url(auth)) {
      throw InvalidField("push.webpush.keys.auth", "phải là base64url", "must be base64url");
    }
    push.set_webpush_endpoint(endpoint);
    push.set_webpush_p256dh(p256dh);
    push.set_webpush_auth(auth);
  }
  if (provider == "none") {
    forbid(token.has_value(), "token");
    forbid(webpush != nullptr, "webpush");
  }
  return push;
}

// Reads the subscription fields of a device request into `device`.
void ReadDeviceRequest(const json::value& body, v1::Device& device) {
  ObjectReader reader(body, "", {"language", "categories", "wards", "push"});
  std::string language = reader.OptionalString("language", 8).value_or("vi");
  if (language != "vi" && language != "en") {
    throw InvalidField("language", "phải là vi hoặc en", "must be vi or en");
  }
  device.set_language(language);
  device.clear_categories();
  std::vector<std::string> categories = reader.StringArray("categories", 16, 32);
  for (size_t i = 0; i < categories.size(); ++i) {
    if (CategoryFromName(categories[i]) == v1::CATEGORY_UNSPECIFIED) {
      throw InvalidField(IndexPath("categories", i), "loại '" + categories[i] + "' không hợp lệ",
                         "unknown category '" + categories[i] + "'");
    }
    device.add_categories(categories[i]);
  }
  device.clear_wards();
  std::vector<std::string> wards = reader.StringArray("wards", 40, 16);
  for (size_t i = 0; i < wards.size(); ++i) {
    if (FindWard(wards[i]) == nullptr) {
      throw InvalidField(IndexPath("wards", i),
                         "'" + wards[i] + "' không phải mã phường/xã của Huế",
                         "'" + wards[i] + "' is not a ward code of Huế");
    }
    device.add_wards(wards[i]);
  }
  const json::value* push = reader.Get("push");
  if (push != nullptr) {
    *device.mutable_push() = ReadPush(*push);
  } else {
    device.mutable_push()->Clear();
    device.mutable_push()->set_provider("none");
  }
}

// The device as its owner sees it: push secrets are not echoed.
json::object DeviceToJson(const v1::Device& device) {
  json::array categories;
  for (const std::string& category : device.categories()) categories.emplace_back(category);
  json::array wards;
  for (const std::string& ward : device.wards()) wards.emplace_back(ward);
  return {{"id", device.id()},
          {"language", device.language()},
          {"categories", std::move(categories)},
          {"wards", std::move(wards)},
          {"push", {{"provider", device.push().provider()}}},
          {"test_recipient", device.test_recipient()},
          {"created", device.created()},
          {"updated", device.updated()}};
}

ApiError DeviceUnauthenticated() {
  return ApiError(ErrorCode::kUnauthenticated, "Authorization",
                  "Thiếu hoặc sai mã thiết bị (Authorization: Bearer <device_token>)",
                  "Missing or invalid device token (Authorization: Bearer <device_token>)");
}

// Returns the device whose token the request carries; 401 otherwise, and
// 404 when the token belongs to another device id than the path names.
awaitable<v1::Device> AuthenticateDevice(AppContext& app, const RequestContext& context) {
  std::string token = BearerToken(context.request);
  if (token.size() > 200 || token.rfind(kDeviceTokenPrefix, 0) != 0) throw DeviceUnauthenticated();
  std::optional<v1::Device> device = co_await app.devices->FindByTokenHash(HashSecret(token));
  if (!device) throw DeviceUnauthenticated();
  if (device->id() != context.params.at(0)) {
    throw NotFound("thiết bị", "device", context.params.at(0).substr(0, 64));
  }
  co_return *device;
}

awaitable<Response> CreateDevice(AppContext& app, RequestContext& context) {
  v1::Device device;
  ReadDeviceRequest(ReadJsonBody(context.request), device);
  std::string token = NewSecret(kDeviceTokenPrefix);
  device.set_id(NewId('d'));
  device.set_token_hash(HashSecret(token));
  device.set_created(NowRfc3339());
  device.set_updated(device.created());
  co_await app.devices->Create(device);
  spdlog::info("device {}: registered ({} categories, {} wards, push {})", device.id(),
               device.categories_size(), device.wards_size(), device.push().provider());
  json::object out = DeviceToJson(device);
  out["device_token"] = token;
  co_return JsonResponse(context.request, http::status::created, out);
}

awaitable<Response> UpdateDevice(AppContext& app, RequestContext& context) {
  v1::Device device = co_await AuthenticateDevice(app, context);
  ReadDeviceRequest(ReadJsonBody(context.request), device);
  device.set_updated(NowRfc3339());
  co_await app.devices->Update(device);
  spdlog::info("device {}: subscriptions changed", device.id());
  co_return JsonResponse(context.request, http::status::ok, DeviceToJson(device));
}

awaitable<Response> DeleteDevice(AppContext& app, RequestContext& context) {
  v1::Device device = co_await AuthenticateDevice(app, context);
  co_await app.devices->Delete(device.id());
  spdlog::info("device {}: unregistered", device.id());
  co_return JsonResponse(context.request, http::status::ok,
                         json::object{{"id", device.id()}, {"deleted", true}});
}

awaitable<Response> CreateTicket(AppContext& app, RequestContext& context) {
  std::string token = BearerToken(context.request);
  std::string principal;
  if (token.rfind(kDeviceTokenPrefix, 0) == 0 && token.size() <= 200) {
    std::optional<v1::Device> device = co_await app.devices->FindByTokenHash(HashSecret(token));
    if (!device) throw DeviceUnauthenticated();
    principal = "device:" + device->id();
  } else {
    v1::ApiKey key = co_await Authenticate(*app.keys, context.request, kMerchantRole);
    principal = "merchant:" + key.merchant_id();
  }
  std::string ticket = NewSecret(kTicketPrefix);
  co_await app.devices->CreateTicket(HashSecret(ticket), principal, kTicketSeconds);
  co_return JsonResponse(context.request, http::status::created,
                         json::object{{"ticket", ticket}, {"expires_in", kTicketSeconds}});
}

}  // namespace

uint32_t CategoryMask(const google::protobuf::RepeatedPtrField<std::string>& names) {
  if (names.empty()) return notify::AllCategories();
  uint32_t mask = 0;
  for (const std::string& name : names) mask |= 1u << CategoryFromName(name);
  return mask;
}

void AddDeviceRoutes(Router& router, AppContext& app) {
  router.Add(http::verb::post, "/v1/devices",
             [&app](RequestContext& c) { return CreateDevice(app, c); });
  router.Add(http::verb::put, "/v1/devices/{}",
             [&app](RequestContext& c) { return UpdateDevice(app, c); });
  router.Add(http::verb::delete_, "/v1/devices/{}",
             [&app](RequestContext& c) { return DeleteDevice(app, c); });
  router.Add(http::verb::post, "/v1/stream/ticket",
             [&app](RequestContext& c) { return CreateTicket(app, c); });
}

}  // namespace canhbao::admin
