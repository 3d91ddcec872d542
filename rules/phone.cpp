#include "rules/phone.hpp"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <phonenumbers/shortnumberinfo.h>

#include "rules/mobile_prefix_2018.hpp"

namespace canhbao::rules {

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;
using i18n::phonenumbers::ShortNumberInfo;

constexpr char kRegion[] = "VN";
constexpr std::string_view kCountryCode = "84";
// Maximum digits of an E.164 number: country code plus national significant number.
constexpr size_t kMaxE164Digits = 15;
// Vietnamese short codes (113 police, 114 fire, 115 ambulance, 1022 ...) are at most
// this long; longer inputs are never looked up as short codes.
constexpr size_t kMaxShortCodeDigits = 6;

Invalid TooLong() {
  return {"too_long", "Số điện thoại dài quá 64 ký tự.",
          "The phone number is longer than 64 characters."};
}

Invalid BadCharacters() {
  return {"invalid_format",
          "Số điện thoại chỉ được chứa chữ số, khoảng trắng và các ký tự . - ( ) / +.",
          "A phone number may contain only digits, spaces and the characters . - ( ) / +."};
}

Invalid NotANumber() {
  return {"invalid_format", "Số điện thoại không hợp lệ.",
          "The phone number is not a valid number."};
}

const ShortNumberInfo& ShortNumbers() {
  // Loading the short-number metadata is costly, so it is done once; the object
  // is only read afterwards.
  static const ShortNumberInfo* const info = new ShortNumberInfo();
  return *info;
}

// Replaces an old 11-digit mobile prefix, written without the trunk 0 as the
// national significant number ("1201234567"), by its 2018 replacement ("701234567").
std::string ApplyRenumbering2018(std::string nsn) {
  if (nsn.size() != 10) return nsn;
  for (const MobilePrefixChange& change : MobilePrefixChanges2018()) {
    std::string_view old_nsn = change.old_prefix.substr(1);
    if (std::string_view(nsn).starts_with(old_nsn)) {
      return std::string(change.new_prefix.substr(1)) + nsn.substr(old_nsn.size());
    }
  }
  return nsn;
}

// Service numbers are reachable only inside Vietnam, so they are compared by
// their national digits.
bool IsNationalOnly(PhoneNumberUtil::PhoneNumberType type) {
  return type == PhoneNumberUtil::PREMIUM_RATE || type == PhoneNumberUtil::TOLL_FREE ||
         type == PhoneNumberUtil::SHARED_COST || type == PhoneNumberUtil::UAN;
}

Checked<std::string> FormatValid(const std::string& with_plus) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util.Parse(with_plus, kRegion, &number) != PhoneNumberUtil::NO_PARSING_ERROR ||
      !util.IsValidNumber(number)) {
    return NotANumber();
  }
  std::string out;
  if (number.country_code() == 84 && IsNationalOnly(util.GetNumberType(number))) {
    util.GetNationalSignificantNumber(number, &out);
    return out;
  }
  util.Format(number, PhoneNumberUtil::E164, &out);
  return out;
}

std::string_view StripOneLeadingZero(std::string_view digits) {
  // "+84 (0) 905..." keeps the trunk 0 after the country code.
  if (digits.starts_with('0')) digits.remove_prefix(1);
  return digits;
}

}  // namespace

Checked<std::string> NormalizePhone(std::string_view raw) {
  if (raw.size() > kMaxPhoneInputBytes) return TooLong();

  std::string digits;
  bool plus = false;
  for (char c : raw) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c == ' ' || c == '\t' || c == '.' || c == '-' || c == '(' || c == ')' || c == '/') {
      continue;
    } else {
      return BadCharacters();
    }
  }
  if (digits.empty() || digits.size() > kMaxE164Digits + 2) return NotANumber();

  std::string_view view = digits;
  if (!plus && view.starts_with("00")) {
    // 00 is Vietnam's international call prefix.
    plus = true;
    view.remove_prefix(2);
  }

  if (!plus && view.size() <= kMaxShortCodeDigits) {
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    if (util.Parse(std::string(view), kRegion, &number) == PhoneNumberUtil::NO_PARSING_ERROR &&
        ShortNumbers().IsValidShortNumberForRegion(number, kRegion)) {
      return std::string(view);
    }
    return NotANumber();
  }

  std::string_view nsn;
  if (plus) {
    if (!view.starts_with(kCountryCode)) return FormatValid("+" + std::string(view));
    nsn = StripOneLeadingZero(view.substr(kCountryCode.size()));
  } else if (view.starts_with('0')) {
    nsn = view.substr(1);
  } else if (view.starts_with(kCountryCode) && view.size() >= 11) {
    // "84905123456": the country code without "+". A national number without its
    // trunk 0 has at most 10 digits, so 11 or more starting with 84 cannot be one.
    nsn = StripOneLeadingZero(view.substr(kCountryCode.size()));
  } else {
    // National digits without the trunk 0, or a service number ("19001234").
    nsn = view;
  }
  return FormatValid("+84" + ApplyRenumbering2018(std::string(nsn)));
}

}  // namespace canhbao::rules
