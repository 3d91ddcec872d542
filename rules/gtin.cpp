#include "rules/gtin.hpp"

#include <vector>

namespace canhbao::rules {

namespace {

constexpr size_t kGtin14Digits = 14;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsGtinLength(size_t n) { return n == 8 || n == 12 || n == 13 || n == 14; }

// GS1 check digit: weights 3 and 1 alternate from the digit left of the check digit.
bool HasValidCheckDigit(std::string_view digits) {
  int sum = 0;
  int weight = 3;
  for (size_t i = digits.size() - 1; i-- > 0;) {
    sum += (digits[i] - '0') * weight;
    weight = 4 - weight;
  }
  return (10 - sum % 10) % 10 == digits.back() - '0';
}

// Splits `raw` into digit runs. Inside a run one space, dash or dot may sit between
// two digits. Each run is returned joined, followed by its space-separated pieces
// when the joined run is not a GTIN length, because a space may also separate two
// numbers ("8930000000019 8931234567897").
std::vector<std::string> CandidateRuns(std::string_view raw) {
  std::vector<std::string> candidates;
  size_t i = 0;
  while (i < raw.size()) {
    if (!IsDigit(raw[i])) {
      ++i;
      continue;
    }
    std::string joined;
    std::vector<std::string> pieces(1);
    while (i < raw.size()) {
      if (IsDigit(raw[i])) {
        joined.push_back(raw[i]);
        pieces.back().push_back(raw[i]);
        ++i;
      } else if ((raw[i] == ' ' || raw[i] == '-' || raw[i] == '.') && i + 1 < raw.size() &&
                 IsDigit(raw[i + 1])) {
        if (raw[i] == ' ') pieces.emplace_back();
        ++i;
      } else {
        break;
      }
    }
    candidates.push_back(joined);
    if (!IsGtinLength(joined.size()) && pieces.size() > 1) {
      candidates.insert(candidates.end(), pieces.begin(), pieces.end());
    }
  }
  return candidates;
}

}  // namespace

Checked<std::string> NormalizeGtin(std::string_view raw) {
  if (raw.size() > kMaxGtinInputBytes) {
    return Invalid{"too_long", "Mã GTIN dài quá 1024 ký tự.",
                   "The GTIN field is longer than 1024 characters."};
  }

  std::string found;
  bool any_length_match = false;
  for (const std::string& run : CandidateRuns(raw)) {
    if (!IsGtinLength(run.size())) continue;
    any_length_match = true;
    if (!HasValidCheckDigit(run) || run.find_first_not_of('0') == std::string::npos) continue;
    std::string gtin14 = std::string(kGtin14Digits - run.size(), '0') + run;
    if (!found.empty() && found != gtin14) {
      return Invalid{"invalid_format", "Có nhiều hơn một mã GTIN khác nhau.",
                     "The value contains more than one different GTIN."};
    }
    found = std::move(gtin14);
  }

  if (!found.empty()) return found;
  if (any_length_match) {
    return Invalid{"invalid_check_digit", "Mã GTIN sai số kiểm tra.",
                   "The GTIN has a wrong check digit."};
  }
  return Invalid{"invalid_format", "Không tìm thấy mã GTIN gồm 8, 12, 13 hoặc 14 chữ số.",
                 "No GTIN of 8, 12, 13 or 14 digits was found."};
}

}  // namespace canhbao::rules
