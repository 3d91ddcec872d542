#include "server/stream_request.hpp"

#include "admin/alert_json.hpp"
#include "admin/auth.hpp"
#include "admin/device_handlers.hpp"
#include "admin/http_reply.hpp"
#include "admin/wards.hpp"
#include "server/api_error.hpp"

namespace canhbao {

namespace {

constexpr uint64_t kNoReplay = UINT64_MAX / 2;

std::vector<std::string> SplitComma(const std::string& value) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = value.find(',', start);
    if (end == std::string::npos) end = value.size();
    if (end > start) items.push_back(value.substr(start, end - start));
    start = end + 1;
  }
  return items;
}

ApiError Unauthenticated(std::string vi, std::string en) {
  return ApiError(ErrorCode::kUnauthenticated, "Authorization", std::move(vi), std::move(en));
}

}  // namespace

boost::asio::awaitable<notify::Subscription> ResolveStreamRequest(admin::AppContext& app,
                                                                  const RequestContext& context) {
  const Request& request = context.request;
  notify::Subscription subscription;

  std::optional<uint32_t> query_mask;
  if (auto categories = context.Query("categories")) {
    uint32_t mask = 0;
    for (const std::string& name : SplitComma(*categories)) {
      v1::Category category = admin::CategoryFromName(name);
      if (category == v1::CATEGORY_UNSPECIFIED) {
        throw InvalidField("categories", "loại '" + name + "' không hợp lệ",
                           "unknown category '" + name + "'");
      }
      mask |= 1u << category;
    }
    query_mask = mask;
  }
  std::optional<std::vector<std::string>> query_wards;
  if (auto wards = context.Query("wards")) {
    query_wards.emplace();
    for (const std::string& ward : SplitComma(*wards)) {
      if (admin::FindWard(ward) == nullptr) {
        throw InvalidField("wards", "'" + ward + "' không phải mã phường/xã của Huế",
                           "'" + ward + "' is not a ward code of Huế");
      }
      query_wards->push_back(ward);
    }
  }

  // The client's identity: a ticket, a device token or a merchant key.
  // Browsers cannot set headers on a WebSocket, so they use a ticket.
  std::optional<v1::Device> device;
  std::string token = admin::BearerToken(request);
  if (auto ticket = context.Query("ticket")) {
    if (!token.empty()) {
      throw InvalidField("ticket", "không dùng cùng tiêu đề Authorization",
                         "cannot be combined with an Authorization header");
    }
    std::optional<std::string> principal;
    if (ticket->size() <= 200 && ticket->rfind(admin::kTicketPrefix, 0) == 0) {
      principal = co_await app.devices->ConsumeTicket(admin::HashSecret(*ticket));
    }
    if (!principal) {
      throw Unauthenticated("Vé kết nối không hợp lệ, đã dùng hoặc đã hết hạn",
                            "The stream ticket is invalid, already used or expired");
    }
    if (principal->rfind("merchant:", 0) == 0) {
      subscription.merchant_id = principal->substr(9);
    } else if (principal->rfind("device:", 0) == 0) {
      device = co_await app.devices->Get(principal->substr(7));
      if (!device) {
        throw Unauthenticated("Thiết bị của vé này đã bị xóa",
                              "The device of this ticket was unregistered");
      }
    }
  } else if (token.rfind(admin::kDeviceTokenPrefix, 0) == 0) {
    if (token.size() <= 200) device = co_await app.devices->FindByTokenHash(admin::HashSecret(token));
    if (!device) {
      throw Unauthenticated("Mã thiết bị không hợp lệ", "Invalid device token");
    }
  } else if (!token.empty()) {
    v1::ApiKey key = co_await admin::Authenticate(*app.keys, request, admin::kMerchantRole);
    subscription.merchant_id = key.merchant_id();
  }

  // A device that gives no query follows its registered subscriptions,
  // including later changes to them.
  if (device && !query_mask && !query_wards) {
    subscription.device_id = device->id();
    subscription.category_mask = admin::CategoryMask(device->categories());
    subscription.wards.assign(device->wards().begin(), device->wards().end());
  } else {
    subscription.category_mask = query_mask.value_or(notify::AllCategories());
    subscription.wards = query_wards.value_or(std::vector<std::string>{});
  }

  std::optional<uint64_t> since = admin::QueryNumber(context, "since", kNoReplay);
  if (since) {
    // A since= the hub has already seen is valid without a Redis lookup, so a
    // storm of reconnecting clients costs Redis nothing. Only a larger one is
    // checked against the log itself, because the hub may lag behind it.
    uint64_t newest = app.hub->last_seq();
    if (*since > newest) newest = co_await app.alerts->LastSeq();
    if (*since > newest) {
      throw InvalidField("since", "lớn hơn số thứ tự mới nhất (" + std::to_string(newest) + ")",
                         "is greater than the newest sequence number (" + std::to_string(newest) +
                             ")");
    }
    subscription.after_seq = *since;
    subscription.resume = true;
  } else {
    // Without since= the client wants live alerts only: start at the hub's
    // position so nothing older is replayed.
    subscription.after_seq = app.hub->last_seq();
  }

  std::optional<uint64_t> notices_since = admin::QueryNumber(context, "notices_since", kNoReplay);
  if (subscription.merchant_id.empty()) {
    subscription.after_notice_seq = kNoReplay;
  } else {
    // A merchant without notices_since gets the notices kept in the replay
    // window first, so that nothing created while it was away is missed.
    subscription.after_notice_seq = notices_since.value_or(0);
  }
  co_return subscription;
}

}  // namespace canhbao
