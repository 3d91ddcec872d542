#pragma once

// API keys: creation, hashing and the role checks of every admin endpoint.
// A key is "cbk_" followed by 43 base64url characters (32 random bytes);
// only its SHA-256 is stored.

#include <boost/asio/awaitable.hpp>
#include <vector>
#include <string>
#include <string_view>

#include "canhbao.pb.h"
#include "server/router.hpp"
#include "store/key_store.hpp"

namespace canhbao::admin {

inline constexpr std::string_view kRoles[] = {"admin",  "police",    "market",
                                              "health", "moderator", "merchant"};
bool IsRole(std::string_view role);

// Role sets that endpoints accept. Named vectors instead of braced lists,
// because GCC 12 rejects a braced list inside a co_await expression.
inline const std::vector<std::string_view> kAdminRole = {"admin"};
inline const std::vector<std::string_view> kMerchantRole = {"merchant"};
inline const std::vector<std::string_view> kAdminOrMarket = {"admin", "market"};
inline const std::vector<std::string_view> kMerchantOrAdmin = {"merchant", "admin"};
inline const std::vector<std::string_view> kAuthorityRoles = {"police", "market", "health"};
bool IsAuthorityRole(std::string_view role);

// A random id with a one-letter prefix naming its kind ("a" alert, "m"
// merchant, "n" notice, "k" key): the prefix and 16 hex digits.
std::string NewId(char prefix);

// A secret of 32 random bytes in base64url after `prefix` ("cbk_" keys,
// "cbd_" device tokens, "cbt_" stream tickets).
std::string NewSecret(std::string_view prefix);

struct NewKey {
  v1::ApiKey record;
  std::string secret;  // shown once, never stored
};
// Makes a key record and its secret. `role` must satisfy IsRole.
NewKey MakeKey(std::string_view role, std::string_view name, std::string_view merchant_id);

// Hex SHA-256 of a key's secret.
std::string HashSecret(std::string_view secret);

// Returns the bearer token of the request, or an empty string.
std::string BearerToken(const Request& request);

// Authenticates the request's key and checks its role. Throws ApiError 401
// for a missing, unknown, expired or revoked key and 403 for a role not in
// `roles`.
boost::asio::awaitable<v1::ApiKey> Authenticate(store::KeyStore& keys, const Request& request,
                                                const std::vector<std::string_view>& roles);

}  // namespace canhbao::admin
