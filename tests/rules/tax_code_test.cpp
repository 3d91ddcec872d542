#include "rules/tax_code.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "test_data.hpp"

namespace canhbao::rules {
namespace {

TEST(TaxCodeNormalizer, MatchesSharedTestVectors) {
  boost::json::value vectors = testing::LoadJson("identifiers/vn-identifier-test-vectors.json");
  for (const boost::json::value& item : vectors.at("mst_tax_code").as_array()) {
    const boost::json::object& o = item.as_object();
    if (!o.contains("input")) continue;  // the row that states the rule
    std::string raw(o.at("input").as_string());
    SCOPED_TRACE(raw);
    Checked<TaxCode> result = NormalizeTaxCode(raw);
    ASSERT_EQ(result.ok(), o.at("valid").as_bool());
    if (const boost::json::value* compact = o.if_contains("compact"); compact && result.ok()) {
      EXPECT_EQ(result.value().compact, std::string(compact->as_string()));
    }
  }
}

TEST(TaxCodeNormalizer, ClassifiesKinds) {
  struct Case {
    const char* raw;
    const char* compact;
    TaxCode::Kind kind;
  };
  const Case cases[] = {
      {"0100233488", "0100233488", TaxCode::Kind::kEnterprise},
      {"01.00.112.437", "0100112437", TaxCode::Kind::kEnterprise},
      {"0314409058-002", "0314409058002", TaxCode::Kind::kBranch},
      {"0314409058 002", "0314409058002", TaxCode::Kind::kBranch},
      {"046 123 456 789", "046123456789", TaxCode::Kind::kPersonal},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    Checked<TaxCode> result = NormalizeTaxCode(c.raw);
    ASSERT_TRUE(result.ok()) << result.error().message_en;
    EXPECT_EQ(result.value().compact, c.compact);
    EXPECT_EQ(result.value().kind, c.kind);
  }
}

TEST(TaxCodeNormalizer, RejectsInvalid) {
  struct Case {
    const char* raw;
    const char* code;
  };
  const Case cases[] = {
      {"0100233480", "invalid_check_digit"},
      {"12345", "invalid_format"},
      {"0314409058-000", "invalid_format"},  // branch 000
      {"0314409050-002", "invalid_check_digit"},
      {"0100000000", "invalid_format"},    // digits 3-9 all zero
      {"097123456789", "invalid_format"},  // province code past 096
      {"000123456789", "invalid_format"},  // province code 000
      {"0100233488a", "invalid_format"},
      {"", "invalid_format"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    Checked<TaxCode> result = NormalizeTaxCode(c.raw);
    ASSERT_FALSE(result.ok()) << result.value().compact;
    EXPECT_EQ(result.error().code, c.code);
  }
}

TEST(TaxCodeNormalizer, RejectsSumDivisibleByEleven) {
  // Find a 9-digit body whose weighted sum is divisible by 11: no check digit fits.
  const int weights[] = {31, 29, 23, 19, 17, 13, 7, 5, 3};
  for (int n = 100000000; n < 100001000; ++n) {
    std::string body = "0" + std::to_string(n).substr(1);
    int sum = 0;
    for (int i = 0; i < 9; ++i) sum += (body[i] - '0') * weights[i];
    if (sum % 11 != 0) continue;
    for (char check = '0'; check <= '9'; ++check) {
      SCOPED_TRACE(body + check);
      EXPECT_FALSE(NormalizeTaxCode(body + check).ok());
    }
    return;
  }
  FAIL() << "no body with a weighted sum divisible by 11 in the searched range";
}

TEST(TaxCodeNormalizer, MessagesDoNotRepeatPersonalNumber) {
  Checked<TaxCode> result = NormalizeTaxCode("099123456789");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message_en.find("099123456789"), std::string::npos);
  EXPECT_EQ(result.error().message_vi.find("099123456789"), std::string::npos);
}

}  // namespace
}  // namespace canhbao::rules
