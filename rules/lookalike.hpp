#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace canhbao::rules {

// Minimum length, in code points of the mapped form (see LookalikeKey), of two
// labels for one edit between them to make them look-alikes. Shorter labels must
// be equal.
inline constexpr size_t kMinLookalikeEditLength = 5;

// Returns the comparison form of one ASCII domain label: the label converted to
// Unicode (libidn2, when it is an "xn--" A-label that decodes), lower-cased, mapped
// to its UTS #39 confusable skeleton (ICU uspoof), lower-cased again, and then
// mapped with {'1', 'l', 'I', 'i', '|'} -> 'l', {'0', 'o'} -> 'o', "rn" -> "m" and
// "vv" -> "w" (each replacement applied left to right on the result of the one
// before). So "vietc0mbank" and "vietcornbank" both return the key of
// "vietcombank". Thread-safe.
std::u32string LookalikeKey(std::string_view ascii_label);

// Finds domains that imitate a protected domain.
//
// Two labels are look-alikes when their LookalikeKey forms are equal, or when both
// keys have at least kMinLookalikeEditLength code points and are one edit
// (insertion, deletion or substitution of one code point) apart. A checked domain
// is compared by the first label of its registrable domain (RegistrableDomain),
// and each protected domain by the same label of its own registrable domain. A
// checked domain whose registrable domain equals that of a protected domain is
// that domain, or a name under it, and never a look-alike.
//
// Built once, then read-only: FindLookalike may be called from any thread.
class LookalikeChecker {
 public:
  // `protected_domains` are normalized as NormalizeDomain returns them. Entries that
  // have no registrable domain (a public suffix such as "gov.vn") are skipped,
  // because every name would sit under them.
  explicit LookalikeChecker(std::vector<std::string> protected_domains);

  // Returns the protected domain that `normalized_domain` imitates, as it was passed
  // to the constructor, or nullopt. An equal key wins over one edit, and among
  // several candidates the one listed first wins. Returns nullopt for a name
  // without a registrable domain. `normalized_domain` must come from
  // NormalizeDomain.
  // NOTE: only the registrable label is compared, so an imitation hosted under a
  // platform that is not in the Public Suffix List ("momo-vi.weebly.com") is
  // compared as "weebly" and not found.
  std::optional<std::string> FindLookalike(std::string_view normalized_domain) const;

  // The protected domains listed in rules/data/protected-domains.txt, compiled into
  // the library: Vietnamese government services, major banks, e-wallets and Hue-S.
  static const std::vector<std::string>& DefaultProtectedDomains();

 private:
  struct Protected {
    std::string domain;       // as passed to the constructor
    std::string registrable;  // RegistrableDomain(domain)
    std::u32string key;       // LookalikeKey of the registrable domain's first label
  };

  std::optional<size_t> FindEqualKey(const std::u32string& key) const;
  std::optional<size_t> FindOneEdit(const std::u32string& key) const;

  std::vector<Protected> protected_;
  // Registrable domains of the protected entries, for the "is the domain itself" test.
  std::unordered_map<std::string, size_t> by_registrable_;
  // Protected indexes by key, in list order.
  std::unordered_map<std::u32string, std::vector<size_t>> by_key_;
  // Protected indexes by each key with one code point deleted (symmetric delete),
  // for keys of at least kMinLookalikeEditLength code points. A query's key and its
  // own deletions are looked up here and in by_key_, and candidates are confirmed
  // with an edit distance check, so no query scans the whole list.
  std::unordered_map<std::u32string, std::vector<size_t>> by_deletion_;
};

}  // namespace canhbao::rules
