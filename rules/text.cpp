#include "rules/text.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <cstdlib>

namespace canhbao::rules {

namespace {

const icu::Normalizer2& Nfc() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  // The NFC data is part of ICU's common library: failing to load it means a broken
  // installation, not bad input.
  if (U_FAILURE(status)) std::abort();
  return *nfc;
}

const icu::Normalizer2& Nfd() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status)) std::abort();
  return *nfd;
}

icu::UnicodeString Normalize(const icu::Normalizer2& form, const icu::UnicodeString& text) {
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString out = form.normalize(text, status);
  if (U_FAILURE(status)) std::abort();
  return out;
}

std::string ToUtf8(const icu::UnicodeString& text) {
  std::string out;
  text.toUTF8String(out);
  return out;
}

icu::UnicodeString FoldCaseUnicode(std::string_view utf8) {
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  // Case folding can leave a string that is not in NFC (for example when a folded
  // letter is followed by a combining mark), so normalize on both sides.
  icu::UnicodeString folded = Normalize(Nfc(), text);
  folded.foldCase(U_FOLD_CASE_DEFAULT);
  return Normalize(Nfc(), folded);
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  int32_t length = static_cast<int32_t>(text.size());
  if (static_cast<size_t>(length) != text.size()) return false;
  int32_t i = 0;
  while (i < length) {
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return false;
  }
  return true;
}

std::string FoldCase(std::string_view utf8) { return ToUtf8(FoldCaseUnicode(utf8)); }

std::string FoldAccents(std::string_view utf8) {
  icu::UnicodeString decomposed = Normalize(Nfd(), FoldCaseUnicode(utf8));
  icu::UnicodeString stripped;
  for (int32_t i = 0; i < decomposed.length();) {
    UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) == U_NON_SPACING_MARK) continue;
    // Case folding has already turned Đ (U+0110) into đ and Ð (U+00D0) into ð; the
    // upper-case forms are listed too in case the input bypassed folding.
    if (c == 0x0111 || c == 0x0110 || c == 0x00F0 || c == 0x00D0) c = 'd';
    stripped.append(c);
  }
  return ToUtf8(Normalize(Nfc(), stripped));
}

bool ContainsDiacritics(std::string_view utf8) {
  icu::UnicodeString folded = FoldCaseUnicode(utf8);
  std::string case_folded = ToUtf8(folded);
  return FoldAccents(case_folded) != case_folded;
}

}  // namespace canhbao::rules
