#pragma once

#include <string>
#include <string_view>

namespace canhbao::rules {

// Returns true when `text` is well-formed UTF-8 (no overlong forms, surrogates or
// code points past U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Returns `utf8` in NFC with Unicode full case folding, so that NFC and NFD
// spellings and upper and lower case compare equal: "SỮA BỘT" and "sữa bột" return
// the same string. Ill-formed UTF-8 sequences become U+FFFD; check IsValidUtf8 first
// where that matters. Thread-safe.
// NOTE: old and new tone placement ("hòa" and "hoà") stay different here; only
// FoldAccents makes them equal.
std::string FoldCase(std::string_view utf8);

// Returns FoldCase(utf8) with all nonspacing marks removed (tone and vowel marks)
// and đ, Đ, Ð and ð folded to "d", in NFC: "Đường Sữa" returns "duong sua".
// Thread-safe.
std::string FoldAccents(std::string_view utf8);

// Returns true when the text has Vietnamese marks or đ, that is when
// FoldAccents(text) differs from FoldCase(text). Thread-safe.
bool ContainsDiacritics(std::string_view utf8);

}  // namespace canhbao::rules
