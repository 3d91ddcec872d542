#include "admin/merchant_json.hpp"

#include <boost/json.hpp>
#include <set>

#include "admin/json_reader.hpp"
#include "admin/wards.hpp"
#include "rules/account.hpp"
#include "rules/domain.hpp"
#include "rules/gtin.hpp"
#include "rules/phone.hpp"
#include "rules/registration.hpp"
#include "rules/tax_code.hpp"
#include "rules/text.hpp"

namespace canhbao::admin {

namespace json = boost::json;

namespace {

constexpr size_t kSkuChars = 64;
constexpr size_t kNameChars = 300;
constexpr size_t kIdentifierChars = 64;

std::string Mask(const std::string& value) {
  if (value.size() <= 4) return std::string(value.size(), '*');
  return std::string(value.size() - 4, '*') + value.substr(value.size() - 4);
}

// Checks one product; returns the problems found (empty when valid).
std::vector<RowError> CheckProduct(const v1::Product& product, size_t row,
                                   const CatalogLimits& limits) {
  std::vector<RowError> errors;
  auto add = [&](std::string field, std::string vi, std::string en) {
    errors.push_back({row, std::move(field), std::move(vi), std::move(en)});
  };
  auto check_text = [&](const std::string& field, const std::string& value, size_t max_chars) {
    try {
      CheckText(value, field, max_chars);
    } catch (const ApiError& error) {
      add(field, error.message_vi(), error.message_en());
    }
  };
  if (product.sku().empty()) add("sku", "thiếu mã SKU", "sku is missing");
  check_text("sku", product.sku(), kSkuChars);
  if (product.name().empty()) add("name", "thiếu tên sản phẩm", "name is missing");
  check_text("name", product.name(), kNameChars);
  check_text("brand", product.brand(), kNameChars);
  if (!product.gtin().empty()) {
    auto gtin = rules::NormalizeGtin(product.gtin());
    if (!gtin.ok()) add("gtin", gtin.error().message_vi, gtin.error().message_en);
  }
  if (!product.registration().empty()) {
    auto registration = rules::NormalizeRegistration(product.registration());
    if (!registration.ok()) {
      add("registration", registration.error().message_vi, registration.error().message_en);
    }
  }
  if (static_cast<size_t>(product.lots_size()) > limits.max_lots) {
    add("lots", "có quá " + std::to_string(limits.max_lots) + " số lô",
        "has more than " + std::to_string(limits.max_lots) + " lots");
  }
  for (int i = 0; i < product.lots_size(); ++i) {
    auto lot = rules::NormalizeLot(product.lots(i));
    if (!lot.ok()) {
      add(IndexPath("lots", i), lot.error().message_vi, lot.error().message_en);
    }
  }
  return errors;
}

void CheckBatch(const std::vector<v1::Product>& products, std::vector<RowError> errors,
                const CatalogLimits& limits) {
  std::set<std::string> skus;
  for (size_t i = 0; i < products.size(); ++i) {
    std::vector<RowError> row_errors = CheckProduct(products[i], i + 1, limits);
    errors.insert(errors.end(), row_errors.begin(), row_errors.end());
    if (!products[i].sku().empty() && !skus.insert(products[i].sku()).second) {
      errors.push_back({i + 1, "sku", "mã SKU '" + products[i].sku() + "' bị trùng",
                        "sku '" + products[i].sku() + "' appears more than once"});
    }
  }
  if (errors.empty()) return;
  std::sort(errors.begin(), errors.end(),
            [](const RowError& a, const RowError& b) { return a.row < b.row; });
  ApiError error(ErrorCode::kUnprocessable, "products",
                 std::to_string(errors.size()) + " lỗi trong danh mục; không dòng nào được lưu",
                 std::to_string(errors.size()) +
                     " problems in the catalog; no row was stored");
  error.rows() = std::move(errors);
  throw error;
}

void CheckRowCount(size_t rows, const CatalogLimits& limits) {
  if (rows > limits.max_rows) {
    throw ApiError(ErrorCode::kTooLarge, "products",
                   "Danh mục có quá " + std::to_string(limits.max_rows) + " sản phẩm",
                   "The catalog has more than " + std::to_string(limits.max_rows) + " products");
  }
}

std::vector<std::string> SplitLots(std::string_view text) {
  std::vector<std::string> lots;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view lot = text.substr(start, end - start);
    while (!lot.empty() && (lot.front() == ' ' || lot.front() == '\t')) lot.remove_prefix(1);
    while (!lot.empty() && (lot.back() == ' ' || lot.back() == '\t')) lot.remove_suffix(1);
    if (!lot.empty()) lots.emplace_back(lot);
    start = end + 1;
  }
  return lots;
}

// Splits RFC 4180 CSV into records. Throws ApiError (400) on an unclosed
// quote. A record's fields keep their bytes; quotes are removed.
std::vector<std::vector<std::string>> SplitCsv(std::string_view text, size_t max_records) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  bool field_started = false;
  size_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
      bool blank = record.size() == 1 && record[0].empty();
      if (!blank) records.push_back(std::move(record));
      record.clear();
      ++line;
      if (records.size() > max_records) return records;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted) {
    throw InvalidField("body", "dấu ngoặc kép chưa đóng ở dòng " + std::to_string(line),
                       "unclosed quote on line " + std::to_string(line));
  }
  if (field_started || !record.empty()) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace

v1::Merchant ParseMerchantRequest(const json::value& body) {
  ObjectReader reader(body, "",
                      {"tax_code", "name", "address", "ward", "phone", "website", "accounts"});
  v1::Merchant merchant;
  std::string tax_code = reader.RequiredString("tax_code", 32);
  auto normalized = rules::NormalizeTaxCode(tax_code);
  if (!normalized.ok()) {
    throw InvalidField("tax_code", normalized.error().message_vi, normalized.error().message_en);
  }
  merchant.set_tax_code(normalized.value().compact);
  merchant.set_name(reader.RequiredString("name", kNameChars));
  if (merchant.name().empty()) throw MissingField("name");
  merchant.set_address(reader.OptionalString("address", 500).value_or(""));
  std::string ward = reader.RequiredString("ward", 16);
  if (FindWard(ward) == nullptr) {
    throw InvalidField("ward", "'" + ward + "' không phải mã phường/xã của Huế",
                       "'" + ward + "' is not a ward code of Huế");
  }
  merchant.set_ward(ward);
  if (std::optional<std::string> phone = reader.OptionalString("phone", 64)) {
    auto checked = rules::NormalizePhone(*phone);
    if (!checked.ok()) {
      throw InvalidField("phone", checked.error().message_vi, checked.error().message_en);
    }
    merchant.set_phone(*phone);
  }
  if (std::optional<std::string> website = reader.OptionalString("website", 300)) {
    auto checked = rules::NormalizeUrl(*website);
    if (!checked.ok()) {
      throw InvalidField("website", checked.error().message_vi, checked.error().message_en);
    }
    merchant.set_website(*website);
  }
  std::vector<std::string> accounts = reader.StringArray("accounts", 20, 64);
  for (size_t i = 0; i < accounts.size(); ++i) {
    auto checked = rules::NormalizeAccount(accounts[i]);
    if (!checked.ok()) {
      throw InvalidField(IndexPath("accounts", i), checked.error().message_vi,
                         checked.error().message_en);
    }
    merchant.add_accounts(accounts[i]);
  }
  return merchant;
}

json::object MerchantToJson(const v1::Merchant& merchant, bool show_personal) {
  bool personal = merchant.tax_code().size() == 12;
  json::object out;
  out["id"] = merchant.id();
  out["tax_code"] = personal && !show_personal ? Mask(merchant.tax_code()) : merchant.tax_code();
  out["tax_code_kind"] = personal                              ? "personal"
                         : merchant.tax_code().size() == 13 ? "branch"
                                                            : "enterprise";
  out["name"] = merchant.name();
  out["address"] = merchant.address();
  out["ward"] = merchant.ward();
  out["phone"] = merchant.phone().empty() ? json::value(nullptr) : json::value(merchant.phone());
  out["website"] =
      merchant.website().empty() ? json::value(nullptr) : json::value(merchant.website());
  json::array accounts;
  for (const std::string& account : merchant.accounts()) accounts.emplace_back(account);
  out["accounts"] = std::move(accounts);
  out["created"] = merchant.created();
  return out;
}

std::vector<v1::Product> ParseCatalogJson(const json::value& body, const CatalogLimits& limits) {
  const json::array* array = body.if_array();
  if (array == nullptr) {
    throw WrongType("body", "một mảng JSON các sản phẩm", "a JSON array of products");
  }
  CheckRowCount(array->size(), limits);
  std::vector<v1::Product> products;
  std::vector<RowError> errors;
  products.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    v1::Product product;
    try {
      ObjectReader reader((*array)[i], IndexPath("", i),
                          {"sku", "name", "brand", "gtin", "registration", "lots"});
      product.set_sku(reader.OptionalString("sku", kSkuChars).value_or(""));
      product.set_name(reader.OptionalString("name", kNameChars).value_or(""));
      product.set_brand(reader.OptionalString("brand", kNameChars).value_or(""));
      product.set_gtin(reader.OptionalString("gtin", kIdentifierChars).value_or(""));
      product.set_registration(reader.OptionalString("registration", kIdentifierChars).value_or(""));
      for (std::string& lot : reader.StringArray("lots", limits.max_lots, kIdentifierChars)) {
        product.add_lots(std::move(lot));
      }
    } catch (const ApiError& error) {
      std::string field = error.field();
      if (size_t dot = field.find('.'); dot != std::string::npos) field = field.substr(dot + 1);
      errors.push_back({i + 1, field, error.message_vi(), error.message_en()});
    }
    products.push_back(std::move(product));
  }
  CheckBatch(products, std::move(errors), limits);
  return products;
}

std::vector<v1::Product> ParseCatalogCsv(std::string_view body, const CatalogLimits& limits) {
  if (body.size() >= 3 && body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  if (!rules::IsValidUtf8(body)) {
    throw InvalidField("body", "CSV không phải UTF-8 hợp lệ", "the CSV is not valid UTF-8");
  }
  std::vector<std::vector<std::string>> records = SplitCsv(body, limits.max_rows + 1);
  if (records.empty()) {
    throw InvalidField("body", "thiếu dòng tiêu đề sku,name,brand,gtin,registration,lots",
                       "the header row sku,name,brand,gtin,registration,lots is missing");
  }
  CheckRowCount(records.size() - 1, limits);

  static constexpr std::string_view kColumns[] = {"sku",  "name",         "brand",
                                                  "gtin", "registration", "lots"};
  int column_of[6] = {-1, -1, -1, -1, -1, -1};
  const std::vector<std::string>& header = records[0];
  for (size_t c = 0; c < header.size(); ++c) {
    std::string name = header[c];
    while (!name.empty() && name.back() == ' ') name.pop_back();
    while (!name.empty() && name.front() == ' ') name.erase(name.begin());
    bool known = false;
    for (size_t k = 0; k < 6; ++k) {
      if (name == kColumns[k]) {
        if (column_of[k] != -1) {
          throw InvalidField("header", "cột '" + name + "' bị lặp", "column '" + name + "' repeats");
        }
        column_of[k] = static_cast<int>(c);
        known = true;
      }
    }
    if (!known) {
      throw InvalidField("header", "cột '" + name + "' không được hỗ trợ",
                         "unknown column '" + name + "'");
    }
  }
  if (column_of[0] == -1 || column_of[1] == -1) {
    throw InvalidField("header", "cần có cột sku và name", "the columns sku and name are required");
  }

  std::vector<v1::Product> products;
  std::vector<RowError> errors;
  for (size_t r = 1; r < records.size(); ++r) {
    const std::vector<std::string>& record = records[r];
    if (record.size() != header.size()) {
      errors.push_back({r, "row",
                        "có " + std::to_string(record.size()) + " cột, cần " +
                            std::to_string(header.size()),
                        "has " + std::to_string(record.size()) + " columns, expected " +
                            std::to_string(header.size())});
    }
    auto cell = [&](size_t k) -> std::string {
      int c = column_of[k];
      if (c < 0 || static_cast<size_t>(c) >= record.size()) return "";
      std::string value = record[c];
      size_t b = value.find_first_not_of(" \t");
      size_t e = value.find_last_not_of(" \t");
      return b == std::string::npos ? std::string() : value.substr(b, e - b + 1);
    };
    v1::Product product;
    product.set_sku(cell(0));
    product.set_name(cell(1));
    product.set_brand(cell(2));
    product.set_gtin(cell(3));
    product.set_registration(cell(4));
    for (std::string& lot : SplitLots(cell(5))) product.add_lots(std::move(lot));
    products.push_back(std::move(product));
  }
  CheckBatch(products, std::move(errors), limits);
  return products;
}

json::object ProductToJson(const v1::Product& product) {
  json::array lots;
  for (const std::string& lot : product.lots()) lots.emplace_back(lot);
  auto optional = [](const std::string& value) {
    return value.empty() ? json::value(nullptr) : json::value(value);
  };
  return {{"sku", product.sku()},
          {"name", product.name()},
          {"brand", optional(product.brand())},
          {"gtin", optional(product.gtin())},
          {"registration", optional(product.registration())},
          {"lots", std::move(lots)}};
}

const char* NoticeStateName(v1::NoticeState state) {
  switch (state) {
    case v1::NOTICE_STATE_ACKNOWLEDGED:
      return "acknowledged";
    case v1::NOTICE_STATE_CANCELLED:
      return "cancelled";
    default:
      return "open";
  }
}

json::object NoticeToJson(const v1::Notice& notice) {
  json::array matches;
  for (const v1::Match& match : notice.matches()) {
    json::array reasons;
    for (const std::string& reason : match.reasons()) reasons.emplace_back(reason);
    matches.push_back({{"sku", match.sku()}, {"reasons", std::move(reasons)}});
  }
  auto optional = [](const std::string& value) {
    return value.empty() ? json::value(nullptr) : json::value(value);
  };
  return {{"id", notice.id()},
          {"notice_seq", notice.notice_seq()},
          {"merchant_id", notice.merchant_id()},
          {"alert_id", notice.alert_id()},
          {"alert_seq", notice.alert_seq()},
          {"headline", {{"vi", notice.headline().vi()},
                        {"en", notice.headline().en().empty() ? notice.headline().vi()
                                                              : notice.headline().en()}}},
          {"matches", std::move(matches)},
          {"state", NoticeStateName(notice.state())},
          {"created", notice.created()},
          {"ack_action", optional(notice.ack_action())},
          {"ack_note", optional(notice.ack_note())},
          {"acked_at", optional(notice.acked_at())}};
}

json::object NoticeMessage(const v1::Notice& notice) {
  json::object out = NoticeToJson(notice);
  out.emplace("type", "notice");
  json::array skus;
  for (const v1::Match& match : notice.matches()) skus.emplace_back(match.sku());
  out["skus"] = std::move(skus);
  return out;
}

rules::MerchantRecord ToMerchantRecord(const v1::Merchant& merchant) {
  rules::MerchantRecord record;
  record.id = merchant.id();
  record.name = merchant.name();
  record.address = merchant.address();
  if (!merchant.phone().empty()) {
    auto phone = rules::NormalizePhone(merchant.phone());
    if (phone.ok()) record.phone = phone.value();
  }
  if (!merchant.website().empty()) {
    auto url = rules::NormalizeUrl(merchant.website());
    if (url.ok()) {
      record.website_host = url.value().host;
      record.website_path = url.value().path;
    }
  }
  for (const std::string& account : merchant.accounts()) {
    auto normalized = rules::NormalizeAccount(account);
    if (normalized.ok()) record.accounts.push_back(normalized.value());
  }
  return record;
}

std::vector<rules::ProductRecord> ToProductRecords(const v1::Catalog& catalog) {
  std::vector<rules::ProductRecord> records;
  records.reserve(catalog.products_size());
  for (const v1::Product& product : catalog.products()) {
    rules::ProductRecord record;
    record.merchant_id = catalog.merchant_id();
    record.sku = product.sku();
    record.name = product.name();
    record.brand = product.brand();
    if (!product.gtin().empty()) {
      auto gtin = rules::NormalizeGtin(product.gtin());
      if (gtin.ok()) record.gtin = gtin.value();
    }
    if (!product.registration().empty()) {
      auto registration = rules::NormalizeRegistration(product.registration());
      if (registration.ok()) record.registration = registration.value();
    }
    for (const std::string& lot : product.lots()) {
      auto normalized = rules::NormalizeLot(lot);
      if (normalized.ok()) record.lots.push_back(normalized.value());
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace canhbao::admin
