#include "rules/registration.hpp"

namespace canhbao::rules {

namespace {

bool IsSeparator(char c) { return c == ' ' || c == '-' || c == '.' || c == '/' || c == '_'; }

// Upper-cases ASCII letters and drops separators. Returns false on any other byte,
// including every non-ASCII byte.
bool Fold(std::string_view raw, std::string* out) {
  for (char c : raw) {
    if (c >= 'a' && c <= 'z') {
      out->push_back(static_cast<char>(c - 'a' + 'A'));
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out->push_back(c);
    } else if (!IsSeparator(c)) {
      return false;
    }
  }
  return true;
}

}  // namespace

Checked<std::string> NormalizeRegistration(std::string_view raw) {
  if (raw.size() > kMaxRegistrationInputBytes) {
    return Invalid{"too_long", "Số đăng ký dài quá 64 ký tự.",
                   "The registration number is longer than 64 characters."};
  }
  std::string folded;
  if (!Fold(raw, &folded)) {
    return Invalid{"invalid_format",
                   "Số đăng ký chỉ được chứa chữ cái không dấu, chữ số và các dấu phân cách "
                   "(khoảng trắng - . / _).",
                   "A registration number may contain only ASCII letters, digits and the "
                   "separators space - . / _."};
  }
  if (folded.find_first_of("0123456789") == std::string::npos) {
    return Invalid{"invalid_format", "Số đăng ký phải chứa ít nhất một chữ số.",
                   "A registration number must contain a digit."};
  }
  return folded;
}

Checked<std::string> NormalizeLot(std::string_view raw) {
  if (raw.size() > kMaxRegistrationInputBytes) {
    return Invalid{"too_long", "Số lô dài quá 64 ký tự.",
                   "The lot number is longer than 64 characters."};
  }
  std::string folded;
  if (!Fold(raw, &folded)) {
    return Invalid{"invalid_format",
                   "Số lô chỉ được chứa chữ cái không dấu, chữ số và các dấu phân cách "
                   "(khoảng trắng - . / _).",
                   "A lot number may contain only ASCII letters, digits and the separators "
                   "space - . / _."};
  }
  if (folded.empty()) {
    return Invalid{"invalid_format", "Số lô không được để trống.", "The lot number is empty."};
  }
  return folded;
}

}  // namespace canhbao::rules
