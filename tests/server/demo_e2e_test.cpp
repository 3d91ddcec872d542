// End-to-end tests on the demo data of deploy/demo: the eight merchants and
// their catalogs are registered over HTTP, the four alerts are matched and
// published, and WebSocket clients check what the stream delivers.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "tests/server/service_fixture.hpp"

namespace canhbao::testing {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kDemoDir = "deploy/demo";
constexpr const char* kDrugRecall = "drug-recall-vn.json";
// The merchant whose catalog lists the recalled lot 07062011 (SKU ST-001).
constexpr const char* kRecalledLotMerchant = "3398102347";

std::vector<std::string> SortedStrings(const json::value& array) {
  std::vector<std::string> out;
  for (const json::value& item : array.as_array()) out.emplace_back(item.as_string());
  std::sort(out.begin(), out.end());
  return out;
}

class DemoE2eTest : public ServiceFixture {
 protected:
  struct DemoMerchant {
    std::string id;
    std::string key;
  };

  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;

    // merchants.json writes a branch tax code with its dash
    // ("3398203183-001"), exactly as the catalog file is named, so that
    // string is the key of `merchants_`.
    json::value merchants = json::parse(ReadRepoFile(std::string(kDemoDir) + "/merchants.json"));
    for (const json::value& request : merchants.as_array()) {
      std::string tax_code = StringAt(request, {"tax_code"});
      json::object created = CreateMerchant(request);
      ASSERT_FALSE(created.empty()) << "merchant " << tax_code << " was not registered";
      merchants_[tax_code] = {StringAt(created, {"id"}), StringAt(created, {"key"})};
      tax_code_of_[StringAt(created, {"id"})] = tax_code;
    }

    std::filesystem::path catalogs =
        std::filesystem::path(CANHBAO_SOURCE_DIR) / kDemoDir / "catalogs";
    for (const auto& entry : std::filesystem::directory_iterator(catalogs)) {
      std::string tax_code = entry.path().stem().string();
      auto merchant = merchants_.find(tax_code);
      ASSERT_NE(merchant, merchants_.end())
          << "catalog " << entry.path().filename() << " names no merchant of merchants.json";
      std::string csv =
          ReadRepoFile(std::string(kDemoDir) + "/catalogs/" + entry.path().filename().string());
      HttpReply loaded = Put("/v1/merchants/" + merchant->second.id + "/products", csv,
                             "text/csv; charset=utf-8", merchant->second.key);
      ASSERT_EQ(loaded.status, 200) << "catalog " << tax_code << ": " << loaded.body;
    }
  }

  // The demo alert as a request body, always with cap_status "actual",
  // because exercise alerts never reach the public log or stream and the
  // demo README allows "actual" on a test server. With `publishable`, the
  // severity is also lowered to moderate, because a severe alert would need
  // a second authority's approval before publishing.
  static json::object DemoAlert(const std::string& file, bool publishable = false) {
    json::object alert =
        json::parse(ReadRepoFile(std::string(kDemoDir) + "/alerts/" + file)).as_object();
    alert["cap_status"] = "actual";
    if (publishable) alert["severity"] = "moderate";
    return alert;
  }

  std::string CreateDraft(const json::object& alert) {
    HttpReply created = PostJson("/v1/alerts", alert, health_key_);
    EXPECT_EQ(created.status, 201) << created.body;
    return StringAt(created.json, {"id"});
  }

  // Publishes a whole-city draft, confirming the whole-city audience.
  HttpReply Publish(const std::string& id) {
    return PostJson("/v1/alerts/" + id + "/publish", R"({"confirm_whole_city": true})",
                    health_key_);
  }

  std::map<std::string, DemoMerchant> merchants_;  // by tax code as in merchants.json
  std::map<std::string, std::string> tax_code_of_;  // merchant id -> tax code
};

TEST_F(DemoE2eTest, DemoAlertsMatchExpected) {
  json::value expected =
      json::parse(ReadRepoFile(std::string(kDemoDir) + "/expected-matches.json"));

  for (const auto& [file, cases] : expected.as_object()) {
    SCOPED_TRACE(std::string(file));
    HttpReply reply = PostJson("/v1/alerts", DemoAlert(std::string(file)), health_key_);
    ASSERT_EQ(reply.status, 201) << reply.body;

    // (tax code, sku) -> sorted reasons
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> found;
    for (const json::value& match : reply.json.at("matches").as_array()) {
      std::string tax_code = tax_code_of_[StringAt(match, {"merchant_id"})];
      found[{tax_code, StringAt(match, {"sku"})}] = SortedStrings(match.at("reasons"));
    }
    std::cout << "[   DEMO   ] " << file << ": " << found.size() << " matches\n";

    for (const json::value& want : cases.at("match").as_array()) {
      std::pair<std::string, std::string> product{StringAt(want, {"tax_code"}),
                                                  StringAt(want, {"sku"})};
      auto match = found.find(product);
      if (match == found.end()) {
        ADD_FAILURE() << product.first << " " << product.second << " did not match: "
                      << reply.body;
        continue;
      }
      EXPECT_EQ(match->second, SortedStrings(want.at("reasons")))
          << product.first << " " << product.second << " matched for other reasons";
    }
    for (const json::value& unwanted : cases.at("no_match").as_array()) {
      std::pair<std::string, std::string> product{StringAt(unwanted, {"tax_code"}),
                                                  StringAt(unwanted, {"sku"})};
      EXPECT_EQ(found.count(product), 0u)
          << product.first << " " << product.second << " is a look-alike and must not match";
    }
  }
}

TEST_F(DemoE2eTest, DrugRecallReachesStreamWithinOneSecond) {
  std::string id = CreateDraft(DemoAlert(kDrugRecall));
  StreamClient client(port(), "/v1/stream?categories=recall");
  ASSERT_TRUE(client.connected()) << "upgrade refused: " << client.rejection().body;

  HttpReply published = Publish(id);
  Clock::time_point returned = Clock::now();
  ASSERT_EQ(published.status, 200) << published.body;
  std::optional<std::string> message = client.Read(milliseconds(1000));
  auto latency = std::chrono::duration_cast<milliseconds>(Clock::now() - returned);

  ASSERT_TRUE(message.has_value()) << "no message within 1 s of publish returning";
  std::cout << "[   DEMO   ] drug recall reached the stream " << latency.count()
            << " ms after publish returned\n";
  json::value alert = json::parse(*message);
  EXPECT_EQ(StringAt(alert, {"type"}), "alert");
  EXPECT_EQ(StringAt(alert, {"id"}), id);
  EXPECT_EQ(alert.at("seq"), published.json.at("seq"));
  EXPECT_LT(latency, milliseconds(1000));
}

TEST_F(DemoE2eTest, StreamSkipsOtherCategories) {
  std::string scam = CreateDraft(DemoAlert("scam-vneid.json"));
  StreamClient client(port(), "/v1/stream?categories=recall");
  ASSERT_TRUE(client.connected()) << "upgrade refused: " << client.rejection().body;

  ASSERT_EQ(Publish(scam).status, 200);

  std::optional<std::string> message = client.Read(milliseconds(500));
  EXPECT_FALSE(message.has_value()) << "a recall subscriber got: " << *message;
}

TEST_F(DemoE2eTest, MerchantReceivesNoticeForRecalledLot) {
  const DemoMerchant& merchant = merchants_.at(kRecalledLotMerchant);
  std::string id = CreateDraft(DemoAlert(kDrugRecall));
  StreamClient client(port(), "/v1/stream", merchant.key);
  ASSERT_TRUE(client.connected()) << "upgrade refused: " << client.rejection().body;

  ASSERT_EQ(Publish(id).status, 200);

  std::optional<json::value> notice;
  for (int i = 0; i < 4 && !notice; ++i) {
    std::optional<std::string> message = client.Read(milliseconds(2000));
    if (!message) break;
    json::value parsed = json::parse(*message);
    if (StringAt(parsed, {"type"}) == "notice") notice = parsed;
  }
  ASSERT_TRUE(notice.has_value()) << "no {\"type\":\"notice\"} message within 2 s";
  EXPECT_EQ(StringAt(*notice, {"alert_id"}), id);
  EXPECT_EQ(StringAt(*notice, {"merchant_id"}), merchant.id);
  EXPECT_EQ(notice->at("skus"), json::parse(R"(["ST-001"])"));

  HttpReply listed = Get("/v1/merchants/" + merchant.id + "/notices", merchant.key);
  ASSERT_EQ(listed.status, 200) << listed.body;
  const json::array& notices = listed.json.at("notices").as_array();
  ASSERT_EQ(notices.size(), 1u) << listed.body;
  EXPECT_EQ(StringAt(notices[0], {"alert_id"}), id);
  EXPECT_EQ(StringAt(notices[0], {"state"}), "open");
  EXPECT_EQ(StringAt(notices[0].at("matches").at(0), {"sku"}), "ST-001");

  // A pharmacy with the same registration but other lots gets no notice.
  const DemoMerchant& other_lots = merchants_.at("3398203183");
  HttpReply none = Get("/v1/merchants/" + other_lots.id + "/notices", other_lots.key);
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_TRUE(none.json.at("notices").as_array().empty()) << none.body;
}

TEST_F(DemoE2eTest, SinceZeroReplaysEveryAlertInOrder) {
  const char* files[] = {kDrugRecall, "food-recall-openfda.json", "cosmetic-recall-eu.json",
                         "scam-vneid.json"};
  std::vector<std::string> ids;
  for (const char* file : files) {
    SCOPED_TRACE(file);
    ids.push_back(CreateDraft(DemoAlert(file, true)));
    HttpReply published = Publish(ids.back());
    ASSERT_EQ(published.status, 200) << published.body;
  }

  StreamClient client(port(), "/v1/stream?since=0");
  ASSERT_TRUE(client.connected()) << "upgrade refused: " << client.rejection().body;
  std::vector<uint64_t> seqs;
  std::vector<std::string> received;
  // The replay is queued at once; a quiet half second means it has ended.
  while (std::optional<std::string> message = client.Read(milliseconds(500))) {
    json::value parsed = json::parse(*message);
    ASSERT_EQ(StringAt(parsed, {"type"}), "alert") << *message;
    seqs.push_back(parsed.at("seq").to_number<uint64_t>());
    received.push_back(StringAt(parsed, {"id"}));
  }

  EXPECT_EQ(seqs, (std::vector<uint64_t>{1, 2, 3, 4})) << "every alert once, in seq order";
  EXPECT_EQ(received, ids);
}

TEST_F(DemoE2eTest, SinceBeyondNewestIsRejected) {
  ASSERT_EQ(Publish(CreateDraft(DemoAlert(kDrugRecall))).status, 200);

  StreamClient beyond(port(), "/v1/stream?since=2");
  StreamClient newest(port(), "/v1/stream?since=1");

  EXPECT_FALSE(beyond.connected()) << "since=2 with newest seq 1 was upgraded";
  EXPECT_EQ(beyond.rejection().status, 400) << beyond.rejection().body;
  EXPECT_EQ(StringAt(beyond.rejection().json, {"error", "field"}), "since")
      << beyond.rejection().body;
  EXPECT_FALSE(StringAt(beyond.rejection().json, {"error", "message", "vi"}).empty());
  EXPECT_FALSE(StringAt(beyond.rejection().json, {"error", "message", "en"}).empty());
  EXPECT_TRUE(newest.connected()) << "since equal to the newest seq must be accepted: "
                                  << newest.rejection().body;
}

}  // namespace
}  // namespace canhbao::testing
