#pragma once

// Routes of device registration (POST/PUT/DELETE /v1/devices) and of
// one-time stream tickets (POST /v1/stream/ticket).

#include "admin/app_context.hpp"
#include "server/router.hpp"

namespace canhbao::admin {

// A device token is "cbd_" followed by 43 base64url characters; a stream
// ticket is "cbt_" followed by the same. Only their SHA-256 is stored.
inline constexpr std::string_view kDeviceTokenPrefix = "cbd_";
inline constexpr std::string_view kTicketPrefix = "cbt_";
// How long a stream ticket stays valid, in seconds.
inline constexpr int kTicketSeconds = 30;

void AddDeviceRoutes(Router& router, AppContext& app);

// Bit (1 << category) for each category name; every category when `names`
// is empty. Names must be valid (checked on input).
uint32_t CategoryMask(const google::protobuf::RepeatedPtrField<std::string>& names);

}  // namespace canhbao::admin
