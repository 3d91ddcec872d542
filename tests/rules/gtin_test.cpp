#include "rules/gtin.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "test_data.hpp"

namespace canhbao::rules {
namespace {

boost::json::value Vectors() {
  return testing::LoadJson("identifiers/vn-identifier-test-vectors.json");
}

TEST(GtinNormalizer, AcceptsVietnameseEan13) {
  boost::json::value vectors = Vectors();
  for (const boost::json::value& item : vectors.at("gtin13_vn").as_array()) {
    std::string valid(item.at("valid").as_string());
    std::string wrong(item.at("invalid_check_digit").as_string());
    SCOPED_TRACE(valid);
    Checked<std::string> ok = NormalizeGtin(valid);
    ASSERT_TRUE(ok.ok()) << ok.error().message_en;
    EXPECT_EQ(ok.value(), "0" + valid);

    Checked<std::string> bad = NormalizeGtin(wrong);
    ASSERT_FALSE(bad.ok()) << bad.value();
    EXPECT_EQ(bad.error().code, "invalid_check_digit");
  }
}

TEST(GtinNormalizer, PullsDigitsOutOfFeedNoise) {
  boost::json::value vectors = Vectors();
  for (const boost::json::value& item : vectors.at("gtin_noise_from_real_feeds").as_array()) {
    const boost::json::object& o = item.as_object();
    const boost::json::value* digits = o.if_contains("digits");
    if (digits == nullptr) continue;
    std::string raw(o.at("raw").as_string());
    SCOPED_TRACE(raw);
    Checked<std::string> result = NormalizeGtin(raw);
    ASSERT_TRUE(result.ok()) << result.error().message_en;
    std::string expected(digits->as_string());
    EXPECT_EQ(result.value(), std::string(14 - expected.size(), '0') + expected);
  }
}

TEST(GtinNormalizer, Ean13WithLeadingZeroEqualsUpcA) {
  Checked<std::string> ean = NormalizeGtin("0698997806158");
  Checked<std::string> upc = NormalizeGtin("UPC 6-98997-80615-8");
  Checked<std::string> gtin14 = NormalizeGtin("00698997806158");
  ASSERT_TRUE(ean.ok());
  ASSERT_TRUE(upc.ok());
  ASSERT_TRUE(gtin14.ok());
  EXPECT_EQ(ean.value(), "00698997806158");
  EXPECT_EQ(upc.value(), ean.value());
  EXPECT_EQ(gtin14.value(), ean.value());
}

TEST(GtinNormalizer, AcceptsGtin8) {
  // EAN-8 96385074: check digit 4 computed by the GS1 rule.
  Checked<std::string> result = NormalizeGtin("9638-5074");
  ASSERT_TRUE(result.ok()) << result.error().message_en;
  EXPECT_EQ(result.value(), "00000096385074");
}

TEST(GtinNormalizer, RejectsNonGtin) {
  struct Case {
    const char* raw;
    const char* code;
  };
  const Case cases[] = {
      {"B0CHYPVWHV", "invalid_format"},         // Amazon ASIN
      {"871565899960", "invalid_check_digit"},  // 12 digits failing the UPC-A check
      {"", "invalid_format"},
      {"12345", "invalid_format"},
      {"0000000000000", "invalid_check_digit"},
      {"8930000000019 8931234567897", "invalid_format"},  // two different GTINs
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    Checked<std::string> result = NormalizeGtin(c.raw);
    ASSERT_FALSE(result.ok()) << result.value();
    EXPECT_EQ(result.error().code, c.code);
  }
}

TEST(GtinNormalizer, AcceptsSameGtinTwice) {
  Checked<std::string> result = NormalizeGtin("8930000000019 / 8930000000019");
  ASSERT_TRUE(result.ok()) << result.error().message_en;
  EXPECT_EQ(result.value(), "08930000000019");
}

TEST(GtinNormalizer, RejectsInputPastMaxLength) {
  Checked<std::string> result = NormalizeGtin(std::string(kMaxGtinInputBytes + 1, 'x'));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "too_long");
}

}  // namespace
}  // namespace canhbao::rules
