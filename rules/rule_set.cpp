#include "rules/rule_set.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <optional>

#include "rules/text.hpp"

namespace canhbao::rules {

// All rules on one field with one accent mode, compiled into one RE2::Set.
struct RuleSet::Group {
  std::string field;
  bool accent_insensitive = false;
  std::unique_ptr<re2::RE2::Set> set;
  // Position in the RE2::Set -> index of the rule in the Compile request.
  std::vector<size_t> rule_indexes;
};

namespace {

bool IsKnownField(std::string_view field) {
  return field == kFieldProductName || field == kFieldProductBrand || field == kFieldMerchantName ||
         field == kFieldText;
}

RuleError Reject(size_t index, std::string message_vi, std::string message_en) {
  return RuleError{index, Invalid{"invalid_rule", std::move(message_vi), std::move(message_en)}};
}

// Checks one rule on its own, so that the error names the rule. Returns nullopt
// when the rule is acceptable.
std::optional<RuleError> CheckRule(size_t index, const RuleSpec& spec, const RuleLimits& limits,
                                   const re2::RE2::Options& options) {
  if (!IsKnownField(spec.field)) {
    return Reject(index,
                  "Trường \"" + spec.field +
                      "\" không được hỗ trợ; dùng product.name, product.brand, merchant.name "
                      "hoặc text.",
                  "Unknown field \"" + spec.field +
                      "\"; use product.name, product.brand, merchant.name or text.");
  }
  if (spec.pattern.empty()) {
    return Reject(index, "Biểu thức quy tắc rỗng.", "The rule pattern is empty.");
  }
  if (spec.pattern.size() > limits.max_pattern_bytes) {
    std::string max = std::to_string(limits.max_pattern_bytes);
    return Reject(index, "Biểu thức quy tắc dài quá " + max + " byte.",
                  "The rule pattern is longer than " + max + " bytes.");
  }
  if (!IsValidUtf8(spec.pattern)) {
    return Reject(index, "Biểu thức quy tắc không phải UTF-8 hợp lệ.",
                  "The rule pattern is not valid UTF-8.");
  }
  if (spec.accent_insensitive && ContainsDiacritics(spec.pattern)) {
    return Reject(index,
                  "Quy tắc không phân biệt dấu phải viết không dấu (ví dụ \"sua bot\", không "
                  "phải \"sữa bột\").",
                  "An accent-insensitive rule must be written without Vietnamese marks (for "
                  "example \"sua bot\", not \"sữa bột\").");
  }
  re2::RE2 regex(spec.pattern, options);
  if (!regex.ok()) {
    return Reject(index, "Biểu thức quy tắc không biên dịch được: " + regex.error(),
                  "The rule pattern does not compile: " + regex.error());
  }
  // An unanchored pattern that matches the empty string matches every record.
  if (re2::RE2::PartialMatch("", regex)) {
    return Reject(index, "Quy tắc khớp với chuỗi rỗng, tức là khớp mọi bản ghi.",
                  "The rule matches the empty string, so it would match every record.");
  }
  return std::nullopt;
}

}  // namespace

RuleSet::RuleSet() = default;
RuleSet::~RuleSet() = default;

std::variant<std::shared_ptr<const RuleSet>, RuleError> RuleSet::Compile(
    const std::vector<RuleSpec>& specs, const RuleLimits& limits) {
  if (specs.size() > limits.max_rules) {
    std::string max = std::to_string(limits.max_rules);
    return Reject(limits.max_rules, "Có quá nhiều quy tắc: tối đa " + max + ".",
                  "Too many rules: at most " + max + ".");
  }

  re2::RE2::Options options;
  options.set_encoding(re2::RE2::Options::EncodingUTF8);
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  options.set_max_mem(limits.max_program_mem);

  std::shared_ptr<RuleSet> rule_set(new RuleSet());
  for (size_t i = 0; i < specs.size(); ++i) {
    const RuleSpec& spec = specs[i];
    if (std::optional<RuleError> error = CheckRule(i, spec, limits, options)) return *error;

    auto group = std::find_if(
        rule_set->groups_.begin(), rule_set->groups_.end(), [&](const std::unique_ptr<Group>& g) {
          return g->field == spec.field && g->accent_insensitive == spec.accent_insensitive;
        });
    if (group == rule_set->groups_.end()) {
      auto created = std::make_unique<Group>();
      created->field = spec.field;
      created->accent_insensitive = spec.accent_insensitive;
      created->set = std::make_unique<re2::RE2::Set>(options, re2::RE2::UNANCHORED);
      group = rule_set->groups_.insert(rule_set->groups_.end(), std::move(created));
    }
    std::string error;
    if ((*group)->set->Add(spec.pattern, &error) < 0) {
      return Reject(i, "Biểu thức quy tắc không biên dịch được: " + error,
                    "The rule pattern does not compile: " + error);
    }
    (*group)->rule_indexes.push_back(i);
  }

  for (const std::unique_ptr<Group>& group : rule_set->groups_) {
    if (!group->set->Compile()) {
      std::string max = std::to_string(limits.max_program_mem);
      return Reject(group->rule_indexes.front(),
                    "Các quy tắc trên trường " + group->field + " cùng nhau vượt giới hạn bộ nhớ " +
                        max + " byte; hãy rút gọn hoặc bớt quy tắc.",
                    "The rules on field " + group->field + " together exceed the memory limit of " +
                        max + " bytes; shorten or remove rules.");
    }
  }
  rule_set->rule_count_ = specs.size();
  return std::shared_ptr<const RuleSet>(std::move(rule_set));
}

Checked<std::vector<size_t>> RuleSet::Match(std::string_view field, std::string_view text) const {
  bool exact = false;
  bool accent = false;
  for (const std::unique_ptr<Group>& group : groups_) {
    if (group->field != field) continue;
    (group->accent_insensitive ? accent : exact) = true;
  }
  if (!exact && !accent) return std::vector<size_t>{};
  std::string case_folded = exact ? FoldCase(text) : std::string();
  std::string accent_folded = accent ? FoldAccents(text) : std::string();
  return MatchFolded(field, case_folded, accent_folded);
}

Checked<std::vector<size_t>> RuleSet::MatchFolded(std::string_view field,
                                                  std::string_view case_folded,
                                                  std::string_view accent_folded) const {
  std::vector<size_t> matched;
  std::vector<int> hits;
  for (const std::unique_ptr<Group>& group : groups_) {
    if (group->field != field) continue;
    std::string_view subject = group->accent_insensitive ? accent_folded : case_folded;

    hits.clear();
    re2::RE2::Set::ErrorInfo error_info{re2::RE2::Set::kNoError};
    if (!group->set->Match(subject, &hits, &error_info) &&
        error_info.kind != re2::RE2::Set::kNoError) {
      // NOTE: no test reaches this branch with RE2 20220601, because Compile
      // already rejects a set whose DFA cannot start. It stays for other versions.
      if (error_info.kind == re2::RE2::Set::kOutOfMemory) {
        return Invalid{
            "match_failed",
            "Không so khớp được quy tắc trên trường " + group->field + ": RE2 hết bộ nhớ DFA.",
            "Matching the rules on field " + group->field +
                " failed: the RE2 DFA ran out of memory."};
      }
      return Invalid{"match_failed", "Không so khớp được quy tắc trên trường " + group->field + ".",
                     "Matching the rules on field " + group->field + " failed."};
    }
    for (int hit : hits) matched.push_back(group->rule_indexes[static_cast<size_t>(hit)]);
  }
  std::sort(matched.begin(), matched.end());
  return matched;
}

Checked<bool> RuleSet::AnyMatchFolded(std::string_view field, std::string_view case_folded,
                                      std::string_view accent_folded) const {
  for (const std::unique_ptr<Group>& group : groups_) {
    if (group->field != field) continue;
    std::string_view subject = group->accent_insensitive ? accent_folded : case_folded;
    re2::RE2::Set::ErrorInfo error_info{re2::RE2::Set::kNoError};
    if (group->set->Match(subject, nullptr, &error_info)) return true;
    if (error_info.kind != re2::RE2::Set::kNoError) {
      return Invalid{"match_failed", "Không so khớp được quy tắc trên trường " + group->field + ".",
                     "Matching the rules on field " + group->field + " failed."};
    }
  }
  return false;
}

bool RuleSet::HasField(std::string_view field) const {
  return std::any_of(groups_.begin(), groups_.end(),
                     [&](const std::unique_ptr<Group>& g) { return g->field == field; });
}

}  // namespace canhbao::rules
