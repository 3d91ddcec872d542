#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rules/checked.hpp"

namespace canhbao::rules {

// Record fields a rule can name.
inline constexpr std::string_view kFieldProductName = "product.name";
inline constexpr std::string_view kFieldProductBrand = "product.brand";
inline constexpr std::string_view kFieldMerchantName = "merchant.name";
// The whole record as text; see MatchAlert for how a record is written out.
inline constexpr std::string_view kFieldText = "text";

// One rule of an alert: an RE2 pattern on one field.
struct RuleSpec {
  std::string field;
  std::string pattern;
  // Compare with Vietnamese marks removed (FoldAccents); the pattern itself must
  // then contain no marks.
  bool accent_insensitive = false;
};

// Limits checked by RuleSet::Compile.
struct RuleLimits {
  size_t max_rules = 64;
  // Per pattern, in bytes of UTF-8.
  size_t max_pattern_bytes = 1024;
  // RE2 max_mem for each compiled RE2::Set (program and DFA cache), in bytes.
  int64_t max_program_mem = 8 << 20;
};

// A rejected rule: its 0-based position in the request and the reason.
struct RuleError {
  size_t index;
  Invalid invalid;
};

// The compiled rules of one alert. Built by Compile, then immutable and shared as
// shared_ptr<const RuleSet>.
class RuleSet {
 public:
  // Compiles `specs` into one RE2::Set per (field, accent mode). Patterns are
  // unanchored, case-insensitive and used as written. Fails with the index of the
  // first rule that has an unknown field, is empty, longer than max_pattern_bytes,
  // not valid UTF-8, accent-insensitive with marks, or rejected by RE2 (RE2's error
  // text is included in both messages). Too many rules fail with index max_rules.
  // When a whole set exceeds max_program_mem, the error names its first rule.
  // Thread-safe; expensive, so keep it off the hot path.
  static std::variant<std::shared_ptr<const RuleSet>, RuleError> Compile(
      const std::vector<RuleSpec>& specs, const RuleLimits& limits = {});

  // Returns the ascending indexes of the rules on `field` that match `text` (raw
  // UTF-8, folded here with FoldCase for exact rules and FoldAccents for
  // accent-insensitive ones). An empty vector means no match. Fails with
  // "match_failed" when RE2 cannot finish, for example when the DFA runs out of
  // memory; that is never reported as no match. An unknown field has no rules and
  // returns an empty vector. Thread-safe.
  Checked<std::vector<size_t>> Match(std::string_view field, std::string_view text) const;

  // Same as Match, for a caller that already folded the text: `case_folded` is
  // FoldCase(text) and `accent_folded` is FoldAccents(text). A catalog index
  // folds each record once and matches it against many rule sets this way.
  Checked<std::vector<size_t>> MatchFolded(std::string_view field, std::string_view case_folded,
                                           std::string_view accent_folded) const;

  // Returns whether any rule on `field` matches the folded text, without
  // collecting which: RE2 can stop at the first match. Fails like Match.
  Checked<bool> AnyMatchFolded(std::string_view field, std::string_view case_folded,
                               std::string_view accent_folded) const;

  // Returns true when some rule names `field`.
  bool HasField(std::string_view field) const;

  size_t size() const { return rule_count_; }
  bool empty() const { return rule_count_ == 0; }

  ~RuleSet();
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

 private:
  struct Group;

  RuleSet();

  std::vector<std::unique_ptr<Group>> groups_;
  size_t rule_count_ = 0;
};

}  // namespace canhbao::rules
