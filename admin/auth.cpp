#include "admin/auth.hpp"

#include <sodium.h>

#include "server/api_error.hpp"
#include "server/clock.hpp"

namespace canhbao::admin {

namespace {

constexpr std::string_view kKeyPrefix = "cbk_";

std::string Hex(const unsigned char* bytes, size_t size) {
  std::string hex(size * 2, '\0');
  sodium_bin2hex(hex.data(), hex.size() + 1, bytes, size);
  return hex;
}

ApiError Unauthenticated(std::string vi, std::string en) {
  return ApiError(ErrorCode::kUnauthenticated, "Authorization", std::move(vi), std::move(en));
}

}  // namespace

bool IsRole(std::string_view role) {
  for (std::string_view known : kRoles) {
    if (role == known) return true;
  }
  return false;
}

bool IsAuthorityRole(std::string_view role) {
  return role == "police" || role == "market" || role == "health";
}

std::string NewId(char prefix) {
  unsigned char bytes[8];
  randombytes_buf(bytes, sizeof bytes);
  return std::string(1, prefix) + Hex(bytes, sizeof bytes);
}

std::string HashSecret(std::string_view secret) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size());
  return Hex(digest, sizeof digest);
}

std::string NewSecret(std::string_view prefix) {
  unsigned char random[32];
  randombytes_buf(random, sizeof random);
  char encoded[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(encoded, sizeof encoded, random, sizeof random,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(prefix) + encoded;
}

NewKey MakeKey(std::string_view role, std::string_view name, std::string_view merchant_id) {
  NewKey key;
  key.secret = NewSecret(kKeyPrefix);
  key.record.set_id(NewId('k'));
  key.record.set_role(std::string(role));
  key.record.set_name(std::string(name));
  key.record.set_merchant_id(std::string(merchant_id));
  key.record.set_hash(HashSecret(key.secret));
  key.record.set_created(NowRfc3339());
  return key;
}

std::string BearerToken(const Request& request) {
  auto header = request.find(boost::beast::http::field::authorization);
  if (header == request.end()) return {};
  std::string_view value = header->value();
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size() - 1; ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return {};
    }
  }
  if (value[kScheme.size() - 1] != ' ') return {};
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return std::string(value);
}

boost::asio::awaitable<v1::ApiKey> Authenticate(store::KeyStore& keys, const Request& request,
                                                const std::vector<std::string_view>& roles) {
  std::string token = BearerToken(request);
  if (token.empty()) {
    throw Unauthenticated("Thiếu khóa API (Authorization: Bearer <khóa>)",
                          "Missing API key (Authorization: Bearer <key>)");
  }
  if (token.size() > 200 || token.rfind(kKeyPrefix, 0) != 0) {
    throw Unauthenticated("Khóa API không hợp lệ", "Invalid API key");
  }
  std::optional<v1::ApiKey> key = co_await keys.FindByHash(HashSecret(token));
  if (!key) throw Unauthenticated("Khóa API không hợp lệ", "Invalid API key");
  if (key->revoked()) throw Unauthenticated("Khóa API đã bị thu hồi", "The API key is revoked");
  if (!key->expires().empty() && key->expires() < NowRfc3339()) {
    throw Unauthenticated("Khóa API đã hết hạn", "The API key has expired");
  }
  for (std::string_view role : roles) {
    if (key->role() == role) co_return *key;
  }
  std::string allowed;
  for (std::string_view role : roles) {
    if (!allowed.empty()) allowed += ", ";
    allowed += role;
  }
  throw ApiError(ErrorCode::kForbidden, "Authorization",
                 "Vai trò '" + key->role() + "' không được phép; cần: " + allowed,
                 "Role '" + key->role() + "' is not allowed here; requires: " + allowed);
}

}  // namespace canhbao::admin
