#include "rules/registration.hpp"

#include <gtest/gtest.h>

namespace canhbao::rules {
namespace {

struct FoldCase {
  const char* raw;
  const char* expected;
};

TEST(RegistrationNormalizer, FoldsCaseAndSeparators) {
  const FoldCase cases[] = {
      {"VD-12345-20", "VD1234520"},     {"vd 12345 20", "VD1234520"},
      {"Vd.12345.20", "VD1234520"},     {"VND-4309-05", "VND430905"},
      {"V1295-H12-10", "V1295H1210"},   {"264798/25/CBMP-QLD", "26479825CBMPQLD"},
      {"893110123423", "893110123423"}, {" vn_20000_19 ", "VN2000019"},
  };
  for (const FoldCase& c : cases) {
    SCOPED_TRACE(c.raw);
    Checked<std::string> result = NormalizeRegistration(c.raw);
    ASSERT_TRUE(result.ok()) << result.error().message_en;
    EXPECT_EQ(result.value(), c.expected);
  }
}

TEST(RegistrationNormalizer, RejectsInvalid) {
  const char* cases[] = {"", "VD-ABCDE", "SĐK VD-12345-20", "VD:12345:20", "VD-12345-20;"};
  for (const char* raw : cases) {
    SCOPED_TRACE(raw);
    Checked<std::string> result = NormalizeRegistration(raw);
    ASSERT_FALSE(result.ok()) << result.value();
    EXPECT_EQ(result.error().code, "invalid_format");
  }
  Checked<std::string> long_input = NormalizeRegistration(std::string(65, '1'));
  ASSERT_FALSE(long_input.ok());
  EXPECT_EQ(long_input.error().code, "too_long");
}

TEST(LotNormalizer, KeepsDateLikeLotsAsStrings) {
  const FoldCase cases[] = {
      {"07/2024", "072024"}, {"07062011", "07062011"}, {"010710", "010710"},
      {"a1", "A1"},          {"17-7-2010", "1772010"}, {"LOT 2A", "LOT2A"},
  };
  for (const FoldCase& c : cases) {
    SCOPED_TRACE(c.raw);
    Checked<std::string> result = NormalizeLot(c.raw);
    ASSERT_TRUE(result.ok()) << result.error().message_en;
    EXPECT_EQ(result.value(), c.expected);
  }
}

TEST(LotNormalizer, RejectsInvalid) {
  const char* cases[] = {"", " - / ", "lô 12", "12#3"};
  for (const char* raw : cases) {
    SCOPED_TRACE(raw);
    Checked<std::string> result = NormalizeLot(raw);
    ASSERT_FALSE(result.ok()) << result.value();
    EXPECT_EQ(result.error().code, "invalid_format");
  }
}

}  // namespace
}  // namespace canhbao::rules
