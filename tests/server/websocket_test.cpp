// The WebSocket layer of the stream, without a server: frame encoding, the
// handshake keys, and the parser of client frames fed in pieces of every
// size.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "notify/frame.hpp"
#include "server/websocket.hpp"

namespace canhbao::testing {
namespace {

using notify::Opcode;

// A client frame as RFC 6455 requires it: masked, here with a fixed key.
std::string ClientFrame(uint8_t first_byte, std::string_view payload,
                        bool masked = true, int length_form = 0) {
  std::string out;
  out.push_back(static_cast<char>(first_byte));
  uint8_t mask_bit = masked ? 0x80 : 0x00;
  size_t size = payload.size();
  if (length_form == 0 && size < 126) {
    out.push_back(static_cast<char>(mask_bit | size));
  } else if (length_form <= 16 && size <= 0xFFFF) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((static_cast<uint64_t>(size) >> shift) & 0xFF));
    }
  }
  const uint8_t key[4] = {0x37, 0xFA, 0x21, 0x3D};
  if (masked) out.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < size; ++i) {
    uint8_t byte = static_cast<uint8_t>(payload[i]);
    out.push_back(static_cast<char>(masked ? byte ^ key[i % 4] : byte));
  }
  return out;
}

struct Parsed {
  std::vector<ws::ControlFrame> controls;
  uint16_t error_code = 0;
  std::string error_reason;
  size_t consumed = 0;
};

// Feeds `bytes` in pieces of `piece` bytes, as reads of a socket would.
Parsed Parse(const std::string& bytes, size_t piece, uint64_t limit = 1024) {
  ws::FrameParser parser(limit);
  Parsed parsed;
  for (size_t at = 0; at < bytes.size(); at += piece) {
    std::string_view chunk = std::string_view(bytes).substr(at, piece);
    ws::FrameParser::Result result = parser.Feed(chunk, parsed.controls);
    parsed.consumed += result.consumed;
    if (result.error_code != 0) {
      parsed.error_code = result.error_code;
      parsed.error_reason = std::string(result.error_reason);
      break;
    }
  }
  return parsed;
}

TEST(WebSocketFrame, HeaderUsesTheShortestLengthForm) {
  EXPECT_EQ(notify::EncodeFrame(Opcode::kText, "").size(), 2u);
  EXPECT_EQ(notify::EncodeFrame(Opcode::kText, std::string(125, 'a')).size(), 2u + 125);
  std::string medium = notify::EncodeFrame(Opcode::kBinary, std::string(126, 'a'));
  EXPECT_EQ(medium.size(), 4u + 126);
  EXPECT_EQ(static_cast<uint8_t>(medium[0]), 0x82);
  EXPECT_EQ(static_cast<uint8_t>(medium[1]), 126);
  EXPECT_EQ(notify::EncodeFrame(Opcode::kText, std::string(65535, 'a')).size(), 4u + 65535);
  std::string large = notify::EncodeFrame(Opcode::kText, std::string(65536, 'a'));
  EXPECT_EQ(large.size(), 10u + 65536);
  EXPECT_EQ(static_cast<uint8_t>(large[1]), 127);
  EXPECT_EQ(static_cast<uint8_t>(large[7]), 0x01) << "65536 is 0x10000";
  EXPECT_EQ(static_cast<uint8_t>(large[0]), 0x81) << "final text frame";
}

TEST(WebSocketFrame, CloseReasonIsCutAtACharacterBoundary) {
  // 'ả' is three bytes in UTF-8, so 60 of them are 180 bytes, over the limit.
  std::string reason;
  for (int i = 0; i < 60; ++i) reason += "ả";
  std::string frame = notify::EncodeClose(4008, reason);
  size_t payload = static_cast<uint8_t>(frame[1]);
  EXPECT_LE(payload, notify::kMaxControlPayload);
  EXPECT_EQ((payload - 2) % 3, 0u) << "a character was split";
  EXPECT_EQ(static_cast<uint8_t>(frame[2]), 4008 >> 8);
  EXPECT_EQ(static_cast<uint8_t>(frame[3]), 4008 & 0xFF);
}

TEST(WebSocketHandshake, AcceptKeyMatchesTheRfcExample) {
  // RFC 6455, section 1.3.
  EXPECT_EQ(ws::AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, ClientKeyMustEncodeSixteenBytes) {
  EXPECT_TRUE(ws::IsValidClientKey("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_FALSE(ws::IsValidClientKey(""));
  EXPECT_FALSE(ws::IsValidClientKey("c3RhbGxlZC1yZWFkZXIta2V5")) << "18 bytes";
  EXPECT_FALSE(ws::IsValidClientKey("dGhlIHNhbXBsZSBub25jZQ=")) << "23 characters";
  EXPECT_FALSE(ws::IsValidClientKey("dGhlIHNhbXBsZSBub25j*Q==")) << "not base64";
}

TEST(WebSocketParser, AnyPieceSizeParses) {
  std::string bytes = ClientFrame(0x81, "xin chào") + ClientFrame(0x89, "ping-1") +
                      ClientFrame(0x02, std::string(300, 'b')) +  // first fragment
                      ClientFrame(0x8A, "") +                     // pong between fragments
                      ClientFrame(0x80, "end") + ClientFrame(0x89, "ping-2");
  for (size_t piece : {1u, 2u, 3u, 7u, 64u, 4096u}) {
    Parsed parsed = Parse(bytes, piece);
    EXPECT_EQ(parsed.error_code, 0) << "piece " << piece << ": " << parsed.error_reason;
    ASSERT_EQ(parsed.controls.size(), 3u) << "piece " << piece;
    EXPECT_EQ(parsed.controls[0].opcode, Opcode::kPing);
    EXPECT_EQ(parsed.controls[0].payload, "ping-1") << "piece " << piece;
    EXPECT_EQ(parsed.controls[1].opcode, Opcode::kPong);
    EXPECT_EQ(parsed.controls[1].payload, "");
    EXPECT_EQ(parsed.controls[2].payload, "ping-2");
    EXPECT_EQ(parsed.consumed, bytes.size());
  }
}

TEST(WebSocketParser, CloseEndsParsing) {
  std::string close_payload = "\x03\xE8" "tạm biệt";  // 1000
  std::string bytes = ClientFrame(0x88, close_payload) + ClientFrame(0x89, "after");
  ws::FrameParser parser(1024);
  std::vector<ws::ControlFrame> controls;
  ws::FrameParser::Result result = parser.Feed(bytes, controls);
  EXPECT_EQ(result.error_code, 0);
  ASSERT_EQ(controls.size(), 1u);
  EXPECT_EQ(controls[0].opcode, Opcode::kClose);
  EXPECT_EQ(controls[0].payload, close_payload);
  EXPECT_TRUE(parser.closed());
  EXPECT_EQ(result.consumed, bytes.size() - ClientFrame(0x89, "after").size())
      << "nothing after the close frame is read";
  EXPECT_EQ(parser.Feed(bytes, controls).consumed, 0u);
}

struct BadFrame {
  const char* name;
  std::string bytes;
  uint16_t code;
};

TEST(WebSocketParser, ProtocolErrorsNameTheirCloseCode) {
  std::vector<BadFrame> cases = {
      {"unmasked", ClientFrame(0x81, "hi", false), ws::kCloseProtocolError},
      {"reserved bit", ClientFrame(0xC1, "hi"), ws::kCloseProtocolError},
      {"unknown opcode", ClientFrame(0x83, "hi"), ws::kCloseProtocolError},
      {"fragmented ping", ClientFrame(0x09, "hi"), ws::kCloseProtocolError},
      {"long ping", ClientFrame(0x89, std::string(126, 'p')), ws::kCloseProtocolError},
      {"stray continuation", ClientFrame(0x80, "hi"), ws::kCloseProtocolError},
      {"message inside message", ClientFrame(0x01, "a") + ClientFrame(0x81, "b"),
       ws::kCloseProtocolError},
      {"16-bit length for 5 bytes", ClientFrame(0x81, "hello", true, 16),
       ws::kCloseProtocolError},
      {"64-bit length for 300 bytes", ClientFrame(0x81, std::string(300, 'a'), true, 64),
       ws::kCloseProtocolError},
      {"one-byte close", ClientFrame(0x88, "x"), ws::kCloseProtocolError},
      {"close code 1005", ClientFrame(0x88, "\x03\xED"), ws::kCloseProtocolError},
      {"message over the limit", ClientFrame(0x82, std::string(2000, 'z')), ws::kCloseTooBig},
      {"fragments over the limit",
       ClientFrame(0x02, std::string(600, 'z')) + ClientFrame(0x80, std::string(600, 'z')),
       ws::kCloseTooBig},
  };
  for (const BadFrame& bad : cases) {
    for (size_t piece : {1u, 5u, 4096u}) {
      Parsed parsed = Parse(bad.bytes, piece);
      EXPECT_EQ(parsed.error_code, bad.code) << bad.name << ", piece " << piece;
      EXPECT_FALSE(parsed.error_reason.empty()) << bad.name;
    }
  }
}

TEST(WebSocketParser, MessageLimitIsExact) {
  // 1,024 bytes in two fragments is at the limit, and one byte more is over it.
  std::string at_limit = ClientFrame(0x02, std::string(1000, 'a')) +
                         ClientFrame(0x80, std::string(24, 'a'));
  EXPECT_EQ(Parse(at_limit, 4096, 1024).error_code, 0);
  std::string over = ClientFrame(0x02, std::string(1000, 'a')) +
                     ClientFrame(0x80, std::string(25, 'a'));
  EXPECT_EQ(Parse(over, 4096, 1024).error_code, ws::kCloseTooBig);
  EXPECT_EQ(Parse(ClientFrame(0x89, std::string(125, 'p')), 4096).error_code, 0)
      << "a 125-byte ping is allowed";
}

TEST(WebSocketParser, HugeLengthRejectedBeforePayload) {
  std::string header;
  header.push_back(static_cast<char>(0x82));
  header.push_back(static_cast<char>(0x80 | 127));
  for (int i = 0; i < 8; ++i) header.push_back(static_cast<char>(i == 0 ? 0x00 : 0xFF));
  header.append("\x01\x02\x03\x04", 4);
  Parsed parsed = Parse(header, 1, 16 * 1024);
  EXPECT_EQ(parsed.error_code, ws::kCloseTooBig);
  EXPECT_EQ(parsed.consumed, header.size());
}

}  // namespace
}  // namespace canhbao::testing
