#pragma once

#include <string>
#include <string_view>

#include "rules/checked.hpp"

namespace canhbao::rules {

// Normalizes a bank account to "<bank BIN>:<digits>", the BIN being the 6-digit
// NAPAS/VietQR bank identifier: "970436: 0011 0041 23456" returns
// "970436:0011004123456". The bank may also be written as a short name from the
// table in rules/bank_codes.hpp ("VCB:...", "Vietcombank:...", any letter case).
// Spaces, dots and dashes in the account number are removed; 6 to 19 digits must
// remain. Fails with "too_long" past 64 bytes or "invalid_format" (no ":", unknown
// bank, other characters, digit count). Thread-safe.
Checked<std::string> NormalizeAccount(std::string_view raw);

}  // namespace canhbao::rules
