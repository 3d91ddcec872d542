#include "rules/account.hpp"

#include <gtest/gtest.h>

namespace canhbao::rules {
namespace {

TEST(AccountNormalizer, AcceptsBinAndBankNames) {
  struct Case {
    const char* raw;
    const char* expected;
  };
  const Case cases[] = {
      {"970436:0011004123456", "970436:0011004123456"},
      {"970436: 0011 0041 23456", "970436:0011004123456"},
      {" 970436 : 0011-0041-23456", "970436:0011004123456"},
      {"VCB:0011004123456", "970436:0011004123456"},
      {"Vietcombank:0011.004.123456", "970436:0011004123456"},
      {"mbbank:123456", "970422:123456"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    Checked<std::string> result = NormalizeAccount(c.raw);
    ASSERT_TRUE(result.ok()) << result.error().message_en;
    EXPECT_EQ(result.value(), c.expected);
  }
}

TEST(AccountNormalizer, RejectsInvalid) {
  const char* cases[] = {
      "0011004123456",                // no bank code
      "97043:0011004123456",          // BIN of 5 digits
      "NoSuchBank:0011004123",        // unknown bank name
      "970436:12345",                 // 5 digits
      "970436:12345678901234567890",  // 20 digits
      "970436:0011A04123456",
      "970436:",
  };
  for (const char* raw : cases) {
    SCOPED_TRACE(raw);
    Checked<std::string> result = NormalizeAccount(raw);
    ASSERT_FALSE(result.ok()) << result.value();
    EXPECT_EQ(result.error().code, "invalid_format");
  }
}

}  // namespace
}  // namespace canhbao::rules
