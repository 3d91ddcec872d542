#pragma once

#include <string>
#include <string_view>

#include "rules/checked.hpp"

namespace canhbao::rules {

// Maximum length of a raw domain name or URL, in bytes, checked before parsing.
inline constexpr size_t kMaxDomainInputBytes = 1024;
inline constexpr size_t kMaxUrlInputBytes = 4096;

// Normalizes a domain name to lower-case ASCII with A-labels: IDNA2008 lookup with
// TR46 non-transitional processing (libidn2), so "Thuốc.VN" returns
// "xn--thuc-2x5a.vn" from NFC or NFD input. Surrounding whitespace and
// one trailing dot are dropped; a leading "www." is kept, because matching is by
// suffix. Fails with "invalid_format" for a scheme, path, port, user info or IP
// address. It also fails for an empty label, a label over 63 or a name over 253
// octets, a single label, and anything libidn2 rejects. After IDNA processing only
// letters, digits and hyphens are accepted. Thread-safe.
Checked<std::string> NormalizeDomain(std::string_view raw);

// Returns the registrable domain (public suffix plus one label) of a normalized
// name, using libpsl with the system Public Suffix List (psl_latest, falling back to
// the list built into libpsl): "a.b.example.com.vn" returns "example.com.vn".
// Returns "" when the name is itself a public suffix ("com.vn") or libpsl finds no
// registrable domain. Thread-safe. The list is loaded once, on the first call.
std::string RegistrableDomain(std::string_view normalized_domain);

// Returns true when a normalized name is a public suffix ("com.vn", "blogspot.com").
// Callers check this before accepting an alert domain, because such a domain would
// cover every site under it. Thread-safe.
bool IsPublicSuffix(std::string_view normalized_domain);

// Returns true when `record_domain` equals `alert_domain` or ends with "." +
// alert_domain. Both must be normalized.
bool DomainCovers(std::string_view alert_domain, std::string_view record_domain);

// A URL reduced to what matching compares.
struct UrlKey {
  // Normalized like NormalizeDomain.
  std::string host;
  // Path starting with "/", and "/" when the URL has none. It has no query,
  // fragment, dot segments or trailing "/" (except the root "/"). Percent-encoding
  // uses upper-case hex: unreserved characters are decoded, and bytes outside the
  // URL character set are encoded.
  std::string path;

  friend bool operator==(const UrlKey&, const UrlKey&) = default;
};

// Normalizes an http or https URL, with or without the scheme
// ("sites.google.com/view/scam?x=1#top" returns {"sites.google.com", "/view/scam"}).
// User info and port are dropped. Fails with "too_long" past kMaxUrlInputBytes and
// "invalid_format" for another scheme, whitespace or control characters, an
// invalid percent-encoding, an IP address host, or a host NormalizeDomain rejects.
// Thread-safe.
Checked<UrlKey> NormalizeUrl(std::string_view raw);

// Returns true when both hosts are equal and the record path equals the alert path
// or starts with alert path + "/". So "sites.google.com/view/scam" covers
// "sites.google.com/view/scam/page" but neither "sites.google.com/view/scammer"
// nor "sites.google.com". An alert path "/" covers the whole host.
bool UrlCovers(const UrlKey& alert_url, const UrlKey& record_url);

}  // namespace canhbao::rules
