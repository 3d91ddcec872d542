// HTTP API tests: every endpoint's success path and its rejections, against
// a real service and a real redis-server. A rejection must carry the status,
// a Vietnamese and an English message, the field at fault, and leave Redis
// exactly as it was.

#include <gtest/gtest.h>

#include <ctime>
#include <thread>

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/server/service_fixture.hpp"

namespace canhbao::testing {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

// A valid recall draft addressed to one ward, of moderate severity, so that
// neither the four-eyes rule nor the whole-city confirmation applies.
json::object RecallAlert() {
  return json::parse(R"({
    "category": "recall",
    "severity": "moderate",
    "urgency": "immediate",
    "certainty": "observed",
    "areas": ["19753"],
    "headline": {"vi": "Thu hồi thuốc thử nghiệm", "en": "Recall of a test drug"},
    "identifiers": {"registration": ["VND-4309-05"], "lot": ["07062011"]}
  })").as_object();
}

json::object Merchant(const std::string& tax_code, const std::string& name) {
  return {{"tax_code", tax_code},
          {"name", name},
          {"address", "64 Trần Hưng Đạo, Phường Phú Xuân"},
          {"ward", "19753"},
          {"phone", "0234 3899 064"}};
}

constexpr const char* kRecalledCatalogCsv =
    "sku,name,brand,gtin,registration,lots\n"
    "ST-001,Độc hoạt ký sinh hoàn (chai 38 g),Phước Sanh,,VND-4309-05,07062011;15082011\n"
    "ST-002,\"Paracetamol 500 mg, hộp 10 vỉ\",Dược Ngự Bình,8937101000016,,PC2405\n";

// Checks the parts every error response must have.
void ExpectError(const HttpReply& reply, int status, const std::string& field) {
  EXPECT_EQ(reply.status, status) << reply.body;
  EXPECT_FALSE(StringAt(reply.json, {"error", "message", "vi"}).empty())
      << "error.message.vi is empty: " << reply.body;
  EXPECT_FALSE(StringAt(reply.json, {"error", "message", "en"}).empty())
      << "error.message.en is empty: " << reply.body;
  EXPECT_EQ(StringAt(reply.json, {"error", "field"}), field) << reply.body;
}

// Reports the first key whose presence or value differs.
void ExpectUnchanged(const RedisSnapshot& before, const RedisSnapshot& after) {
  EXPECT_EQ(before.size(), after.size()) << "the number of Redis keys changed";
  for (const auto& [name, value] : after) {
    auto old = before.find(name);
    if (old == before.end()) {
      ADD_FAILURE() << "Redis key " << name << " was created";
    } else if (old->second != value) {
      ADD_FAILURE() << "Redis key " << name << " was modified";
    }
  }
  for (const auto& [name, value] : before) {
    if (after.find(name) == after.end()) ADD_FAILURE() << "Redis key " << name << " was removed";
  }
}

uint64_t SeqOf(const HttpReply& reply) {
  const json::object* object = reply.json.if_object();
  if (object == nullptr || !object->contains("seq") || !object->at("seq").is_number()) return 0;
  return object->at("seq").to_number<uint64_t>();
}

class ApiTest : public ServiceFixture {
 protected:
  struct RegisteredMerchant {
    std::string id;
    std::string key;
  };

  // Registers a merchant and loads `csv` as its catalog.
  RegisteredMerchant AddMerchantWithCatalog(const std::string& tax_code, const std::string& csv) {
    json::object created = CreateMerchant(Merchant(tax_code, "Nhà thuốc " + tax_code));
    RegisteredMerchant merchant{StringAt(created, {"id"}), StringAt(created, {"key"})};
    HttpReply loaded = Put("/v1/merchants/" + merchant.id + "/products", csv,
                           "text/csv; charset=utf-8", merchant.key);
    EXPECT_EQ(loaded.status, 200) << loaded.body;
    return merchant;
  }

  // Creates a draft with the police key; returns its id.
  std::string CreateDraft(const json::object& alert) {
    HttpReply created = PostJson("/v1/alerts", alert, police_key_);
    EXPECT_EQ(created.status, 201) << created.body;
    return StringAt(created.json, {"id"});
  }

  HttpReply Publish(const std::string& id,
                    const std::string& body = R"({"confirm_whole_city": true})") {
    return PostJson("/v1/alerts/" + id + "/publish", body, police_key_);
  }
};

TEST_F(ApiTest, CreateAlertReturnsIdMatchesAndReach) {
  RegisteredMerchant merchant = AddMerchantWithCatalog("3398102347", kRecalledCatalogCsv);

  HttpReply reply = PostJson("/v1/alerts", RecallAlert(), police_key_);

  ASSERT_EQ(reply.status, 201) << reply.body;
  ASSERT_TRUE(reply.json.is_object()) << reply.body;
  const json::object& body = reply.json.as_object();
  EXPECT_FALSE(StringAt(body, {"id"}).empty());
  EXPECT_EQ(StringAt(body, {"state"}), "draft");
  EXPECT_TRUE(body.at("seq").is_null()) << "a draft has no seq";
  ASSERT_TRUE(body.contains("matches")) << reply.body;
  ASSERT_TRUE(body.at("matches").is_array()) << reply.body;
  const json::array& matches = body.at("matches").as_array();
  ASSERT_EQ(matches.size(), 1u) << reply.body;
  EXPECT_EQ(StringAt(matches[0], {"merchant_id"}), merchant.id);
  EXPECT_EQ(StringAt(matches[0], {"sku"}), "ST-001");
  EXPECT_EQ(matches[0].at("reasons"), json::parse(R"(["registration", "lot"])"));
  ASSERT_TRUE(body.contains("reach")) << reply.body;
  ASSERT_TRUE(body.at("reach").is_object()) << reply.body;
  EXPECT_EQ(body.at("reach").at("merchants"), 1);
  EXPECT_EQ(body.at("reach").at("areas"), json::parse(R"(["19753"])"));
}

// One rejected POST /v1/alerts.
struct AlertRejection {
  const char* name;
  std::string body;
  std::string content_type;
  enum class Key { kPolice, kNone, kMerchant } key;
  int status;
  std::string field;
};

std::vector<AlertRejection> AlertRejections() {
  json::object unknown = RecallAlert();
  unknown["bogus"] = 1;
  json::object missing_category = RecallAlert();
  missing_category.erase("category");
  json::object wrong_type = RecallAlert();
  wrong_type["category"] = 5;
  json::object bad_gtin = RecallAlert();
  bad_gtin["identifiers"] = json::parse(R"({"gtin": ["8937101000017"]})");
  json::object bad_pattern = RecallAlert();
  bad_pattern["rules"] = json::parse(R"([{"field": "product.name", "pattern": "(unclosed"}])");
  std::string valid = json::serialize(RecallAlert());

  using Key = AlertRejection::Key;
  return {
      {"malformed JSON", R"({"category": "recall",)", "application/json", Key::kPolice, 400,
       "body"},
      {"unknown field", json::serialize(unknown), "application/json", Key::kPolice, 400, "bogus"},
      {"missing category", json::serialize(missing_category), "application/json", Key::kPolice,
       400, "category"},
      {"category of wrong type", json::serialize(wrong_type), "application/json", Key::kPolice,
       400, "category"},
      {"GTIN with bad check digit", json::serialize(bad_gtin), "application/json", Key::kPolice,
       400, "identifiers.gtin[0]"},
      {"invalid RE2 pattern", json::serialize(bad_pattern), "application/json", Key::kPolice, 400,
       "rules[0].pattern"},
      {"wrong content type", valid, "text/plain", Key::kPolice, 415, "Content-Type"},
      {"no key", valid, "application/json", Key::kNone, 401, "Authorization"},
      {"merchant key", valid, "application/json", Key::kMerchant, 403, "Authorization"},
  };
}

TEST_F(ApiTest, CreateAlertRejectsBadRequests) {
  std::string merchant_key = CreateKey("merchant", "Cửa hàng thử", "m0000000000000001");

  for (const AlertRejection& rejection : AlertRejections()) {
    SCOPED_TRACE(rejection.name);
    std::string key = rejection.key == AlertRejection::Key::kPolice     ? police_key_
                      : rejection.key == AlertRejection::Key::kMerchant ? merchant_key
                                                                        : "";
    RedisSnapshot before = Snapshot();

    HttpReply reply = SendHttp(port(), {http::verb::post, "/v1/alerts", rejection.body,
                                        rejection.content_type, true, key});

    ExpectError(reply, rejection.status, rejection.field);
    ExpectUnchanged(before, Snapshot());
  }
}

TEST_F(ApiTest, CreateAlertRejectsOversizedBody) {
  json::object alert = RecallAlert();
  alert["description"] = {{"vi", std::string(1024 * 1024 + 100, 'a')}};
  RedisSnapshot before = Snapshot();

  HttpReply reply = PostJson("/v1/alerts", alert, police_key_);

  ExpectError(reply, 413, "body");
  ExpectUnchanged(before, Snapshot());
}

TEST_F(ApiTest, CreateAlertRejectsRevokedKey) {
  std::string key_id;
  std::string key = CreateKey("police", "Hoàng Văn Em", "", &key_id);
  HttpReply revoked =
      SendHttp(port(), {http::verb::delete_, "/v1/keys/" + key_id, "", "", false, admin_key_});
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  RedisSnapshot before = Snapshot();

  HttpReply reply = PostJson("/v1/alerts", RecallAlert(), key);

  ExpectError(reply, 401, "Authorization");
  ExpectUnchanged(before, Snapshot());
}

// An alert whose expiry has passed is rejected when created, and a draft
// that expires before it is published can no longer be published.
TEST_F(ApiTest, ExpiredAlertsAreRejected) {
  json::object past = RecallAlert();
  past["expires"] = "2020-01-01T00:00:00+07:00";
  RedisSnapshot before = Snapshot();
  ExpectError(PostJson("/v1/alerts", past, police_key_), 400, "expires");
  ExpectUnchanged(before, Snapshot());

  auto soon = std::chrono::system_clock::now() + std::chrono::seconds(2);
  std::time_t soon_time = std::chrono::system_clock::to_time_t(soon);
  std::tm parts{};
  gmtime_r(&soon_time, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  json::object brief = RecallAlert();
  brief["expires"] = text;
  std::string id = CreateDraft(brief);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  before = Snapshot();
  ExpectError(Publish(id), 409, "expires");
  ExpectUnchanged(before, Snapshot());
}

TEST_F(ApiTest, GetUnknownAlertIsNotFound) {
  RedisSnapshot before = Snapshot();

  HttpReply reply = Get("/v1/alerts/a0123456789abcdef");

  ExpectError(reply, 404, "id");
  ExpectUnchanged(before, Snapshot());
}

TEST_F(ApiTest, PublishReturnsSeqAndRepeatKeepsIt) {
  std::string id = CreateDraft(RecallAlert());

  HttpReply first = Publish(id);
  HttpReply second = Publish(id);

  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(StringAt(first.json, {"state"}), "published");
  uint64_t seq = SeqOf(first);
  EXPECT_EQ(seq, 1u) << "the first published alert of an empty log gets seq 1: " << first.body;
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(SeqOf(second), seq) << "a repeated publish must return the original seq";
  HttpReply fetched = Get("/v1/alerts/" + id);
  ASSERT_EQ(fetched.status, 200) << fetched.body;
  EXPECT_EQ(SeqOf(fetched), seq);
}

TEST_F(ApiTest, PublishUnknownAlertIsNotFound) {
  RedisSnapshot before = Snapshot();

  HttpReply reply = Publish("a0123456789abcdef");

  ExpectError(reply, 404, "id");
  ExpectUnchanged(before, Snapshot());
}

// The four-eyes rule: a severe alert needs another authority's approval,
// and publishing it unapproved is 409.
TEST_F(ApiTest, PublishUnapprovedSevereAlertIsConflict) {
  GTEST_SKIP() << "the four-eyes rule (approval by a second authority) is not built yet";
  json::object alert = RecallAlert();
  alert["severity"] = "severe";
  std::string id = CreateDraft(alert);
  RedisSnapshot before = Snapshot();

  HttpReply reply = Publish(id);

  ExpectError(reply, 409, "state");
  ExpectUnchanged(before, Snapshot());
}

// A whole-city alert needs {"confirm_whole_city": true} on publish.
TEST_F(ApiTest, PublishWholeCityNeedsConfirmation) {
  json::object alert = RecallAlert();
  alert["areas"] = json::array{"all"};
  std::string id = CreateDraft(alert);
  RedisSnapshot before = Snapshot();

  HttpReply reply = Publish(id, R"({"confirm_whole_city": false})");

  EXPECT_NE(reply.status, 200) << "a whole-city alert was published without confirmation: "
                               << reply.body;
  EXPECT_FALSE(StringAt(reply.json, {"error", "message", "vi"}).empty()) << reply.body;
  ExpectUnchanged(before, Snapshot());
}

TEST_F(ApiTest, ListAlertsShowsPublishedNewestFirst) {
  std::string draft = CreateDraft(RecallAlert());
  std::vector<std::string> published;
  for (int i = 0; i < 3; ++i) {
    json::object alert = RecallAlert();
    alert["headline"] = {{"vi", "Thu hồi số " + std::to_string(i)}};
    std::string id = CreateDraft(alert);
    ASSERT_EQ(Publish(id).status, 200);
    published.push_back(id);
  }

  HttpReply reply = Get("/v1/alerts");

  ASSERT_EQ(reply.status, 200) << reply.body;
  const json::array& alerts = reply.json.at("alerts").as_array();
  ASSERT_EQ(alerts.size(), 3u) << "drafts must not be listed: " << reply.body;
  for (size_t i = 0; i < alerts.size(); ++i) {
    SCOPED_TRACE("position " + std::to_string(i));
    EXPECT_EQ(StringAt(alerts[i], {"id"}), published[published.size() - 1 - i]);
    EXPECT_EQ(alerts[i].at("seq"), published.size() - i);
  }
  HttpReply limited = Get("/v1/alerts?limit=1");
  ASSERT_EQ(limited.status, 200) << limited.body;
  EXPECT_EQ(limited.json.at("alerts").as_array().size(), 1u);
  EXPECT_EQ(limited.json.at("next_before"), 3) << limited.body;
}

TEST_F(ApiTest, CreateMerchantReturnsKey) {
  HttpReply reply = PostJson("/v1/merchants", Merchant("3398102347", "Nhà thuốc Sen Trắng"),
                             admin_key_);

  ASSERT_EQ(reply.status, 201) << reply.body;
  EXPECT_FALSE(StringAt(reply.json, {"id"}).empty());
  EXPECT_EQ(StringAt(reply.json, {"key"}).rfind("cbk_", 0), 0u) << reply.body;
  EXPECT_EQ(StringAt(reply.json, {"tax_code"}), "3398102347");
  HttpReply listed = Get("/v1/merchants", market_key_);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.json.at("merchants").as_array().size(), 1u);
}

TEST_F(ApiTest, CreateMerchantRejectsBadTaxCode) {
  RedisSnapshot before = Snapshot();

  HttpReply reply =
      PostJson("/v1/merchants", Merchant("3398102348", "Nhà thuốc sai mã"), admin_key_);

  ExpectError(reply, 400, "tax_code");
  ExpectUnchanged(before, Snapshot());
}

TEST_F(ApiTest, CreateMerchantRejectsDuplicateTaxCode) {
  CreateMerchant(Merchant("3398102347", "Nhà thuốc Sen Trắng"));
  RedisSnapshot before = Snapshot();

  HttpReply reply =
      PostJson("/v1/merchants", Merchant("3398102347", "Nhà thuốc trùng mã"), admin_key_);

  ExpectError(reply, 409, "tax_code");
  ExpectUnchanged(before, Snapshot());
}

TEST_F(ApiTest, CreateMerchantRejectsUnknownWard) {
  json::object merchant = Merchant("3398102347", "Nhà thuốc ngoài Huế");
  merchant["ward"] = "99999";
  RedisSnapshot before = Snapshot();

  HttpReply reply = PostJson("/v1/merchants", merchant, admin_key_);

  ExpectError(reply, 400, "ward");
  ExpectUnchanged(before, Snapshot());
}

TEST_F(ApiTest, CreateMerchantRejectsAuthorityWithoutMarketRole) {
  RedisSnapshot before = Snapshot();

  HttpReply reply =
      PostJson("/v1/merchants", Merchant("3398102347", "Nhà thuốc Sen Trắng"), police_key_);

  ExpectError(reply, 403, "Authorization");
  ExpectUnchanged(before, Snapshot());
}

TEST_F(ApiTest, ReplaceCatalogAcceptsJson) {
  json::object created = CreateMerchant(Merchant("3398102347", "Nhà thuốc Sen Trắng"));
  std::string id = StringAt(created, {"id"});
  json::array products = json::parse(R"([
    {"sku": "ST-001", "name": "Độc hoạt ký sinh hoàn", "registration": "VND-4309-05",
     "lots": ["07062011"]},
    {"sku": "ST-002", "name": "Paracetamol 500 mg", "gtin": "8937101000016"}
  ])").as_array();

  HttpReply reply = Put("/v1/merchants/" + id + "/products", json::serialize(products),
                        "application/json", StringAt(created, {"key"}));

  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json.at("products"), 2);
  HttpReply stored = Get("/v1/merchants/" + id + "/products", admin_key_);
  ASSERT_EQ(stored.status, 200) << stored.body;
  const json::array& items = stored.json.at("products").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(StringAt(items[0], {"sku"}), "ST-001");
  EXPECT_EQ(items[0].at("lots"), json::parse(R"(["07062011"])"));
  EXPECT_EQ(StringAt(items[1], {"gtin"}), "8937101000016");
}

TEST_F(ApiTest, ReplaceCatalogAcceptsCsv) {
  json::object created = CreateMerchant(Merchant("3398102347", "Nhà thuốc Sen Trắng"));
  std::string id = StringAt(created, {"id"});

  HttpReply reply = Put("/v1/merchants/" + id + "/products", kRecalledCatalogCsv,
                        "text/csv; charset=utf-8", StringAt(created, {"key"}));

  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json.at("products"), 2);
  HttpReply stored = Get("/v1/merchants/" + id + "/products", StringAt(created, {"key"}));
  ASSERT_EQ(stored.status, 200) << stored.body;
  const json::array& items = stored.json.at("products").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(StringAt(items[0], {"name"}), "Độc hoạt ký sinh hoàn (chai 38 g)");
  EXPECT_EQ(items[0].at("lots"), json::parse(R"(["07062011", "15082011"])"));
  EXPECT_EQ(StringAt(items[1], {"name"}), "Paracetamol 500 mg, hộp 10 vỉ");
}

TEST_F(ApiTest, ReplaceCatalogListsEveryBadRow) {
  RegisteredMerchant merchant = AddMerchantWithCatalog("3398102347", kRecalledCatalogCsv);
  std::string csv =
      "sku,name,brand,gtin,registration,lots\n"
      "OK-1,Sản phẩm tốt,,8937101000016,,\n"
      "BAD-2,Mã vạch sai,,8937101000017,,\n"
      "BAD-3,,,,,\n";
  RedisSnapshot before = Snapshot();

  HttpReply reply =
      Put("/v1/merchants/" + merchant.id + "/products", csv, "text/csv", merchant.key);

  ExpectError(reply, 422, "products");
  ASSERT_TRUE(reply.json.at("error").as_object().contains("rows")) << reply.body;
  std::set<int64_t> rows;
  for (const json::value& row : reply.json.at("error").at("rows").as_array()) {
    rows.insert(row.at("row").to_number<int64_t>());
    EXPECT_FALSE(StringAt(row, {"field"}).empty()) << json::serialize(row);
    EXPECT_FALSE(StringAt(row, {"message", "vi"}).empty()) << json::serialize(row);
    EXPECT_FALSE(StringAt(row, {"message", "en"}).empty()) << json::serialize(row);
  }
  EXPECT_EQ(rows, (std::set<int64_t>{2, 3})) << reply.body;
  ExpectUnchanged(before, Snapshot());
}

TEST_F(ApiTest, ReplaceCatalogRejectsOtherMerchantKey) {
  RegisteredMerchant owner = AddMerchantWithCatalog("3398102347", kRecalledCatalogCsv);
  RegisteredMerchant other = AddMerchantWithCatalog("3398105676", kRecalledCatalogCsv);
  RedisSnapshot before = Snapshot();

  HttpReply reply = Put("/v1/merchants/" + owner.id + "/products",
                        "sku,name\nX-1,Hàng của người khác\n", "text/csv", other.key);

  ExpectError(reply, 403, "Authorization");
  ExpectUnchanged(before, Snapshot());
}

TEST_F(ApiTest, ReplaceCatalogOfUnknownMerchantIsNotFound) {
  RedisSnapshot before = Snapshot();

  HttpReply reply = Put("/v1/merchants/m0123456789abcdef/products", "sku,name\nX-1,Hàng\n",
                        "text/csv", admin_key_);

  ExpectError(reply, 404, "id");
  ExpectUnchanged(before, Snapshot());
}

// Catalogs have their own body limit (16 MiB by default), larger than the
// 1 MiB of other requests.
TEST_F(ApiTest, ReplaceCatalogAcceptsBodyOverOneMebibyte) {
  json::object created = CreateMerchant(Merchant("3398102347", "Nhà thuốc Sen Trắng"));
  std::string csv = "sku,name,brand,gtin,registration,lots\n";
  const size_t kRows = 20000;
  for (size_t i = 0; i < kRows; ++i) {
    csv += "SKU-" + std::to_string(i) + ",Sản phẩm thử nghiệm số " + std::to_string(i) +
           " của cửa hàng,Thương hiệu,,,LOT" + std::to_string(i) + "\n";
  }
  ASSERT_GT(csv.size(), 1024u * 1024u);

  HttpReply reply = Put("/v1/merchants/" + StringAt(created, {"id"}) + "/products", csv,
                        "text/csv", StringAt(created, {"key"}));

  EXPECT_EQ(reply.status, 200) << "a " << csv.size() << "-byte catalog: " << reply.body;
  if (reply.status == 200) {
    EXPECT_EQ(reply.json.at("products"), kRows);
  }
}

TEST_F(ApiTest, NoticeAcknowledgedOnce) {
  RegisteredMerchant merchant = AddMerchantWithCatalog("3398102347", kRecalledCatalogCsv);
  std::string alert_id = CreateDraft(RecallAlert());
  ASSERT_EQ(Publish(alert_id).status, 200);

  HttpReply notices = Get("/v1/merchants/" + merchant.id + "/notices", merchant.key);
  ASSERT_EQ(notices.status, 200) << notices.body;
  const json::array& items = notices.json.at("notices").as_array();
  ASSERT_EQ(items.size(), 1u) << notices.body;
  EXPECT_EQ(StringAt(items[0], {"alert_id"}), alert_id);
  EXPECT_EQ(StringAt(items[0], {"state"}), "open");
  std::string notice_id = StringAt(items[0], {"id"});

  {
    SCOPED_TRACE("unknown action");
    RedisSnapshot before = Snapshot();
    HttpReply bad = PostJson("/v1/notices/" + notice_id + "/ack", R"({"action": "sold_anyway"})",
                             merchant.key);
    ExpectError(bad, 400, "action");
    ExpectUnchanged(before, Snapshot());
  }

  HttpReply acked = PostJson("/v1/notices/" + notice_id + "/ack",
                             R"({"action": "removed_from_sale", "note": "Đã cất kho"})",
                             merchant.key);
  ASSERT_EQ(acked.status, 200) << acked.body;
  EXPECT_EQ(StringAt(acked.json, {"state"}), "acknowledged");
  EXPECT_EQ(StringAt(acked.json, {"ack_action"}), "removed_from_sale");

  {
    SCOPED_TRACE("repeated acknowledgement");
    RedisSnapshot before = Snapshot();
    HttpReply again = PostJson("/v1/notices/" + notice_id + "/ack",
                               R"({"action": "destroyed"})", merchant.key);
    ExpectError(again, 409, "state");
    ExpectUnchanged(before, Snapshot());
  }

  HttpReply matches = Get("/v1/alerts/" + alert_id + "/matches", police_key_);
  ASSERT_EQ(matches.status, 200) << matches.body;
  EXPECT_EQ(StringAt(matches.json.at("matches").at(0), {"notice_state"}), "acknowledged");
}

TEST_F(ApiTest, NoticesOfOtherMerchantAreForbidden) {
  RegisteredMerchant owner = AddMerchantWithCatalog("3398102347", kRecalledCatalogCsv);
  RegisteredMerchant other = AddMerchantWithCatalog("3398105676", kRecalledCatalogCsv);
  RedisSnapshot before = Snapshot();

  HttpReply reply = Get("/v1/merchants/" + owner.id + "/notices", other.key);

  ExpectError(reply, 403, "Authorization");
  ExpectUnchanged(before, Snapshot());
}

}  // namespace
}  // namespace canhbao::testing
