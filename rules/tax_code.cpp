#include "rules/tax_code.hpp"

#include <array>

namespace canhbao::rules {

namespace {

constexpr size_t kMaxTaxCodeInputBytes = 64;
constexpr std::array<int, 9> kWeights = {31, 29, 23, 19, 17, 13, 7, 5, 3};
constexpr int kMaxProvinceCode = 96;

Invalid BadFormat() {
  return {"invalid_format",
          "Mã số thuế phải gồm 10 chữ số, 13 chữ số (mã chi nhánh) hoặc 12 chữ số (số định danh "
          "cá nhân).",
          "A tax code has 10 digits, 13 digits for a branch, or 12 digits for a personal "
          "identification number."};
}

bool HasValidCheckDigit(std::string_view ten) {
  int sum = 0;
  for (size_t i = 0; i < kWeights.size(); ++i) sum += (ten[i] - '0') * kWeights[i];
  int check = 10 - sum % 11;
  return check != 10 && check == ten[9] - '0';
}

}  // namespace

Checked<TaxCode> NormalizeTaxCode(std::string_view raw) {
  if (raw.size() > kMaxTaxCodeInputBytes) {
    return Invalid{"too_long", "Mã số thuế dài quá 64 ký tự.",
                   "The tax code is longer than 64 characters."};
  }
  std::string digits;
  for (char c : raw) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != ' ' && c != '.' && c != '-') {
      return BadFormat();
    }
  }

  if (digits.size() == 12) {
    int province = std::stoi(digits.substr(0, 3));
    if (province < 1 || province > kMaxProvinceCode) {
      return Invalid{"invalid_format",
                     "Số định danh cá nhân 12 chữ số phải bắt đầu bằng mã tỉnh từ 001 đến 096.",
                     "A 12-digit personal identification number starts with a province code "
                     "from 001 to 096."};
    }
    // NOTE: only the province code is checked; the personal number has no check
    // digit, so a mistyped number is accepted.
    return TaxCode{std::move(digits), TaxCode::Kind::kPersonal};
  }
  if (digits.size() != 10 && digits.size() != 13) return BadFormat();

  std::string_view base = std::string_view(digits).substr(0, 10);
  if (base.substr(2, 7).find_first_not_of('0') == std::string_view::npos) {
    return Invalid{"invalid_format", "Chữ số thứ 3 đến thứ 9 của mã số thuế không được đều là 0.",
                   "Digits 3 to 9 of a tax code cannot all be zero."};
  }
  if (!HasValidCheckDigit(base)) {
    return Invalid{"invalid_check_digit", "Mã số thuế sai số kiểm tra.",
                   "The tax code has a wrong check digit."};
  }
  if (digits.size() == 10) return TaxCode{std::move(digits), TaxCode::Kind::kEnterprise};

  if (digits.substr(10) == "000") {
    return Invalid{"invalid_format", "Mã chi nhánh phải từ 001 đến 999.",
                   "A branch number is between 001 and 999."};
  }
  return TaxCode{std::move(digits), TaxCode::Kind::kBranch};
}

}  // namespace canhbao::rules
