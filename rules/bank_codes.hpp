#pragma once

#include <optional>
#include <string_view>

namespace canhbao::rules {

// Returns the 6-digit NAPAS/VietQR BIN for a bank's short name or VietQR code
// ("VCB", "Vietcombank", "MB", "MBBank", ...; ASCII case-insensitive), or nullopt
// for a name the table does not list. The table is small and lists large banks
// only; a BIN is always accepted as written. Thread-safe.
std::optional<std::string_view> FindBankBin(std::string_view bank_name);

}  // namespace canhbao::rules
