// canhbao_match_bench: measures, in one run,
//   a. RE2 rule-set throughput (canhbao's RuleSet) against Hyperscan on the
//      same pre-folded product names, and whether both find the same matches;
//   b. CatalogIndex load time and resident memory per product record;
//   c. alert creation latency: RuleSet::Compile plus CatalogIndex::Match.
// Every input comes from CatalogGenerator, so a seed reproduces a run.

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <iostream>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "bench/catalog_generator.hpp"
#include "bench/hyperscan_set.hpp"
#include "rules/catalog_index.hpp"
#include "rules/rule_set.hpp"
#include "rules/text.hpp"

namespace canhbao::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  CatalogOptions catalog;
  size_t rule_count = 1000;
  size_t alert_count = 200;
  size_t repetitions = 3;
  // RE2 max_mem for the throughput rule set (program and DFA cache), in MiB.
  int64_t re2_max_mem_mib = 64;
  std::string sections = "abc";
};

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Nearest-rank percentile of `sorted` (ascending, not empty), `p` in (0, 100].
double Percentile(const std::vector<double>& sorted, double p) {
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::max<size_t>(rank, 1) - 1];
}

// Resident set size in bytes, from the second field of /proc/self/statm.
size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t total_pages = 0;
  size_t resident_pages = 0;
  statm >> total_pages >> resident_pages;
  return resident_pages * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

std::string CpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::string UtcNow() {
  std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return text;
}

bool IsAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// FoldCase and FoldAccents of `text`. ASCII only needs lower-casing, which is
// what both return for it, so ICU is skipped there as CatalogIndex does.
void FoldName(const std::string& text, std::string& case_folded, std::string& accent_folded) {
  if (IsAscii(text)) {
    case_folded = text;
    for (char& c : case_folded) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    accent_folded = case_folded;
    return;
  }
  case_folded = rules::FoldCase(text);
  accent_folded = rules::FoldAccents(text);
}

// Matched rule indexes of every record, flattened: the hits of record i are
// rule_ids[offsets[i] .. offsets[i + 1]), ascending.
struct MatchTable {
  std::vector<uint32_t> offsets{0};
  std::vector<uint32_t> rule_ids;

  void Add(const std::vector<size_t>& hits) {
    for (size_t hit : hits) rule_ids.push_back(static_cast<uint32_t>(hit));
    offsets.push_back(static_cast<uint32_t>(rule_ids.size()));
  }
  std::vector<uint32_t> Hits(size_t record) const {
    return {rule_ids.begin() + offsets[record], rule_ids.begin() + offsets[record + 1]};
  }
  size_t MatchedRecords() const {
    size_t matched = 0;
    for (size_t i = 0; i + 1 < offsets.size(); ++i) matched += offsets[i + 1] > offsets[i] ? 1 : 0;
    return matched;
  }
};

// ---------------------------------------------------------------------------
// a. RE2 RuleSet against Hyperscan

struct EngineReport {
  bool ran = false;
  std::string failure;  // set when a side could not run
  size_t records = 0;
  size_t rules_total = 0;
  size_t rules_compared = 0;
  std::vector<std::string> rejected;  // "#index pattern: error"
  double fold_seconds = 0;
  double re2_compile_seconds = 0;
  double hs_compile_seconds = 0;
  size_t hs_database_bytes = 0;
  double re2_seconds = 0;  // median over repetitions
  double hs_seconds = 0;
  size_t re2_match_failures = 0;
  size_t re2_matched_records = 0;
  size_t hs_matched_records = 0;
  size_t re2_rule_hits = 0;
  size_t hs_rule_hits = 0;
  size_t mismatched_records = 0;
  size_t re2_only_hits = 0;  // (record, rule) pairs that only RE2 found
  size_t hs_only_hits = 0;   // (record, rule) pairs that only Hyperscan found
  std::vector<std::string> mismatch_examples;
};

std::string JoinIds(const std::vector<uint32_t>& ids) {
  std::string joined;
  for (uint32_t id : ids) joined += (joined.empty() ? "" : ",") + std::to_string(id);
  return "{" + joined + "}";
}

EngineReport CompareEngines(const CatalogGenerator& generator, const BenchOptions& options) {
  EngineReport report;
  report.ran = true;

  // Fold every name once; folding is not part of either engine's time.
  Clock::time_point start = Clock::now();
  std::vector<std::string> case_texts;
  std::vector<std::string> accent_texts;
  case_texts.reserve(options.catalog.product_count);
  accent_texts.reserve(options.catalog.product_count);
  for (size_t m = 0; m < options.catalog.merchant_count; ++m) {
    for (const rules::ProductRecord& product : generator.Products(m)) {
      FoldName(product.name, case_texts.emplace_back(), accent_texts.emplace_back());
    }
  }
  report.fold_seconds = SecondsSince(start);
  report.records = case_texts.size();

  // Rules that Hyperscan rejects leave both sides.
  std::vector<rules::RuleSpec> all_rules = generator.Rules(options.rule_count);
  report.rules_total = all_rules.size();
  std::vector<rules::RuleSpec> compared;
  for (size_t i = 0; i < all_rules.size(); ++i) {
    std::string error = CheckHyperscanPattern(all_rules[i].pattern);
    if (error.empty()) {
      compared.push_back(all_rules[i]);
    } else {
      report.rejected.push_back("#" + std::to_string(i) + " " + all_rules[i].pattern + ": " + error);
    }
  }
  report.rules_compared = compared.size();

  rules::RuleLimits limits;
  limits.max_rules = compared.size();
  limits.max_program_mem = options.re2_max_mem_mib << 20;
  start = Clock::now();
  auto compiled = rules::RuleSet::Compile(compared, limits);
  report.re2_compile_seconds = SecondsSince(start);
  if (const auto* error = std::get_if<rules::RuleError>(&compiled)) {
    report.failure = "RuleSet::Compile failed on rule " + std::to_string(error->index) + ": " +
                     error->invalid.message_en;
    return report;
  }
  const rules::RuleSet& rule_set = *std::get<std::shared_ptr<const rules::RuleSet>>(compiled);

  // Hyperscan gets the same two groups as RuleSet: exact rules scan the
  // case-folded text, accent-insensitive ones the accent-folded text.
  std::vector<std::string> exact_patterns;
  std::vector<std::string> accent_patterns;
  std::vector<size_t> exact_rule;   // position in exact set -> index in `compared`
  std::vector<size_t> accent_rule;  // position in accent set -> index in `compared`
  for (size_t i = 0; i < compared.size(); ++i) {
    if (compared[i].accent_insensitive) {
      accent_patterns.push_back(compared[i].pattern);
      accent_rule.push_back(i);
    } else {
      exact_patterns.push_back(compared[i].pattern);
      exact_rule.push_back(i);
    }
  }
  start = Clock::now();
  std::unique_ptr<HyperscanSet> exact_set;
  std::unique_ptr<HyperscanSet> accent_set;
  try {
    exact_set = std::make_unique<HyperscanSet>(exact_patterns);
    accent_set = std::make_unique<HyperscanSet>(accent_patterns);
  } catch (const std::runtime_error& error) {
    report.failure = error.what();
    return report;
  }
  report.hs_compile_seconds = SecondsSince(start);
  report.hs_database_bytes = exact_set->database_bytes() + accent_set->database_bytes();
  HyperscanScratch scratch;
  scratch.Reserve(*exact_set);
  scratch.Reserve(*accent_set);

  const std::string_view field = rules::kFieldProductName;
  MatchTable re2_table;
  std::vector<double> re2_times;
  for (size_t rep = 0; rep < options.repetitions; ++rep) {
    size_t failures = 0;
    start = Clock::now();
    for (size_t i = 0; i < report.records; ++i) {
      auto hits = rule_set.MatchFolded(field, case_texts[i], accent_texts[i]);
      if (!hits) ++failures;
      if (rep == 0) re2_table.Add(hits ? hits.value() : std::vector<size_t>{});
    }
    re2_times.push_back(SecondsSince(start));
    report.re2_match_failures = std::max(report.re2_match_failures, failures);
  }

  MatchTable hs_table;
  std::vector<double> hs_times;
  std::vector<unsigned> positions;
  std::vector<size_t> hits;
  for (size_t rep = 0; rep < options.repetitions; ++rep) {
    start = Clock::now();
    for (size_t i = 0; i < report.records; ++i) {
      hits.clear();
      positions.clear();
      scratch.Scan(*exact_set, case_texts[i], positions);
      for (unsigned position : positions) hits.push_back(exact_rule[position]);
      positions.clear();
      scratch.Scan(*accent_set, accent_texts[i], positions);
      for (unsigned position : positions) hits.push_back(accent_rule[position]);
      std::sort(hits.begin(), hits.end());
      if (rep == 0) hs_table.Add(hits);
    }
    hs_times.push_back(SecondsSince(start));
  }
  report.re2_seconds = Median(re2_times);
  report.hs_seconds = Median(hs_times);

  report.re2_matched_records = re2_table.MatchedRecords();
  report.hs_matched_records = hs_table.MatchedRecords();
  report.re2_rule_hits = re2_table.rule_ids.size();
  report.hs_rule_hits = hs_table.rule_ids.size();
  for (size_t i = 0; i < report.records; ++i) {
    std::vector<uint32_t> re2_hits = re2_table.Hits(i);
    std::vector<uint32_t> hs_hits = hs_table.Hits(i);
    if (re2_hits == hs_hits) continue;
    ++report.mismatched_records;
    std::vector<uint32_t> re2_only;
    std::vector<uint32_t> hs_only;
    std::set_difference(re2_hits.begin(), re2_hits.end(), hs_hits.begin(), hs_hits.end(),
                        std::back_inserter(re2_only));
    std::set_difference(hs_hits.begin(), hs_hits.end(), re2_hits.begin(), re2_hits.end(),
                        std::back_inserter(hs_only));
    report.re2_only_hits += re2_only.size();
    report.hs_only_hits += hs_only.size();
    if (report.mismatch_examples.size() < 5) {
      std::vector<uint32_t> differing = re2_only;
      differing.insert(differing.end(), hs_only.begin(), hs_only.end());
      std::string example = "\"" + case_texts[i] + "\" RE2 " + JoinIds(re2_hits) +
                            " Hyperscan " + JoinIds(hs_hits) + "; differing:";
      for (uint32_t rule : differing) {
        example += " #" + std::to_string(rule) + " /" + compared[rule].pattern + "/" +
                   (compared[rule].accent_insensitive ? " (accent-insensitive)" : " (exact)");
      }
      report.mismatch_examples.push_back(example);
    }
  }
  return report;
}

// ---------------------------------------------------------------------------
// b. CatalogIndex load

struct LoadReport {
  bool ran = false;
  size_t products = 0;
  size_t merchants = 0;
  double upsert_seconds = 0;    // inside Upsert only
  double generate_seconds = 0;  // making the records, outside Upsert
  size_t resident_before = 0;
  size_t resident_after = 0;
};

std::unique_ptr<rules::CatalogIndex> LoadIndex(const CatalogGenerator& generator,
                                               LoadReport& report) {
  report.ran = true;
  // Freed heap from earlier steps would otherwise be reused unseen by RSS.
  malloc_trim(0);
  report.resident_before = ResidentBytes();

  auto index = std::make_unique<rules::CatalogIndex>();
  for (size_t m = 0; m < generator.options().merchant_count; ++m) {
    Clock::time_point start = Clock::now();
    rules::MerchantRecord merchant = generator.Merchant(m);
    std::vector<rules::ProductRecord> products = generator.Products(m);
    report.generate_seconds += SecondsSince(start);

    start = Clock::now();
    index->Upsert(std::move(merchant), std::move(products));
    report.upsert_seconds += SecondsSince(start);
  }
  malloc_trim(0);
  report.resident_after = ResidentBytes();
  report.products = index->product_count();
  report.merchants = index->merchant_count();
  return index;
}

// ---------------------------------------------------------------------------
// c. alert creation latency

struct LatencySummary {
  size_t alerts = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double mean_compile_ms = 0;
  double mean_match_ms = 0;
};

struct AlertReport {
  bool ran = false;
  LatencySummary all, with_rules, identifiers_only;
  size_t matches = 0;
  size_t alerts_with_matches = 0;
  size_t rule_failures = 0;   // RuleSet::Compile rejected the alert's rules
  size_t match_failures = 0;  // CatalogIndex::Match failed
};

struct AlertTiming {
  double compile_ms = 0;
  double match_ms = 0;
  bool with_rules = false;
};

enum class AlertFilter { kAll, kWithRules, kIdentifiersOnly };

LatencySummary Summarize(const std::vector<AlertTiming>& timings, AlertFilter filter) {
  LatencySummary summary;
  std::vector<double> totals;
  for (const AlertTiming& timing : timings) {
    if (filter == AlertFilter::kWithRules && !timing.with_rules) continue;
    if (filter == AlertFilter::kIdentifiersOnly && timing.with_rules) continue;
    totals.push_back(timing.compile_ms + timing.match_ms);
    summary.mean_compile_ms += timing.compile_ms;
    summary.mean_match_ms += timing.match_ms;
  }
  summary.alerts = totals.size();
  if (totals.empty()) return summary;
  std::sort(totals.begin(), totals.end());
  summary.p50_ms = Percentile(totals, 50);
  summary.p99_ms = Percentile(totals, 99);
  summary.max_ms = totals.back();
  summary.mean_compile_ms /= static_cast<double>(totals.size());
  summary.mean_match_ms /= static_cast<double>(totals.size());
  return summary;
}

AlertReport MatchAlerts(const CatalogGenerator& generator, const rules::CatalogIndex& index,
                        const BenchOptions& options) {
  AlertReport report;
  report.ran = true;
  std::vector<GeneratedAlert> alerts = generator.Alerts(options.alert_count);
  std::vector<AlertTiming> timings;
  for (GeneratedAlert& alert : alerts) {
    AlertTiming timing;
    timing.with_rules = !alert.rules.empty();

    // Alerts compile with the service's default RuleLimits.
    Clock::time_point start = Clock::now();
    if (timing.with_rules) {
      auto compiled = rules::RuleSet::Compile(alert.rules);
      if (const auto* error = std::get_if<rules::RuleError>(&compiled)) {
        std::cerr << "alert rule " << error->index << " rejected: " << error->invalid.message_en
                  << "\n";
        ++report.rule_failures;
        continue;
      }
      alert.criteria.rules = std::get<std::shared_ptr<const rules::RuleSet>>(compiled);
    }
    timing.compile_ms = SecondsSince(start) * 1e3;

    start = Clock::now();
    auto matched = index.Match(alert.criteria);
    timing.match_ms = SecondsSince(start) * 1e3;
    if (!matched) {
      std::cerr << "alert match failed: " << matched.error().message_en << "\n";
      ++report.match_failures;
      continue;
    }
    report.matches += matched.value().size();
    report.alerts_with_matches += matched.value().empty() ? 0 : 1;
    timings.push_back(timing);
  }
  report.all = Summarize(timings, AlertFilter::kAll);
  report.with_rules = Summarize(timings, AlertFilter::kWithRules);
  report.identifiers_only = Summarize(timings, AlertFilter::kIdentifiersOnly);
  return report;
}

// ---------------------------------------------------------------------------
// Output

void PrintMachine(const BenchOptions& options) {
  std::printf("canhbao_match_bench  %s\n", UtcNow().c_str());
  std::printf("machine: nproc %ld, CPU %s\n", sysconf(_SC_NPROCESSORS_ONLN), CpuModel().c_str());
  std::printf("build: %s, compiler %s, vectorscan %s\n", CANHBAO_BENCH_BUILD_TYPE, __VERSION__,
              hs_version());
  std::printf("inputs: %zu products, %zu merchants, %zu items, %zu rules, %zu alerts, "
              "%zu repetitions, seed %llu, RE2 max_mem %lld MiB\n\n",
              options.catalog.product_count, options.catalog.merchant_count,
              options.catalog.item_count, options.rule_count, options.alert_count,
              options.repetitions, static_cast<unsigned long long>(options.catalog.seed),
              static_cast<long long>(options.re2_max_mem_mib));
}

void PrintEngines(const EngineReport& r) {
  std::printf("a. RE2 RuleSet vs Hyperscan on product.name (pre-folded text)\n");
  for (const std::string& rejected : r.rejected) {
    std::printf("   rejected by Hyperscan, left out of both: %s\n", rejected.c_str());
  }
  if (!r.failure.empty()) {
    std::printf("   FAILED: %s\n\n", r.failure.c_str());
    return;
  }
  double n = static_cast<double>(r.records);
  std::printf("   records %zu, rules %zu compared of %zu, folding %.2f s (not counted)\n", r.records,
              r.rules_compared, r.rules_total, r.fold_seconds);
  std::printf("   %-34s %14s %14s\n", "", "RE2 RuleSet", "Hyperscan");
  std::printf("   %-34s %14.3f %14.3f\n", "compile (s)", r.re2_compile_seconds, r.hs_compile_seconds);
  std::printf("   %-34s %14.3f %14.3f\n", "scan all records, median (s)", r.re2_seconds, r.hs_seconds);
  std::printf("   %-34s %14.0f %14.0f\n", "records per second", n / r.re2_seconds, n / r.hs_seconds);
  std::printf("   %-34s %14.3f %14.3f\n", "microseconds per record", r.re2_seconds / n * 1e6,
              r.hs_seconds / n * 1e6);
  std::printf("   %-34s %14zu %14zu\n", "records with a match", r.re2_matched_records,
              r.hs_matched_records);
  std::printf("   %-34s %14zu %14zu\n", "(record, rule) matches", r.re2_rule_hits, r.hs_rule_hits);
  std::printf("   Hyperscan database: %zu bytes; RE2 match failures: %zu\n", r.hs_database_bytes,
              r.re2_match_failures);
  std::printf("   records whose matched rules differ: %zu (matches only RE2 found: %zu, only "
              "Hyperscan found: %zu)\n",
              r.mismatched_records, r.re2_only_hits, r.hs_only_hits);
  for (const std::string& example : r.mismatch_examples) {
    std::printf("     e.g. %s\n", example.c_str());
  }
  std::printf("   ratio RE2 time / Hyperscan time: %.2f (target: at most 3.00) -> %s\n\n",
              r.re2_seconds / r.hs_seconds, r.re2_seconds <= 3 * r.hs_seconds ? "met" : "MISSED");
}

void PrintLoad(const LoadReport& r) {
  double mib = 1024.0 * 1024.0;
  std::printf("b. CatalogIndex load (Upsert per merchant)\n");
  std::printf("   products %zu, merchants %zu\n", r.products, r.merchants);
  std::printf("   Upsert time %.2f s (%.0f records/s); generating records %.2f s, not counted\n",
              r.upsert_seconds, static_cast<double>(r.products) / r.upsert_seconds,
              r.generate_seconds);
  std::printf("   RSS before %.1f MiB, after %.1f MiB: %.0f bytes per record\n\n",
              static_cast<double>(r.resident_before) / mib,
              static_cast<double>(r.resident_after) / mib,
              static_cast<double>(r.resident_after - r.resident_before) /
                  static_cast<double>(std::max<size_t>(r.products, 1)));
}

void PrintLatencyRow(const char* label, const LatencySummary& s) {
  std::printf("   %-22s %6zu %9.2f %9.2f %9.2f %12.2f %10.2f\n", label, s.alerts, s.p50_ms, s.p99_ms,
              s.max_ms, s.mean_compile_ms, s.mean_match_ms);
}

void PrintAlerts(const AlertReport& r) {
  std::printf("c. Alert creation: RuleSet::Compile + CatalogIndex::Match (ms)\n");
  std::printf("   %-22s %6s %9s %9s %9s %12s %10s\n", "alerts", "count", "p50", "p99", "max",
              "mean compile", "mean match");
  PrintLatencyRow("all", r.all);
  PrintLatencyRow("with name rules", r.with_rules);
  PrintLatencyRow("identifiers only", r.identifiers_only);
  std::printf("   matches: %zu records in total, %zu of %zu alerts matched something\n", r.matches,
              r.alerts_with_matches, r.all.alerts);
  std::printf("   rule compile failures %zu, match failures %zu\n", r.rule_failures,
              r.match_failures);
  std::printf("   p99 target: under 250 ms -> %s\n\n", r.all.p99_ms < 250 ? "met" : "MISSED");
}

bool ParseOptions(int argc, char** argv, BenchOptions& options) {
  namespace po = boost::program_options;
  po::options_description description("canhbao_match_bench options");
  description.add_options()("help", "print this help")(
      "products", po::value(&options.catalog.product_count)->default_value(1'000'000),
      "product records in the catalog")(
      "merchants", po::value(&options.catalog.merchant_count)->default_value(20'000),
      "merchants; the products are spread evenly over them")(
      "items", po::value(&options.catalog.item_count)->default_value(50'000),
      "distinct manufactured items that the listings name")(
      "rules", po::value(&options.rule_count)->default_value(1000),
      "rules in the throughput comparison (a)")(
      "alerts", po::value(&options.alert_count)->default_value(200),
      "alerts timed in the latency test (c)")(
      "repetitions", po::value(&options.repetitions)->default_value(3),
      "scans of all records per engine in (a); the median is reported")(
      "seed", po::value(&options.catalog.seed)->default_value(1), "generator seed")(
      "re2-max-mem-mib", po::value(&options.re2_max_mem_mib)->default_value(64),
      "RE2 max_mem of the rule set in (a), in MiB; more memory means fewer DFA cache resets")(
      "sections", po::value(&options.sections)->default_value("abc"),
      "which measurements to run: any of a, b, c (c loads the index as b does)");
  po::variables_map values;
  po::store(po::parse_command_line(argc, argv, description), values);
  po::notify(values);
  if (values.count("help") != 0) {
    std::cout << description << "\n";
    return false;
  }
  if (options.catalog.product_count == 0 || options.catalog.merchant_count == 0 ||
      options.catalog.item_count == 0 || options.repetitions == 0) {
    throw std::invalid_argument("--products, --merchants, --items and --repetitions must be positive");
  }
  if (options.sections.find_first_not_of("abc") != std::string::npos) {
    throw std::invalid_argument("--sections accepts only the letters a, b and c, not \"" +
                                options.sections + "\"");
  }
  return true;
}

int Run(int argc, char** argv) {
  BenchOptions options;
  if (!ParseOptions(argc, argv, options)) return 0;
  PrintMachine(options);

  Clock::time_point start = Clock::now();
  CatalogGenerator generator(options.catalog);
  std::printf("generated %zu items in %.2f s\n\n", generator.items().size(), SecondsSince(start));
  auto wants = [&](char section) { return options.sections.find(section) != std::string::npos; };

  // The index is loaded first, so that its RSS delta does not reuse memory
  // freed by the throughput test.
  LoadReport load;
  AlertReport alerts;
  if (wants('b') || wants('c')) {
    std::unique_ptr<rules::CatalogIndex> index = LoadIndex(generator, load);
    if (wants('c')) alerts = MatchAlerts(generator, *index, options);
  }
  EngineReport engines;
  if (wants('a')) engines = CompareEngines(generator, options);

  if (engines.ran) PrintEngines(engines);
  if (load.ran) PrintLoad(load);
  if (alerts.ran) PrintAlerts(alerts);
  std::printf("total run time %.1f s\n", SecondsSince(start));
  return 0;
}

}  // namespace
}  // namespace canhbao::bench

int main(int argc, char** argv) {
  try {
    return canhbao::bench::Run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "canhbao_match_bench: " << error.what() << "\n";
    return 2;
  }
}
