#include "rules/account.hpp"

#include "rules/bank_codes.hpp"

namespace canhbao::rules {

namespace {

constexpr size_t kMaxAccountInputBytes = 64;
constexpr size_t kBinDigits = 6;
constexpr size_t kMinAccountDigits = 6;
constexpr size_t kMaxAccountDigits = 19;

Invalid BadAccount(std::string_view why_vi, std::string_view why_en) {
  return {"invalid_format", "Số tài khoản không hợp lệ: " + std::string(why_vi) + ".",
          "Invalid bank account: " + std::string(why_en) + "."};
}

std::string_view Trim(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

bool IsAllDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

Checked<std::string> NormalizeAccount(std::string_view raw) {
  if (raw.size() > kMaxAccountInputBytes) {
    return Invalid{"too_long", "Số tài khoản dài quá 64 ký tự.",
                   "The bank account is longer than 64 characters."};
  }
  size_t colon = raw.find(':');
  if (colon == std::string_view::npos) {
    return BadAccount("viết theo dạng <mã ngân hàng>:<số tài khoản>, ví dụ 970436:0011004123456",
                      "write it as <bank code>:<account number>, for example "
                      "970436:0011004123456");
  }

  std::string_view bank = Trim(raw.substr(0, colon));
  std::string bin;
  if (IsAllDigits(bank)) {
    if (bank.size() != kBinDigits) {
      return BadAccount("mã ngân hàng phải gồm 6 chữ số (mã BIN của NAPAS)",
                        "the bank code must be the 6-digit NAPAS BIN");
    }
    bin = bank;
  } else if (std::optional<std::string_view> found = FindBankBin(bank)) {
    bin = *found;
  } else {
    return BadAccount("không biết ngân hàng này, hãy dùng mã BIN 6 chữ số",
                      "unknown bank name, use the 6-digit BIN");
  }

  std::string digits;
  for (char c : raw.substr(colon + 1)) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != ' ' && c != '.' && c != '-' && c != '\t') {
      return BadAccount("số tài khoản chỉ được chứa chữ số",
                        "the account number may contain only digits");
    }
  }
  if (digits.size() < kMinAccountDigits || digits.size() > kMaxAccountDigits) {
    return BadAccount("số tài khoản phải có từ 6 đến 19 chữ số",
                      "the account number must have 6 to 19 digits");
  }
  return bin + ":" + digits;
}

}  // namespace canhbao::rules
