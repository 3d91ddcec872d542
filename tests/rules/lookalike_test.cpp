#include "rules/lookalike.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "rules/domain.hpp"

namespace canhbao::rules {
namespace {

const LookalikeChecker& DefaultChecker() {
  static const LookalikeChecker checker(LookalikeChecker::DefaultProtectedDomains());
  return checker;
}

std::string FirstLabel(const std::string& domain) { return domain.substr(0, domain.find('.')); }

TEST(LookalikeKey, MapsConfusablesToOneForm) {
  const std::u32string expected = LookalikeKey("vietcombank");
  const char* cases[] = {
      "vietc0mbank",         // digit zero for o
      "vietcornbank",        // "rn" for m
      "VIETCOMBANK",         // upper case
      "v1etcombank",         // digit one for i
      "vletcombank",         // l for i
      "v|etcombank",         // bar for i
      "xn--vietcombnk-6qi",  // Cyrillic а (U+0430) for a
  };
  for (const char* label : cases) {
    SCOPED_TRACE(label);
    EXPECT_EQ(LookalikeKey(label), expected);
  }
  EXPECT_EQ(LookalikeKey("vvebsite"), LookalikeKey("website"));
  EXPECT_NE(LookalikeKey("vietcombank"), LookalikeKey("vietconbank"));
}

TEST(LookalikeKey, KeepsVietnameseMarks) {
  // "huế" in an A-label is compared by its Unicode form, marks included.
  Checked<std::string> hue = NormalizeDomain("hu\xE1\xBA\xBF.vn");
  ASSERT_TRUE(hue.ok()) << hue.error().message_en;
  EXPECT_NE(LookalikeKey(FirstLabel(hue.value())), LookalikeKey("hue"));
  EXPECT_EQ(LookalikeKey(FirstLabel(hue.value())), LookalikeKey(FirstLabel(hue.value())));
}

TEST(LookalikeKey, KeepsUndecodableALabelAsWritten) {
  EXPECT_EQ(LookalikeKey("xn--zz-zzzzzzzz"), LookalikeKey("xn--zz-zzzzzzzz"));
  EXPECT_FALSE(LookalikeKey("xn--zz-zzzzzzzz").empty());
}

TEST(LookalikeChecker, CyrillicLetterBuildsExpectedALabel) {
  // vietcombаnk.com with U+0430 CYRILLIC SMALL LETTER A in place of the second "a".
  Checked<std::string> domain = NormalizeDomain("vietcomb\xD0\xB0nk.com");
  ASSERT_TRUE(domain.ok()) << domain.error().message_en;
  EXPECT_EQ(domain.value(), "xn--vietcombnk-6qi.com");
}

TEST(LookalikeChecker, FindsImitations) {
  struct Case {
    const char* domain;
    const char* imitated;
  };
  const Case cases[] = {
      {"vietc0mbank.com", "vietcombank.com.vn"},          // 0 for o
      {"vietcornbank.vn", "vietcombank.com.vn"},          // rn for m
      {"xn--vietcombnk-6qi.com", "vietcombank.com.vn"},   // Cyrillic а
      {"login.vietc0mbank.com.vn", "vietcombank.com.vn"},  // compared by registrable label
      {"vietcombankk.com", "vietcombank.com.vn"},         // one insertion
      {"vietcombnk.com", "vietcombank.com.vn"},           // one deletion
      {"vietcambank.net", "vietcombank.com.vn"},          // one substitution
      {"vneid.com", "vneid.gov.vn"},                      // same label, other suffix
      {"vneld.com.vn", "vneid.gov.vn"},                   // l for i
      {"vneidd.com", "vneid.gov.vn"},                     // one edit, 5 code points
      {"dichvuconq.vn", "dichvucong.gov.vn"},
      {"dichvucong.com", "dichvucong.gov.vn"},
      {"baohiemxahoi.vn", "baohiemxahoi.gov.vn"},
      {"chinhphu.com.vn", "chinhphu.vn"},
      {"bldv.com", "bidv.com.vn"},                        // short label, l for i
      {"acb.vn", "acb.com.vn"},                           // short label, equal
      {"rnomo.vn", "momo.vn"},                            // rn for m
      {"zalopay.com.vn", "zalopay.vn"},
      {"thuathienhue.vn", "hues.thuathienhue.gov.vn"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.domain);
    std::optional<std::string> found = DefaultChecker().FindLookalike(c.domain);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(*found, c.imitated);
  }
}

TEST(LookalikeChecker, IgnoresDistantAndShortLabels) {
  const char* cases[] = {
      "bidv-vn.com",          // "bidv-vn" is three edits from "bidv"
      "dichvucong-gov.vn",    // four edits from "dichvucong"
      "vietcombank-vn.com",   // three edits from "vietcombank"
      "veitcombank.com",      // a transposition is two edits
      "bidw.com",             // one edit, but "bidv" is shorter than 5
      "mono.vn",              // one edit from "momo", shorter than 5
      "vnei.com",             // one edit from "vneid", but "vnei" is shorter than 5
      "example.com",
      "shopee.vn",
      "sites.google.com",
  };
  for (const char* domain : cases) {
    SCOPED_TRACE(domain);
    std::optional<std::string> found = DefaultChecker().FindLookalike(domain);
    EXPECT_FALSE(found.has_value()) << *found;
  }
}

TEST(LookalikeChecker, AcceptsProtectedDomainsAndNamesUnderThem) {
  std::vector<std::string> cases = LookalikeChecker::DefaultProtectedDomains();
  for (const char* extra : {"www.vietcombank.com.vn", "digibank.vietcombank.com.vn",
                            "ebank.bidv.com.vn", "thuedientu.gdt.gov.vn",
                            "congan.thuathienhue.gov.vn", "thuathienhue.gov.vn", "gov.vn",
                            "com.vn"}) {
    cases.push_back(extra);
  }
  for (const std::string& domain : cases) {
    SCOPED_TRACE(domain);
    std::optional<std::string> found = DefaultChecker().FindLookalike(domain);
    EXPECT_FALSE(found.has_value()) << *found;
  }
}

TEST(LookalikeChecker, DefaultListIsNormalized) {
  const std::vector<std::string>& domains = LookalikeChecker::DefaultProtectedDomains();
  ASSERT_GE(domains.size(), 20u);
  std::set<std::string> seen;
  for (const std::string& domain : domains) {
    SCOPED_TRACE(domain);
    Checked<std::string> normalized = NormalizeDomain(domain);
    ASSERT_TRUE(normalized.ok()) << normalized.error().message_en;
    EXPECT_EQ(normalized.value(), domain);
    EXPECT_FALSE(RegistrableDomain(domain).empty());
    EXPECT_TRUE(seen.insert(domain).second) << "listed twice";
  }
  for (const char* expected : {"dichvucong.gov.vn", "vneid.gov.vn", "vietcombank.com.vn",
                               "momo.vn", "zalopay.vn"}) {
    EXPECT_TRUE(seen.contains(expected)) << expected;
  }
}

TEST(LookalikeChecker, SkipsPublicSuffixEntries) {
  LookalikeChecker checker({"gov.vn", "example.vn"});
  EXPECT_FALSE(checker.FindLookalike("gov.com").has_value());
  EXPECT_FALSE(checker.FindLookalike("anything.gov.vn").has_value());
  std::optional<std::string> found = checker.FindLookalike("examp1e.com");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, "example.vn");
}

TEST(LookalikeChecker, PrefersEqualKeyThenListOrder) {
  LookalikeChecker checker({"alphabet.vn", "alphabets.vn", "alphabek.vn"});
  // Equal to the second entry's label and one edit from the first and third.
  std::optional<std::string> equal = checker.FindLookalike("alphabets.com");
  ASSERT_TRUE(equal.has_value());
  EXPECT_EQ(*equal, "alphabets.vn");
  // One edit from all three: the first listed wins.
  std::optional<std::string> edit = checker.FindLookalike("alphabeq.com");
  ASSERT_TRUE(edit.has_value());
  EXPECT_EQ(*edit, "alphabet.vn");
}

// Returns what FindLookalike must return, by scanning every protected entry.
std::optional<std::string> ScanForLookalike(const std::vector<std::string>& protected_domains,
                                            const std::string& domain) {
  std::string registrable = RegistrableDomain(domain);
  if (registrable.empty()) return std::nullopt;
  for (const std::string& entry : protected_domains) {
    if (RegistrableDomain(entry) == registrable) return std::nullopt;
  }
  std::u32string key = LookalikeKey(FirstLabel(registrable));
  for (const std::string& entry : protected_domains) {
    if (LookalikeKey(FirstLabel(RegistrableDomain(entry))) == key) return entry;
  }
  for (const std::string& entry : protected_domains) {
    std::u32string other = LookalikeKey(FirstLabel(RegistrableDomain(entry)));
    if (key.size() < kMinLookalikeEditLength || other.size() < kMinLookalikeEditLength) continue;
    // Levenshtein distance by dynamic programming.
    std::vector<size_t> row(other.size() + 1);
    for (size_t j = 0; j <= other.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= key.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= other.size(); ++j) {
        size_t above = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                           diagonal + (key[i - 1] == other[j - 1] ? 0 : 1)});
        diagonal = above;
      }
    }
    if (row[other.size()] == 1) return entry;
  }
  return std::nullopt;
}

TEST(LookalikeChecker, IndexAgreesWithFullScan) {
  const std::vector<std::string>& protected_domains = LookalikeChecker::DefaultProtectedDomains();
  std::vector<std::string> queries;
  const std::string alphabet = "abmo0l1-";
  for (const std::string& entry : protected_domains) {
    std::string label = FirstLabel(RegistrableDomain(entry));
    for (size_t i = 0; i <= label.size(); ++i) {
      if (i < label.size()) queries.push_back(label.substr(0, i) + label.substr(i + 1));
      if (i + 1 < label.size()) {
        std::string swapped = label;
        std::swap(swapped[i], swapped[i + 1]);
        queries.push_back(swapped);
      }
      for (char c : alphabet) {
        queries.push_back(label.substr(0, i) + c + label.substr(i));
        if (i < label.size()) queries.push_back(label.substr(0, i) + c + label.substr(i + 1));
      }
    }
  }
  size_t found = 0;
  for (const std::string& label : queries) {
    if (label.empty() || label.front() == '-' || label.back() == '-') continue;
    std::string domain = label + ".com";
    SCOPED_TRACE(domain);
    std::optional<std::string> expected = ScanForLookalike(protected_domains, domain);
    EXPECT_EQ(DefaultChecker().FindLookalike(domain), expected);
    found += expected.has_value();
  }
  EXPECT_GT(found, queries.size() / 4) << "the generated queries should mostly be look-alikes";
}

TEST(LookalikeChecker, FindsConcurrently) {
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        std::optional<std::string> found = DefaultChecker().FindLookalike(
            i % 2 ? "xn--vietcombnk-6qi.com" : "vneidd.com");
        const char* expected = i % 2 ? "vietcombank.com.vn" : "vneid.gov.vn";
        if (found != expected) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace canhbao::rules
