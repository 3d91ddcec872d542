#include "rules/charset.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "rules/text.hpp"
#include "test_data.hpp"

namespace canhbao::rules {
namespace {

// Returns the bytes written as hex digits, e.g. "4875d5" -> "Hu\xD5".
std::string FromHex(std::string_view hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

struct DecodeCase {
  const char* charset;
  const char* input_hex;
  const char* expected;  // NFC UTF-8
};

// The byte forms below were produced with glibc iconv (-t TCVN5712-1, -t CP1258)
// from the NFC text. They are literals so that no input depends on the code under
// test.
TEST(DecodeCatalogText, DecodesTcvn3) {
  const DecodeCase cases[] = {
      {"tcvn3", "53f7612062e974207472ce20656d", "Sữa bột trẻ em"},
      {"tcvn3", "4e68b520746875e86320a7ab6e67204261", "Nhà thuốc Đông Ba"},
      {"tcvn3", "a7e96320686fb974206bfd2073696e6820686fb56e", "Độc hoạt ký sinh hoàn"},
  };
  for (const DecodeCase& c : cases) {
    SCOPED_TRACE(c.expected);
    Checked<std::string> result = DecodeCatalogText(FromHex(c.input_hex), c.charset);
    ASSERT_TRUE(result.ok()) << result.error().message_en;
    EXPECT_EQ(result.value(), c.expected);
  }
}

TEST(DecodeCatalogText, DecodesWindows1258ToNfc) {
  const DecodeCase cases[] = {
      {"windows-1258", "53fdde612062f4f27420747265d220656d", "Sữa bột trẻ em"},
      {"windows-1258", "4e68e020746875f4ec6320d0f46e67204261", "Nhà thuốc Đông Ba"},
      {"windows-1258", "d0f4f26320686f61f274206b79ec2073696e6820686fe06e", "Độc hoạt ký sinh hoàn"},
      // ê followed by a combining tone mark composes to one letter: hook above
      // gives ể, and dot below gives ệ.
      {"windows-1258", "ead2", "ể"},
      {"windows-1258", "eaf2", "ệ"},
      // A combining mark with no precomposed form stays a combining mark.
      {"windows-1258", "71ec", "q\xCC\x81"},
  };
  for (const DecodeCase& c : cases) {
    SCOPED_TRACE(c.expected);
    Checked<std::string> result = DecodeCatalogText(FromHex(c.input_hex), c.charset);
    ASSERT_TRUE(result.ok()) << result.error().message_en;
    EXPECT_EQ(result.value(), c.expected);
  }
}

TEST(DecodeCatalogText, DecodesSharedTextVectors) {
  const boost::json::value vectors =
      testing::LoadJson("identifiers/vn-identifier-test-vectors.json");
  int checked = 0;
  for (const boost::json::value& entry : vectors.at("text_normalisation").as_array()) {
    const boost::json::object& object = entry.as_object();
    std::string expected(object.at("a").as_string());
    struct Form {
      const char* field;
      const char* charset;
    };
    for (Form form : {Form{"tcvn5712_1_hex", "TCVN5712-1"}, Form{"cp1258_hex", "CP1258"}}) {
      if (!object.contains(form.field)) continue;
      SCOPED_TRACE(std::string(form.field) + " " + expected);
      std::string bytes = FromHex(std::string(object.at(form.field).as_string()));
      Checked<std::string> result = DecodeCatalogText(bytes, form.charset);
      ASSERT_TRUE(result.ok()) << result.error().message_en;
      EXPECT_EQ(result.value(), expected);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2) << "expected one TCVN3 and one Windows-1258 vector";
}

TEST(DecodeCatalogText, NormalizesUtf8ToNfc) {
  // "Sữa bột" in NFD: u + combining horn + combining tilde, o + circumflex + dot below.
  std::string nfd = "Su\xCC\x9B\xCC\x83" "a bo\xCC\x82\xCC\xA3t";
  Checked<std::string> result = DecodeCatalogText(nfd, "utf-8");
  ASSERT_TRUE(result.ok()) << result.error().message_en;
  EXPECT_EQ(result.value(), "Sữa bột");
}

TEST(DecodeCatalogText, DropsLeadingUtf8Bom) {
  Checked<std::string> result = DecodeCatalogText("\xEF\xBB\xBFsku,name\n1,Huế", "UTF8");
  ASSERT_TRUE(result.ok()) << result.error().message_en;
  EXPECT_EQ(result.value(), "sku,name\n1,Huế");

  // Only the first three bytes are a byte order mark. A later U+FEFF is text.
  Checked<std::string> inner = DecodeCatalogText("a\xEF\xBB\xBF", "utf-8");
  ASSERT_TRUE(inner.ok()) << inner.error().message_en;
  EXPECT_EQ(inner.value(), "a\xEF\xBB\xBF");
}

TEST(DecodeCatalogText, AcceptsCharsetAliases) {
  const std::string tcvn_hue = FromHex("4875d5");
  const std::string cp1258_hue = FromHex("4875eaec");
  const struct {
    const char* charset;
    std::string bytes;
  } cases[] = {
      {"utf-8", "Huế"},          {"UTF-8", "Huế"},       {"utf8", "Huế"},
      {" \"utf-8\" ", "Huế"},    {"tcvn3", tcvn_hue},    {"TCVN", tcvn_hue},
      {"tcvn5712-1", tcvn_hue},  {"VN3", tcvn_hue},      {"windows-1258", cp1258_hue},
      {"Windows-1258", cp1258_hue}, {"CP1258", cp1258_hue},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.charset);
    Checked<std::string> result = DecodeCatalogText(c.bytes, c.charset);
    ASSERT_TRUE(result.ok()) << result.error().message_en;
    EXPECT_EQ(result.value(), "Huế");
  }
}

TEST(DecodeCatalogText, AcceptsEmptyInput) {
  for (const char* charset : {"utf-8", "tcvn3", "cp1258"}) {
    SCOPED_TRACE(charset);
    Checked<std::string> result = DecodeCatalogText("", charset);
    ASSERT_TRUE(result.ok()) << result.error().message_en;
    EXPECT_EQ(result.value(), "");
  }
}

TEST(DecodeCatalogText, RejectsInvalidUtf8WithOffset) {
  const struct {
    const char* input;
    const char* offset;
  } cases[] = {
      {"abc\x80", "3"},                 // lone continuation byte
      {"\xC0\xAF", "0"},                // overlong "/"
      {"ok \xED\xA0\x80", "3"},         // UTF-16 surrogate
      {"x\xF4\x90\x80\x80", "1"},       // past U+10FFFF
      {"Hu\xE1\xBA\xBF\xFF", "5"},      // 0xFF never occurs in UTF-8
      {"Sữa \xC3(", "6"},               // lead byte without its continuation
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    Checked<std::string> result = DecodeCatalogText(c.input, "utf-8");
    ASSERT_FALSE(result.ok()) << result.value();
    EXPECT_EQ(result.error().code, "invalid_format");
    EXPECT_NE(result.error().message_en.find("UTF-8"), std::string::npos)
        << result.error().message_en;
    EXPECT_NE(result.error().message_en.find("offset " + std::string(c.offset)), std::string::npos)
        << result.error().message_en;
    EXPECT_NE(result.error().message_vi.find("vị trí " + std::string(c.offset)), std::string::npos)
        << result.error().message_vi;
  }
}

TEST(DecodeCatalogText, RejectsTruncatedUtf8AtEnd) {
  Checked<std::string> result = DecodeCatalogText("ab\xE1\xBB", "utf-8");
  ASSERT_FALSE(result.ok()) << result.value();
  EXPECT_EQ(result.error().code, "invalid_format");
  EXPECT_NE(result.error().message_en.find("cut off"), std::string::npos)
      << result.error().message_en;
  EXPECT_NE(result.error().message_en.find("offset 2"), std::string::npos)
      << result.error().message_en;
}

TEST(DecodeCatalogText, RejectsUndefinedWindows1258Byte) {
  // 0x81 has no character in Windows-1258.
  Checked<std::string> result = DecodeCatalogText("Hu\xEA\xEC \x81", "cp1258");
  ASSERT_FALSE(result.ok()) << result.value();
  EXPECT_EQ(result.error().code, "invalid_format");
  EXPECT_NE(result.error().message_en.find("Windows-1258"), std::string::npos)
      << result.error().message_en;
  EXPECT_NE(result.error().message_en.find("0x81"), std::string::npos)
      << result.error().message_en;
  EXPECT_NE(result.error().message_en.find("offset 5"), std::string::npos)
      << result.error().message_en;
  EXPECT_NE(result.error().message_vi.find("vị trí 5"), std::string::npos)
      << result.error().message_vi;
}

TEST(DecodeCatalogText, RejectsUnknownCharset) {
  for (const char* charset : {"", "latin1", "iso-8859-1", "utf-16", "vni", "windows-1252",
                              "utf-8;", "tcvn 3"}) {
    SCOPED_TRACE(charset);
    Checked<std::string> result = DecodeCatalogText("abc", charset);
    ASSERT_FALSE(result.ok()) << result.value();
    EXPECT_EQ(result.error().code, "invalid_format");
    EXPECT_NE(result.error().message_en.find('"' + std::string(charset) + '"'), std::string::npos)
        << result.error().message_en;
    EXPECT_NE(result.error().message_vi.find('"' + std::string(charset) + '"'), std::string::npos)
        << result.error().message_vi;
  }
}

TEST(DecodeCatalogText, EchoesOnlyPrintableCharsetName) {
  Checked<std::string> result = DecodeCatalogText("abc", "bad\r\nX-Header: 1");
  ASSERT_FALSE(result.ok()) << result.value();
  EXPECT_EQ(result.error().message_en.find('\n'), std::string::npos) << result.error().message_en;
  EXPECT_NE(result.error().message_en.find("bad??X-Header: 1"), std::string::npos)
      << result.error().message_en;
}

// Every defined byte of the legacy charsets, and the UTF-8 character whose NFC form
// grows most (U+1D160, 4 bytes to 12), decodes within the output bound.
TEST(DecodeCatalogText, EveryByteStaysWithinBound) {
  for (const char* charset : {"tcvn3", "cp1258"}) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string input(1, static_cast<char>(byte));
      Checked<std::string> result = DecodeCatalogText(input, charset);
      if (!result.ok()) continue;  // undefined Windows-1258 bytes
      EXPECT_LE(result.value().size(), kMaxDecodedBytesPerInputByte)
          << charset << " byte " << byte;
      EXPECT_TRUE(IsValidUtf8(result.value())) << charset << " byte " << byte;
    }
  }
  std::string musical_note = "\xF0\x9D\x85\xA0";
  Checked<std::string> result = DecodeCatalogText(musical_note, "utf-8");
  ASSERT_TRUE(result.ok()) << result.error().message_en;
  EXPECT_EQ(result.value().size(), 12u);
}

TEST(DecodeCatalogText, DecodesConcurrently) {
  const std::string tcvn = FromHex("4e68b520746875e86320a7ab6e67204261");
  const std::string cp1258 = FromHex("4e68e020746875f4ec6320d0f46e67204261");
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string& input = (i + t) % 2 ? tcvn : cp1258;
        Checked<std::string> result = DecodeCatalogText(input, (i + t) % 2 ? "tcvn3" : "cp1258");
        if (!result.ok() || result.value() != "Nhà thuốc Đông Ba") ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace canhbao::rules
