#include "admin/merchant_handlers.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "admin/auth.hpp"
#include "admin/http_reply.hpp"
#include "admin/json_reader.hpp"
#include "admin/merchant_json.hpp"
#include "rules/charset.hpp"
#include "server/api_error.hpp"
#include "server/clock.hpp"

namespace canhbao::admin {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using asio::awaitable;

namespace {

constexpr size_t kMaxNoticeLimit = 500;

// Acknowledgement actions a merchant reports for a recall notice.
constexpr std::string_view kAckActions[] = {"removed_from_sale", "returned_to_supplier",
                                            "destroyed", "not_in_stock", "other"};

std::string ParamId(const RequestContext& context, std::string_view what_vi,
                    std::string_view what_en) {
  const std::string& id = context.params.at(0);
  if (id.size() > 64) throw NotFound(what_vi, what_en, id.substr(0, 64));
  return id;
}

// A merchant key may act only on its own merchant; admins on any.
void CheckOwnMerchant(const v1::ApiKey& key, const std::string& merchant_id) {
  if (key.role() == "merchant" && key.merchant_id() != merchant_id) {
    throw ApiError(ErrorCode::kForbidden, "Authorization",
                   "Khóa của cửa hàng chỉ dùng cho chính cửa hàng đó",
                   "A merchant key may only act on its own merchant");
  }
}

awaitable<Response> CreateMerchant(AppContext& app, RequestContext& context) {
  v1::ApiKey creator = co_await Authenticate(*app.keys, context.request, kAdminOrMarket);
  v1::Merchant merchant = ParseMerchantRequest(ReadJsonBody(context.request));
  merchant.set_id(NewId('m'));
  merchant.set_created(NowRfc3339());
  NewKey key = MakeKey("merchant", merchant.name(), merchant.id());
  if (!co_await app.merchants->Create(merchant, key.record)) {
    throw Conflict("tax_code", "Đã có cửa hàng với mã số thuế này",
                   "A merchant with this tax code is already registered");
  }
  app.index->Upsert(ToMerchantRecord(merchant), {});
  spdlog::info("merchant {}: registered by key {} ({}), merchant key {}", merchant.id(),
               creator.id(), creator.role(), key.record.id());
  json::object out = MerchantToJson(merchant, true);
  out["key_id"] = key.record.id();
  out["key"] = key.secret;
  co_return JsonResponse(context.request, http::status::created, out);
}

awaitable<Response> ListMerchants(AppContext& app, RequestContext& context) {
  co_await Authenticate(*app.keys, context.request, kAdminOrMarket);
  json::array items;
  for (const v1::Merchant& merchant : co_await app.merchants->List()) {
    items.push_back(MerchantToJson(merchant, true));
  }
  co_return JsonResponse(context.request, http::status::ok, json::object{{"merchants", items}});
}

awaitable<Response> ReplaceCatalog(AppContext& app, RequestContext& context) {
  v1::ApiKey key = co_await Authenticate(*app.keys, context.request, kMerchantOrAdmin);
  std::string merchant_id = ParamId(context, "cửa hàng", "merchant");
  CheckOwnMerchant(key, merchant_id);
  std::optional<v1::Merchant> merchant = co_await app.merchants->Get(merchant_id);
  if (!merchant) throw NotFound("cửa hàng", "merchant", merchant_id);
  CatalogLimits limits;
  limits.max_rows = app.config.max_catalog_rows;
  MediaType media = ContentType(context.request);
  std::vector<v1::Product> products;
  if (media.type == "application/json") {
    products = ParseCatalogJson(ReadJsonBody(context.request), limits);
  } else if (media.type == "text/csv") {
    // A catalog exported by older Vietnamese software may be TCVN3 or
    // Windows-1258; it is decoded to UTF-8 NFC before it is parsed.
    std::string charset = media.charset.value_or("utf-8");
    if (charset == "utf-8" || charset == "utf8") {
      products = ParseCatalogCsv(context.request.body(), limits);
    } else {
      auto decoded = rules::DecodeCatalogText(context.request.body(), charset);
      if (!decoded.ok()) {
        ErrorCode code = decoded.error().code == "too_long" ? ErrorCode::kTooLarge
                         : decoded.error().message_en.rfind("Unsupported charset", 0) == 0
                             ? ErrorCode::kUnsupportedMediaType
                             : ErrorCode::kInvalid;
        throw ApiError(code, code == ErrorCode::kUnsupportedMediaType ? "Content-Type" : "body",
                       decoded.error().message_vi, decoded.error().message_en);
      }
      products = ParseCatalogCsv(decoded.value(), limits);
    }
  } else {
    throw ApiError(ErrorCode::kUnsupportedMediaType, "Content-Type",
                   "Content-Type phải là application/json hoặc text/csv",
                   "Content-Type must be application/json or text/csv");
  }
  v1::Catalog catalog;
  catalog.set_merchant_id(merchant_id);
  catalog.set_updated(NowRfc3339());
  for (v1::Product& product : products) *catalog.add_products() = std::move(product);
  co_await app.merchants->ReplaceCatalog(catalog);
  // This node's index takes the change now, so an alert created here right
  // after the upload matches it. Other nodes follow the catalog log within
  // milliseconds, and this node's follower applies it again harmlessly.
  app.index->Upsert(ToMerchantRecord(*merchant), ToProductRecords(catalog));
  spdlog::info("merchant {}: catalog replaced with {} products by key {}", merchant_id,
               catalog.products_size(), key.id());
  co_return JsonResponse(context.request, http::status::ok,
                         json::object{{"merchant_id", merchant_id},
                                      {"products", catalog.products_size()},
                                      {"updated", catalog.updated()}});
}

awaitable<Response> GetCatalog(AppContext& app, RequestContext& context) {
  v1::ApiKey key = co_await Authenticate(*app.keys, context.request, kMerchantOrAdmin);
  std::string merchant_id = ParamId(context, "cửa hàng", "merchant");
  CheckOwnMerchant(key, merchant_id);
  if (!co_await app.merchants->Get(merchant_id)) {
    throw NotFound("cửa hàng", "merchant", merchant_id);
  }
  v1::Catalog catalog = co_await app.merchants->GetCatalog(merchant_id);
  json::array products;
  for (const v1::Product& product : catalog.products()) products.push_back(ProductToJson(product));
  co_return JsonResponse(context.request, http::status::ok,
                         json::object{{"merchant_id", merchant_id},
                                      {"updated", catalog.updated()},
                                      {"products", std::move(products)}});
}

awaitable<Response> ListNotices(AppContext& app, RequestContext& context) {
  v1::ApiKey key = co_await Authenticate(*app.keys, context.request, kMerchantOrAdmin);
  std::string merchant_id = ParamId(context, "cửa hàng", "merchant");
  CheckOwnMerchant(key, merchant_id);
  if (!co_await app.merchants->Get(merchant_id)) {
    throw NotFound("cửa hàng", "merchant", merchant_id);
  }
  uint64_t since = QueryNumber(context, "since", UINT64_MAX / 2).value_or(0);
  uint64_t limit = QueryNumber(context, "limit", kMaxNoticeLimit).value_or(100);
  json::array items;
  for (const v1::Notice& notice : co_await app.notices->ListForMerchant(merchant_id, since, limit)) {
    items.push_back(NoticeToJson(notice));
  }
  co_return JsonResponse(context.request, http::status::ok,
                         json::object{{"merchant_id", merchant_id}, {"notices", std::move(items)}});
}

awaitable<Response> AckNotice(AppContext& app, RequestContext& context) {
  v1::ApiKey key = co_await Authenticate(*app.keys, context.request, kMerchantRole);
  std::string id = ParamId(context, "thông báo", "notice");
  json::value body = ReadJsonBody(context.request);
  ObjectReader reader(body, "", {"action", "note"});
  std::string action = reader.RequiredString("action", 32);
  bool known = false;
  std::string allowed;
  for (std::string_view candidate : kAckActions) {
    known |= action == candidate;
    if (!allowed.empty()) allowed += ", ";
    allowed += candidate;
  }
  if (!known) {
    throw InvalidField("action", "phải là một trong: " + allowed, "must be one of: " + allowed);
  }
  std::string note = reader.OptionalString("note", 1000).value_or("");

  std::optional<v1::Notice> notice = co_await app.notices->Get(id);
  if (!notice || notice->merchant_id() != key.merchant_id()) {
    // Another merchant's notice is reported as unknown, so ids of other
    // shops cannot be probed.
    throw NotFound("thông báo", "notice", id);
  }
  if (notice->state() != v1::NOTICE_STATE_OPEN) {
    throw Conflict("state", "Thông báo đã được xác nhận hoặc đã hủy",
                   "The notice is already acknowledged or cancelled");
  }
  v1::Notice acked = *notice;
  acked.set_state(v1::NOTICE_STATE_ACKNOWLEDGED);
  acked.set_ack_action(action);
  acked.set_ack_note(note);
  acked.set_acked_at(NowRfc3339());
  acked.set_acked_by(key.id());
  if (!co_await app.notices->CompareAndSet(*notice, acked)) {
    throw Conflict("state", "Thông báo vừa được thay đổi bởi yêu cầu khác",
                   "The notice was changed by another request");
  }
  spdlog::info("notice {}: acknowledged by merchant {} ({})", id, key.merchant_id(), action);
  co_return JsonResponse(context.request, http::status::ok, NoticeToJson(acked));
}

json::object KeyToJson(const v1::ApiKey& key) {
  return {{"id", key.id()},
          {"role", key.role()},
          {"name", key.name()},
          {"merchant_id", key.merchant_id().empty() ? json::value(nullptr)
                                                    : json::value(key.merchant_id())},
          {"revoked", key.revoked()},
          {"created", key.created()}};
}

awaitable<Response> CreateKey(AppContext& app, RequestContext& context) {
  v1::ApiKey admin = co_await Authenticate(*app.keys, context.request, kAdminRole);
  json::value body = ReadJsonBody(context.request);
  ObjectReader reader(body, "", {"role", "name", "merchant_id"});
  std::string role = reader.RequiredString("role", 16);
  if (!IsRole(role)) {
    throw InvalidField("role",
                       "phải là admin, police, market, health, moderator hoặc merchant",
                       "must be admin, police, market, health, moderator or merchant");
  }
  std::string name = reader.RequiredString("name", 200);
  if (name.empty()) throw MissingField("name");
  std::string merchant_id = reader.OptionalString("merchant_id", 64).value_or("");
  if (role == "merchant") {
    if (merchant_id.empty()) throw MissingField("merchant_id");
    if (!co_await app.merchants->Get(merchant_id)) {
      throw InvalidField("merchant_id", "không có cửa hàng này", "no such merchant");
    }
  } else if (!merchant_id.empty()) {
    throw InvalidField("merchant_id", "chỉ dùng cho vai trò merchant",
                       "only applies to the merchant role");
  }
  NewKey key = MakeKey(role, name, merchant_id);
  co_await app.keys->Create(key.record);
  spdlog::info("key {}: created for role {} by key {}", key.record.id(), role, admin.id());
  json::object out = KeyToJson(key.record);
  out["key"] = key.secret;
  co_return JsonResponse(context.request, http::status::created, out);
}

awaitable<Response> ListKeys(AppContext& app, RequestContext& context) {
  co_await Authenticate(*app.keys, context.request, kAdminRole);
  json::array items;
  for (const v1::ApiKey& key : co_await app.keys->List()) items.push_back(KeyToJson(key));
  co_return JsonResponse(context.request, http::status::ok, json::object{{"keys", items}});
}

awaitable<Response> RevokeKey(AppContext& app, RequestContext& context) {
  v1::ApiKey admin = co_await Authenticate(*app.keys, context.request, kAdminRole);
  std::string id = ParamId(context, "khóa", "key");
  if (!co_await app.keys->Revoke(id)) throw NotFound("khóa", "key", id);
  spdlog::info("key {}: revoked by key {}", id, admin.id());
  co_return JsonResponse(context.request, http::status::ok,
                         json::object{{"id", id}, {"revoked", true}});
}

}  // namespace

void AddMerchantRoutes(Router& router, AppContext& app) {
  size_t catalog_limit = app.config.max_catalog_bytes;
  router.Add(http::verb::post, "/v1/merchants",
             [&app](RequestContext& c) { return CreateMerchant(app, c); });
  router.Add(http::verb::get, "/v1/merchants",
             [&app](RequestContext& c) { return ListMerchants(app, c); });
  router.Add(
      http::verb::put, "/v1/merchants/{}/products",
      [&app](RequestContext& c) { return ReplaceCatalog(app, c); }, catalog_limit);
  router.Add(http::verb::get, "/v1/merchants/{}/products",
             [&app](RequestContext& c) { return GetCatalog(app, c); });
  router.Add(http::verb::get, "/v1/merchants/{}/notices",
             [&app](RequestContext& c) { return ListNotices(app, c); });
  router.Add(http::verb::post, "/v1/notices/{}/ack",
             [&app](RequestContext& c) { return AckNotice(app, c); });
}

void AddKeyRoutes(Router& router, AppContext& app) {
  router.Add(http::verb::post, "/v1/keys", [&app](RequestContext& c) { return CreateKey(app, c); });
  router.Add(http::verb::get, "/v1/keys", [&app](RequestContext& c) { return ListKeys(app, c); });
  router.Add(http::verb::delete_, "/v1/keys/{}",
             [&app](RequestContext& c) { return RevokeKey(app, c); });
}

}  // namespace canhbao::admin
