// Catalog changes after publication, and several nodes on one Redis: a shop
// that starts stocking a recalled lot gets its notice, and every node's
// index receives catalog changes made through any other node.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "tests/server/service_fixture.hpp"

namespace canhbao::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kRecalledCatalog =
    "sku,name,brand,gtin,registration,lots\n"
    "DH-1,Độc hoạt ký sinh hoàn chai 38 g,Phước Sanh,,vnd 4309 05,07062011\n";
constexpr const char* kUnrelatedCatalog =
    "sku,name,brand,gtin,registration,lots\n"
    "SB-1,Sữa bột trẻ em 400g,Ông Thọ,,,\n";

json::object DrugRecall() {
  return {{"category", "recall"},
          {"severity", "moderate"},
          {"areas", json::array{"19753"}},
          {"headline", {{"vi", "Đình chỉ lưu hành thuốc Độc hoạt ký sinh hoàn"},
                        {"en", "Recall of Độc hoạt ký sinh hoàn"}}},
          {"identifiers", {{"registration", json::array{"VND-4309-05"}},
                           {"lot", json::array{"07062011"}}}}};
}

class CatalogSyncTest : public ServiceFixture {
 protected:
  // Registers a merchant; returns {id, key}.
  std::pair<std::string, std::string> NewMerchant(const std::string& tax_code) {
    json::object created = CreateMerchant(json::object{{"tax_code", tax_code},
                                                       {"name", "Nhà thuốc " + tax_code},
                                                       {"address", "12 Lê Lợi, Huế"},
                                                       {"ward", "19753"}});
    return {StringAt(created, {"id"}), StringAt(created, {"key"})};
  }

  void UploadCatalog(const std::string& id, const std::string& key, const std::string& csv) {
    HttpReply reply = Put("/v1/merchants/" + id + "/products", csv, "text/csv", key);
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  std::string PublishDrugRecall() {
    HttpReply created = PostJson("/v1/alerts", json::value(DrugRecall()), health_key_);
    EXPECT_EQ(created.status, 201) << created.body;
    std::string id = StringAt(created.json, {"id"});
    HttpReply published = PostJson("/v1/alerts/" + id + "/publish", "", health_key_);
    EXPECT_EQ(published.status, 200) << published.body;
    return id;
  }

  // Polls the merchant's notices until one exists or the deadline passes.
  json::array WaitForNotices(const std::string& id, const std::string& key,
                             std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      HttpReply reply = Get("/v1/merchants/" + id + "/notices", key);
      EXPECT_EQ(reply.status, 200) << reply.body;
      json::array notices = reply.json.as_object().at("notices").as_array();
      if (!notices.empty() || std::chrono::steady_clock::now() > deadline) return notices;
      std::this_thread::sleep_for(20ms);
    }
  }
};

// Tax codes with a valid check digit (weights 31,29,23,19,17,13,7,5,3).
constexpr const char* kTaxCodeA = "0100233488";
constexpr const char* kTaxCodeB = "0100112437";

TEST_F(CatalogSyncTest, LateStockingCreatesNotice) {
  auto [id, key] = NewMerchant(kTaxCodeA);
  UploadCatalog(id, key, kUnrelatedCatalog);
  std::string alert_id = PublishDrugRecall();
  EXPECT_TRUE(WaitForNotices(id, key, 300ms).empty())
      << "a shop without the product must get no notice";

  UploadCatalog(id, key, kRecalledCatalog);

  json::array notices = WaitForNotices(id, key, 3s);
  ASSERT_EQ(notices.size(), 1u) << "the shop that starts stocking the recalled lot gets a notice";
  EXPECT_EQ(StringAt(notices[0], {"alert_id"}), alert_id);
  const json::array& matches = notices[0].as_object().at("matches").as_array();
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_EQ(StringAt(matches[0], {"sku"}), "DH-1");
}

TEST_F(CatalogSyncTest, RepeatedUploadKeepsOneNotice) {
  auto [id, key] = NewMerchant(kTaxCodeA);
  UploadCatalog(id, key, kRecalledCatalog);
  PublishDrugRecall();
  ASSERT_EQ(WaitForNotices(id, key, 3s).size(), 1u);

  UploadCatalog(id, key, kRecalledCatalog);
  UploadCatalog(id, key, kRecalledCatalog);
  std::this_thread::sleep_for(300ms);

  EXPECT_EQ(WaitForNotices(id, key, 0ms).size(), 1u)
      << "uploading the same catalog again must not create a second notice";
}

TEST_F(CatalogSyncTest, SecondNodeSeesCatalogChanges) {
  Config config;
  config.listen = "127.0.0.1:0";
  config.metrics_listen = "127.0.0.1:0";
  config.redis = redis_->Url();
  config.threads = 2;
  config.follow_interval = std::chrono::milliseconds(50);
  Service second(config);
  second.Start();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!second.IsReady() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(second.IsReady());

  // The catalog is uploaded through the first node and the alert created
  // on the second: its matches come from the second node's own index.
  auto [id, key] = NewMerchant(kTaxCodeB);
  UploadCatalog(id, key, kRecalledCatalog);

  HttpRequest request;
  request.method = boost::beast::http::verb::post;
  request.target = "/v1/alerts";
  request.body = json::serialize(DrugRecall());
  request.key = health_key_;
  json::array matches;
  deadline = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < deadline) {
    HttpReply created = SendHttp(second.port(), request);
    ASSERT_EQ(created.status, 201) << created.body;
    matches = created.json.as_object().at("matches").as_array();
    if (!matches.empty()) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(matches.size(), 1u) << "the second node's index never saw the catalog";
  EXPECT_EQ(StringAt(matches[0], {"merchant_id"}), id);
  EXPECT_EQ(StringAt(matches[0], {"sku"}), "DH-1");
  second.Stop();
}

// A catalog exported in Windows-1258 by older shop software is decoded to
// the same NFC text as UTF-8: the name below is written in CP1258 bytes.
TEST_F(CatalogSyncTest, Windows1258CatalogIsDecoded) {
  auto [id, key] = NewMerchant(kTaxCodeA);
  // CP1258: Đ = 0xD0, ộ = 0xF4 0xF2 (ô + combining dot below), ạ = 0x61 0xF2,
  // ý = y 0xEC (combining acute).
  // The literal is split after each escape, because a hex escape would
  // otherwise swallow a following "c".
  std::string csv =
      "sku,name,brand,gtin,registration,lots\n"
      "DH-1,\xD0\xF4\xF2" "c ho\x61\xF2" "t ky\xEC sinh ho\xE0n,,,VND-4309-05,07062011\n";
  HttpReply reply =
      Put("/v1/merchants/" + id + "/products", csv, "text/csv; charset=windows-1258", key);
  ASSERT_EQ(reply.status, 200) << reply.body;

  HttpReply catalog = Get("/v1/merchants/" + id + "/products", key);
  ASSERT_EQ(catalog.status, 200) << catalog.body;
  const json::array& products = catalog.json.as_object().at("products").as_array();
  ASSERT_EQ(products.size(), 1u);
  EXPECT_EQ(StringAt(products[0], {"name"}), "Độc hoạt ký sinh hoàn");
}

TEST_F(CatalogSyncTest, UnknownCharsetIsRejected) {
  auto [id, key] = NewMerchant(kTaxCodeA);
  RedisSnapshot before = Snapshot();
  HttpReply reply = Put("/v1/merchants/" + id + "/products",
                        "sku,name\nA,B\n", "text/csv; charset=koi8-r", key);
  EXPECT_EQ(reply.status, 415) << reply.body;
  EXPECT_EQ(StringAt(reply.json, {"error", "field"}), "Content-Type");
  EXPECT_FALSE(StringAt(reply.json, {"error", "message", "vi"}).empty());
  EXPECT_EQ(Snapshot(), before) << "a rejected catalog must change nothing";
}

}  // namespace
}  // namespace canhbao::testing
