#pragma once

#include <string>
#include <string_view>

#include "rules/checked.hpp"

namespace canhbao::rules {

// Maximum length of a raw phone number, in bytes, checked before parsing.
inline constexpr size_t kMaxPhoneInputBytes = 64;

// Normalizes a phone number written in Vietnam to the form it is compared in:
// - E.164 for mobile and fixed-line numbers: "0905 123 456", "+84 (0) 905-123-456",
//   "84905123456" and "0 9 0 5 1 2 3 4 5 6" all return "+84905123456";
// - a pre-2018 11-digit mobile ("0120 123 4567") is first mapped to its current
//   10-digit number ("+84701234567") with the 2018 renumbering table;
// - service numbers (1900..., 1800...) and short codes ("113") return their
//   national digits ("19001234", "113"), because they cannot be dialled from abroad;
// - a number with another country code ("+33 1 23 45 67 89") returns its E.164.
// Accepted characters are digits, spaces, tabs and . - ( ) / + (a leading + only).
// Fails with "too_long" past kMaxPhoneInputBytes and "invalid_format" for anything
// libphonenumber (region VN) does not accept as a valid number.
// Thread-safe: libphonenumber's PhoneNumberUtil is a read-only singleton.
Checked<std::string> NormalizePhone(std::string_view raw);

}  // namespace canhbao::rules
