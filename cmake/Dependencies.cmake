# Every dependency comes from Debian 12 packages that deploy/install-deps.sh
# installs. Nothing is downloaded at configure or build time.

find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

# Boost 1.81 (libboost1.81-all-dev): Asio, Beast, JSON, URL.
find_package(Boost 1.81.0 EXACT REQUIRED CONFIG COMPONENTS system json url program_options)
add_library(canhbao_boost INTERFACE)
target_link_libraries(canhbao_boost INTERFACE Boost::headers Boost::system Boost::json Boost::url)
target_compile_definitions(canhbao_boost INTERFACE BOOST_ASIO_NO_DEPRECATED)

pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(PSL REQUIRED IMPORTED_TARGET libpsl)
pkg_check_modules(IDN2 REQUIRED IMPORTED_TARGET libidn2)
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc icu-i18n)

find_package(Protobuf REQUIRED)
find_package(spdlog REQUIRED CONFIG)
find_package(prometheus-cpp REQUIRED CONFIG)
find_package(OpenSSL REQUIRED)

# libphonenumber: the -dev package conflicts with Boost 1.81 through its
# dependency on libboost-thread-dev, so install-deps.sh unpacks it into a
# private prefix; the shared library comes from the libphonenumber8 package.
set(CANHBAO_PHONENUMBER_PREFIX "/opt/canhbao-deps/libphonenumber-dev/usr"
    CACHE PATH "Where install-deps.sh unpacked libphonenumber-dev")
find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h
  HINTS "${CANHBAO_PHONENUMBER_PREFIX}/include")
find_library(PHONENUMBER_LIBRARY NAMES phonenumber libphonenumber.so.8)
if(NOT PHONENUMBER_INCLUDE_DIR OR NOT PHONENUMBER_LIBRARY)
  message(FATAL_ERROR "libphonenumber not found: run deploy/install-deps.sh")
endif()
add_library(canhbao_phonenumber INTERFACE)
target_include_directories(canhbao_phonenumber SYSTEM INTERFACE "${PHONENUMBER_INCLUDE_DIR}")
target_link_libraries(canhbao_phonenumber INTERFACE "${PHONENUMBER_LIBRARY}" protobuf::libprotobuf)

if(CANHBAO_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()

find_program(REDIS_SERVER_EXECUTABLE redis-server REQUIRED)
