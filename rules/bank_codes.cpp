#include "rules/bank_codes.hpp"

#include <array>
#include <string>

namespace canhbao::rules {

namespace {

struct BankName {
  std::string_view name;  // lower case
  std::string_view bin;
};

// BINs and codes as they appear in copies of the VietQR bank list
// (https://api.vietqr.io/v2/banks) in several public repositories, which agree.
// NOTE: not checked against the live list; a bank missing here is still accepted
// by its BIN.
constexpr std::array<BankName, 17> kBankNames = {{
    {"vcb", "970436"},
    {"vietcombank", "970436"},
    {"icb", "970415"},
    {"ctg", "970415"},
    {"vietinbank", "970415"},
    {"bidv", "970418"},
    {"vba", "970405"},
    {"agribank", "970405"},
    {"tcb", "970407"},
    {"techcombank", "970407"},
    {"mb", "970422"},
    {"mbbank", "970422"},
    {"acb", "970416"},
    {"tpbank", "970423"},
    {"vpbank", "970432"},
    {"sacombank", "970403"},
    {"hdbank", "970437"},
}};

}  // namespace

std::optional<std::string_view> FindBankBin(std::string_view bank_name) {
  std::string lower;
  for (char c : bank_name) {
    if (c == ' ') continue;
    lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  for (const BankName& bank : kBankNames) {
    if (bank.name == lower) return bank.bin;
  }
  return std::nullopt;
}

}  // namespace canhbao::rules
