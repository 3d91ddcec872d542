#include "test_data.hpp"

#include <boost/json/parse.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace canhbao::rules::testing {

boost::json::value LoadJson(const std::string& relative_path) {
  std::string path = std::string(CANHBAO_TEST_DATA_DIR) + "/" + relative_path;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open test data file %s\n", path.c_str());
    std::abort();
  }
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text.str(), ec);
  if (ec) {
    std::fprintf(stderr, "invalid JSON in %s: %s\n", path.c_str(), ec.message().c_str());
    std::abort();
  }
  return value;
}

}  // namespace canhbao::rules::testing
