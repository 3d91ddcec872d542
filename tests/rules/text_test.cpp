#include "rules/text.hpp"

#include <gtest/gtest.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

namespace canhbao::rules {
namespace {

// "Sữa bột trẻ em" decomposed: ữ = u + U+031B horn + U+0303 tilde, ộ = o + U+0323
// dot below + U+0302 circumflex (canonical order), ẻ = e + U+0309 hook above.
const std::string kNfd = "Su\u031B\u0303a bo\u0323\u0302t tre\u0309 em";

std::string ToNfdWithIcu(const std::string& utf8) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  icu::UnicodeString out = nfd->normalize(icu::UnicodeString::fromUTF8(utf8), status);
  std::string result;
  out.toUTF8String(result);
  return result;
}

TEST(TextFolding, NfdMatchesIcuDecomposition) {
  EXPECT_EQ(ToNfdWithIcu("Sữa bột trẻ em"), kNfd);
  EXPECT_NE(kNfd, "Sữa bột trẻ em");
}

TEST(TextFolding, FoldCaseEqualizesCaseAndNormalForm) {
  const std::string expected = "sữa bột trẻ em";
  const std::string cases[] = {"Sữa bột trẻ em", "SỮA BỘT TRẺ EM", kNfd,
                               ToNfdWithIcu("SỮA BỘT TRẺ EM")};
  for (const std::string& text : cases) {
    SCOPED_TRACE(text);
    EXPECT_EQ(FoldCase(text), expected);
  }
  EXPECT_NE(FoldCase("sua bot tre em"), expected);
}

TEST(TextFolding, FoldCaseKeepsToneDifferences) {
  EXPECT_NE(FoldCase("bán"), FoldCase("bạn"));
  EXPECT_EQ(FoldCase("Huế"), FoldCase("Hu\u0065\u0302\u0301"));
}

TEST(TextFolding, FoldAccentsRemovesMarks) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {"Sữa bột trẻ em", "sua bot tre em"},
      {"SỮA BỘT TRẺ EM", "sua bot tre em"},
      {kNfd, "sua bot tre em"},
      {"sua bot tre em", "sua bot tre em"},
      {"đường", "duong"},
      {"Đà Nẵng", "da nang"},
      {"\u00D0\u00E0 N\u1EB5ng", "da nang"},  // Ð (U+00D0), the Icelandic look-alike
      {"hòa", "hoa"},
      {"hoà", "hoa"},
      {"thủy", "thuy"},
      {"thuỷ", "thuy"},
      {"Thừa Thiên Huế", "thua thien hue"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(FoldAccents(c.text), c.expected);
  }
}

TEST(TextFolding, DetectsDiacritics) {
  EXPECT_TRUE(ContainsDiacritics("sữa"));
  EXPECT_TRUE(ContainsDiacritics("dd đ"));
  EXPECT_TRUE(ContainsDiacritics("Đ"));
  EXPECT_TRUE(ContainsDiacritics(kNfd));
  EXPECT_FALSE(ContainsDiacritics("sua bot .*abc"));
  EXPECT_FALSE(ContainsDiacritics("SUA BOT"));
  EXPECT_FALSE(ContainsDiacritics(""));
}

TEST(TextFolding, ValidatesUtf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("Sữa bột"));
  EXPECT_FALSE(IsValidUtf8("\xC3\x28"));          // truncated sequence
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong "/"
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // UTF-16 surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("Hu\xD5"));            // TCVN3 bytes of "Huế"
}

}  // namespace
}  // namespace canhbao::rules
