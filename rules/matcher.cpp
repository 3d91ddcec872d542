#include "rules/matcher.hpp"

#include <algorithm>
#include <map>
#include <unordered_set>
#include <utility>

namespace canhbao::rules {

namespace {

using ValueSet = std::unordered_set<std::string_view>;

ValueSet MakeSet(const std::vector<std::string>& values) {
  ValueSet set;
  for (const std::string& value : values) {
    if (!value.empty()) set.insert(value);
  }
  return set;
}

bool Has(const ValueSet& set, std::string_view value) {
  return !value.empty() && set.contains(value);
}

// Effect of named lots on one matching path.
enum class LotOutcome { kNotNarrowed, kNamed, kUnknown, kExcluded };

LotOutcome NarrowByLots(const ValueSet& named_lots, const ProductRecord& product) {
  if (named_lots.empty()) return LotOutcome::kNotNarrowed;
  if (product.lots.empty()) return LotOutcome::kUnknown;
  for (const std::string& lot : product.lots) {
    if (Has(named_lots, lot)) return LotOutcome::kNamed;
  }
  return LotOutcome::kExcluded;
}

// Returns whether any rule on `field` matches, or the rule set's error.
Checked<bool> RuleMatches(const RuleSet* rules, std::string_view field, const std::string& text) {
  if (rules == nullptr || !rules->HasField(field)) return false;
  Checked<std::vector<size_t>> hits = rules->Match(field, text);
  if (!hits) return hits.error();
  return !hits.value().empty();
}

// The precomputed, hashed form of AlertCriteria.
struct Criteria {
  explicit Criteria(const AlertCriteria& alert)
      : gtins(MakeSet(alert.gtins)),
        registrations(MakeSet(alert.registrations)),
        lots(MakeSet(alert.lots)),
        phones(MakeSet(alert.phones)),
        accounts(MakeSet(alert.accounts)) {
    for (const CriteriaEntry& entry : alert.products) {
      entries.push_back({MakeSet(entry.gtins), MakeSet(entry.registrations), MakeSet(entry.lots)});
    }
  }

  struct Entry {
    ValueSet gtins, registrations, lots;
  };

  ValueSet gtins, registrations, lots, phones, accounts;
  std::vector<Entry> entries;
};

// Returns which product rules match the product, or the rule set's error.
Checked<ProductRuleHits> RuleHitsOf(const RuleSet* rules, const ProductRecord& product) {
  ProductRuleHits hits;
  if (rules == nullptr) return hits;
  Checked<bool> by_name = RuleMatches(rules, kFieldProductName, product.name);
  if (!by_name) return by_name.error();
  Checked<bool> by_brand = RuleMatches(rules, kFieldProductBrand, product.brand);
  if (!by_brand) return by_brand.error();
  Checked<bool> by_text =
      RuleMatches(rules, kFieldText, rules->HasField(kFieldText) ? ProductText(product) : std::string());
  if (!by_text) return by_text.error();
  hits.name = by_name.value();
  hits.brand = by_brand.value();
  hits.text = by_text.value();
  return hits;
}

// Returns the reasons a product matches, empty for no match.
std::vector<std::string> MatchProduct(const Criteria& criteria, const ProductRecord& product,
                                      const ProductRuleHits& hits) {
  bool gtin = false;
  bool registration = false;
  bool name_rule = false;
  bool brand_rule = false;
  bool text_rule = false;
  bool lot_named = false;
  bool lot_unknown = false;
  bool unnarrowed = false;
  auto record_lot = [&](LotOutcome outcome) {
    lot_named = lot_named || outcome == LotOutcome::kNamed;
    lot_unknown = lot_unknown || outcome == LotOutcome::kUnknown;
    unnarrowed = unnarrowed || outcome == LotOutcome::kNotNarrowed;
  };

  bool alert_gtin = Has(criteria.gtins, product.gtin);
  bool alert_registration = Has(criteria.registrations, product.registration);
  if (alert_gtin || alert_registration || hits.name || hits.brand || hits.text) {
    LotOutcome outcome = NarrowByLots(criteria.lots, product);
    if (outcome != LotOutcome::kExcluded) {
      gtin = alert_gtin;
      registration = alert_registration;
      name_rule = hits.name;
      brand_rule = hits.brand;
      text_rule = hits.text;
      record_lot(outcome);
    }
  }

  for (const Criteria::Entry& entry : criteria.entries) {
    bool entry_gtin = Has(entry.gtins, product.gtin);
    bool entry_registration = Has(entry.registrations, product.registration);
    if (!entry_gtin && !entry_registration) continue;
    LotOutcome outcome = NarrowByLots(entry.lots, product);
    if (outcome == LotOutcome::kExcluded) continue;
    gtin = gtin || entry_gtin;
    registration = registration || entry_registration;
    record_lot(outcome);
  }

  std::vector<std::string> reasons;
  if (gtin) reasons.emplace_back("gtin");
  if (registration) reasons.emplace_back("registration");
  if (name_rule) reasons.emplace_back("rule:product.name");
  if (brand_rule) reasons.emplace_back("rule:product.brand");
  if (text_rule) reasons.emplace_back("rule:text");
  if (lot_named) {
    reasons.emplace_back("lot");
  } else if (lot_unknown && !unnarrowed) {
    // Every matching path was narrowed by lots the record cannot confirm.
    reasons.emplace_back("lot_unknown");
  }
  return reasons;
}

Checked<std::vector<std::string>> MatchMerchant(const Criteria& criteria,
                                                const AlertCriteria& alert,
                                                const MerchantRecord& merchant) {
  std::vector<std::string> reasons;
  if (Has(criteria.phones, merchant.phone)) reasons.emplace_back("phone");
  if (std::any_of(alert.domains.begin(), alert.domains.end(), [&](const std::string& domain) {
        return DomainCovers(domain, merchant.website_host);
      })) {
    reasons.emplace_back("domain");
  }
  if (!merchant.website_host.empty()) {
    UrlKey site{merchant.website_host,
                merchant.website_path.empty() ? std::string("/") : merchant.website_path};
    if (std::any_of(alert.urls.begin(), alert.urls.end(),
                    [&](const UrlKey& url) { return UrlCovers(url, site); })) {
      reasons.emplace_back("url");
    }
  }
  if (std::any_of(merchant.accounts.begin(), merchant.accounts.end(),
                  [&](const std::string& account) { return Has(criteria.accounts, account); })) {
    reasons.emplace_back("account");
  }

  const RuleSet* rules = alert.rules.get();
  Checked<bool> by_name = RuleMatches(rules, kFieldMerchantName, merchant.name);
  if (!by_name) return by_name.error();
  if (by_name.value()) reasons.emplace_back("rule:merchant.name");
  if (rules && rules->HasField(kFieldText)) {
    Checked<bool> by_text = RuleMatches(rules, kFieldText, MerchantText(merchant));
    if (!by_text) return by_text.error();
    if (by_text.value()) reasons.emplace_back("rule:text");
  }
  return reasons;
}

using MatchKey = std::pair<std::string, std::optional<std::string>>;

void AddReasons(std::map<MatchKey, std::vector<std::string>>& matches, MatchKey key,
                std::vector<std::string> reasons) {
  std::vector<std::string>& existing = matches[std::move(key)];
  for (std::string& reason : reasons) {
    if (std::find(existing.begin(), existing.end(), reason) == existing.end()) {
      existing.push_back(std::move(reason));
    }
  }
}

}  // namespace

std::string ProductText(const ProductRecord& product) {
  std::string text = product.sku + "\n" + product.name + "\n" + product.brand + "\n" +
                     product.gtin + "\n" + product.registration;
  for (const std::string& lot : product.lots) text += "\n" + lot;
  return text;
}

std::string MerchantText(const MerchantRecord& merchant) {
  return merchant.name + "\n" + merchant.address + "\n" + merchant.phone + "\n" +
         merchant.website_host + merchant.website_path;
}

Checked<std::vector<MatchRecord>> MatchAlert(const AlertCriteria& alert,
                                             std::span<const MerchantRecord> merchants,
                                             std::span<const ProductRecord> products) {
  std::vector<ProductRuleHits> hits;
  hits.reserve(products.size());
  for (const ProductRecord& product : products) {
    Checked<ProductRuleHits> product_hits = RuleHitsOf(alert.rules.get(), product);
    if (!product_hits) return product_hits.error();
    hits.push_back(product_hits.value());
  }
  return MatchAlertWithRuleHits(alert, merchants, products, hits);
}

Checked<std::vector<MatchRecord>> MatchAlertWithRuleHits(const AlertCriteria& alert,
                                                         std::span<const MerchantRecord> merchants,
                                                         std::span<const ProductRecord> products,
                                                         std::span<const ProductRuleHits> hits) {
  Criteria criteria(alert);
  // std::optional orders nullopt first, which gives the documented order.
  std::map<MatchKey, std::vector<std::string>> matches;

  for (size_t i = 0; i < products.size(); ++i) {
    std::vector<std::string> reasons = MatchProduct(criteria, products[i], hits[i]);
    if (reasons.empty()) continue;
    AddReasons(matches, {products[i].merchant_id, products[i].sku}, std::move(reasons));
  }
  for (const MerchantRecord& merchant : merchants) {
    Checked<std::vector<std::string>> reasons = MatchMerchant(criteria, alert, merchant);
    if (!reasons) return reasons.error();
    if (reasons.value().empty()) continue;
    AddReasons(matches, {merchant.id, std::nullopt}, std::move(reasons.value()));
  }

  std::vector<MatchRecord> out;
  out.reserve(matches.size());
  for (auto& [key, reasons] : matches) {
    out.push_back(MatchRecord{key.first, key.second, std::move(reasons)});
  }
  return out;
}

}  // namespace canhbao::rules
