#pragma once

#include <string>
#include <string_view>

#include "rules/checked.hpp"

namespace canhbao::rules {

// Maximum length of a raw registration number or lot, in bytes.
inline constexpr size_t kMaxRegistrationInputBytes = 64;

// Normalizes a drug registration number (số đăng ký: "VD-12345-20", "VND-4309-05",
// "V1295-H12-10", the 12-digit form) or a cosmetic notification number
// ("264798/25/CBMP-QLD"): ASCII letters are upper-cased and the separators
// space, -, ., / and _ are removed, so "vd 12345 20" returns "VD1234520".
// Fails with "too_long" past kMaxRegistrationInputBytes, and with "invalid_format"
// for any other character or when no digit remains. Thread-safe.
Checked<std::string> NormalizeRegistration(std::string_view raw);

// Normalizes a lot number (số lô) with the same folding: "07/2024" returns
// "072024". A lot that looks like a date is never read as one. Fails like
// NormalizeRegistration, except that a lot needs a letter or digit, not a digit.
// Thread-safe.
Checked<std::string> NormalizeLot(std::string_view raw);

}  // namespace canhbao::rules
