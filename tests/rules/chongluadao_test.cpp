// Runs the domain and URL normalizers and the look-alike checker over the
// ChongLuaDao phishing block list in tests/data/chongluadao/urls.txt: about
// 34,500 community-reported host names and URLs. Its source and licence are in
// the same folder.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "rules/domain.hpp"
#include "rules/lookalike.hpp"

namespace canhbao::rules {
namespace {

constexpr size_t kExamplesShown = 10;

std::vector<std::string> ReadLines(const std::string& relative_path) {
  std::string path = std::string(CANHBAO_TEST_DATA_DIR) + "/" + relative_path;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

struct BlockListResult {
  size_t domains = 0;
  size_t urls = 0;
  size_t normalized = 0;
  std::vector<std::pair<std::string, std::string>> rejected;      // entry, message_en
  std::vector<std::pair<std::string, std::string>> lookalikes;    // host, protected domain
};

// Entries with a path or a port go through NormalizeUrl, which drops the port.
// The rest are host names for NormalizeDomain.
BlockListResult CheckBlockList(const std::vector<std::string>& entries,
                               const LookalikeChecker& checker) {
  BlockListResult result;
  for (const std::string& entry : entries) {
    std::string host;
    if (entry.find_first_of("/:") != std::string::npos) {
      ++result.urls;
      Checked<UrlKey> url = NormalizeUrl(entry);
      if (!url.ok()) {
        result.rejected.emplace_back(entry, url.error().message_en);
        continue;
      }
      host = url.value().host;
    } else {
      ++result.domains;
      Checked<std::string> domain = NormalizeDomain(entry);
      if (!domain.ok()) {
        result.rejected.emplace_back(entry, domain.error().message_en);
        continue;
      }
      host = domain.value();
    }
    ++result.normalized;
    if (std::optional<std::string> imitated = checker.FindLookalike(host)) {
      result.lookalikes.emplace_back(host, *imitated);
    }
  }
  return result;
}

TEST(ChongLuaDaoBlockList, NormalizesAndFindsLookalikes) {
  const std::vector<std::string> entries = ReadLines("chongluadao/urls.txt");
  ASSERT_GT(entries.size(), 34000u) << "the block list copy looks truncated";
  const LookalikeChecker checker(LookalikeChecker::DefaultProtectedDomains());

  auto start = std::chrono::steady_clock::now();
  BlockListResult result = CheckBlockList(entries, checker);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf("[ chongluadao ] %zu entries (%zu host names, %zu URLs) in %.2f s\n",
              entries.size(), result.domains, result.urls, seconds);
  std::printf("[ chongluadao ] normalized %zu, rejected %zu, look-alikes %zu\n",
              result.normalized, result.rejected.size(), result.lookalikes.size());
  for (size_t i = 0; i < std::min(kExamplesShown, result.rejected.size()); ++i) {
    std::printf("[ chongluadao ]   rejected %s: %s\n", result.rejected[i].first.c_str(),
                result.rejected[i].second.c_str());
  }

  // Count per imitated domain, with the first host found for each.
  std::map<std::string, std::pair<size_t, std::string>> per_protected;
  for (const auto& [host, imitated] : result.lookalikes) {
    auto& [count, example] = per_protected[imitated];
    if (count++ == 0) example = host;
  }
  std::vector<std::pair<std::string, std::pair<size_t, std::string>>> ranking(
      per_protected.begin(), per_protected.end());
  std::stable_sort(ranking.begin(), ranking.end(),
                   [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  for (const auto& [imitated, count_and_example] : ranking) {
    std::printf("[ chongluadao ]   %4zu imitate %s, e.g. %s\n", count_and_example.first,
                imitated.c_str(), count_and_example.second.c_str());
  }
  for (size_t i = 0; i < std::min(kExamplesShown, result.lookalikes.size()); ++i) {
    std::printf("[ chongluadao ]   look-alike %s -> %s\n", result.lookalikes[i].first.c_str(),
                result.lookalikes[i].second.c_str());
  }

  // Every entry is counted once, as normalized or rejected, and nothing crashed.
  EXPECT_EQ(result.normalized + result.rejected.size(), entries.size());
  EXPECT_EQ(result.domains + result.urls, entries.size());
  // More than 99% of the community list is well-formed host names and URLs.
  EXPECT_GT(result.normalized * 100, entries.size() * 99)
      << result.rejected.size() << " entries rejected";
  EXPECT_GE(result.urls, 100u) << "the list has about 110 entries with a path";

  // Impersonations that the list is known to contain.
  auto imitation_of = [&](std::string_view host) -> std::string {
    for (const auto& [found, imitated] : result.lookalikes) {
      if (found == host) return imitated;
    }
    return "";
  };
  EXPECT_EQ(imitation_of("vneid.com"), "vneid.gov.vn");            // same label
  EXPECT_EQ(imitation_of("vletcombank.com"), "vietcombank.com.vn");  // l for i
  EXPECT_EQ(imitation_of("vietinbamk.com"), "vietinbank.vn");        // one edit
  EXPECT_EQ(imitation_of("sacombank.net.vn"), "sacombank.com.vn");   // other suffix
  // The 29-domain default list finds 142. The floor leaves room for changes to it.
  EXPECT_GE(result.lookalikes.size(), 100u) << "look-alike detection found too little";
  EXPECT_LT(result.lookalikes.size() * 20, entries.size())
      << "more than 5% of the list flagged: the look-alike rule is too loose";
}

}  // namespace
}  // namespace canhbao::rules
