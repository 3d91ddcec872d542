#include "rules/domain.hpp"

#include <idn2.h>
#include <libpsl.h>

#include <memory>

#include "rules/text.hpp"

namespace canhbao::rules {

namespace {

constexpr size_t kMaxLabelOctets = 63;
constexpr size_t kMaxNameOctets = 253;

Invalid NotADomain(std::string_view why_vi, std::string_view why_en) {
  return {"invalid_format", "Tên miền không hợp lệ: " + std::string(why_vi) + ".",
          "Invalid domain name: " + std::string(why_en) + "."};
}

std::string_view TrimWhitespace(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  size_t end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

// Checks the A-label form that libidn2 returns. Labels contain letters, digits and
// inner hyphens, and lengths stay within DNS limits. A name needs two labels, and a
// last label of only digits would make it an IPv4 address.
Checked<std::string> CheckAsciiName(std::string name) {
  if (name.size() > kMaxNameOctets) {
    return NotADomain("dài quá 253 ký tự", "longer than 253 characters");
  }
  size_t labels = 0;
  size_t start = 0;
  bool last_all_digits = false;
  while (start <= name.size()) {
    size_t end = name.find('.', start);
    if (end == std::string::npos) end = name.size();
    std::string_view label = std::string_view(name).substr(start, end - start);
    if (label.empty()) return NotADomain("có nhãn rỗng", "empty label");
    if (label.size() > kMaxLabelOctets) {
      return NotADomain("có nhãn dài quá 63 ký tự", "a label is longer than 63 characters");
    }
    if (label.front() == '-' || label.back() == '-') {
      return NotADomain("nhãn bắt đầu hoặc kết thúc bằng dấu gạch ngang",
                        "a label starts or ends with a hyphen");
    }
    last_all_digits = true;
    for (char c : label) {
      bool digit = c >= '0' && c <= '9';
      if (!digit && !(c >= 'a' && c <= 'z') && c != '-') {
        return NotADomain("chỉ được chứa chữ cái, chữ số và dấu gạch ngang",
                          "only letters, digits and hyphens are allowed");
      }
      last_all_digits = last_all_digits && digit;
    }
    ++labels;
    start = end + 1;
  }
  if (labels < 2) {
    return NotADomain("cần ít nhất hai nhãn, ví dụ example.vn",
                      "at least two labels are required, for example example.vn");
  }
  if (last_all_digits) {
    return NotADomain("địa chỉ IP không phải là tên miền", "an IP address is not a domain name");
  }
  return name;
}

struct PslDeleter {
  void operator()(psl_ctx_t* ctx) const { psl_free(ctx); }
};

const psl_ctx_t* PublicSuffixList() {
  // psl_latest reads the newest list installed on the system (the Debian
  // publicsuffix package); the list compiled into libpsl is the fallback.
  static const std::unique_ptr<psl_ctx_t, PslDeleter> latest(psl_latest(nullptr));
  return latest ? latest.get() : psl_builtin();
}

}  // namespace

Checked<std::string> NormalizeDomain(std::string_view raw) {
  if (raw.size() > kMaxDomainInputBytes) {
    return Invalid{"too_long", "Tên miền dài quá 1024 ký tự.",
                   "The domain name is longer than 1024 characters."};
  }
  std::string_view name = TrimWhitespace(raw);
  if (!IsValidUtf8(name)) return NotADomain("không phải UTF-8 hợp lệ", "not valid UTF-8");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || c == ' ') {
      return NotADomain("có khoảng trắng hoặc ký tự điều khiển",
                        "contains whitespace or a control character");
    }
    if (c == '/' || c == ':' || c == '?' || c == '#' || c == '@' || c == '[' || c == ']' ||
        c == '\\') {
      return NotADomain("chỉ nhập tên miền, không kèm giao thức, cổng hay đường dẫn",
                        "enter the name only, without scheme, port or path");
    }
  }
  if (name.ends_with('.')) name.remove_suffix(1);
  if (name.empty()) return NotADomain("rỗng", "empty");
  if (name.front() == '.' || name.find("..") != std::string_view::npos) {
    return NotADomain("có nhãn rỗng", "empty label");
  }

  std::string input(name);
  uint8_t* output = nullptr;
  int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(input.c_str()), &output,
                          IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  if (rc != IDN2_OK) {
    return NotADomain(std::string("IDNA từ chối (") + idn2_strerror_name(rc) + ")",
                      std::string("IDNA processing failed: ") + idn2_strerror(rc));
  }
  std::string ascii(reinterpret_cast<const char*>(output));
  idn2_free(output);
  return CheckAsciiName(std::move(ascii));
}

std::string RegistrableDomain(std::string_view normalized_domain) {
  std::string name(normalized_domain);
  const char* registrable = psl_registrable_domain(PublicSuffixList(), name.c_str());
  return registrable ? std::string(registrable) : std::string();
}

bool IsPublicSuffix(std::string_view normalized_domain) {
  std::string name(normalized_domain);
  return psl_is_public_suffix(PublicSuffixList(), name.c_str()) != 0;
}

bool DomainCovers(std::string_view alert_domain, std::string_view record_domain) {
  if (alert_domain.empty() || record_domain.empty()) return false;
  if (record_domain == alert_domain) return true;
  return record_domain.size() > alert_domain.size() && record_domain.ends_with(alert_domain) &&
         record_domain[record_domain.size() - alert_domain.size() - 1] == '.';
}

}  // namespace canhbao::rules
