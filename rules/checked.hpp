#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace canhbao::rules {

// A rejected input: the problem only, without the field name, which the caller
// adds. `code` is one of a small set of machine-readable values:
//   "invalid_format"        characters, shape or length that the identifier cannot have
//   "invalid_check_digit"   the shape is right but the check digit is wrong
//   "too_long"              the input exceeds the maximum length before any parsing
//   "invalid_rule"          a rule does not compile or breaks a limit
//   "match_failed"          RE2 could not complete a match (DFA out of memory)
// `message_vi` is Vietnamese with full diacritics, `message_en` its English.
struct Invalid {
  std::string code;
  std::string message_vi;
  std::string message_en;
};

// Either a value or the reason why there is none. Calling value() on an error,
// or error() on a value, is a programmer error (asserted).
template <class T>
class Checked {
 public:
  Checked(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Checked(Invalid invalid) : state_(std::in_place_index<1>, std::move(invalid)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const {
    assert(ok());
    return std::get<0>(state_);
  }
  T& value() {
    assert(ok());
    return std::get<0>(state_);
  }
  const Invalid& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, Invalid> state_;
};

}  // namespace canhbao::rules
