// NormalizeUrl and UrlCovers, declared in rules/domain.hpp.
#include <vector>

#include "rules/domain.hpp"

namespace canhbao::rules {

namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

Invalid NotAUrl(std::string_view why_vi, std::string_view why_en) {
  return {"invalid_format", "Địa chỉ URL không hợp lệ: " + std::string(why_vi) + ".",
          "Invalid URL: " + std::string(why_en) + "."};
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 unreserved characters, which are equivalent to their percent-encoding.
bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Characters a path may contain literally besides unreserved ones (sub-delims,
// ":", "@" and the "/" separator).
bool IsPathLiteral(unsigned char c) {
  return IsUnreserved(c) || c == '/' || c == ':' || c == '@' || c == '!' || c == '$' || c == '&' ||
         c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' || c == ',' || c == ';' ||
         c == '=';
}

void AppendEncoded(unsigned char c, std::string* out) {
  out->push_back('%');
  out->push_back(kHexDigits[c >> 4]);
  out->push_back(kHexDigits[c & 0xF]);
}

// Decodes percent-encoded unreserved characters, upper-cases the hex of the
// others and encodes bytes a path cannot contain literally (UTF-8 text, "<", ...).
// Returns false on a "%" not followed by two hex digits.
bool NormalizePercentEncoding(std::string_view path, std::string* out) {
  for (size_t i = 0; i < path.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(path[i]);
    if (c == '%') {
      if (i + 2 >= path.size()) return false;
      int high = HexValue(path[i + 1]);
      int low = HexValue(path[i + 2]);
      if (high < 0 || low < 0) return false;
      unsigned char decoded = static_cast<unsigned char>(high * 16 + low);
      if (IsUnreserved(decoded)) {
        out->push_back(static_cast<char>(decoded));
      } else {
        AppendEncoded(decoded, out);
      }
      i += 2;
    } else if (IsPathLiteral(c)) {
      out->push_back(static_cast<char>(c));
    } else {
      AppendEncoded(c, out);
    }
  }
  return true;
}

// Removes "." and ".." segments (RFC 3986 section 5.2.4), so that
// "/view/scam/../other" cannot pass for a path under "/view/scam".
std::string RemoveDotSegments(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 1;  // path starts with "/"
  bool ends_with_directory = false;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    ends_with_directory = false;
    if (segment == ".") {
      ends_with_directory = true;
    } else if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      ends_with_directory = true;
    } else {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string out;
  for (std::string_view segment : segments) {
    out.push_back('/');
    out.append(segment);
  }
  if (out.empty() || ends_with_directory) out.push_back('/');
  return out;
}

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

}  // namespace

Checked<UrlKey> NormalizeUrl(std::string_view raw) {
  if (raw.size() > kMaxUrlInputBytes) {
    return Invalid{"too_long", "Địa chỉ URL dài quá 4096 ký tự.",
                   "The URL is longer than 4096 characters."};
  }
  size_t begin = raw.find_first_not_of(" \t\r\n");
  size_t last = raw.find_last_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return NotAUrl("rỗng", "empty");
  std::string_view rest = raw.substr(begin, last - begin + 1);
  for (unsigned char c : rest) {
    if (c <= 0x20 || c == 0x7f) {
      return NotAUrl("có khoảng trắng hoặc ký tự điều khiển",
                     "contains whitespace or a control character");
    }
  }

  size_t scheme_end = rest.find("://");
  if (scheme_end != std::string_view::npos && rest.find_first_of("/?#") > scheme_end) {
    std::string_view scheme = rest.substr(0, scheme_end);
    if (!EqualsIgnoringAsciiCase(scheme, "http") && !EqualsIgnoringAsciiCase(scheme, "https")) {
      return NotAUrl("chỉ chấp nhận http và https", "only http and https are accepted");
    }
    rest.remove_prefix(scheme_end + 3);
  } else if (rest.starts_with("//")) {
    rest.remove_prefix(2);
  }

  size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path;
  if (authority_end != std::string_view::npos && rest[authority_end] == '/') {
    path = rest.substr(authority_end);
    path = path.substr(0, path.find_first_of("?#"));
  }

  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.starts_with('[')) {
    return NotAUrl("địa chỉ IP không phải là tên miền", "an IP address is not a domain name");
  }
  if (size_t colon = authority.find(':'); colon != std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) {
      return NotAUrl("cổng không hợp lệ", "invalid port");
    }
    authority = authority.substr(0, colon);
  }
  if (authority.find('%') != std::string_view::npos) {
    return NotAUrl("tên máy chủ có mã hóa phần trăm", "percent-encoding in the host");
  }
  Checked<std::string> host = NormalizeDomain(authority);
  if (!host) return host.error();

  std::string encoded;
  if (!NormalizePercentEncoding(path.empty() ? std::string_view("/") : path, &encoded)) {
    return NotAUrl("mã hóa phần trăm sai", "invalid percent-encoding");
  }
  std::string normalized_path = RemoveDotSegments(encoded);
  if (normalized_path.size() > 1 && normalized_path.back() == '/') normalized_path.pop_back();
  return UrlKey{std::move(host.value()), std::move(normalized_path)};
}

bool UrlCovers(const UrlKey& alert_url, const UrlKey& record_url) {
  if (alert_url.host.empty() || alert_url.host != record_url.host) return false;
  if (alert_url.path == "/" || record_url.path == alert_url.path) return true;
  return record_url.path.size() > alert_url.path.size() &&
         record_url.path.starts_with(alert_url.path) &&
         record_url.path[alert_url.path.size()] == '/';
}

}  // namespace canhbao::rules
