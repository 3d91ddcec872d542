#pragma once

// Hyperscan (vectorscan) block-mode pattern sets for the matching benchmark.
// Patterns compile with HS_FLAG_CASELESS | HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH,
// so each pattern reports at most one match per scanned text.
//
// NOTE: vectorscan 5.4.9 (Debian 12) misses some matches on x86: with
// HS_FLAG_CASELESS, "sua tuoi .*1l" finds nothing in
// "sua tuoi thien long hcp3 it beo hop 1l", while RE2 and Hyperscan without
// the flag match. The benchmark counts such records instead of hiding them.

#include <hs/hs.h>

#include <string>
#include <string_view>
#include <vector>

namespace canhbao::bench {

// The flags every benchmark pattern compiles with.
inline constexpr unsigned kHyperscanFlags = HS_FLAG_CASELESS | HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH;

// Returns Hyperscan's error message when it rejects `pattern` on its own, or
// an empty string when the pattern compiles.
std::string CheckHyperscanPattern(const std::string& pattern);

// A compiled block-mode database. Immutable after construction, so any
// thread may scan it with its own scratch.
class HyperscanSet {
 public:
  // Compiles `patterns`; a match reports the pattern's position in the
  // vector. An empty vector gives a set that matches nothing. Throws
  // std::runtime_error with Hyperscan's message when compilation fails, so
  // run CheckHyperscanPattern on each pattern first.
  explicit HyperscanSet(const std::vector<std::string>& patterns);
  ~HyperscanSet();
  HyperscanSet(const HyperscanSet&) = delete;
  HyperscanSet& operator=(const HyperscanSet&) = delete;

  const hs_database_t* database() const { return database_; }
  // Size of the compiled database in bytes, 0 for an empty set.
  size_t database_bytes() const;

 private:
  hs_database_t* database_ = nullptr;
};

// Scratch space for scanning. One scratch serves any number of sets, but only
// one scan at a time: it is not thread-safe.
class HyperscanScratch {
 public:
  HyperscanScratch() = default;
  ~HyperscanScratch();
  HyperscanScratch(const HyperscanScratch&) = delete;
  HyperscanScratch& operator=(const HyperscanScratch&) = delete;

  // Grows the scratch so that it can scan `set`. Throws std::runtime_error
  // when Hyperscan cannot allocate it.
  void Reserve(const HyperscanSet& set);

  // Appends to `hits` the positions of the patterns of `set` that match
  // `text`, each once, in the order Hyperscan reports them. Reserve(set) must
  // come first. Throws std::runtime_error when the scan fails.
  void Scan(const HyperscanSet& set, std::string_view text, std::vector<unsigned>& hits);

 private:
  hs_scratch_t* scratch_ = nullptr;
};

}  // namespace canhbao::bench
