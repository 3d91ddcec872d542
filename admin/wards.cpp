#include "admin/wards.hpp"

#include <algorithm>

namespace canhbao::admin {

namespace {

// The 40 wards (phường) and communes (xã) of Huế in force since
// 1 July 2025, from admin/data/hue-wards.json (sources in
// admin/data/SOURCES-hue-wards.md). Sorted by code.
constexpr Ward kWards[] = {
    {"19753", "Phường Phú Xuân"},
    {"19774", "Phường Kim Long"},
    {"19777", "Phường Vỹ Dạ"},
    {"19789", "Phường Thuận Hóa"},
    {"19804", "Phường Hương An"},
    {"19813", "Phường Thủy Xuân"},
    {"19815", "Phường An Cựu"},
    {"19819", "Phường Phong Điền"},
    {"19828", "Phường Phong Phú"},
    {"19831", "Phường Phong Dinh"},
    {"19858", "Phường Phong Thái"},
    {"19867", "Xã Quảng Điền"},
    {"19873", "Phường Phong Quảng"},
    {"19885", "Xã Đan Điền"},
    {"19900", "Phường Thuận An"},
    {"19909", "Phường Dương Nỗ"},
    {"19918", "Xã Phú Hồ"},
    {"19930", "Phường Mỹ Thượng"},
    {"19942", "Xã Phú Vang"},
    {"19945", "Xã Phú Vinh"},
    {"19960", "Phường Phú Bài"},
    {"19969", "Phường Thanh Thủy"},
    {"19975", "Phường Hương Thủy"},
    {"19996", "Phường Hương Trà"},
    {"20014", "Phường Hóa Châu"},
    {"20017", "Phường Kim Trà"},
    {"20035", "Xã Bình Điền"},
    {"20044", "Xã A Lưới 2"},
    {"20050", "Xã A Lưới 5"},
    {"20056", "Xã A Lưới 1"},
    {"20071", "Xã A Lưới 3"},
    {"20101", "Xã A Lưới 4"},
    {"20107", "Xã Phú Lộc"},
    {"20122", "Xã Vinh Lộc"},
    {"20131", "Xã Hưng Lộc"},
    {"20137", "Xã Chân Mây - Lăng Cô"},
    {"20140", "Xã Lộc An"},
    {"20161", "Xã Khe Tre"},
    {"20179", "Xã Nam Đông"},
    {"20182", "Xã Long Quảng"},
};

}  // namespace

std::span<const Ward> HueWards() { return kWards; }

const Ward* FindWard(std::string_view code) {
  auto it = std::lower_bound(std::begin(kWards), std::end(kWards), code,
                             [](const Ward& ward, std::string_view c) { return ward.code < c; });
  if (it == std::end(kWards) || it->code != code) return nullptr;
  return &*it;
}

}  // namespace canhbao::admin
