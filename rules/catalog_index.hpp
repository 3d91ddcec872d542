#pragma once

// The in-memory index of every merchant and product record on one node.
//
// Exact identifiers (GTIN, registration number, phone, domain, URL host,
// bank account) are looked up in hash maps. Names go through the alert's
// RE2 sets, matched against text folded once when the record was added.
// The records found that way are the only ones that can match, so Match
// hands just those to MatchAlert, and the answer is the same as MatchAlert
// over the whole catalog.
//
// Thread-safety: any thread may call any method. Upsert and Remove take an
// exclusive lock; Match and the counters take a shared one, so matches run
// in parallel with each other and wait only for writers.

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rules/checked.hpp"
#include "rules/matcher.hpp"

namespace canhbao::rules {

class CatalogIndex {
 public:
  CatalogIndex() = default;
  CatalogIndex(const CatalogIndex&) = delete;
  CatalogIndex& operator=(const CatalogIndex&) = delete;

  // Replaces the merchant's record and its whole catalog. Every product's
  // merchant_id must equal merchant.id; other products are ignored.
  void Upsert(MerchantRecord merchant, std::vector<ProductRecord> products);
  // Drops the merchant and its products; returns false if it was unknown.
  bool Remove(std::string_view merchant_id);

  // Matches one alert against the whole index. Same result and errors as
  // MatchAlert over every record.
  Checked<std::vector<MatchRecord>> Match(const AlertCriteria& criteria) const;
  // Matches one alert against one merchant's records only, for a catalog
  // change checked against the active alerts.
  Checked<std::vector<MatchRecord>> MatchMerchant(const AlertCriteria& criteria,
                                                  std::string_view merchant_id) const;

  // The merchant's name, or nullopt when it is not in the index.
  std::optional<std::string> MerchantName(std::string_view merchant_id) const;

  size_t merchant_count() const;
  size_t product_count() const;

 private:
  struct Product {
    ProductRecord record;
    bool live = false;
  };
  // Offsets and lengths in arena_ of a product's folded name and brand
  // (FoldCase and FoldAccents of each). They are kept apart from Product so
  // that a rule scan over every product reads dense arrays, not scattered
  // strings.
  enum FoldedField { kNameCase, kNameAccent, kBrandCase, kBrandAccent, kFoldedFields };
  struct Folded {
    uint32_t offset[kFoldedFields] = {};
    uint32_t length[kFoldedFields] = {};
  };
  std::string_view FoldedText(uint32_t slot, FoldedField field) const {
    const Folded& folded = folded_[slot];
    return std::string_view(arena_).substr(folded.offset[field], folded.length[field]);
  }
  // Appends the texts to the arena and returns where they are.
  Folded StoreFolded(const std::string (&texts)[kFoldedFields]);
  // Rebuilds the arena from live products once most of it is garbage.
  void CompactArenaIfWasteful();
  struct Merchant {
    MerchantRecord record;
    std::vector<uint32_t> products;  // slots in products_
    std::vector<std::string> host_suffixes;  // the host and every parent name
  };

  using SlotMap = std::unordered_map<std::string, std::vector<uint32_t>>;
  using IdMap = std::unordered_map<std::string, std::vector<std::string>>;

  void RemoveLocked(const std::string& merchant_id);
  Checked<std::vector<MatchRecord>> MatchLocked(const AlertCriteria& criteria,
                                                const Merchant* only) const;
  // Adds the slots of products whose name, brand or text match a rule, with
  // the fields that matched. Scans `slots`, or every product when null.
  Checked<bool> ScanRules(const RuleSet& rules, const std::vector<uint32_t>* slots,
                          std::vector<std::pair<uint32_t, ProductRuleHits>>& found) const;

  mutable std::shared_mutex mutex_;
  std::vector<Product> products_;
  std::vector<Folded> folded_;  // parallel to products_
  std::string arena_;
  size_t arena_garbage_ = 0;
  std::vector<uint32_t> free_slots_;
  size_t live_products_ = 0;
  std::unordered_map<std::string, Merchant> merchants_;
  SlotMap by_gtin_;
  SlotMap by_registration_;
  IdMap by_phone_;
  IdMap by_host_suffix_;
  IdMap by_account_;
};

}  // namespace canhbao::rules
