#pragma once

// A deterministic generator of fictitious merchants, product listings, rule
// sets and alerts for the matching benchmark.
//
// The catalog models a marketplace: a fixed set of manufactured items (one
// GTIN each) that many merchants list under their own spelling of the name,
// with or without Vietnamese diacritics, sometimes in NFD. Every brand,
// merchant and identifier is made up. The same options always produce the
// same records, on any machine with the same C++ standard library.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rules/matcher.hpp"
#include "rules/rule_set.hpp"

namespace canhbao::bench {

// Sizes and seed of a generated catalog.
struct CatalogOptions {
  size_t product_count = 1'000'000;
  size_t merchant_count = 20'000;
  // Distinct manufactured items. Each listing names one of them, so an
  // identifier in an alert finds every merchant that lists the item.
  size_t item_count = 50'000;
  uint64_t seed = 1;
};

// One manufactured product, listed by any number of merchants.
struct CatalogItem {
  size_t type_index = 0;  // into the product type table
  std::string type;       // "Sữa bột"
  std::string brand;      // "Phú Gia"
  std::string series;     // "ABC3", or empty
  std::string qualifier;  // "Hương dâu", or empty
  std::string package;    // "lon"
  std::string size;       // "800g"
  // The parts above joined by spaces, in NFC with diacritics.
  std::string name;
  std::string gtin;               // GTIN-14 from NormalizeGtin (GS1 prefix 893)
  std::string registration;       // from NormalizeRegistration, or empty
  std::vector<std::string> lots;  // from NormalizeLot: every lot produced
};

// An alert as the admin API would receive it, before its rules are compiled.
struct GeneratedAlert {
  rules::AlertCriteria criteria;  // criteria.rules is left null
  std::vector<rules::RuleSpec> rules;
};

// Thread-safety: const methods may run concurrently; they share no mutable
// state.
class CatalogGenerator {
 public:
  // Builds the item table. Merchants and listings are produced on request.
  explicit CatalogGenerator(const CatalogOptions& options);

  const CatalogOptions& options() const { return options_; }
  const std::vector<CatalogItem>& items() const { return items_; }

  // Returns merchant `merchant_index` (0-based, below merchant_count).
  rules::MerchantRecord Merchant(size_t merchant_index) const;

  // Returns the listings of merchant `merchant_index`. The counts over all
  // merchants add up to product_count. When `item_indexes` is not null, it
  // receives the item index of each listing.
  std::vector<rules::ProductRecord> Products(size_t merchant_index,
                                             std::vector<size_t>* item_indexes = nullptr) const;

  // Returns `count` rules on product.name: the even positions are
  // accent-insensitive (written without marks), the odd ones exact.
  std::vector<rules::RuleSpec> Rules(size_t count) const;

  // Returns `count` alerts, each naming 1-3 items that some merchant lists,
  // by GTIN or registration and often with lots. Every fourth alert, from
  // the first, also carries 1-3 product.name rules for its first item.
  std::vector<GeneratedAlert> Alerts(size_t count) const;

 private:
  size_t PickItem(uint64_t random_a, uint64_t random_b) const;
  // A product.name pattern for `item` of the given shape (see Rules).
  std::string MakePattern(const CatalogItem& item, size_t shape, bool accent_insensitive,
                          uint64_t random) const;

  CatalogOptions options_;
  std::vector<CatalogItem> items_;
  // Name and brand of each item with diacritics removed and case kept, as
  // listings written without marks spell them.
  std::vector<std::string> ascii_names_;
  std::vector<std::string> ascii_brands_;
};

}  // namespace canhbao::bench
