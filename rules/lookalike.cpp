#include "rules/lookalike.hpp"

#include <idn2.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>
#include <unicode/uspoof.h>

#include <cstdlib>
#include <memory>
#include <utility>

#include "rules/domain.hpp"

namespace canhbao::rules {

namespace {

struct SpoofCheckerDeleter {
  void operator()(USpoofChecker* checker) const { uspoof_close(checker); }
};

// ICU 72 documents that functions taking a const USpoofChecker, such as
// uspoof_getSkeletonUnicodeString, may run concurrently on one instance, so a single
// checker is opened on first use and never configured afterwards.
const USpoofChecker* SharedSpoofChecker() {
  static const std::unique_ptr<USpoofChecker, SpoofCheckerDeleter> checker = [] {
    UErrorCode status = U_ZERO_ERROR;
    USpoofChecker* opened = uspoof_open(&status);
    // The confusable data is part of ICU's i18n library: failing to load it means a
    // broken installation, not bad input.
    if (U_FAILURE(status)) std::abort();
    return std::unique_ptr<USpoofChecker, SpoofCheckerDeleter>(opened);
  }();
  return checker.get();
}

// Returns the Unicode form of an A-label, or the label itself when it is not one or
// does not decode, so that a malformed "xn--" label is still compared as written.
std::string ToUnicodeLabel(std::string_view ascii_label) {
  std::string label(ascii_label);
  if (!label.starts_with("xn--")) return label;
  char* decoded = nullptr;
  int rc = idn2_to_unicode_8z8z(label.c_str(), &decoded, 0);
  if (rc != IDN2_OK) return label;
  std::string unicode(decoded);
  idn2_free(decoded);
  return unicode;
}

std::u32string ToCodePoints(const icu::UnicodeString& text) {
  std::u32string out;
  out.reserve(text.length());
  for (int32_t i = 0; i < text.length();) {
    UChar32 c = text.char32At(i);
    i += U16_LENGTH(c);
    out.push_back(static_cast<char32_t>(c));
  }
  return out;
}

// Replaces every non-overlapping `pair`, scanning left to right, with `single`.
std::u32string ReplacePairs(const std::u32string& text, std::u32string_view pair,
                            char32_t single) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (std::u32string_view(text).substr(i, 2) == pair) {
      out.push_back(single);
      i += 2;
    } else {
      out.push_back(text[i]);
      ++i;
    }
  }
  return out;
}

// The extra map applied after the confusable skeleton. The skeleton already turns
// '1', 'I' and '|' into 'l', '0' into 'O' and 'm' into "rn", but it keeps 'i',
// "rn" and "vv" as they are, and look-alike domains use all of these.
std::u32string ApplyExtraMap(std::u32string text) {
  for (char32_t& c : text) {
    if (c == U'1' || c == U'l' || c == U'I' || c == U'i' || c == U'|') c = U'l';
    if (c == U'0' || c == U'o') c = U'o';
  }
  return ReplacePairs(ReplacePairs(text, U"rn", U'm'), U"vv", U'w');
}

// Returns true when `a` and `b` differ by exactly one insertion, deletion or
// substitution of a code point.
bool IsOneEditApart(std::u32string_view a, std::u32string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  if (b.size() - a.size() > 1) return false;
  size_t prefix = 0;
  while (prefix < a.size() && a[prefix] == b[prefix]) ++prefix;
  if (a.size() == b.size()) {
    return prefix < a.size() && a.substr(prefix + 1) == b.substr(prefix + 1);
  }
  return a.substr(prefix) == b.substr(prefix + 1);
}

std::string_view FirstLabel(std::string_view domain) {
  return domain.substr(0, domain.find('.'));
}

std::vector<std::u32string> SingleDeletions(const std::u32string& key) {
  std::vector<std::u32string> deletions;
  deletions.reserve(key.size());
  for (size_t i = 0; i < key.size(); ++i) {
    // A run of equal code points yields the same deletion once per position.
    if (i > 0 && key[i] == key[i - 1]) continue;
    deletions.push_back(key.substr(0, i) + key.substr(i + 1));
  }
  return deletions;
}

void AppendUnique(std::vector<size_t>& indexes, size_t index) {
  if (indexes.empty() || indexes.back() != index) indexes.push_back(index);
}

}  // namespace

std::u32string LookalikeKey(std::string_view ascii_label) {
  std::string unicode = ToUnicodeLabel(ascii_label);
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(unicode.data(), static_cast<int32_t>(unicode.size())));
  text.toLower(icu::Locale::getRoot());

  icu::UnicodeString skeleton;
  UErrorCode status = U_ZERO_ERROR;
  uspoof_getSkeletonUnicodeString(SharedSpoofChecker(), 0, text, skeleton, &status);
  // Only memory exhaustion makes the skeleton fail for a well-formed string.
  if (U_FAILURE(status)) std::abort();
  skeleton.toLower(icu::Locale::getRoot());

  return ApplyExtraMap(ToCodePoints(skeleton));
}

LookalikeChecker::LookalikeChecker(std::vector<std::string> protected_domains) {
  protected_.reserve(protected_domains.size());
  for (std::string& domain : protected_domains) {
    std::string registrable = RegistrableDomain(domain);
    if (registrable.empty()) continue;
    std::u32string key = LookalikeKey(FirstLabel(registrable));
    protected_.push_back({std::move(domain), std::move(registrable), std::move(key)});
  }

  for (size_t i = 0; i < protected_.size(); ++i) {
    const Protected& entry = protected_[i];
    by_registrable_.emplace(entry.registrable, i);
    by_key_[entry.key].push_back(i);
    if (entry.key.size() < kMinLookalikeEditLength) continue;
    for (std::u32string& deletion : SingleDeletions(entry.key)) {
      AppendUnique(by_deletion_[std::move(deletion)], i);
    }
  }
}

std::optional<std::string> LookalikeChecker::FindLookalike(
    std::string_view normalized_domain) const {
  std::string registrable = RegistrableDomain(normalized_domain);
  if (registrable.empty()) return std::nullopt;
  if (by_registrable_.contains(registrable)) return std::nullopt;

  std::u32string key = LookalikeKey(FirstLabel(registrable));
  std::optional<size_t> found = FindEqualKey(key);
  if (!found) found = FindOneEdit(key);
  if (!found) return std::nullopt;
  return protected_[*found].domain;
}

std::optional<size_t> LookalikeChecker::FindEqualKey(const std::u32string& key) const {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  return it->second.front();
}

std::optional<size_t> LookalikeChecker::FindOneEdit(const std::u32string& key) const {
  if (key.size() < kMinLookalikeEditLength) return std::nullopt;

  // Let p be a protected key and q the query key. When q is p with one code point
  // inserted, a deletion of q equals p (by_key_). When q is p with one code point
  // deleted, q equals a deletion of p (by_deletion_). When one code point is
  // replaced, a deletion of q equals a deletion of p. Each hit is confirmed,
  // because two edits can also give equal deletions ("ab" and "ba").
  std::optional<size_t> best;
  auto consider = [&](const std::vector<size_t>& candidates) {
    for (size_t i : candidates) {
      if (best && i >= *best) continue;
      const std::u32string& candidate = protected_[i].key;
      if (candidate.size() < kMinLookalikeEditLength) continue;
      if (IsOneEditApart(key, candidate)) best = i;
    }
  };

  if (auto it = by_deletion_.find(key); it != by_deletion_.end()) consider(it->second);
  for (const std::u32string& deletion : SingleDeletions(key)) {
    if (auto it = by_key_.find(deletion); it != by_key_.end()) consider(it->second);
    if (auto it = by_deletion_.find(deletion); it != by_deletion_.end()) consider(it->second);
  }
  return best;
}

}  // namespace canhbao::rules
