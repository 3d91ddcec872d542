#pragma once

// Huế's official ward and commune codes, the values of `areas` and of a
// merchant's `ward`.

#include <span>
#include <string_view>

namespace canhbao::admin {

struct Ward {
  std::string_view code;  // 5-digit code of the Statistics Office
  std::string_view name;  // official Vietnamese name, NFC
};

std::span<const Ward> HueWards();
// Returns nullptr when `code` is not one of Huế's wards.
const Ward* FindWard(std::string_view code);

}  // namespace canhbao::admin
