#include "bench/hyperscan_set.hpp"

#include <stdexcept>

namespace canhbao::bench {

namespace {

// Takes ownership of a compile error and returns its message.
std::string TakeCompileError(hs_compile_error_t* error) {
  std::string message = error != nullptr && error->message != nullptr ? error->message : "unknown";
  hs_free_compile_error(error);
  return message;
}

int OnMatch(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
            unsigned int /*flags*/, void* context) {
  static_cast<std::vector<unsigned>*>(context)->push_back(id);
  return 0;  // continue scanning
}

}  // namespace

std::string CheckHyperscanPattern(const std::string& pattern) {
  hs_database_t* database = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_compile(pattern.c_str(), kHyperscanFlags, HS_MODE_BLOCK, nullptr, &database, &error) !=
      HS_SUCCESS) {
    return TakeCompileError(error);
  }
  hs_free_database(database);
  return {};
}

HyperscanSet::HyperscanSet(const std::vector<std::string>& patterns) {
  if (patterns.empty()) return;
  std::vector<const char*> expressions;
  std::vector<unsigned> flags(patterns.size(), kHyperscanFlags);
  std::vector<unsigned> ids;
  for (size_t i = 0; i < patterns.size(); ++i) {
    expressions.push_back(patterns[i].c_str());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                       static_cast<unsigned>(patterns.size()), HS_MODE_BLOCK, nullptr, &database_,
                       &error) != HS_SUCCESS) {
    int expression = error != nullptr ? error->expression : -1;
    std::string message = TakeCompileError(error);
    throw std::runtime_error("hs_compile_multi failed on expression " + std::to_string(expression) +
                             ": " + message);
  }
}

HyperscanSet::~HyperscanSet() { hs_free_database(database_); }

size_t HyperscanSet::database_bytes() const {
  size_t bytes = 0;
  if (database_ != nullptr) hs_database_size(database_, &bytes);
  return bytes;
}

HyperscanScratch::~HyperscanScratch() { hs_free_scratch(scratch_); }

void HyperscanScratch::Reserve(const HyperscanSet& set) {
  if (set.database() == nullptr) return;
  if (hs_alloc_scratch(set.database(), &scratch_) != HS_SUCCESS) {
    throw std::runtime_error("hs_alloc_scratch failed");
  }
}

void HyperscanScratch::Scan(const HyperscanSet& set, std::string_view text,
                            std::vector<unsigned>& hits) {
  if (set.database() == nullptr) return;
  hs_error_t status = hs_scan(set.database(), text.data(), static_cast<unsigned>(text.size()), 0,
                              scratch_, OnMatch, &hits);
  if (status != HS_SUCCESS) {
    throw std::runtime_error("hs_scan failed with code " + std::to_string(status));
  }
}

}  // namespace canhbao::bench
