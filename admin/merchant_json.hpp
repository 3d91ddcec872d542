#pragma once

// JSON and CSV mapping of merchants, catalogs and notices, and the
// conversion of stored records into the matcher's normalized records.

#include <boost/json/value.hpp>
#include <string_view>
#include <vector>

#include "canhbao.pb.h"
#include "rules/matcher.hpp"

namespace canhbao::admin {

// Reads a POST /v1/merchants body. The tax code is stored in compact form.
// Throws ApiError (400) naming the first bad field.
v1::Merchant ParseMerchantRequest(const boost::json::value& body);

// `show_personal` is false where the reader may not see a household
// business owner's personal number; it is then masked.
boost::json::object MerchantToJson(const v1::Merchant& merchant, bool show_personal);

struct CatalogLimits {
  size_t max_rows = 50000;
  size_t max_lots = 200;
};

// Reads a catalog from a JSON array of products. Every bad row is collected;
// throws ApiError 422 listing all of them, or 400 when the body as a whole
// is unusable.
std::vector<v1::Product> ParseCatalogJson(const boost::json::value& body,
                                          const CatalogLimits& limits);
// Reads a catalog from UTF-8 CSV with the header sku,name,brand,gtin,
// registration,lots (any column order; lots separated by ';').
std::vector<v1::Product> ParseCatalogCsv(std::string_view body, const CatalogLimits& limits);

boost::json::object ProductToJson(const v1::Product& product);
boost::json::object NoticeToJson(const v1::Notice& notice);
// The WebSocket "notice" message.
boost::json::object NoticeMessage(const v1::Notice& notice);

const char* NoticeStateName(v1::NoticeState state);

// Stored records in the matcher's normalized form. Values that no longer
// normalize (they were checked on input) are left empty.
rules::MerchantRecord ToMerchantRecord(const v1::Merchant& merchant);
std::vector<rules::ProductRecord> ToProductRecords(const v1::Catalog& catalog);

}  // namespace canhbao::admin
