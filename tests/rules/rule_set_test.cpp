#include "rules/rule_set.hpp"

#include <gtest/gtest.h>

namespace canhbao::rules {
namespace {

std::shared_ptr<const RuleSet> CompileOrDie(const std::vector<RuleSpec>& specs,
                                            const RuleLimits& limits = {}) {
  auto compiled = RuleSet::Compile(specs, limits);
  if (const RuleError* error = std::get_if<RuleError>(&compiled)) {
    ADD_FAILURE() << "rule " << error->index << ": " << error->invalid.message_en;
    return nullptr;
  }
  return std::get<std::shared_ptr<const RuleSet>>(compiled);
}

RuleError CompileError(const std::vector<RuleSpec>& specs, const RuleLimits& limits = {}) {
  auto compiled = RuleSet::Compile(specs, limits);
  if (const RuleError* error = std::get_if<RuleError>(&compiled)) return *error;
  ADD_FAILURE() << "compile succeeded";
  return RuleError{};
}

std::vector<size_t> MatchOrDie(const RuleSet& rules, std::string_view field,
                               std::string_view text) {
  Checked<std::vector<size_t>> hits = rules.Match(field, text);
  if (!hits) {
    ADD_FAILURE() << hits.error().message_en;
    return {};
  }
  return hits.value();
}

const std::string kNfd = "Su\u031B\u0303a bo\u0323\u0302t tre\u0309 em";

TEST(RuleSet, AccentInsensitiveRuleMatchesAllSpellings) {
  auto rules = CompileOrDie({{"product.name", "sua bot tre em", true}});
  ASSERT_TRUE(rules);
  const std::string texts[] = {"Sữa bột trẻ em", "SỮA BỘT TRẺ EM", "sua bot tre em", kNfd,
                               "Hộp SỮA BỘT TRẺ EM 900g"};
  for (const std::string& text : texts) {
    SCOPED_TRACE(text);
    EXPECT_EQ(MatchOrDie(*rules, "product.name", text), std::vector<size_t>{0});
  }
  EXPECT_TRUE(MatchOrDie(*rules, "product.name", "sữa tươi").empty());
  EXPECT_TRUE(MatchOrDie(*rules, "product.brand", "sữa bột trẻ em").empty());
}

TEST(RuleSet, ExactRuleMatchesCaseAndNormalFormOnly) {
  auto rules = CompileOrDie({{"product.name", "sữa bột trẻ em", false}});
  ASSERT_TRUE(rules);
  const std::string texts[] = {"Sữa bột trẻ em", "SỮA BỘT TRẺ EM", kNfd};
  for (const std::string& text : texts) {
    SCOPED_TRACE(text);
    EXPECT_EQ(MatchOrDie(*rules, "product.name", text), std::vector<size_t>{0});
  }
  EXPECT_TRUE(MatchOrDie(*rules, "product.name", "sua bot tre em").empty());
}

TEST(RuleSet, ExactRuleTellsToneMarksApart) {
  auto rules = CompileOrDie({{"text", "bán", false}, {"text", "bạn", false}});
  ASSERT_TRUE(rules);
  EXPECT_EQ(MatchOrDie(*rules, "text", "Cửa hàng BÁN thuốc"), std::vector<size_t>{0});
  EXPECT_EQ(MatchOrDie(*rules, "text", "Chào bạn"), std::vector<size_t>{1});
  EXPECT_TRUE(MatchOrDie(*rules, "text", "ban").empty());
}

TEST(RuleSet, ReturnsIndexesAcrossGroups) {
  auto rules = CompileOrDie({
      {"product.name", "abc", false},
      {"product.brand", "abc", false},
      {"product.name", "sua bot", true},
      {"product.name", "ABC", false},
  });
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->size(), 4u);
  EXPECT_FALSE(rules->empty());
  EXPECT_EQ(MatchOrDie(*rules, "product.name", "Sữa bột ABC"), (std::vector<size_t>{0, 2, 3}));
  EXPECT_EQ(MatchOrDie(*rules, "product.brand", "abc"), std::vector<size_t>{1});
  EXPECT_TRUE(MatchOrDie(*rules, "merchant.name", "abc").empty());
  EXPECT_TRUE(rules->HasField("product.brand"));
  EXPECT_FALSE(rules->HasField("text"));
}

TEST(RuleSet, EmptySetMatchesNothing) {
  auto rules = CompileOrDie({});
  ASSERT_TRUE(rules);
  EXPECT_TRUE(rules->empty());
  EXPECT_TRUE(MatchOrDie(*rules, "text", "anything").empty());
}

TEST(RuleSet, RejectsAccentInsensitivePatternWithDiacritics) {
  RuleError error =
      CompileError({{"product.name", "sua bot", true}, {"product.name", "sữa bột", true}});
  EXPECT_EQ(error.index, 1u);
  EXPECT_EQ(error.invalid.code, "invalid_rule");
  EXPECT_NE(error.invalid.message_vi.find("không dấu"), std::string::npos)
      << error.invalid.message_vi;

  RuleError with_d = CompileError({{"merchant.name", "đông y", true}});
  EXPECT_EQ(with_d.index, 0u);
}

TEST(RuleSet, CompileErrorsNameRuleIndex) {
  struct Case {
    std::vector<RuleSpec> specs;
    size_t index;
    const char* message_part;
  };
  const Case cases[] = {
      {{{"product.name", "ok", false}, {"product.name", "(unclosed", false}}, 1, "missing )"},
      {{{"product.name", "ok", false}, {"product.name", "ok", false}, {"price", "x", false}},
       2,
       "price"},
      {{{"text", "", false}}, 0, "empty"},
      {{{"text", "a", false}, {"text", "x*", false}}, 1, "empty string"},
      {{{"text", "a{2,1}", false}}, 0, "repetition"},
      {{{"text", "a\\", false}}, 0, "trailing"},
      {{{"text", "\xC3\x28", false}}, 0, "UTF-8"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message_part);
    RuleError error = CompileError(c.specs);
    EXPECT_EQ(error.index, c.index);
    EXPECT_EQ(error.invalid.code, "invalid_rule");
    EXPECT_NE(error.invalid.message_en.find(c.message_part), std::string::npos)
        << error.invalid.message_en;
    EXPECT_FALSE(error.invalid.message_vi.empty());
  }
}

TEST(RuleSet, RE2ErrorTextInBothLanguages) {
  RuleError error = CompileError({{"text", "(unclosed", false}});
  EXPECT_NE(error.invalid.message_en.find("missing )"), std::string::npos);
  EXPECT_NE(error.invalid.message_vi.find("missing )"), std::string::npos);
}

TEST(RuleSet, EnforcesLimits) {
  RuleLimits limits;
  limits.max_rules = 2;
  limits.max_pattern_bytes = 8;
  RuleError too_many =
      CompileError({{"text", "a", false}, {"text", "b", false}, {"text", "c", false}}, limits);
  EXPECT_EQ(too_many.index, 2u);
  EXPECT_NE(too_many.invalid.message_en.find("at most 2"), std::string::npos);

  RuleError too_long = CompileError({{"text", "a", false}, {"text", "abcdefghi", false}}, limits);
  EXPECT_EQ(too_long.index, 1u);
  EXPECT_NE(too_long.invalid.message_en.find("8 bytes"), std::string::npos);

  RuleLimits small_memory;
  small_memory.max_program_mem = 1 << 12;
  RuleError too_big =
      CompileError({{"text", "a", false}, {"text", "[a-z]{1,200}x{1,200}", false}}, small_memory);
  EXPECT_EQ(too_big.index, 1u);
}

TEST(RuleSet, ReportsDfaOutOfMemoryAsError) {
  // RE2 20220601 test-runs the DFA inside RE2::Set::Compile and rejects a set whose
  // DFA cannot start, and a many-match DFA resets its cache instead of failing. A
  // search over patterns, max_mem from 512 bytes to 4 MiB and 200 KB of random text
  // found no input that makes Match fail after Compile succeeded.
  GTEST_SKIP() << "no input makes RE2::Set::Match run out of DFA memory once Compile "
                  "succeeded; the kOutOfMemory path in RuleSet::Match is untested";
}

}  // namespace
}  // namespace canhbao::rules
