#pragma once

// The server side of RFC 6455 that the stream needs: the opening
// handshake's keys, and an incremental parser for what clients send. Clients of the stream
// send nothing but control frames in normal use; their data messages are
// checked against the size limit and dropped unread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "notify/frame.hpp"

namespace canhbao::ws {

using notify::Opcode;

// Close codes (RFC 6455, section 7.4.1).
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseGoingAway = 1001;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseTooBig = 1009;

// True when `key`, a Sec-WebSocket-Key value, is base64 of 16 bytes.
bool IsValidClientKey(std::string_view key);
// The Sec-WebSocket-Accept value for a client key.
std::string AcceptKey(std::string_view key);

// A control frame that the client sent, unmasked.
struct ControlFrame {
  Opcode opcode;
  std::string payload;
};

// Parser of client frames from a byte stream that arrives in pieces of any
// size. The object is under a hundred bytes. Data payloads are skipped
// without copying, and control payloads are unmasked.
class FrameParser {
 public:
  explicit FrameParser(uint64_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  struct Result {
    // Bytes of the input consumed. It is less than the input only after a
    // close frame or an error, because nothing after either is read.
    size_t consumed = 0;
    // Set when the client broke the protocol or the size limit: the
    // connection must be closed with this code and reason.
    uint16_t error_code = 0;
    std::string_view error_reason;
  };

  // Parses `data`, appending each complete control frame to `controls`.
  // After a close frame or an error, further calls consume nothing.
  Result Feed(std::string_view data, std::vector<ControlFrame>& controls);

  bool closed() const { return closed_; }

 private:
  Result Fail(size_t consumed, uint16_t code, std::string_view reason);
  // Validates the complete header in header_ and sets the frame fields.
  bool ParseHeader(uint16_t& code, std::string_view& reason);

  uint64_t max_message_bytes_;
  uint64_t message_bytes_ = 0;  // bytes of the data message in progress
  uint64_t payload_left_ = 0;   // bytes of the current frame's payload still to come
  std::string control_;         // payload of the control frame being read
  uint8_t header_[14];
  uint8_t header_have_ = 0;
  uint8_t mask_[4];
  uint8_t mask_offset_ = 0;
  Opcode opcode_ = Opcode::kContinuation;
  bool in_payload_ = false;
  bool in_message_ = false;  // a fragmented data message is in progress
  bool closed_ = false;
};

}  // namespace canhbao::ws
