#pragma once

#include <string>
#include <string_view>

#include "rules/checked.hpp"

namespace canhbao::rules {

// A Vietnamese tax code (mã số thuế) in compact form: digits only.
struct TaxCode {
  // kEnterprise: 10 digits; kBranch: 10 digits + branch 001-999; kPersonal: the
  // 12-digit personal identification number of a household business owner.
  enum class Kind { kEnterprise, kBranch, kPersonal };

  std::string compact;
  Kind kind;
};

// Normalizes a tax code. Spaces, dots and dashes are removed ("01.00.112.437",
// "0314409058-002"). 10 digits must pass the check digit: weights
// 31,29,23,19,17,13,7,5,3 over digits 1-9, check = 10 - sum mod 11, and a sum
// divisible by 11 makes the number invalid; digits 3-9 must not all be zero.
// 13 digits are such a number followed by a branch number 001-999. 12 digits are
// only format-checked: the first 3 digits must be a province code 001-096.
// Fails with "invalid_format" (characters, length, branch, province) or
// "invalid_check_digit". The personal number is personal data: the messages never
// repeat the input. Thread-safe.
Checked<TaxCode> NormalizeTaxCode(std::string_view raw);

}  // namespace canhbao::rules
