#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "rules/checked.hpp"

namespace canhbao::rules {

// Maximum size of decoded text, as a multiple of the input size, so that hostile
// input cannot make a decoder allocate without bound. One TCVN3 or Windows-1258
// byte decodes to at most 3 UTF-8 bytes.
inline constexpr size_t kMaxDecodedBytesPerInputByte = 4;

// Decodes catalog text in a declared charset to UTF-8 in NFC.
//
// `charset` is the `charset` parameter of the request's content type, matched
// case-insensitively after trimming whitespace and one pair of double quotes:
//   "utf-8", "utf8"                            UTF-8, with a leading byte order mark dropped
//   "tcvn3", "tcvn", "tcvn5712-1", "vn3"       TCVN 5712:1993 VN3 (glibc iconv "TCVN5712-1")
//   "windows-1258", "cp1258"                   Windows-1258 (glibc iconv "CP1258")
// Windows-1258 writes most toned vowels as a base letter followed by a combining
// tone mark. glibc composes most such pairs, and the result is then normalized to
// NFC with ICU, so every charset returns the same text for the same letters.
//
// Fails with "invalid_format" for an unknown charset (the message names it), for
// invalid UTF-8, for a byte that is not defined in the charset, and for a
// sequence cut off at the end. These messages name the byte offset, counted from 0. Fails with "too_long" when the
// decoded text would exceed kMaxDecodedBytesPerInputByte times the input size.
// Thread-safe: every call opens its own iconv descriptor.
Checked<std::string> DecodeCatalogText(std::string_view bytes, std::string_view charset);

}  // namespace canhbao::rules
