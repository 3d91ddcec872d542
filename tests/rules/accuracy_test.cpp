// Accuracy of MatchAlert on real recall and scam notices against a labelled catalog.
//
// tests/data/accuracy contains three files, whose provenance is in its SOURCES.md:
//   alerts.json   alert requests in the shape of POST /v1/alerts, each with an id
//   catalog.json  fictitious merchants with their products, written in varied spellings
//   labels.json   for each alert id, every expected match with its reasons
// Every (alert, record) pair that labels.json does not list is a negative.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "rules/account.hpp"
#include "rules/domain.hpp"
#include "rules/gtin.hpp"
#include "rules/matcher.hpp"
#include "rules/phone.hpp"
#include "rules/registration.hpp"
#include "rules/rule_set.hpp"
#include "test_data.hpp"

namespace canhbao::rules {
namespace {

namespace json = boost::json;

// A match is keyed by merchant id and SKU. The SKU is nullopt for a merchant record.
using MatchKey = std::pair<std::string, std::optional<std::string>>;
using MatchTable = std::map<MatchKey, std::vector<std::string>>;

std::string Describe(const MatchKey& key) {
  return key.first + "/" + (key.second ? *key.second : std::string("(merchant)"));
}

std::string Join(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += values[i];
  }
  return out + "]";
}

std::vector<std::string> Strings(const json::object& object, std::string_view key) {
  std::vector<std::string> out;
  const json::value* found = object.if_contains(key);
  if (found == nullptr) return out;
  for (const json::value& item : found->as_array()) out.emplace_back(item.as_string());
  return out;
}

std::string StringOrEmpty(const json::object& object, std::string_view key) {
  const json::value* found = object.if_contains(key);
  return found == nullptr ? std::string() : std::string(found->as_string());
}

// Normalizes every value of `key` in an alert request. An alert value that does not
// normalize would make the request a 400, so it is a test failure.
template <class Normalize>
auto NormalizeAlertValues(const json::object& object, std::string_view key, Normalize normalize,
                          const std::string& where) {
  using Value = std::decay_t<decltype(normalize(std::string_view()).value())>;
  std::vector<Value> out;
  for (const std::string& raw : Strings(object, key)) {
    auto normalized = normalize(raw);
    if (!normalized) {
      ADD_FAILURE() << where << "." << key << ": \"" << raw
                    << "\" does not normalize: " << normalized.error().message_en;
      continue;
    }
    out.push_back(normalized.value());
  }
  return out;
}

// Builds the criteria of one alert request the way admin::BuildCriteria does, with
// the rules/ normalizers and RuleSet::Compile.
AlertCriteria BuildAlertCriteria(const json::object& request, const std::string& alert_id) {
  AlertCriteria criteria;
  json::object no_identifiers;
  const json::object& ids = request.contains("identifiers")
                                ? request.at("identifiers").as_object()
                                : no_identifiers;
  std::string where = alert_id + " identifiers";
  criteria.gtins = NormalizeAlertValues(ids, "gtin", NormalizeGtin, where);
  criteria.registrations =
      NormalizeAlertValues(ids, "registration", NormalizeRegistration, where);
  criteria.lots = NormalizeAlertValues(ids, "lot", NormalizeLot, where);
  criteria.phones = NormalizeAlertValues(ids, "phone", NormalizePhone, where);
  criteria.domains = NormalizeAlertValues(ids, "domain", NormalizeDomain, where);
  criteria.urls = NormalizeAlertValues(ids, "url", NormalizeUrl, where);
  criteria.accounts = NormalizeAlertValues(ids, "account", NormalizeAccount, where);

  if (const json::value* products = request.if_contains("products")) {
    for (size_t i = 0; i < products->as_array().size(); ++i) {
      const json::object& entry = products->as_array()[i].as_object();
      std::string entry_where = alert_id + " products[" + std::to_string(i) + "]";
      CriteriaEntry out;
      out.gtins = NormalizeAlertValues(entry, "gtin", NormalizeGtin, entry_where);
      out.registrations =
          NormalizeAlertValues(entry, "registration", NormalizeRegistration, entry_where);
      out.lots = NormalizeAlertValues(entry, "lot", NormalizeLot, entry_where);
      criteria.products.push_back(std::move(out));
    }
  }

  std::vector<RuleSpec> specs;
  if (const json::value* rules = request.if_contains("rules")) {
    for (const json::value& rule : rules->as_array()) {
      const json::object& object = rule.as_object();
      const json::value* accent = object.if_contains("accent_insensitive");
      specs.push_back(RuleSpec{std::string(object.at("field").as_string()),
                               std::string(object.at("pattern").as_string()),
                               accent != nullptr && accent->as_bool()});
    }
  }
  if (!specs.empty()) {
    auto compiled = RuleSet::Compile(specs);
    if (auto* error = std::get_if<RuleError>(&compiled)) {
      ADD_FAILURE() << alert_id << " rules[" << error->index
                    << "] is rejected: " << error->invalid.message_en;
    } else {
      criteria.rules = std::get<std::shared_ptr<const RuleSet>>(compiled);
    }
  }
  return criteria;
}

// The catalog in the matcher's form. Like admin::ToMerchantRecord and
// admin::ToProductRecords, a value that does not normalize is left empty.
struct Catalog {
  std::vector<MerchantRecord> merchants;
  std::vector<ProductRecord> products;
  // Fields whose value failed to normalize but whose record does not list them
  // under "invalid", and listed fields that normalized.
  std::vector<std::string> unexpected_validity;
};

// Stores `normalized` in `target` when it is valid, and records in `catalog` when
// the outcome differs from the record's "invalid" list.
template <class Value>
void StoreNormalized(const Checked<Value>& normalized, const std::set<std::string>& declared_invalid,
                     const std::string& field, const std::string& where, const std::string& raw,
                     Catalog& catalog, Value& target) {
  bool declared = declared_invalid.contains(field);
  if (normalized.ok()) {
    target = normalized.value();
    if (declared) {
      catalog.unexpected_validity.push_back(where + " " + field + " \"" + raw +
                                            "\" is listed as invalid but normalizes");
    }
  } else if (!declared) {
    catalog.unexpected_validity.push_back(where + " " + field + " \"" + raw +
                                          "\" does not normalize: " +
                                          normalized.error().message_en);
  }
}

Catalog LoadCatalog(const json::value& document) {
  Catalog catalog;
  for (const json::value& item : document.at("merchants").as_array()) {
    const json::object& merchant = item.as_object();
    std::set<std::string> merchant_invalid;
    for (const std::string& field : Strings(merchant, "invalid")) merchant_invalid.insert(field);

    MerchantRecord record;
    record.id = std::string(merchant.at("id").as_string());
    record.name = std::string(merchant.at("name").as_string());
    record.address = StringOrEmpty(merchant, "address");
    std::string phone = StringOrEmpty(merchant, "phone");
    if (!phone.empty()) {
      StoreNormalized(NormalizePhone(phone), merchant_invalid, "phone", record.id, phone, catalog,
                      record.phone);
    }
    std::string website = StringOrEmpty(merchant, "website");
    if (!website.empty()) {
      UrlKey url;
      StoreNormalized(NormalizeUrl(website), merchant_invalid, "website", record.id, website,
                      catalog, url);
      record.website_host = url.host;
      record.website_path = url.path;
    }
    for (const std::string& account : Strings(merchant, "accounts")) {
      std::string normalized;
      StoreNormalized(NormalizeAccount(account), merchant_invalid, "accounts", record.id, account,
                      catalog, normalized);
      if (!normalized.empty()) record.accounts.push_back(normalized);
    }

    for (const json::value& product_item : merchant.at("products").as_array()) {
      const json::object& product = product_item.as_object();
      std::set<std::string> product_invalid;
      for (const std::string& field : Strings(product, "invalid")) product_invalid.insert(field);

      ProductRecord out;
      out.merchant_id = record.id;
      out.sku = std::string(product.at("sku").as_string());
      out.name = StringOrEmpty(product, "name");
      out.brand = StringOrEmpty(product, "brand");
      std::string where = record.id + "/" + out.sku;
      std::string gtin = StringOrEmpty(product, "gtin");
      if (!gtin.empty()) {
        StoreNormalized(NormalizeGtin(gtin), product_invalid, "gtin", where, gtin, catalog,
                        out.gtin);
      }
      std::string registration = StringOrEmpty(product, "registration");
      if (!registration.empty()) {
        StoreNormalized(NormalizeRegistration(registration), product_invalid, "registration",
                        where, registration, catalog, out.registration);
      }
      for (const std::string& lot : Strings(product, "lots")) {
        std::string normalized;
        StoreNormalized(NormalizeLot(lot), product_invalid, "lots", where, lot, catalog,
                        normalized);
        if (!normalized.empty()) out.lots.push_back(normalized);
      }
      catalog.products.push_back(std::move(out));
    }
    catalog.merchants.push_back(std::move(record));
  }
  return catalog;
}

MatchTable LabelsOf(const json::array& labelled) {
  MatchTable table;
  for (const json::value& item : labelled) {
    const json::object& label = item.as_object();
    std::optional<std::string> sku;
    if (!label.at("sku").is_null()) sku = std::string(label.at("sku").as_string());
    table[{std::string(label.at("merchant_id").as_string()), sku}] = Strings(label, "reasons");
  }
  return table;
}

struct Tally {
  size_t expected = 0;
  size_t true_positives = 0;
  size_t false_positives = 0;
  size_t false_negatives = 0;
  size_t reason_mismatches = 0;
};

double Percent(size_t part, size_t whole) {
  return whole == 0 ? 100.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

TEST(AccuracyData, CatalogValuesNormalizeAsDeclared) {
  Catalog catalog = LoadCatalog(testing::LoadJson("accuracy/catalog.json"));
  EXPECT_TRUE(catalog.unexpected_validity.empty())
      << "catalog values whose validity differs from their \"invalid\" list:\n"
      << Join(catalog.unexpected_validity);
}

TEST(AccuracyData, LabelsNameKnownAlertsAndRecords) {
  json::value alerts = testing::LoadJson("accuracy/alerts.json");
  json::value labels = testing::LoadJson("accuracy/labels.json");
  Catalog catalog = LoadCatalog(testing::LoadJson("accuracy/catalog.json"));

  std::set<std::string> alert_ids;
  for (const json::value& alert : alerts.as_array()) {
    std::string id(alert.at("id").as_string());
    EXPECT_TRUE(alert_ids.insert(id).second) << "duplicate alert id " << id;
    EXPECT_TRUE(labels.as_object().contains(id)) << "alert " << id << " has no labels";
  }
  std::set<MatchKey> records;
  for (const MerchantRecord& merchant : catalog.merchants) {
    EXPECT_TRUE(records.insert({merchant.id, std::nullopt}).second)
        << "duplicate merchant id " << merchant.id;
  }
  for (const ProductRecord& product : catalog.products) {
    EXPECT_TRUE(records.insert({product.merchant_id, product.sku}).second)
        << "duplicate SKU " << product.merchant_id << "/" << product.sku;
  }
  for (const auto& [id, labelled] : labels.as_object()) {
    EXPECT_TRUE(alert_ids.contains(std::string(id))) << "labels name unknown alert " << id;
    for (const auto& [key, reasons] : LabelsOf(labelled.as_array())) {
      EXPECT_TRUE(records.contains(key)) << id << " labels unknown record " << Describe(key);
      EXPECT_FALSE(reasons.empty()) << id << " labels " << Describe(key) << " without reasons";
    }
  }
}

// Runs every alert over the whole catalog and compares the matches with the labels.
// A labelled match that is found is a true positive. A found match that is not
// labelled is a false positive, and a labelled match that is not found is a false
// negative. Reasons of true positives must equal the labelled reasons, in the
// order that MatchAlert documents.
TEST(Accuracy, MatchesEqualLabels) {
  json::value alerts = testing::LoadJson("accuracy/alerts.json");
  json::value labels = testing::LoadJson("accuracy/labels.json");
  Catalog catalog = LoadCatalog(testing::LoadJson("accuracy/catalog.json"));
  size_t record_count = catalog.merchants.size() + catalog.products.size();

  Tally total;
  for (const json::value& alert : alerts.as_array()) {
    std::string id(alert.at("id").as_string());
    AlertCriteria criteria = BuildAlertCriteria(alert.at("request").as_object(), id);
    const json::value* labelled = labels.as_object().if_contains(id);
    ASSERT_NE(labelled, nullptr) << "alert " << id << " has no labels";
    MatchTable expected = LabelsOf(labelled->as_array());

    Checked<std::vector<MatchRecord>> result =
        MatchAlert(criteria, catalog.merchants, catalog.products);
    ASSERT_TRUE(result.ok()) << id << ": MatchAlert failed: " << result.error().message_en;
    MatchTable actual;
    for (const MatchRecord& match : result.value()) {
      actual[{match.merchant_id, match.sku}] = match.reasons;
    }

    Tally tally;
    tally.expected = expected.size();
    std::vector<std::string> mismatches;
    for (const auto& [key, reasons] : expected) {
      auto found = actual.find(key);
      if (found == actual.end()) {
        ++tally.false_negatives;
        mismatches.push_back("missing     " + Describe(key) + " " + Join(reasons));
        continue;
      }
      ++tally.true_positives;
      if (found->second != reasons) {
        ++tally.reason_mismatches;
        mismatches.push_back("reasons     " + Describe(key) + " expected " + Join(reasons) +
                             ", got " + Join(found->second));
      }
    }
    for (const auto& [key, reasons] : actual) {
      if (expected.contains(key)) continue;
      ++tally.false_positives;
      mismatches.push_back("unexpected  " + Describe(key) + " " + Join(reasons));
    }

    std::printf("accuracy %-20s expected %zu, true positives %zu, false positives %zu, "
                "false negatives %zu, true negatives %zu\n",
                id.c_str(), tally.expected, tally.true_positives, tally.false_positives,
                tally.false_negatives,
                record_count - tally.true_positives - tally.false_positives -
                    tally.false_negatives);
    for (const std::string& line : mismatches) std::printf("  %s\n", line.c_str());

    total.expected += tally.expected;
    total.true_positives += tally.true_positives;
    total.false_positives += tally.false_positives;
    total.false_negatives += tally.false_negatives;
    total.reason_mismatches += tally.reason_mismatches;
  }

  double recall = Percent(total.true_positives, total.expected);
  double precision =
      Percent(total.true_positives, total.true_positives + total.false_positives);
  std::printf("accuracy: %zu alerts, %zu records, %zu expected matches, recall %.1f%%, "
              "precision %.1f%%, %zu matches with other reasons\n",
              alerts.as_array().size(), record_count, total.expected, recall, precision,
              total.reason_mismatches);

  EXPECT_EQ(total.false_negatives, 0u) << "recall " << recall << "%";
  EXPECT_EQ(total.false_positives, 0u) << "precision " << precision << "%";
  EXPECT_EQ(total.reason_mismatches, 0u);
}

}  // namespace
}  // namespace canhbao::rules
