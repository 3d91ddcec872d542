#include "rules/phone.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "test_data.hpp"

namespace canhbao::rules {
namespace {

struct PhoneCase {
  const char* raw;
  const char* expected;
};

void ExpectNormalized(const PhoneCase& c) {
  SCOPED_TRACE(c.raw);
  Checked<std::string> result = NormalizePhone(c.raw);
  ASSERT_TRUE(result.ok()) << result.error().message_en;
  EXPECT_EQ(result.value(), c.expected);
}

TEST(PhoneNormalizer, AcceptsDotsAndSpaces) {
  const PhoneCase cases[] = {
      {"0905 123 456", "+84905123456"},   {"0905.123.456", "+84905123456"},
      {"0905-123-456", "+84905123456"},   {"0 9 0 5 1 2 3 4 5 6", "+84905123456"},
      {"  0905123456\t", "+84905123456"},
  };
  for (const PhoneCase& c : cases) ExpectNormalized(c);
}

TEST(PhoneNormalizer, AcceptsCountryCodeSpellings) {
  const PhoneCase cases[] = {
      {"+84 905 123 456", "+84905123456"},   {"84905123456", "+84905123456"},
      {"(+84) 905-123-456", "+84905123456"}, {"+84 (0) 905 123 456", "+84905123456"},
      {"+84 905.123.456", "+84905123456"},   {"0084 905 123 456", "+84905123456"},
      {"+84 845 123 456", "+84845123456"},
  };
  for (const PhoneCase& c : cases) ExpectNormalized(c);
}

TEST(PhoneNormalizer, MapsPre2018MobilePrefixes) {
  const PhoneCase cases[] = {
      {"0120 123 4567", "+84701234567"},    {"01621234567", "+84321234567"},
      {"0169.123.4567", "+84391234567"},    {"01991234567", "+84591234567"},
      {"+84 120 123 4567", "+84701234567"}, {"841621234567", "+84321234567"},
      {"0186 123 4567", "+84561234567"},
  };
  for (const PhoneCase& c : cases) ExpectNormalized(c);
}

TEST(PhoneNormalizer, MapsEveryRowOfRenumberingTable) {
  boost::json::value table = testing::LoadJson("identifiers/vn-mobile-prefix-2018.json");
  const boost::json::array& rows = table.at("mapping").as_array();
  ASSERT_EQ(rows.size(), 21u);
  for (const boost::json::value& row : rows) {
    std::string old_prefix(row.at("old").as_string());
    std::string new_prefix(row.at("new").as_string());
    SCOPED_TRACE(old_prefix + " -> " + new_prefix);
    Checked<std::string> result = NormalizePhone(old_prefix + "1234567");
    ASSERT_TRUE(result.ok()) << result.error().message_en;
    EXPECT_EQ(result.value(), "+84" + new_prefix.substr(1) + "1234567");
  }
}

TEST(PhoneNormalizer, AcceptsHueLandline) {
  const PhoneCase cases[] = {
      {"0234 3822 123", "+842343822123"},
      {"0234.3822.123", "+842343822123"},
      {"+84 234 3822 123", "+842343822123"},
  };
  for (const PhoneCase& c : cases) ExpectNormalized(c);
}

TEST(PhoneNormalizer, KeepsServiceNumbersNational) {
  const PhoneCase cases[] = {
      {"1900 1234", "19001234"},
      {"1900-1234", "19001234"},
      {"1800 1234", "18001234"},
      {"1900 123 456", "1900123456"},
      {"113", "113"},
      {"114", "114"},
      {"115", "115"},
  };
  for (const PhoneCase& c : cases) ExpectNormalized(c);
}

TEST(PhoneNormalizer, MatchesSharedTestVectors) {
  boost::json::value vectors = testing::LoadJson("identifiers/vn-identifier-test-vectors.json");
  for (const boost::json::value& item : vectors.at("phone_vn").as_array()) {
    const boost::json::object& o = item.as_object();
    std::string raw(o.at("input").as_string());
    SCOPED_TRACE(raw);
    std::string expected;
    if (const boost::json::value* e164 = o.if_contains("e164"); e164 && e164->is_string()) {
      expected = std::string(e164->as_string());
    } else {
      expected = std::string(o.at("national").as_string());
    }
    Checked<std::string> result = NormalizePhone(raw);
    ASSERT_TRUE(result.ok()) << result.error().message_en;
    EXPECT_EQ(result.value(), expected);
  }
}

TEST(PhoneNormalizer, RejectsInvalidInput) {
  const char* cases[] = {
      "",  "abc",         "0905 123 45a", "0905123",    "09051234567890",
      "+", "0905+123456", "999",          "0000000000", "hotline: 0905123456",
  };
  for (const char* raw : cases) {
    SCOPED_TRACE(raw);
    Checked<std::string> result = NormalizePhone(raw);
    ASSERT_FALSE(result.ok()) << result.value();
    EXPECT_EQ(result.error().code, "invalid_format");
    EXPECT_FALSE(result.error().message_vi.empty());
    EXPECT_FALSE(result.error().message_en.empty());
  }
}

TEST(PhoneNormalizer, RejectsInputPastMaxLength) {
  std::string raw(kMaxPhoneInputBytes + 1, ' ');
  raw += "0905123456";
  Checked<std::string> result = NormalizePhone(raw);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "too_long");
}

TEST(PhoneNormalizer, AcceptsForeignNumberInE164) {
  ExpectNormalized({"+33 1 42 68 53 00", "+33142685300"});
}

}  // namespace
}  // namespace canhbao::rules
