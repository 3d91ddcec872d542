#include "rules/matcher.hpp"

#include <gtest/gtest.h>

#include "rules/phone.hpp"

namespace canhbao::rules {
namespace {

using Reasons = std::vector<std::string>;

ProductRecord Product(std::string merchant, std::string sku, std::string gtin,
                      std::string registration, std::vector<std::string> lots = {},
                      std::string name = "", std::string brand = "") {
  return ProductRecord{std::move(merchant), std::move(sku),  std::move(name),
                       std::move(brand),    std::move(gtin), std::move(registration),
                       std::move(lots)};
}

std::vector<MatchRecord> MatchOrDie(const AlertCriteria& alert,
                                    const std::vector<MerchantRecord>& merchants,
                                    const std::vector<ProductRecord>& products) {
  Checked<std::vector<MatchRecord>> result = MatchAlert(alert, merchants, products);
  if (!result) {
    ADD_FAILURE() << result.error().message_en;
    return {};
  }
  return result.value();
}

std::shared_ptr<const RuleSet> Rules(const std::vector<RuleSpec>& specs) {
  auto compiled = RuleSet::Compile(specs);
  EXPECT_TRUE(std::holds_alternative<std::shared_ptr<const RuleSet>>(compiled));
  return std::get<std::shared_ptr<const RuleSet>>(compiled);
}

const char kGtin[] = "08930000000019";
const char kOtherGtin[] = "08931234567897";

TEST(Matcher, MatchesIdentifiers) {
  AlertCriteria alert;
  alert.gtins = {kGtin};
  alert.registrations = {"VD1234520"};
  std::vector<ProductRecord> products = {
      Product("m2", "s1", kGtin, "VD1234520"),
      Product("m1", "s9", "", "VD1234520"),
      Product("m1", "s1", kGtin, ""),
      Product("m3", "s1", kOtherGtin, "VD999"),
  };
  std::vector<MatchRecord> expected = {
      {"m1", "s1", {"gtin"}},
      {"m1", "s9", {"registration"}},
      {"m2", "s1", {"gtin", "registration"}},
  };
  EXPECT_EQ(MatchOrDie(alert, {}, products), expected);
}

TEST(Matcher, LotsNarrowAlertLevelMatches) {
  AlertCriteria alert;
  alert.registrations = {"VND430905"};
  alert.lots = {"07062011"};
  std::vector<ProductRecord> products = {
      Product("m1", "named", "", "VND430905", {"01012011", "07062011"}),
      Product("m1", "other", "", "VND430905", {"01012011"}),
      Product("m1", "unrecorded", "", "VND430905", {}),
  };
  std::vector<MatchRecord> expected = {
      {"m1", "named", {"registration", "lot"}},
      {"m1", "unrecorded", {"registration", "lot_unknown"}},
  };
  EXPECT_EQ(MatchOrDie(alert, {}, products), expected);
}

TEST(Matcher, LotAloneNeverMatches) {
  AlertCriteria alert;
  alert.lots = {"010710"};
  alert.products = {CriteriaEntry{{}, {}, {"010710"}}};
  std::vector<ProductRecord> products = {
      Product("m1", "s1", kGtin, "VD1234520", {"010710"}),
      Product("m1", "s2", "", "", {"010710"}),
  };
  EXPECT_TRUE(MatchOrDie(alert, {}, products).empty());
}

TEST(Matcher, EntriesNarrowedByTheirOwnLots) {
  AlertCriteria alert;
  alert.gtins = {kOtherGtin};  // no alert-level lots: not narrowed
  alert.products = {
      CriteriaEntry{{}, {"VN2000019"}, {"A1", "A2"}},
      CriteriaEntry{{kGtin}, {}, {}},
  };
  std::vector<ProductRecord> products = {
      Product("m1", "a1", "", "VN2000019", {"A1"}),
      Product("m1", "b7", "", "VN2000019", {"B7"}),
      Product("m1", "none", "", "VN2000019", {}),
      // The second entry names no lots, so "B7" does not narrow it.
      Product("m1", "gtin-b7", kGtin, "", {"B7"}),
      // Alert-level gtin with the first entry's lot: entry lots do not apply to it.
      Product("m1", "other-b7", kOtherGtin, "", {"B7"}),
  };
  std::vector<MatchRecord> expected = {
      {"m1", "a1", {"registration", "lot"}},
      {"m1", "gtin-b7", {"gtin"}},
      {"m1", "none", {"registration", "lot_unknown"}},
      {"m1", "other-b7", {"gtin"}},
  };
  EXPECT_EQ(MatchOrDie(alert, {}, products), expected);
}

TEST(Matcher, AlertLotsDoNotNarrowEntries) {
  AlertCriteria alert;
  alert.lots = {"X1"};
  alert.products = {CriteriaEntry{{kGtin}, {}, {}}};
  std::vector<ProductRecord> products = {Product("m1", "s1", kGtin, "", {"Y9"})};
  std::vector<MatchRecord> expected = {{"m1", "s1", {"gtin"}}};
  EXPECT_EQ(MatchOrDie(alert, {}, products), expected);
}

TEST(Matcher, RulesMatchProductFieldsWithLots) {
  AlertCriteria alert;
  alert.rules = Rules({{"product.name", "sua bot .*abc", true},
                       {"product.brand", "^abc$", false},
                       {"text", "VD1234520", false}});
  alert.lots = {"L1"};
  std::vector<ProductRecord> products = {
      Product("m1", "s1", "", "VD1234520", {"L1"}, "SỮA BỘT trẻ em ABC", "ABC"),
      Product("m1", "s2", "", "", {"L2"}, "Sữa bột ABC", "ABC"),
      Product("m1", "s3", "", "", {}, "Sua bot ABC", "XYZ"),
  };
  std::vector<MatchRecord> expected = {
      {"m1", "s1", {"rule:product.name", "rule:product.brand", "rule:text", "lot"}},
      {"m1", "s3", {"rule:product.name", "lot_unknown"}},
  };
  EXPECT_EQ(MatchOrDie(alert, {}, products), expected);
}

TEST(Matcher, DomainCoversSubdomains) {
  AlertCriteria alert;
  alert.domains = {"example.vn"};
  std::vector<MerchantRecord> merchants = {
      {"m1", "Shop", "", "", "shop.example.vn", "", {}},
      {"m2", "Shop", "", "", "example.vn", "/page", {}},
      {"m3", "Shop", "", "", "badexample.vn", "", {}},
      {"m4", "Shop", "", "", "", "", {}},
  };
  std::vector<MatchRecord> expected = {
      {"m1", std::nullopt, {"domain"}},
      {"m2", std::nullopt, {"domain"}},
  };
  EXPECT_EQ(MatchOrDie(alert, merchants, {}), expected);
}

TEST(Matcher, UrlOnSharedPlatformFlagsOnlyThatPage) {
  AlertCriteria alert;
  alert.urls = {NormalizeUrl("https://sites.google.com/view/scam").value()};
  std::vector<MerchantRecord> merchants = {
      {"scam", "", "", "", "sites.google.com", "/view/scam/shop", {}},
      {"other", "", "", "", "sites.google.com", "/view/other", {}},
      {"platform", "", "", "", "sites.google.com", "", {}},
  };
  std::vector<MatchRecord> expected = {{"scam", std::nullopt, {"url"}}};
  EXPECT_EQ(MatchOrDie(alert, merchants, {}), expected);
}

TEST(Matcher, PhoneInDifferentSpellings) {
  AlertCriteria alert;
  alert.phones = {NormalizePhone("0905.123.456").value()};
  const char* spellings[] = {"+84 905 123 456", "84905123456", "(+84) 905-123-456",
                             "0 9 0 5 1 2 3 4 5 6"};
  std::vector<MerchantRecord> merchants;
  for (const char* spelling : spellings) {
    MerchantRecord merchant;
    merchant.id = spelling;
    merchant.phone = NormalizePhone(spelling).value();
    merchants.push_back(merchant);
  }
  merchants.push_back(MerchantRecord{"other", "", "", "+84905123457", "", "", {}});
  std::vector<MatchRecord> result = MatchOrDie(alert, merchants, {});
  ASSERT_EQ(result.size(), std::size(spellings));
  for (const MatchRecord& match : result) {
    SCOPED_TRACE(match.merchant_id);
    EXPECT_EQ(match.sku, std::nullopt);
    EXPECT_EQ(match.reasons, Reasons{"phone"});
  }
}

TEST(Matcher, OldMobileNumberMatchesNewNumber) {
  AlertCriteria alert;
  alert.phones = {NormalizePhone("0162 123 4567").value()};
  MerchantRecord merchant{"m1", "", "", NormalizePhone("032 123 4567").value(), "", "", {}};
  std::vector<MatchRecord> expected = {{"m1", std::nullopt, {"phone"}}};
  EXPECT_EQ(MatchOrDie(alert, {merchant}, {}), expected);
}

TEST(Matcher, MerchantReasonsAndOrder) {
  AlertCriteria alert;
  alert.phones = {"19001234"};
  alert.accounts = {"970436:0011004123456"};
  alert.rules = Rules({{"merchant.name", "nha thuoc", true}, {"text", "lê lợi", false}});
  std::vector<MerchantRecord> merchants = {
      {"m1", "Nhà Thuốc An Khang", "12 Lê Lợi, Huế", "19001234", "", "", {"970436:0011004123456"}},
  };
  std::vector<ProductRecord> products = {Product("m1", "s1", kGtin, "")};
  std::vector<MatchRecord> expected = {
      {"m1", std::nullopt, {"phone", "account", "rule:merchant.name", "rule:text"}},
  };
  EXPECT_EQ(MatchOrDie(alert, merchants, products), expected);
}

TEST(Matcher, SortsByMerchantThenSkuWithMerchantFirst) {
  AlertCriteria alert;
  alert.gtins = {kGtin};
  alert.domains = {"example.vn"};
  std::vector<MerchantRecord> merchants = {
      {"b", "", "", "", "example.vn", "", {}},
      {"a", "", "", "", "example.vn", "", {}},
  };
  std::vector<ProductRecord> products = {
      Product("b", "z", kGtin, ""),
      Product("a", "y", kGtin, ""),
      Product("b", "c", kGtin, ""),
  };
  std::vector<MatchRecord> result = MatchOrDie(alert, merchants, products);
  ASSERT_EQ(result.size(), 5u);
  EXPECT_EQ(result[0].merchant_id, "a");
  EXPECT_EQ(result[0].sku, std::nullopt);
  EXPECT_EQ(result[1].sku, "y");
  EXPECT_EQ(result[2].merchant_id, "b");
  EXPECT_EQ(result[2].sku, std::nullopt);
  EXPECT_EQ(result[3].sku, "c");
  EXPECT_EQ(result[4].sku, "z");
}

TEST(Matcher, RuleCompileErrorsNameRuleIndex) {
  auto compiled = RuleSet::Compile({{"product.name", "sua bot", true},
                                    {"product.brand", "ok", false},
                                    {"product.name", "sữa bột", true}});
  const RuleError* error = std::get_if<RuleError>(&compiled);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->index, 2u);
  EXPECT_EQ(error->invalid.code, "invalid_rule");

  auto broken = RuleSet::Compile({{"text", "ok", false}, {"text", "([a-z]", false}});
  const RuleError* broken_error = std::get_if<RuleError>(&broken);
  ASSERT_NE(broken_error, nullptr);
  EXPECT_EQ(broken_error->index, 1u);
  EXPECT_NE(broken_error->invalid.message_en.find("missing"), std::string::npos)
      << broken_error->invalid.message_en;
}

TEST(Matcher, EmptyValuesNeverMatch) {
  AlertCriteria alert;
  alert.gtins = {""};
  alert.phones = {""};
  std::vector<MerchantRecord> merchants = {{"m1", "", "", "", "", "", {}}};
  std::vector<ProductRecord> products = {Product("m1", "s1", "", "")};
  EXPECT_TRUE(MatchOrDie(alert, merchants, products).empty());
}

}  // namespace
}  // namespace canhbao::rules
