#pragma once

#include <boost/json/value.hpp>
#include <string>

namespace canhbao::rules::testing {

// Parses a JSON file under tests/data, e.g. "identifiers/vn-identifier-test-vectors.json".
// Aborts the test program with a message when the file is missing or invalid.
boost::json::value LoadJson(const std::string& relative_path);

}  // namespace canhbao::rules::testing
