#include "admin/alert_json.hpp"

#include <boost/json.hpp>
#include <map>

#include "admin/auth.hpp"
#include "admin/json_reader.hpp"
#include "admin/wards.hpp"
#include "rules/account.hpp"
#include "rules/domain.hpp"
#include "rules/gtin.hpp"
#include "rules/phone.hpp"
#include "rules/registration.hpp"
#include "rules/rule_set.hpp"
#include "server/clock.hpp"

namespace canhbao::admin {

namespace json = boost::json;

namespace {

template <class Enum>
struct EnumName {
  Enum value;
  const char* name;
};

constexpr EnumName<v1::Category> kCategories[] = {
    {v1::CATEGORY_SCAM, "scam"},           {v1::CATEGORY_RECALL, "recall"},
    {v1::CATEGORY_COUNTERFEIT, "counterfeit"}, {v1::CATEGORY_FOOD_SAFETY, "food_safety"},
    {v1::CATEGORY_PRICE, "price"},         {v1::CATEGORY_OTHER, "other"},
};
constexpr EnumName<v1::Severity> kSeverities[] = {
    {v1::SEVERITY_EXTREME, "extreme"}, {v1::SEVERITY_SEVERE, "severe"},
    {v1::SEVERITY_MODERATE, "moderate"}, {v1::SEVERITY_MINOR, "minor"},
    {v1::SEVERITY_UNKNOWN, "unknown"},
};
constexpr EnumName<v1::Urgency> kUrgencies[] = {
    {v1::URGENCY_IMMEDIATE, "immediate"}, {v1::URGENCY_EXPECTED, "expected"},
    {v1::URGENCY_FUTURE, "future"},       {v1::URGENCY_PAST, "past"},
    {v1::URGENCY_UNKNOWN, "unknown"},
};
constexpr EnumName<v1::Certainty> kCertainties[] = {
    {v1::CERTAINTY_OBSERVED, "observed"}, {v1::CERTAINTY_LIKELY, "likely"},
    {v1::CERTAINTY_POSSIBLE, "possible"}, {v1::CERTAINTY_UNLIKELY, "unlikely"},
    {v1::CERTAINTY_UNKNOWN, "unknown"},
};
constexpr EnumName<v1::CapStatus> kCapStatuses[] = {
    {v1::CAP_STATUS_ACTUAL, "actual"},
    {v1::CAP_STATUS_EXERCISE, "exercise"},
    {v1::CAP_STATUS_TEST, "test"},
};
constexpr EnumName<v1::AlertState> kStates[] = {
    {v1::ALERT_STATE_DRAFT, "draft"},         {v1::ALERT_STATE_APPROVED, "approved"},
    {v1::ALERT_STATE_PUBLISHED, "published"}, {v1::ALERT_STATE_UPDATED, "updated"},
    {v1::ALERT_STATE_CANCELLED, "cancelled"}, {v1::ALERT_STATE_EXPIRED, "expired"},
};
constexpr EnumName<v1::MsgType> kMsgTypes[] = {
    {v1::MSG_TYPE_ALERT, "alert"},
    {v1::MSG_TYPE_UPDATE, "update"},
    {v1::MSG_TYPE_CANCEL, "cancel"},
};

template <class Enum, size_t N>
const char* NameOf(const EnumName<Enum> (&table)[N], Enum value, const char* fallback) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return fallback;
}

template <class Enum, size_t N>
std::string AllowedNames(const EnumName<Enum> (&table)[N]) {
  std::string names;
  for (const auto& entry : table) {
    if (!names.empty()) names += ", ";
    names += entry.name;
  }
  return names;
}

// Reads an enum member; `fallback` is used when the member is absent, and
// a required member has no fallback.
template <class Enum, size_t N>
Enum ReadEnum(ObjectReader& reader, std::string_view key, const EnumName<Enum> (&table)[N],
              std::optional<Enum> fallback) {
  std::optional<std::string> text = reader.OptionalString(key, 32);
  if (!text) {
    if (fallback) return *fallback;
    throw MissingField(reader.PathOf(key));
  }
  for (const auto& entry : table) {
    if (*text == entry.name) return entry.value;
  }
  std::string allowed = AllowedNames(table);
  throw InvalidField(reader.PathOf(key), "giá trị '" + *text + "' không hợp lệ; chọn một trong: " + allowed,
                     "invalid value '" + *text + "'; expected one of: " + allowed);
}

void ReadText(ObjectReader& parent, std::string_view key, size_t max_chars, bool required,
              v1::LocalizedText* out) {
  const json::value* value = parent.Get(key);
  if (value == nullptr) {
    if (required) throw MissingField(parent.PathOf(key));
    return;
  }
  ObjectReader text(*value, parent.PathOf(key), {"vi", "en"});
  std::optional<std::string> vi = text.OptionalString("vi", max_chars);
  std::optional<std::string> en = text.OptionalString("en", max_chars);
  if (required && (!vi || vi->empty())) throw MissingField(text.PathOf("vi"));
  out->set_vi(vi.value_or(""));
  out->set_en(en.value_or(""));
}

template <class Normalize>
void CheckEach(const google::protobuf::RepeatedPtrField<std::string>& values,
               const std::string& path, Normalize normalize) {
  for (int i = 0; i < values.size(); ++i) {
    auto result = normalize(values[i]);
    if (!result.ok()) {
      throw InvalidField(IndexPath(path, i), result.error().message_vi, result.error().message_en);
    }
  }
}

// Normalizes every value; throws ApiError naming the path of a bad one.
template <class Normalize>
auto NormalizeEach(const google::protobuf::RepeatedPtrField<std::string>& values,
                   const std::string& path, Normalize normalize) {
  using Value = std::decay_t<decltype(normalize(std::string_view()).value())>;
  std::vector<Value> result;
  for (int i = 0; i < values.size(); ++i) {
    auto normalized = normalize(values[i]);
    if (!normalized.ok()) {
      throw InvalidField(IndexPath(path, i), normalized.error().message_vi,
                         normalized.error().message_en);
    }
    result.push_back(std::move(normalized.value()));
  }
  return result;
}

void ReadIdentifierList(ObjectReader& reader, std::string_view key, size_t max_items,
                        google::protobuf::RepeatedPtrField<std::string>* out) {
  for (std::string& value : reader.StringArray(key, max_items, 300)) {
    *out->Add() = std::move(value);
  }
}

std::vector<rules::RuleSpec> RuleSpecs(const v1::Alert& alert) {
  std::vector<rules::RuleSpec> specs;
  for (const v1::Rule& rule : alert.rules()) {
    specs.push_back({rule.field(), rule.pattern(), rule.accent_insensitive()});
  }
  return specs;
}

json::array StringsToJson(const google::protobuf::RepeatedPtrField<std::string>& values) {
  json::array array;
  for (const std::string& value : values) array.emplace_back(value);
  return array;
}

json::value OptionalString(const std::string& value) {
  if (value.empty()) return nullptr;
  return json::value(value);
}

}  // namespace

const char* CategoryName(v1::Category category) { return NameOf(kCategories, category, "other"); }
const char* StateName(v1::AlertState state) { return NameOf(kStates, state, "draft"); }

v1::Category CategoryFromName(std::string_view name) {
  for (const auto& entry : kCategories) {
    if (name == entry.name) return entry.value;
  }
  return v1::CATEGORY_UNSPECIFIED;
}

bool CreatesNotices(v1::Category category) {
  return category == v1::CATEGORY_RECALL || category == v1::CATEGORY_COUNTERFEIT ||
         category == v1::CATEGORY_FOOD_SAFETY;
}

bool IsActiveRecall(const v1::Alert& alert) {
  if (!CreatesNotices(alert.category()) || alert.cap_status() != v1::CAP_STATUS_ACTUAL ||
      alert.state() != v1::ALERT_STATE_PUBLISHED) {
    return false;
  }
  if (alert.expires().empty()) return true;
  auto expires = ParseRfc3339(alert.expires());
  return !expires || *expires > std::chrono::system_clock::now();
}

v1::AlertMatches ToAlertMatches(const std::vector<rules::MatchRecord>& records) {
  v1::AlertMatches matches;
  for (const rules::MatchRecord& record : records) {
    v1::Match* match = matches.add_matches();
    match->set_merchant_id(record.merchant_id);
    match->set_sku(record.sku.value_or(""));
    for (const std::string& reason : record.reasons) match->add_reasons(reason);
  }
  return matches;
}

std::vector<v1::Notice> NoticesFor(const v1::Alert& alert, const v1::AlertMatches& matches,
                                   const std::string& created) {
  std::map<std::string, v1::Notice> by_merchant;
  for (const v1::Match& match : matches.matches()) {
    if (match.sku().empty()) continue;
    v1::Notice& notice = by_merchant[match.merchant_id()];
    if (notice.id().empty()) {
      notice.set_id(NewId('n'));
      notice.set_merchant_id(match.merchant_id());
      notice.set_alert_id(alert.id());
      notice.set_alert_seq(alert.seq());
      notice.set_state(v1::NOTICE_STATE_OPEN);
      notice.set_created(created);
      *notice.mutable_headline() = alert.headline();
    }
    *notice.add_matches() = match;
  }
  std::vector<v1::Notice> notices;
  for (auto& [merchant, notice] : by_merchant) notices.push_back(std::move(notice));
  return notices;
}

v1::Alert ParseAlertRequest(const json::value& body, const AlertLimits& limits) {
  ObjectReader reader(body, "",
                      {"category", "severity", "urgency", "certainty", "cap_status", "areas",
                       "headline", "description", "instruction", "source", "expires",
                       "identifiers", "products", "rules", "error_cancellation"});
  v1::Alert alert;
  alert.set_category(ReadEnum(reader, "category", kCategories, std::optional<v1::Category>()));
  alert.set_severity(ReadEnum(reader, "severity", kSeverities,
                              std::optional<v1::Severity>(v1::SEVERITY_UNKNOWN)));
  alert.set_urgency(
      ReadEnum(reader, "urgency", kUrgencies, std::optional<v1::Urgency>(v1::URGENCY_UNKNOWN)));
  alert.set_certainty(ReadEnum(reader, "certainty", kCertainties,
                               std::optional<v1::Certainty>(v1::CERTAINTY_UNKNOWN)));
  alert.set_cap_status(ReadEnum(reader, "cap_status", kCapStatuses,
                                std::optional<v1::CapStatus>(v1::CAP_STATUS_ACTUAL)));

  std::vector<std::string> areas = reader.StringArray("areas", limits.max_areas, 16);
  if (!reader.Has("areas")) throw MissingField("areas");
  if (areas.empty()) {
    throw InvalidField("areas", "cần ít nhất một mã phường/xã hoặc \"all\"",
                       "needs at least one ward code or \"all\"");
  }
  for (size_t i = 0; i < areas.size(); ++i) {
    if (areas[i] == "all") {
      if (areas.size() != 1) {
        throw InvalidField(IndexPath("areas", i), "\"all\" phải đứng một mình",
                           "\"all\" must be the only area");
      }
    } else if (FindWard(areas[i]) == nullptr) {
      throw InvalidField(IndexPath("areas", i),
                         "'" + areas[i] + "' không phải mã phường/xã của Huế",
                         "'" + areas[i] + "' is not a ward code of Huế");
    }
    *alert.add_areas() = areas[i];
  }

  ReadText(reader, "headline", limits.headline_chars, true, alert.mutable_headline());
  ReadText(reader, "description", limits.description_chars, false, alert.mutable_description());
  ReadText(reader, "instruction", limits.instruction_chars, false, alert.mutable_instruction());
  ReadText(reader, "error_cancellation", limits.headline_chars, false,
           alert.mutable_error_cancellation());
  if (alert.error_cancellation().vi().empty()) {
    alert.mutable_error_cancellation()->set_vi("Cảnh báo trước đó được gửi nhầm. Xin bỏ qua.");
    alert.mutable_error_cancellation()->set_en(
        "The previous warning was sent in error. Please disregard it.");
  }
  alert.set_source(reader.OptionalString("source", 200).value_or(""));
  if (std::optional<std::string> expires = reader.OptionalString("expires", 40)) {
    auto when = ParseRfc3339(*expires);
    if (!when) {
      throw InvalidField("expires", "phải là thời điểm RFC 3339 có múi giờ, ví dụ 2027-01-31T23:59:59+07:00",
                         "must be an RFC 3339 time with offset, e.g. 2027-01-31T23:59:59+07:00");
    }
    if (*when <= std::chrono::system_clock::now()) {
      throw InvalidField("expires", "thời điểm hết hạn '" + *expires + "' đã qua",
                         "the expiry time '" + *expires + "' is already past");
    }
    alert.set_expires(*expires);
  }

  if (const json::value* value = reader.Get("identifiers")) {
    ObjectReader ids(*value, "identifiers",
                     {"gtin", "registration", "lot", "phone", "domain", "url", "account"});
    v1::Identifiers* out = alert.mutable_identifiers();
    ReadIdentifierList(ids, "gtin", limits.max_identifiers, out->mutable_gtin());
    ReadIdentifierList(ids, "registration", limits.max_identifiers, out->mutable_registration());
    ReadIdentifierList(ids, "lot", limits.max_identifiers, out->mutable_lot());
    ReadIdentifierList(ids, "phone", limits.max_identifiers, out->mutable_phone());
    ReadIdentifierList(ids, "domain", limits.max_identifiers, out->mutable_domain());
    ReadIdentifierList(ids, "url", limits.max_identifiers, out->mutable_url());
    ReadIdentifierList(ids, "account", limits.max_identifiers, out->mutable_account());
  }

  if (const json::array* products = reader.Array("products", limits.max_products)) {
    for (size_t i = 0; i < products->size(); ++i) {
      ObjectReader entry((*products)[i], IndexPath("products", i), {"gtin", "registration", "lot"});
      v1::ProductEntry* out = alert.add_products();
      ReadIdentifierList(entry, "gtin", limits.max_identifiers, out->mutable_gtin());
      ReadIdentifierList(entry, "registration", limits.max_identifiers,
                         out->mutable_registration());
      ReadIdentifierList(entry, "lot", limits.max_identifiers, out->mutable_lot());
      if (out->gtin().empty() && out->registration().empty()) {
        throw InvalidField(IndexPath("products", i), "cần ít nhất một gtin hoặc registration",
                           "needs at least one gtin or registration");
      }
    }
  }

  if (const json::array* rules = reader.Array("rules", limits.max_rules)) {
    for (size_t i = 0; i < rules->size(); ++i) {
      ObjectReader rule((*rules)[i], IndexPath("rules", i),
                        {"field", "pattern", "accent_insensitive"});
      v1::Rule* out = alert.add_rules();
      std::string field = rule.RequiredString("field", 32);
      if (field != "product.name" && field != "product.brand" && field != "merchant.name" &&
          field != "text") {
        throw InvalidField(rule.PathOf("field"),
                           "phải là product.name, product.brand, merchant.name hoặc text",
                           "must be product.name, product.brand, merchant.name or text");
      }
      out->set_field(field);
      out->set_pattern(rule.RequiredString("pattern", 1024));
      if (out->pattern().empty()) {
        throw InvalidField(rule.PathOf("pattern"), "không được để trống", "must not be empty");
      }
      out->set_accent_insensitive(rule.OptionalBool("accent_insensitive", false));
    }
  }

  // The caller runs BuildCriteria next, off the I/O threads: it normalizes
  // every identifier and compiles the rules, and rejects the request when
  // one is invalid, so no draft is stored with a value the matcher rejects.
  return alert;
}

rules::AlertCriteria BuildCriteria(const v1::Alert& alert) {
  rules::AlertCriteria criteria;
  const v1::Identifiers& ids = alert.identifiers();
  criteria.gtins = NormalizeEach(ids.gtin(), "identifiers.gtin", rules::NormalizeGtin);
  criteria.registrations =
      NormalizeEach(ids.registration(), "identifiers.registration", rules::NormalizeRegistration);
  criteria.lots = NormalizeEach(ids.lot(), "identifiers.lot", rules::NormalizeLot);
  criteria.phones = NormalizeEach(ids.phone(), "identifiers.phone", rules::NormalizePhone);
  criteria.domains = NormalizeEach(ids.domain(), "identifiers.domain", rules::NormalizeDomain);
  criteria.urls = NormalizeEach(ids.url(), "identifiers.url", rules::NormalizeUrl);
  criteria.accounts = NormalizeEach(ids.account(), "identifiers.account", rules::NormalizeAccount);
  for (int i = 0; i < alert.products_size(); ++i) {
    const v1::ProductEntry& entry = alert.products(i);
    std::string path = IndexPath("products", i);
    rules::CriteriaEntry out;
    out.gtins = NormalizeEach(entry.gtin(), path + ".gtin", rules::NormalizeGtin);
    out.registrations =
        NormalizeEach(entry.registration(), path + ".registration", rules::NormalizeRegistration);
    out.lots = NormalizeEach(entry.lot(), path + ".lot", rules::NormalizeLot);
    criteria.products.push_back(std::move(out));
  }
  if (alert.rules_size() > 0) {
    auto compiled = rules::RuleSet::Compile(RuleSpecs(alert));
    if (auto* error = std::get_if<rules::RuleError>(&compiled)) {
      throw InvalidField(IndexPath("rules", error->index) + ".pattern", error->invalid.message_vi,
                         error->invalid.message_en);
    }
    criteria.rules = std::get<std::shared_ptr<const rules::RuleSet>>(compiled);
  }
  if (criteria.gtins.empty() && criteria.registrations.empty() && criteria.phones.empty() &&
      criteria.domains.empty() && criteria.urls.empty() && criteria.accounts.empty() &&
      criteria.products.empty() && !criteria.rules && !criteria.lots.empty()) {
    throw InvalidField("identifiers.lot",
                       "số lô chỉ thu hẹp các định danh khác; cần thêm gtin, registration hoặc quy tắc",
                       "lots only narrow other identifiers; add a gtin, registration or rule");
  }
  return criteria;
}

json::object TextToJson(const v1::LocalizedText& text) {
  return {{"vi", text.vi()}, {"en", text.en().empty() ? text.vi() : text.en()}};
}

namespace {

json::value OptionalText(const v1::LocalizedText& text) {
  if (text.vi().empty() && text.en().empty()) return nullptr;
  return TextToJson(text);
}

void AddCommonFields(const v1::Alert& alert, json::object& out) {
  out["id"] = alert.id();
  if (alert.seq() == 0) {
    out["seq"] = nullptr;
  } else {
    out["seq"] = alert.seq();
  }
  out["msg_type"] = NameOf(kMsgTypes, alert.msg_type(), "alert");
  out["references"] = StringsToJson(alert.references());
  out["state"] = StateName(alert.state());
  out["cap_status"] = NameOf(kCapStatuses, alert.cap_status(), "actual");
  out["category"] = CategoryName(alert.category());
  out["severity"] = NameOf(kSeverities, alert.severity(), "unknown");
  out["urgency"] = NameOf(kUrgencies, alert.urgency(), "unknown");
  out["certainty"] = NameOf(kCertainties, alert.certainty(), "unknown");
  out["areas"] = StringsToJson(alert.areas());
  out["headline"] = TextToJson(alert.headline());
  out["description"] = OptionalText(alert.description());
  out["instruction"] = OptionalText(alert.instruction());
  out["sent"] = OptionalString(alert.sent());
  out["expires"] = OptionalString(alert.expires());
}

}  // namespace

json::object AlertToJson(const v1::Alert& alert) {
  json::object out;
  AddCommonFields(alert, out);
  out["source"] = OptionalString(alert.source());
  out["sender"] = OptionalString(alert.sender());
  out["key_id"] = OptionalString(alert.key_id());
  out["signature"] = nullptr;
  const v1::Identifiers& ids = alert.identifiers();
  out["identifiers"] = {{"gtin", StringsToJson(ids.gtin())},
                        {"registration", StringsToJson(ids.registration())},
                        {"lot", StringsToJson(ids.lot())},
                        {"phone", StringsToJson(ids.phone())},
                        {"domain", StringsToJson(ids.domain())},
                        {"url", StringsToJson(ids.url())},
                        {"account", StringsToJson(ids.account())}};
  json::array products;
  for (const v1::ProductEntry& entry : alert.products()) {
    products.push_back({{"gtin", StringsToJson(entry.gtin())},
                        {"registration", StringsToJson(entry.registration())},
                        {"lot", StringsToJson(entry.lot())}});
  }
  out["products"] = std::move(products);
  json::array rules;
  for (const v1::Rule& rule : alert.rules()) {
    rules.push_back({{"field", rule.field()},
                     {"pattern", rule.pattern()},
                     {"accent_insensitive", rule.accent_insensitive()}});
  }
  out["rules"] = std::move(rules);
  out["error_cancellation"] = TextToJson(alert.error_cancellation());
  out["created"] = OptionalString(alert.created());
  return out;
}

json::object AlertMessage(const v1::Alert& alert) {
  json::object out;
  out["type"] = "alert";
  AddCommonFields(alert, out);
  return out;
}

}  // namespace canhbao::admin
