#pragma once

#include <span>
#include <string_view>

namespace canhbao::rules {

// One row of Vietnam's 2018 conversion of 11-digit mobile numbers to 10 digits:
// the old prefix (with trunk 0, e.g. "0120") became the new one ("070") and the
// 7 subscriber digits stayed.
struct MobilePrefixChange {
  std::string_view old_prefix;
  std::string_view new_prefix;
  std::string_view carrier;
};

// Returns the full renumbering table, generated at build time from
// rules/data/vn-mobile-prefix-2018.json. The storage is static and immutable.
std::span<const MobilePrefixChange> MobilePrefixChanges2018();

}  // namespace canhbao::rules
