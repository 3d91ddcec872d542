#include "server/clock.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace canhbao {

std::string NowRfc3339() {
  using namespace std::chrono;
  auto local = system_clock::now() + hours(7);
  std::time_t seconds = system_clock::to_time_t(local);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d+07:00", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
  return text;
}

namespace {

bool Digits(std::string_view text, size_t pos, size_t count, int& value) {
  if (pos + count > text.size()) return false;
  value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

int DaysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

bool IsRfc3339(std::string_view text) {
  int year, month, day, hour, minute, second;
  if (text.size() < 20 || text.size() > 40) return false;
  if (!Digits(text, 0, 4, year) || text[4] != '-' || !Digits(text, 5, 2, month) ||
      text[7] != '-' || !Digits(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't') ||
      !Digits(text, 11, 2, hour) || text[13] != ':' || !Digits(text, 14, 2, minute) ||
      text[16] != ':' || !Digits(text, 17, 2, second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return false;
  }
  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return false;
  }
  if (pos == text.size()) return false;
  if ((text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) return true;
  int offset_hour, offset_minute;
  return (text[pos] == '+' || text[pos] == '-') && pos + 6 == text.size() &&
         Digits(text, pos + 1, 2, offset_hour) && text[pos + 3] == ':' &&
         Digits(text, pos + 4, 2, offset_minute) && offset_hour <= 23 && offset_minute <= 59;
}

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text) {
  if (!IsRfc3339(text)) return std::nullopt;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  Digits(text, 0, 4, year);
  Digits(text, 5, 2, month);
  Digits(text, 8, 2, day);
  Digits(text, 11, 2, hour);
  Digits(text, 14, 2, minute);
  Digits(text, 17, 2, second);
  if (second == 60) second = 59;
  size_t pos = 19;
  if (text[pos] == '.') {
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
  }
  int offset_minutes = 0;
  if (text[pos] == '+' || text[pos] == '-') {
    int offset_hour = 0, offset_minute = 0;
    Digits(text, pos + 1, 2, offset_hour);
    Digits(text, pos + 4, 2, offset_minute);
    offset_minutes = (offset_hour * 60 + offset_minute) * (text[pos] == '-' ? -1 : 1);
  }
  using namespace std::chrono;
  sys_days date = year_month_day{std::chrono::year(year), std::chrono::month(month),
                                 std::chrono::day(day)};
  return date + hours(hour) + minutes(minute) + seconds(second) - minutes(offset_minutes);
}

}  // namespace canhbao
