#pragma once

// The wire form of what the server sends on the stream: complete, unmasked,
// final WebSocket frames (RFC 6455, section 5.2). The hub frames each alert
// once per subprotocol, so a session writes the shared bytes as they are,
// without a per-connection header or copy.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace canhbao::notify {

// One or more complete frames, shared by every connection that sends them.
using Message = std::shared_ptr<const std::string>;

enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Largest payload of a control frame (ping, pong, close).
inline constexpr size_t kMaxControlPayload = 125;

// Appends a final, unmasked frame with `payload` to `out`.
void AppendFrame(std::string& out, Opcode opcode, std::string_view payload);

// A frame in a buffer of its own.
std::string EncodeFrame(Opcode opcode, std::string_view payload);
Message MakeFrame(Opcode opcode, std::string_view payload);

// A close frame: the code in network order, then the reason, cut at a
// UTF-8 boundary so that the payload stays within kMaxControlPayload.
std::string EncodeClose(uint16_t code, std::string_view reason);

}  // namespace canhbao::notify
