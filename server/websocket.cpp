#include "server/websocket.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstring>

namespace canhbao::ws {

namespace {

// RFC 6455, section 1.3.
constexpr std::string_view kHandshakeGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '+' || c == '/';
}

// The length of a client frame's header, from its second byte: two bytes,
// the extended length (none, 2 or 8 bytes), then the 4-byte mask.
size_t HeaderSize(uint8_t second_byte) {
  uint8_t length = second_byte & 0x7F;
  size_t extended = 0;
  if (length == 126) extended = 2;
  if (length == 127) extended = 8;
  return 2 + extended + 4;
}

bool IsValidCloseCode(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}

}  // namespace

bool IsValidClientKey(std::string_view key) {
  // 16 bytes encode to 22 characters and "==".
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (size_t i = 0; i < 22; ++i) {
    if (!IsBase64Char(key[i])) return false;
  }
  return true;
}

std::string AcceptKey(std::string_view key) {
  std::string input(key);
  input.append(kHandshakeGuid);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &digest_size, EVP_sha1(), nullptr);
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> encoded{};
  int size = EVP_EncodeBlock(encoded.data(), digest.data(), static_cast<int>(digest_size));
  return std::string(reinterpret_cast<const char*>(encoded.data()), static_cast<size_t>(size));
}

FrameParser::Result FrameParser::Fail(size_t consumed, uint16_t code, std::string_view reason) {
  closed_ = true;
  return Result{consumed, code, reason};
}

bool FrameParser::ParseHeader(uint16_t& code, std::string_view& reason) {
  code = kCloseProtocolError;
  uint8_t first = header_[0];
  uint8_t second = header_[1];
  bool fin = (first & 0x80) != 0;
  if ((first & 0x70) != 0) {
    reason = "reserved bits set";
    return false;
  }
  if ((second & 0x80) == 0) {
    reason = "client frame not masked";
    return false;
  }
  uint8_t raw = first & 0x0F;
  if (raw != 0x0 && raw != 0x1 && raw != 0x2 && raw != 0x8 && raw != 0x9 && raw != 0xA) {
    reason = "unknown opcode";
    return false;
  }
  opcode_ = static_cast<Opcode>(raw);
  uint64_t length = second & 0x7F;
  size_t at = 2;
  if (length == 126) {
    length = (uint64_t{header_[2]} << 8) | header_[3];
    at = 4;
    if (length < 126) {
      reason = "length not minimally encoded";
      return false;
    }
  } else if (length == 127) {
    length = 0;
    for (size_t i = 0; i < 8; ++i) length = (length << 8) | header_[2 + i];
    at = 10;
    if (length <= 0xFFFF || (length >> 63) != 0) {
      reason = "invalid 64-bit length";
      return false;
    }
  }
  std::memcpy(mask_, header_ + at, 4);
  mask_offset_ = 0;
  payload_left_ = length;

  bool control = raw >= 0x8;
  if (control) {
    if (!fin) {
      reason = "fragmented control frame";
      return false;
    }
    if (length > notify::kMaxControlPayload) {
      reason = "control frame too long";
      return false;
    }
    control_.clear();
    return true;
  }
  if (opcode_ == Opcode::kContinuation) {
    if (!in_message_) {
      reason = "continuation without a message";
      return false;
    }
  } else {
    if (in_message_) {
      reason = "new message inside a fragmented one";
      return false;
    }
    message_bytes_ = 0;
  }
  message_bytes_ += length;
  if (message_bytes_ > max_message_bytes_) {
    code = kCloseTooBig;
    reason = "message too big";
    return false;
  }
  in_message_ = !fin;
  return true;
}

FrameParser::Result FrameParser::Feed(std::string_view data,
                                      std::vector<ControlFrame>& controls) {
  if (closed_) return Result{};
  size_t at = 0;
  while (at < data.size()) {
    if (!in_payload_) {
      size_t needed = header_have_ >= 2 ? HeaderSize(header_[1]) : 2;
      while (header_have_ < needed && at < data.size()) {
        header_[header_have_++] = static_cast<uint8_t>(data[at++]);
        if (header_have_ == 2) {
          // Without the mask bit the header would be shorter, so reject the
          // frame now rather than read payload bytes as a mask.
          if ((header_[1] & 0x80) == 0) {
            return Fail(at, kCloseProtocolError, "client frame not masked");
          }
          needed = HeaderSize(header_[1]);
        }
      }
      if (header_have_ < needed) break;
      header_have_ = 0;
      uint16_t code = 0;
      std::string_view reason;
      if (!ParseHeader(code, reason)) return Fail(at, code, reason);
      in_payload_ = true;
    }

    size_t take = static_cast<size_t>(
        std::min<uint64_t>(payload_left_, static_cast<uint64_t>(data.size() - at)));
    bool control = static_cast<uint8_t>(opcode_) >= 0x8;
    if (control) {
      for (size_t i = 0; i < take; ++i) {
        control_.push_back(static_cast<char>(static_cast<uint8_t>(data[at + i]) ^
                                             mask_[mask_offset_]));
        mask_offset_ = (mask_offset_ + 1) & 3;
      }
    }
    at += take;
    payload_left_ -= take;
    if (payload_left_ > 0) break;
    in_payload_ = false;
    if (!control) continue;

    if (opcode_ == Opcode::kClose) {
      if (control_.size() == 1) return Fail(at, kCloseProtocolError, "close payload of one byte");
      if (control_.size() >= 2) {
        uint16_t code = static_cast<uint16_t>((static_cast<uint8_t>(control_[0]) << 8) |
                                              static_cast<uint8_t>(control_[1]));
        if (!IsValidCloseCode(code)) return Fail(at, kCloseProtocolError, "invalid close code");
      }
      controls.push_back({opcode_, std::move(control_)});
      control_.clear();
      closed_ = true;
      return Result{at, 0, {}};
    }
    controls.push_back({opcode_, std::move(control_)});
    control_.clear();
  }
  return Result{at, 0, {}};
}

}  // namespace canhbao::ws
