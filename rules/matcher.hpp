#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rules/checked.hpp"
#include "rules/domain.hpp"
#include "rules/rule_set.hpp"

namespace canhbao::rules {

// A product of a merchant's catalog, with identifiers already normalized.
struct ProductRecord {
  std::string merchant_id;
  std::string sku;
  std::string name;
  std::string brand;
  std::string gtin;               // GTIN-14 from NormalizeGtin, or empty
  std::string registration;       // from NormalizeRegistration, or empty
  std::vector<std::string> lots;  // from NormalizeLot
};

// A merchant record, with identifiers already normalized.
struct MerchantRecord {
  std::string id;
  std::string name;
  std::string address;
  std::string phone;                  // from NormalizePhone, or empty
  std::string website_host;           // from NormalizeDomain, or empty
  std::string website_path;           // UrlKey::path form, or empty for the whole site
  std::vector<std::string> accounts;  // from NormalizeAccount
};

// One entry of an alert's products[]: its lots narrow its own identifiers only.
struct CriteriaEntry {
  std::vector<std::string> gtins, registrations, lots;
};

// Match criteria of one alert, all normalized. `lots` narrows the alert-level gtins,
// registrations and product rules.
struct AlertCriteria {
  std::vector<std::string> gtins, registrations, lots, phones, domains, accounts;
  std::vector<UrlKey> urls;
  std::vector<CriteriaEntry> products;
  std::shared_ptr<const RuleSet> rules;  // may be null
};

// One matched record: a product (sku set) or a merchant record (sku nullopt).
struct MatchRecord {
  std::string merchant_id;
  std::optional<std::string> sku;
  std::vector<std::string> reasons;

  friend bool operator==(const MatchRecord&, const MatchRecord&) = default;
};

// The fields of one product on which an alert's product rules match.
struct ProductRuleHits {
  bool name = false;
  bool brand = false;
  bool text = false;
};

// The text that "text" rules see: a product's sku, name, brand, gtin,
// registration and lots, and a merchant's name, address, phone and website,
// one per line.
std::string ProductText(const ProductRecord& product);
std::string MerchantText(const MerchantRecord& merchant);

// Matches one alert against a catalog.
//
// A product matches on "gtin", "registration", "rule:product.name",
// "rule:product.brand" or "rule:text" (reasons in that order). When lots are named,
// a product that records lots matches only if one of them is named (reason "lot"),
// and a product that records none still matches with "lot_unknown". Alert-level
// lots narrow alert-level identifiers and rules; each products[] entry's lots narrow
// that entry's gtins and registrations only. A lot alone never matches. When one
// path matches without lot narrowing, "lot_unknown" is left out.
//
// A merchant record matches on "phone", "domain" (the alert domain or a name under
// it), "url" (host plus path prefix, where an empty website_path means "/"),
// "account", "rule:merchant.name" or "rule:text". Its MatchRecord has sku nullopt.
//
// For "text" rules a product is written as its sku, name, brand, gtin,
// registration and lots, and a merchant as its name, address, phone and website,
// one per line.
//
// Returns one MatchRecord per (merchant_id, sku), sorted by merchant_id and then
// sku with nullopt first. Fails only when the rule set fails to match (RE2 DFA out
// of memory). Thread-safe for concurrent calls on shared inputs.
Checked<std::vector<MatchRecord>> MatchAlert(const AlertCriteria& criteria,
                                             std::span<const MerchantRecord> merchants,
                                             std::span<const ProductRecord> products);

// Same as MatchAlert, with the product rules already evaluated by the
// caller: hits[i] belongs to products[i]. A catalog index that matched the
// rules against text folded in advance uses this to avoid folding again.
Checked<std::vector<MatchRecord>> MatchAlertWithRuleHits(const AlertCriteria& criteria,
                                                         std::span<const MerchantRecord> merchants,
                                                         std::span<const ProductRecord> products,
                                                         std::span<const ProductRuleHits> hits);

}  // namespace canhbao::rules
