#include "admin/alert_handlers.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <map>
#include <spdlog/spdlog.h>

#include "admin/alert_json.hpp"
#include "admin/auth.hpp"
#include "admin/http_reply.hpp"
#include "admin/json_reader.hpp"
#include "admin/merchant_json.hpp"
#include "server/api_error.hpp"
#include "server/clock.hpp"

namespace canhbao::admin {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using asio::awaitable;

namespace {

const std::vector<std::string_view>& kAuthorities = kAuthorityRoles;
constexpr size_t kDefaultListLimit = 50;
constexpr size_t kMaxListLimit = 500;

struct MatchOutcome {
  v1::AlertMatches matches;
  std::map<std::string, std::string> merchant_names;
};

// Normalizes the alert's identifiers, compiles its rules and matches it
// against this node's catalog index on the compute threads, then resumes on
// the caller's executor. Throws ApiError 400 for an invalid identifier or rule.
awaitable<MatchOutcome> MatchCatalog(AppContext& app, const v1::Alert& alert) {
  auto caller = co_await asio::this_coro::executor;
  co_await asio::post(app.compute->get_executor(), asio::use_awaitable);
  std::optional<ApiError> failure;
  MatchOutcome outcome;
  try {
    rules::AlertCriteria criteria = BuildCriteria(alert);
    auto matched = app.index->Match(criteria);
    if (!matched.ok()) {
      spdlog::error("alert {}: matching failed: {}", alert.id(), matched.error().message_en);
      failure = ApiError(ErrorCode::kInternal, "rules", matched.error().message_vi,
                         matched.error().message_en);
    } else {
      outcome.matches = ToAlertMatches(matched.value());
      for (const v1::Match& match : outcome.matches.matches()) {
        if (outcome.merchant_names.contains(match.merchant_id())) continue;
        if (auto name = app.index->MerchantName(match.merchant_id())) {
          outcome.merchant_names[match.merchant_id()] = *name;
        }
      }
    }
  } catch (const ApiError& error) {
    failure = error;
  }
  co_await asio::post(caller, asio::use_awaitable);
  if (failure) throw *failure;
  co_return outcome;
}

struct NoticeState {
  std::string notice_id;
  std::string state;
  std::string acked_at;
  std::string ack_action;
};

json::array MatchesToJson(const v1::AlertMatches& matches,
                          const std::map<std::string, std::string>& merchant_names,
                          const std::map<std::string, NoticeState>& notices) {
  json::array out;
  for (const v1::Match& match : matches.matches()) {
    json::object item;
    item["merchant_id"] = match.merchant_id();
    auto name = merchant_names.find(match.merchant_id());
    item["merchant_name"] =
        name == merchant_names.end() ? json::value(nullptr) : json::value(name->second);
    item["sku"] = match.sku().empty() ? json::value(nullptr) : json::value(match.sku());
    json::array reasons;
    for (const std::string& reason : match.reasons()) reasons.emplace_back(reason);
    item["reasons"] = std::move(reasons);
    auto notice = notices.find(match.merchant_id());
    if (notice != notices.end() && !match.sku().empty()) {
      item["notice_id"] = notice->second.notice_id;
      item["notice_state"] = notice->second.state;
      item["acked_at"] = notice->second.acked_at.empty() ? json::value(nullptr)
                                                         : json::value(notice->second.acked_at);
      item["ack_action"] = notice->second.ack_action.empty()
                               ? json::value(nullptr)
                               : json::value(notice->second.ack_action);
    } else {
      item["notice_id"] = nullptr;
      item["notice_state"] = nullptr;
      item["acked_at"] = nullptr;
      item["ack_action"] = nullptr;
    }
    out.push_back(std::move(item));
  }
  return out;
}

json::object Reach(const v1::AlertMatches& matches, const v1::Alert& alert) {
  std::set<std::string> merchants;
  for (const v1::Match& match : matches.matches()) merchants.insert(match.merchant_id());
  json::array areas;
  for (const std::string& area : alert.areas()) areas.emplace_back(area);
  return {{"merchants", merchants.size()}, {"areas", std::move(areas)}};
}

std::string ParamId(const RequestContext& context) {
  const std::string& id = context.params.at(0);
  if (id.size() > 64) throw NotFound("cảnh báo", "alert", id.substr(0, 64));
  return id;
}

awaitable<Response> CreateAlert(AppContext& app, RequestContext& context) {
  v1::ApiKey author = co_await Authenticate(*app.keys, context.request, kAuthorities);
  json::value body = ReadJsonBody(context.request);
  v1::Alert alert = ParseAlertRequest(body);
  alert.set_id(NewId('a'));
  alert.set_state(v1::ALERT_STATE_DRAFT);
  alert.set_msg_type(v1::MSG_TYPE_ALERT);
  alert.set_author_key_id(author.id());
  alert.set_author_name(author.name());
  alert.set_author_role(author.role());
  alert.set_created(NowRfc3339());

  MatchOutcome outcome = co_await MatchCatalog(app, alert);
  co_await app.alerts->CreateDraft(alert, outcome.matches);
  spdlog::info("alert {}: draft created by key {} ({}), {} matches", alert.id(), author.id(),
               author.role(), outcome.matches.matches_size());

  json::object out = AlertToJson(alert);
  out["matches"] = MatchesToJson(outcome.matches, outcome.merchant_names, {});
  out["reach"] = Reach(outcome.matches, alert);
  co_return JsonResponse(context.request, http::status::created, out);
}

awaitable<Response> GetAlert(AppContext& app, RequestContext& context) {
  std::string id = ParamId(context);
  std::optional<v1::Alert> alert = co_await app.alerts->Get(id);
  bool published = alert && alert->seq() != 0;
  if (alert && !published) {
    // Drafts are visible to authorities only; anyone else gets 404 as if
    // the id did not exist.
    if (BearerToken(context.request).empty()) alert.reset();
    else co_await Authenticate(*app.keys, context.request, kAuthorities);
  }
  if (!alert || (alert->cap_status() != v1::CAP_STATUS_ACTUAL && published &&
                 BearerToken(context.request).empty())) {
    throw NotFound("cảnh báo", "alert", id);
  }
  co_return JsonResponse(context.request, http::status::ok, AlertToJson(*alert));
}

awaitable<Response> GetMatches(AppContext& app, RequestContext& context) {
  co_await Authenticate(*app.keys, context.request, kAuthorities);
  std::string id = ParamId(context);
  std::optional<v1::Alert> alert = co_await app.alerts->Get(id);
  if (!alert) throw NotFound("cảnh báo", "alert", id);
  v1::AlertMatches matches = co_await app.alerts->GetMatches(id);

  std::map<std::string, std::string> names;
  for (const v1::Match& match : matches.matches()) {
    if (auto name = app.index->MerchantName(match.merchant_id())) names[match.merchant_id()] = *name;
  }
  std::map<std::string, NoticeState> notice_states;
  auto notice_ids = co_await app.alerts->GetNoticeIds(id);
  std::vector<std::string> ids;
  for (const auto& [merchant, notice] : notice_ids) ids.push_back(notice);
  for (const v1::Notice& notice : co_await app.notices->GetMany(ids)) {
    notice_states[notice.merchant_id()] = {notice.id(), NoticeStateName(notice.state()),
                                           notice.acked_at(), notice.ack_action()};
  }
  json::object out;
  out["alert_id"] = id;
  out["state"] = StateName(alert->state());
  out["matches"] = MatchesToJson(matches, names, notice_states);
  co_return JsonResponse(context.request, http::status::ok, out);
}

awaitable<Response> PublishAlert(AppContext& app, RequestContext& context) {
  v1::ApiKey publisher = co_await Authenticate(*app.keys, context.request, kAuthorities);
  std::string id = ParamId(context);
  bool confirm_whole_city = false;
  if (!context.request.body().empty()) {
    json::value body = ReadJsonBody(context.request);
    ObjectReader reader(body, "", {"confirm_whole_city"});
    confirm_whole_city = reader.OptionalBool("confirm_whole_city", false);
  }
  std::optional<v1::Alert> draft = co_await app.alerts->Get(id);
  if (!draft) throw NotFound("cảnh báo", "alert", id);
  if (draft->seq() != 0) {
    json::object out = AlertToJson(*draft);
    co_return JsonResponse(context.request, http::status::ok, out);
  }
  if (draft->state() != v1::ALERT_STATE_DRAFT && draft->state() != v1::ALERT_STATE_APPROVED) {
    throw Conflict("state", "Cảnh báo ở trạng thái không thể phát hành",
                   "The alert is not in a state that can be published");
  }

  if (!draft->expires().empty()) {
    auto expires = ParseRfc3339(draft->expires());
    if (expires && *expires <= std::chrono::system_clock::now()) {
      throw Conflict("expires", "Bản nháp đã quá thời điểm hết hạn " + draft->expires(),
                     "The draft expired at " + draft->expires() + " and cannot be published");
    }
  }
  bool whole_city = draft->areas_size() == 1 && draft->areas(0) == "all";
  if (whole_city && !confirm_whole_city) {
    throw InvalidField("confirm_whole_city",
                       "cảnh báo gửi toàn thành phố cần {\"confirm_whole_city\": true}",
                       "an alert to the whole city needs {\"confirm_whole_city\": true}");
  }

  // The catalog may have changed since the draft was made, so the matches
  // that create notices are computed again now.
  MatchOutcome outcome = co_await MatchCatalog(app, *draft);
  std::string sent = NowRfc3339();
  int64_t sent_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  auto build = [&](uint64_t seq) {
    store::AlertStore::PublishBatch batch;
    batch.alert = *draft;
    batch.alert.set_seq(seq);
    batch.alert.set_state(v1::ALERT_STATE_PUBLISHED);
    batch.alert.set_sent(sent);
    batch.alert.set_sent_unix_ms(sent_unix_ms);
    batch.alert.set_sender(publisher.role());
    batch.matches = outcome.matches;
    if (CreatesNotices(draft->category()) && draft->cap_status() == v1::CAP_STATUS_ACTUAL) {
      batch.notices = NoticesFor(batch.alert, outcome.matches, sent);
    }
    return batch;
  };
  store::AlertStore::PublishResult result = co_await app.alerts->Publish(id, build);
  if (!result.already_published) {
    spdlog::info("alert {}: published as seq {} by key {} ({})", id, result.seq, publisher.id(),
                 publisher.role());
    app.hub->Wake();
  }
  std::optional<v1::Alert> published = co_await app.alerts->Get(id);
  if (!published) throw NotFound("cảnh báo", "alert", id);
  co_return JsonResponse(context.request, http::status::ok, AlertToJson(*published));
}

awaitable<Response> ListAlerts(AppContext& app, RequestContext& context) {
  uint64_t limit = QueryNumber(context, "limit", kMaxListLimit).value_or(kDefaultListLimit);
  if (limit == 0) throw InvalidField("limit", "phải từ 1 đến 500", "must be between 1 and 500");
  uint64_t since = QueryNumber(context, "since", UINT64_MAX / 2).value_or(0);
  uint64_t before = QueryNumber(context, "before", UINT64_MAX / 2).value_or(0);
  std::optional<std::string> category = context.Query("category");
  v1::Category requested_category = v1::CATEGORY_UNSPECIFIED;
  if (category) {
    requested_category = CategoryFromName(*category);
    if (requested_category == v1::CATEGORY_UNSPECIFIED) {
      throw InvalidField("category", "loại cảnh báo không hợp lệ", "unknown category");
    }
  }
  std::optional<std::string> ward = context.Query("ward");

  // Filters apply after reading, so pages are read until the response is
  // full or the log is exhausted.
  json::array items;
  uint64_t cursor = before;
  bool exhausted = false;
  while (items.size() < limit && !exhausted) {
    std::vector<v1::Alert> page = co_await app.alerts->ListPublished(since, cursor, kMaxListLimit);
    exhausted = page.size() < kMaxListLimit;
    for (const v1::Alert& alert : page) {
      cursor = alert.seq();
      if (alert.cap_status() != v1::CAP_STATUS_ACTUAL) continue;
      if (alert.state() != v1::ALERT_STATE_PUBLISHED) continue;
      if (category && alert.category() != requested_category) continue;
      if (ward) {
        bool in_area = false;
        for (const std::string& area : alert.areas()) in_area |= area == "all" || area == *ward;
        if (!in_area) continue;
      }
      items.push_back(AlertToJson(alert));
      if (items.size() == limit) break;
    }
  }
  json::object out;
  out["alerts"] = std::move(items);
  bool more = !exhausted || out["alerts"].as_array().size() == limit;
  out["next_before"] = more && cursor > 1 ? json::value(cursor) : json::value(nullptr);
  co_return JsonResponse(context.request, http::status::ok, out);
}

}  // namespace

void AddAlertRoutes(Router& router, AppContext& app) {
  router.Add(http::verb::post, "/v1/alerts",
             [&app](RequestContext& c) { return CreateAlert(app, c); });
  router.Add(http::verb::get, "/v1/alerts", [&app](RequestContext& c) { return ListAlerts(app, c); });
  router.Add(http::verb::get, "/v1/alerts/{}",
             [&app](RequestContext& c) { return GetAlert(app, c); });
  router.Add(http::verb::get, "/v1/alerts/{}/matches",
             [&app](RequestContext& c) { return GetMatches(app, c); });
  router.Add(http::verb::post, "/v1/alerts/{}/publish",
             [&app](RequestContext& c) { return PublishAlert(app, c); });
}

}  // namespace canhbao::admin
