#include "rules/catalog_index.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <thread>

#include "rules/text.hpp"

namespace canhbao::rules {

namespace {

// Below this many products a scan runs on the calling thread alone, since
// starting threads would cost more than it saves.
constexpr size_t kParallelScanMin = 50000;
constexpr size_t kMaxScanThreads = 8;

bool IsAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string AsciiLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// Folds one piece of a record's text. ASCII needs only lower-casing, which
// is what FoldCase and FoldAccents do to it, and skips ICU.
std::string FoldPiece(std::string_view text, bool accent_insensitive) {
  if (IsAscii(text)) return AsciiLower(text);
  return accent_insensitive ? FoldAccents(text) : FoldCase(text);
}

// The folded forms of a text: FoldCase, and FoldAccents when it differs.
void FoldBoth(std::string_view text, std::string& case_folded, std::string& accent_folded) {
  if (IsAscii(text)) {
    case_folded = AsciiLower(text);
    accent_folded.clear();
    return;
  }
  case_folded = FoldCase(text);
  accent_folded = FoldAccents(text);
  if (accent_folded == case_folded) accent_folded.clear();
}

void EraseSlot(std::unordered_map<std::string, std::vector<uint32_t>>& map, const std::string& key,
               uint32_t slot) {
  auto it = map.find(key);
  if (it == map.end()) return;
  std::erase(it->second, slot);
  if (it->second.empty()) map.erase(it);
}

void EraseId(std::unordered_map<std::string, std::vector<std::string>>& map,
             const std::string& key, const std::string& id) {
  auto it = map.find(key);
  if (it == map.end()) return;
  std::erase(it->second, id);
  if (it->second.empty()) map.erase(it);
}

// "a.b.example.vn" -> {"a.b.example.vn", "b.example.vn", "example.vn", "vn"}.
std::vector<std::string> HostSuffixes(const std::string& host) {
  std::vector<std::string> suffixes;
  if (host.empty()) return suffixes;
  size_t start = 0;
  for (;;) {
    suffixes.push_back(host.substr(start));
    size_t dot = host.find('.', start);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return suffixes;
}

}  // namespace

void CatalogIndex::Upsert(MerchantRecord merchant, std::vector<ProductRecord> products) {
  // Folding is the slow part, so it happens before the lock is taken.
  struct Prepared {
    Product product;
    std::string texts[kFoldedFields];
  };
  std::vector<Prepared> prepared;
  prepared.reserve(products.size());
  for (ProductRecord& record : products) {
    if (record.merchant_id != merchant.id) continue;
    Prepared entry;
    FoldBoth(record.name, entry.texts[kNameCase], entry.texts[kNameAccent]);
    FoldBoth(record.brand, entry.texts[kBrandCase], entry.texts[kBrandAccent]);
    entry.product.record = std::move(record);
    entry.product.live = true;
    prepared.push_back(std::move(entry));
  }

  std::unique_lock lock(mutex_);
  RemoveLocked(merchant.id);
  Merchant& entry = merchants_[merchant.id];
  entry.host_suffixes = HostSuffixes(merchant.website_host);
  for (const std::string& suffix : entry.host_suffixes) {
    by_host_suffix_[suffix].push_back(merchant.id);
  }
  if (!merchant.phone.empty()) by_phone_[merchant.phone].push_back(merchant.id);
  for (const std::string& account : merchant.accounts) by_account_[account].push_back(merchant.id);

  entry.products.reserve(prepared.size());
  for (Prepared& item : prepared) {
    uint32_t slot;
    Folded folded = StoreFolded(item.texts);
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
      products_[slot] = std::move(item.product);
      folded_[slot] = folded;
    } else {
      slot = static_cast<uint32_t>(products_.size());
      products_.push_back(std::move(item.product));
      folded_.push_back(folded);
    }
    const ProductRecord& record = products_[slot].record;
    if (!record.gtin.empty()) by_gtin_[record.gtin].push_back(slot);
    if (!record.registration.empty()) by_registration_[record.registration].push_back(slot);
    entry.products.push_back(slot);
    ++live_products_;
  }
  entry.record = std::move(merchant);
  CompactArenaIfWasteful();
}

CatalogIndex::Folded CatalogIndex::StoreFolded(const std::string (&texts)[kFoldedFields]) {
  Folded folded;
  for (int field = 0; field < kFoldedFields; ++field) {
    // An empty accent-folded text means it equals the case-folded one.
    bool same = (field == kNameAccent || field == kBrandAccent) && texts[field].empty();
    if (same) {
      folded.offset[field] = folded.offset[field - 1];
      folded.length[field] = folded.length[field - 1];
      continue;
    }
    folded.offset[field] = static_cast<uint32_t>(arena_.size());
    folded.length[field] = static_cast<uint32_t>(texts[field].size());
    arena_ += texts[field];
  }
  return folded;
}

void CatalogIndex::CompactArenaIfWasteful() {
  if (arena_garbage_ < (1u << 20) || arena_garbage_ * 2 < arena_.size()) return;
  std::string compacted;
  compacted.reserve(arena_.size() - arena_garbage_);
  for (uint32_t slot = 0; slot < products_.size(); ++slot) {
    if (!products_[slot].live) continue;
    std::string texts[kFoldedFields];
    for (int field = 0; field < kFoldedFields; ++field) {
      texts[field] = std::string(FoldedText(slot, static_cast<FoldedField>(field)));
    }
    if (texts[kNameAccent] == texts[kNameCase]) texts[kNameAccent].clear();
    if (texts[kBrandAccent] == texts[kBrandCase]) texts[kBrandAccent].clear();
    std::swap(arena_, compacted);
    folded_[slot] = StoreFolded(texts);
    std::swap(arena_, compacted);
  }
  arena_ = std::move(compacted);
  arena_garbage_ = 0;
}

bool CatalogIndex::Remove(std::string_view merchant_id) {
  std::unique_lock lock(mutex_);
  std::string id(merchant_id);
  if (!merchants_.contains(id)) return false;
  RemoveLocked(id);
  merchants_.erase(id);
  return true;
}

void CatalogIndex::RemoveLocked(const std::string& merchant_id) {
  auto it = merchants_.find(merchant_id);
  if (it == merchants_.end()) return;
  Merchant& merchant = it->second;
  for (const std::string& suffix : merchant.host_suffixes) {
    EraseId(by_host_suffix_, suffix, merchant_id);
  }
  if (!merchant.record.phone.empty()) EraseId(by_phone_, merchant.record.phone, merchant_id);
  for (const std::string& account : merchant.record.accounts) {
    EraseId(by_account_, account, merchant_id);
  }
  for (uint32_t slot : merchant.products) {
    Product& product = products_[slot];
    if (!product.record.gtin.empty()) EraseSlot(by_gtin_, product.record.gtin, slot);
    if (!product.record.registration.empty()) {
      EraseSlot(by_registration_, product.record.registration, slot);
    }
    const Folded& folded = folded_[slot];
    for (int field = 0; field < kFoldedFields; ++field) {
      bool shared = (field == kNameAccent || field == kBrandAccent) &&
                    folded.offset[field] == folded.offset[field - 1];
      if (!shared) arena_garbage_ += folded.length[field];
    }
    folded_[slot] = Folded{};
    product = Product{};
    free_slots_.push_back(slot);
    --live_products_;
  }
  merchant.products.clear();
  merchant.host_suffixes.clear();
}

std::optional<std::string> CatalogIndex::MerchantName(std::string_view merchant_id) const {
  std::shared_lock lock(mutex_);
  auto it = merchants_.find(std::string(merchant_id));
  if (it == merchants_.end()) return std::nullopt;
  return it->second.record.name;
}

size_t CatalogIndex::merchant_count() const {
  std::shared_lock lock(mutex_);
  return merchants_.size();
}

size_t CatalogIndex::product_count() const {
  std::shared_lock lock(mutex_);
  return live_products_;
}

Checked<std::vector<MatchRecord>> CatalogIndex::Match(const AlertCriteria& criteria) const {
  std::shared_lock lock(mutex_);
  return MatchLocked(criteria, nullptr);
}

Checked<std::vector<MatchRecord>> CatalogIndex::MatchMerchant(const AlertCriteria& criteria,
                                                              std::string_view merchant_id) const {
  std::shared_lock lock(mutex_);
  auto it = merchants_.find(std::string(merchant_id));
  if (it == merchants_.end()) return std::vector<MatchRecord>{};
  return MatchLocked(criteria, &it->second);
}

Checked<bool> CatalogIndex::ScanRules(const RuleSet& rules, const std::vector<uint32_t>* slots,
                                      std::vector<std::pair<uint32_t, ProductRuleHits>>& found) const {
  bool by_name = rules.HasField(kFieldProductName);
  bool by_brand = rules.HasField(kFieldProductBrand);
  bool by_text = rules.HasField(kFieldText);
  if (!by_name && !by_brand && !by_text) return false;

  // Each scanning thread has its own buffers for the folded text.
  auto check = [&](uint32_t slot, std::string& text_case,
                   std::string& text_accent) -> Checked<ProductRuleHits> {
    ProductRuleHits hits;
    const Product& product = products_[slot];
    if (!product.live) return hits;
    if (by_name) {
      auto hit = rules.AnyMatchFolded(kFieldProductName, FoldedText(slot, kNameCase),
                                      FoldedText(slot, kNameAccent));
      if (!hit) return hit.error();
      hits.name = hit.value();
    }
    if (by_brand) {
      auto hit = rules.AnyMatchFolded(kFieldProductBrand, FoldedText(slot, kBrandCase),
                                      FoldedText(slot, kBrandAccent));
      if (!hit) return hit.error();
      hits.brand = hit.value();
    }
    if (by_text) {
      // The folded text is the folded pieces joined by newlines, which is
      // what folding ProductText gives: newline never combines with a mark.
      const ProductRecord& record = product.record;
      text_case = FoldPiece(record.sku, false) + "\n" + std::string(FoldedText(slot, kNameCase)) +
                  "\n" + std::string(FoldedText(slot, kBrandCase)) + "\n" +
                  FoldPiece(record.gtin, false) + "\n" + FoldPiece(record.registration, false);
      text_accent = FoldPiece(record.sku, true) + "\n" +
                    std::string(FoldedText(slot, kNameAccent)) + "\n" +
                    std::string(FoldedText(slot, kBrandAccent)) + "\n" +
                    FoldPiece(record.gtin, true) + "\n" + FoldPiece(record.registration, true);
      for (const std::string& lot : record.lots) {
        text_case += "\n" + FoldPiece(lot, false);
        text_accent += "\n" + FoldPiece(lot, true);
      }
      auto hit = rules.AnyMatchFolded(kFieldText, text_case, text_accent);
      if (!hit) return hit.error();
      hits.text = hit.value();
    }
    return hits;
  };
  auto any = [](const ProductRuleHits& hits) { return hits.name || hits.brand || hits.text; };

  std::string text_case;
  std::string text_accent;
  if (slots != nullptr) {
    for (uint32_t slot : *slots) {
      Checked<ProductRuleHits> hits = check(slot, text_case, text_accent);
      if (!hits) return hits.error();
      if (any(hits.value())) found.emplace_back(slot, hits.value());
    }
    return true;
  }

  // A whole-catalog scan is split over the cores: every thread reads the
  // products under the caller's shared lock and writes only its own part.
  size_t total = products_.size();
  size_t parts = 1;
  if (total >= kParallelScanMin) {
    parts = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, kMaxScanThreads);
  }
  struct Part {
    std::vector<std::pair<uint32_t, ProductRuleHits>> found;
    std::optional<Invalid> error;
  };
  std::vector<Part> results(parts);
  auto scan = [&](size_t part) {
    std::string part_case;
    std::string part_accent;
    size_t begin = total * part / parts;
    size_t end = total * (part + 1) / parts;
    for (size_t slot = begin; slot < end; ++slot) {
      Checked<ProductRuleHits> hits = check(static_cast<uint32_t>(slot), part_case, part_accent);
      if (!hits) {
        results[part].error = hits.error();
        return;
      }
      if (any(hits.value())) results[part].found.emplace_back(static_cast<uint32_t>(slot), hits.value());
    }
  };
  std::vector<std::thread> threads;
  for (size_t part = 1; part < parts; ++part) threads.emplace_back(scan, part);
  scan(0);
  for (std::thread& thread : threads) thread.join();
  for (Part& part : results) {
    if (part.error) return *part.error;
    found.insert(found.end(), part.found.begin(), part.found.end());
  }
  return true;
}

Checked<std::vector<MatchRecord>> CatalogIndex::MatchLocked(const AlertCriteria& criteria,
                                                            const Merchant* only) const {
  // Candidate products: every product that shares an identifier with the
  // alert or matches one of its product rules. Lots only narrow, so they
  // select nothing here.
  std::vector<uint32_t> slots;
  auto add_by = [&](const SlotMap& map, const std::vector<std::string>& keys) {
    for (const std::string& key : keys) {
      auto it = map.find(key);
      if (it != map.end()) slots.insert(slots.end(), it->second.begin(), it->second.end());
    }
  };
  add_by(by_gtin_, criteria.gtins);
  add_by(by_registration_, criteria.registrations);
  for (const CriteriaEntry& entry : criteria.products) {
    add_by(by_gtin_, entry.gtins);
    add_by(by_registration_, entry.registrations);
  }
  // Rules were matched against every product (or every product of `only`),
  // so a slot missing from rule_hits matches no rule.
  std::vector<std::pair<uint32_t, ProductRuleHits>> rule_hits;
  if (criteria.rules) {
    Checked<bool> scanned =
        ScanRules(*criteria.rules, only != nullptr ? &only->products : nullptr, rule_hits);
    if (!scanned) return scanned.error();
    for (const auto& [slot, hits] : rule_hits) slots.push_back(slot);
  }
  std::sort(slots.begin(), slots.end());
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  std::sort(rule_hits.begin(), rule_hits.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });

  // Candidate merchants: those whose record shares a phone, domain, URL
  // host or account with the alert, and, with merchant rules, all of them.
  std::vector<const Merchant*> merchants;
  bool merchant_rules = criteria.rules && (criteria.rules->HasField(kFieldMerchantName) ||
                                           criteria.rules->HasField(kFieldText));
  if (only != nullptr) {
    merchants.push_back(only);
  } else if (merchant_rules) {
    for (const auto& [id, merchant] : merchants_) merchants.push_back(&merchant);
  } else {
    std::vector<std::string> ids;
    auto add_ids = [&](const IdMap& map, const std::string& key) {
      auto it = map.find(key);
      if (it != map.end()) ids.insert(ids.end(), it->second.begin(), it->second.end());
    };
    for (const std::string& phone : criteria.phones) add_ids(by_phone_, phone);
    for (const std::string& domain : criteria.domains) add_ids(by_host_suffix_, domain);
    for (const UrlKey& url : criteria.urls) add_ids(by_host_suffix_, url.host);
    for (const std::string& account : criteria.accounts) add_ids(by_account_, account);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (const std::string& id : ids) {
      auto it = merchants_.find(id);
      if (it != merchants_.end()) merchants.push_back(&it->second);
    }
  }

  std::vector<MerchantRecord> merchant_records;
  merchant_records.reserve(merchants.size());
  for (const Merchant* merchant : merchants) merchant_records.push_back(merchant->record);
  std::vector<ProductRecord> product_records;
  std::vector<ProductRuleHits> product_hits;
  product_records.reserve(slots.size());
  product_hits.reserve(slots.size());
  auto next_hit = rule_hits.begin();
  for (uint32_t slot : slots) {
    while (next_hit != rule_hits.end() && next_hit->first < slot) ++next_hit;
    const ProductRecord& record = products_[slot].record;
    if (only != nullptr && record.merchant_id != only->record.id) continue;
    product_records.push_back(record);
    bool hit = next_hit != rule_hits.end() && next_hit->first == slot;
    product_hits.push_back(hit ? next_hit->second : ProductRuleHits{});
  }
  return MatchAlertWithRuleHits(criteria, merchant_records, product_records, product_hits);
}

}  // namespace canhbao::rules
