#pragma once

// The hand-written JSON mapping of alerts (product.md's "JSON" section):
// snake_case names, lower-case enum strings, seq as a number, texts as
// {"vi", "en"} with "en" falling back to "vi" on output.

#include <boost/json/value.hpp>
#include <memory>

#include "canhbao.pb.h"
#include "rules/matcher.hpp"

namespace canhbao::admin {

// Limits on one alert request.
struct AlertLimits {
  size_t max_identifiers = 200;  // per identifier kind
  size_t max_products = 100;
  size_t max_rules = 64;
  size_t max_areas = 40;
  size_t headline_chars = 300;
  size_t description_chars = 5000;
  size_t instruction_chars = 3000;
};

// Reads a POST /v1/alerts body into a draft (no id, state or authorship
// yet). Checks the shape, types, enums, areas and text of every field and
// throws ApiError (400) naming the first bad one. Identifiers and rules are
// checked by BuildCriteria, which the caller must run before storing.
v1::Alert ParseAlertRequest(const boost::json::value& body, const AlertLimits& limits = {});

// Normalizes the alert's identifiers and compiles its rules for matching.
// Throws ApiError (400) naming the field when an identifier or rule is
// invalid, which for a stored alert means the rules changed since.
rules::AlertCriteria BuildCriteria(const v1::Alert& alert);

// The alert as GET /v1/alerts/{id} returns it.
boost::json::object AlertToJson(const v1::Alert& alert);
// The alert as a WebSocket "alert" message.
boost::json::object AlertMessage(const v1::Alert& alert);

boost::json::object TextToJson(const v1::LocalizedText& text);

const char* CategoryName(v1::Category category);
const char* StateName(v1::AlertState state);
// Returns CATEGORY_UNSPECIFIED for an unknown name.
v1::Category CategoryFromName(std::string_view name);

// True for categories whose matches create merchant notices.
bool CreatesNotices(v1::Category category);

// True while a published alert can still create notices: an actual alert of
// a notice-creating category, published and not past its expiry.
bool IsActiveRecall(const v1::Alert& alert);

v1::AlertMatches ToAlertMatches(const std::vector<rules::MatchRecord>& records);

// One open notice per merchant with product matches (merchant-record
// matches create none), for an alert with its seq set.
std::vector<v1::Notice> NoticesFor(const v1::Alert& alert, const v1::AlertMatches& matches,
                                   const std::string& created);

}  // namespace canhbao::admin
