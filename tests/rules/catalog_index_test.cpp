// CatalogIndex must give exactly what MatchAlert gives over every record,
// while it looks up identifiers in hash maps and folds names once.

#include "rules/catalog_index.hpp"

#include <gtest/gtest.h>

#include <random>

#include "rules/gtin.hpp"
#include "rules/registration.hpp"

namespace canhbao::rules {
namespace {

std::shared_ptr<const RuleSet> Compile(const std::vector<RuleSpec>& specs) {
  auto compiled = RuleSet::Compile(specs);
  EXPECT_TRUE(std::holds_alternative<std::shared_ptr<const RuleSet>>(compiled));
  return std::get<std::shared_ptr<const RuleSet>>(compiled);
}

std::string Gtin(int n) {
  // 12 digits of payload and a GS1 check digit, so NormalizeGtin accepts it.
  std::string digits = "893" + std::to_string(1000000000 + n).substr(1);
  int sum = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    sum += (digits[digits.size() - 1 - i] - '0') * (i % 2 == 0 ? 3 : 1);
  }
  digits += static_cast<char>('0' + (10 - sum % 10) % 10);
  return NormalizeGtin(digits).value();
}

struct Catalog {
  std::vector<MerchantRecord> merchants;
  std::vector<ProductRecord> products;
};

// A small catalog where identifiers, lots and names collide often, so
// every narrowing rule is exercised.
Catalog MakeCatalog(std::mt19937& random) {
  static const char* kNames[] = {"Sữa bột trẻ em", "SUA BOT TRE EM", "Dầu gội dược liệu",
                                 "Nước mắm Phú Quốc", "Bánh quy bơ", "Độc hoạt ký sinh hoàn",
                                 "Kem chống nắng SPF50", "Thuốc ho bổ phế"};
  static const char* kBrands[] = {"Vinamilk", "Thái Dương", "Phước Sanh", "Ông Thọ", ""};
  Catalog catalog;
  for (int m = 0; m < 12; ++m) {
    MerchantRecord merchant;
    merchant.id = "m" + std::to_string(m);
    merchant.name = m % 2 ? "Nhà thuốc Đông Ba " + std::to_string(m) : "Tạp hóa Kim Long";
    merchant.phone = "+8490512345" + std::to_string(m % 5);
    if (m % 3 == 0) merchant.website_host = (m % 2 ? "shop.example.vn" : "example.vn");
    if (m % 4 == 0) merchant.accounts.push_back("970436:00110041234" + std::to_string(m % 2));
    catalog.merchants.push_back(merchant);
    for (int p = 0; p < 15; ++p) {
      ProductRecord product;
      product.merchant_id = merchant.id;
      product.sku = "SKU-" + std::to_string(p);
      product.name = kNames[random() % 8];
      product.brand = kBrands[random() % 5];
      if (random() % 3) product.gtin = Gtin(static_cast<int>(random() % 10));
      if (random() % 2) {
        product.registration =
            NormalizeRegistration("VD-1234" + std::to_string(random() % 4) + "-20").value();
      }
      for (unsigned l = random() % 3; l > 0; --l) {
        product.lots.push_back(NormalizeLot("L" + std::to_string(random() % 4)).value());
      }
      catalog.products.push_back(product);
    }
  }
  return catalog;
}

AlertCriteria MakeCriteria(std::mt19937& random) {
  AlertCriteria criteria;
  if (random() % 2) criteria.gtins.push_back(Gtin(static_cast<int>(random() % 10)));
  if (random() % 2) {
    criteria.registrations.push_back(
        NormalizeRegistration("VD-1234" + std::to_string(random() % 4) + "-20").value());
  }
  if (random() % 3 == 0) criteria.lots.push_back(NormalizeLot("L" + std::to_string(random() % 4)).value());
  if (random() % 4 == 0) {
    CriteriaEntry entry;
    entry.gtins.push_back(Gtin(static_cast<int>(random() % 10)));
    entry.lots.push_back(NormalizeLot("L" + std::to_string(random() % 4)).value());
    criteria.products.push_back(entry);
  }
  if (random() % 5 == 0) criteria.phones.push_back("+84905123452");
  if (random() % 5 == 0) criteria.domains.push_back("example.vn");
  if (random() % 5 == 0) criteria.accounts.push_back("970436:001100412341");
  switch (random() % 6) {
    case 0:
      criteria.rules = Compile({{"product.name", "sua bot", true}});
      break;
    case 1:
      criteria.rules = Compile({{"product.name", "Sữa bột", false}});
      break;
    case 2:
      criteria.rules = Compile({{"product.brand", "phuoc sanh", true}});
      break;
    case 3:
      criteria.rules = Compile({{"text", "sku-1[0-4]\\n.*ho", false}});
      break;
    case 4:
      criteria.rules = Compile({{"merchant.name", "dong ba [0-9]+", true}});
      break;
    default:
      break;
  }
  return criteria;
}

TEST(CatalogIndex, MatchesLikeFullScan) {
  std::mt19937 random(20261204);
  for (int round = 0; round < 20; ++round) {
    Catalog catalog = MakeCatalog(random);
    CatalogIndex index;
    for (const MerchantRecord& merchant : catalog.merchants) {
      std::vector<ProductRecord> products;
      for (const ProductRecord& product : catalog.products) {
        if (product.merchant_id == merchant.id) products.push_back(product);
      }
      index.Upsert(merchant, products);
    }
    ASSERT_EQ(index.product_count(), catalog.products.size());
    for (int a = 0; a < 30; ++a) {
      SCOPED_TRACE("round " + std::to_string(round) + ", alert " + std::to_string(a));
      AlertCriteria criteria = MakeCriteria(random);
      auto expected = MatchAlert(criteria, catalog.merchants, catalog.products);
      auto actual = index.Match(criteria);
      ASSERT_TRUE(expected.ok());
      ASSERT_TRUE(actual.ok());
      EXPECT_EQ(actual.value(), expected.value());
    }
  }
}

TEST(CatalogIndex, UpsertReplacesAndRemoveDrops) {
  CatalogIndex index;
  MerchantRecord merchant{.id = "m1", .name = "Nhà thuốc An Cựu"};
  ProductRecord old_product{.merchant_id = "m1", .sku = "A", .name = "Bánh quy", .gtin = Gtin(1)};
  ProductRecord new_product{.merchant_id = "m1", .sku = "B", .name = "Bánh quy", .gtin = Gtin(2)};
  index.Upsert(merchant, {old_product});

  AlertCriteria old_gtin;
  old_gtin.gtins.push_back(Gtin(1));
  AlertCriteria new_gtin;
  new_gtin.gtins.push_back(Gtin(2));
  EXPECT_EQ(index.Match(old_gtin).value().size(), 1u);

  index.Upsert(merchant, {new_product});
  EXPECT_TRUE(index.Match(old_gtin).value().empty()) << "the replaced product must be gone";
  EXPECT_EQ(index.Match(new_gtin).value().size(), 1u);
  EXPECT_EQ(index.product_count(), 1u);

  EXPECT_TRUE(index.Remove("m1"));
  EXPECT_FALSE(index.Remove("m1"));
  EXPECT_TRUE(index.Match(new_gtin).value().empty());
  EXPECT_EQ(index.product_count(), 0u);
  EXPECT_EQ(index.merchant_count(), 0u);
}

TEST(CatalogIndex, MatchMerchantLimitsToOneMerchant) {
  CatalogIndex index;
  for (const char* id : {"m1", "m2"}) {
    index.Upsert(MerchantRecord{.id = id, .name = "Cửa hàng"},
                 {ProductRecord{.merchant_id = id, .sku = "S", .name = "Sữa", .gtin = Gtin(7)}});
  }
  AlertCriteria criteria;
  criteria.gtins.push_back(Gtin(7));
  EXPECT_EQ(index.Match(criteria).value().size(), 2u);
  auto only = index.MatchMerchant(criteria, "m2").value();
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0].merchant_id, "m2");
  EXPECT_TRUE(index.MatchMerchant(criteria, "unknown").value().empty());
}

// Replacing a large catalog several times leaves most of the folded-text
// arena unused, which triggers a compaction; rules must still see every
// product's name afterwards.
TEST(CatalogIndex, RulesSurviveArenaCompaction) {
  CatalogIndex index;
  MerchantRecord merchant{.id = "m1", .name = "Siêu thị Đông Ba"};
  auto Catalog = [](const std::string& flavor) {
    std::vector<ProductRecord> products;
    for (int i = 0; i < 12000; ++i) {
      products.push_back(ProductRecord{
          .merchant_id = "m1",
          .sku = "SKU-" + std::to_string(i),
          .name = "Sữa bột trẻ em " + flavor + " loại đặc biệt dành cho bé từ 1 đến 3 tuổi, lon " +
                  std::to_string(i) + "g"});
    }
    return products;
  };
  for (const char* flavor : {"hương dâu", "hương vani", "hương sô-cô-la"}) {
    index.Upsert(merchant, Catalog(flavor));
  }
  AlertCriteria criteria;
  criteria.rules = Compile({{"product.name", "huong so-co-la", true}});
  auto matched = index.Match(criteria);
  ASSERT_TRUE(matched.ok());
  EXPECT_EQ(matched.value().size(), 12000u);
  criteria.rules = Compile({{"product.name", "hương dâu", false}});
  EXPECT_TRUE(index.Match(criteria).value().empty()) << "the replaced catalog must be gone";
}

}  // namespace
}  // namespace canhbao::rules
