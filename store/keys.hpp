#pragma once

// Redis key names. Every key canhbao writes starts with "cb:" so that one
// Redis database can be inspected and backed up as a unit.

#include <string>
#include <string_view>

namespace canhbao::store::keys {

inline std::string Alert(std::string_view id) { return "cb:alert:" + std::string(id); }
inline std::string AlertMatches(std::string_view id) {
  return "cb:alert:" + std::string(id) + ":matches";
}
inline std::string AlertNotices(std::string_view id) {
  return "cb:alert:" + std::string(id) + ":notices";
}
// Sorted set: score = seq, member = alert id.
inline constexpr const char* kAlertLog = "cb:log";
inline constexpr const char* kAlertSeq = "cb:seq";
// Hash: alert id -> seq, for idempotent publishing.
inline constexpr const char* kPublished = "cb:published";
// Pub/Sub channel that wakes every node's log follower.
inline constexpr const char* kEventsChannel = "cb:events";

inline std::string Merchant(std::string_view id) { return "cb:merchant:" + std::string(id); }
inline std::string MerchantByTaxCode(std::string_view tax_code) {
  return "cb:merchant_tax:" + std::string(tax_code);
}
inline constexpr const char* kMerchants = "cb:merchants";
inline std::string Catalog(std::string_view merchant_id) {
  return "cb:catalog:" + std::string(merchant_id);
}

// Sorted set: score = catalog version, member = merchant id whose record or
// catalog changed at that version. Trimmed to the newest entries.
inline constexpr const char* kCatalogLog = "cb:catalog_log";
inline constexpr const char* kCatalogVersion = "cb:catalog_version";

inline std::string Notice(std::string_view id) { return "cb:notice:" + std::string(id); }
inline std::string MerchantNotices(std::string_view merchant_id) {
  return "cb:notices:" + std::string(merchant_id);
}
// Sorted set: score = notice_seq, member = notice id.
inline constexpr const char* kNoticeLog = "cb:notice_log";
inline constexpr const char* kNoticeSeq = "cb:notice_seq";

inline std::string Device(std::string_view id) { return "cb:device:" + std::string(id); }
inline std::string DeviceByTokenHash(std::string_view hash) {
  return "cb:devicehash:" + std::string(hash);
}
// One-time WebSocket tickets, by the hash of the ticket; they expire.
inline std::string Ticket(std::string_view hash) { return "cb:ticket:" + std::string(hash); }

inline std::string KeyByHash(std::string_view hash) { return "cb:keyhash:" + std::string(hash); }
inline std::string KeyHashById(std::string_view id) { return "cb:key:" + std::string(id); }
inline constexpr const char* kKeys = "cb:keys";

}  // namespace canhbao::store::keys
