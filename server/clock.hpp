#pragma once

// Times in the API are RFC 3339 with an offset. Huế is on UTC+07:00 all
// year (no daylight saving), so the service writes its own times in +07:00.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace canhbao {

// The current time as "2026-12-04T21:05:09+07:00".
std::string NowRfc3339();

// Checks that `text` is an RFC 3339 date-time with an explicit offset
// ("Z" or "+hh:mm"/"-hh:mm"), fractional seconds allowed, fields in range.
bool IsRfc3339(std::string_view text);

// Parses an RFC 3339 date-time with offset; nullopt when IsRfc3339 fails.
// Leap seconds are read as second 59.
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text);

}  // namespace canhbao
