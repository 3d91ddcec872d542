#pragma once

#include <string>
#include <string_view>

#include "rules/checked.hpp"

namespace canhbao::rules {

// Maximum length of a raw GTIN field, in bytes. Feeds put whole product
// descriptions into barcode fields, so this is generous.
inline constexpr size_t kMaxGtinInputBytes = 1024;

// Finds the GTIN in `raw` and returns it as GTIN-14 (zero-padded to 14 digits), so
// that EAN-13 "0698997806158" and UPC-A "698997806158" both return "00698997806158".
// A GTIN is a run of 8, 12, 13 or 14 digits. Single spaces, dashes or dots may
// separate its digits ("UPC 3 0603-7039-39 7"), and other characters end a run. The GS1
// check digit must be right. Fails with "invalid_format" when no run has a GTIN
// length (ASIN "B0CHYPVWHV") or when runs hold two different valid GTINs, and with
// "invalid_check_digit" when the only candidates fail the check ("871565899960").
// Thread-safe.
Checked<std::string> NormalizeGtin(std::string_view raw);

}  // namespace canhbao::rules
