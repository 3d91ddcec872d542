#include "notify/frame.hpp"

namespace canhbao::notify {

void AppendFrame(std::string& out, Opcode opcode, std::string_view payload) {
  out.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(opcode)));
  size_t size = payload.size();
  if (size < 126) {
    out.push_back(static_cast<char>(size));
  } else if (size <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((static_cast<uint64_t>(size) >> shift) & 0xFF));
    }
  }
  out.append(payload);
}

std::string EncodeFrame(Opcode opcode, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 10);
  AppendFrame(out, opcode, payload);
  return out;
}

Message MakeFrame(Opcode opcode, std::string_view payload) {
  return std::make_shared<const std::string>(EncodeFrame(opcode, payload));
}

std::string EncodeClose(uint16_t code, std::string_view reason) {
  size_t limit = kMaxControlPayload - 2;
  if (reason.size() > limit) {
    // Step back over continuation bytes so no character is split.
    while (limit > 0 && (static_cast<uint8_t>(reason[limit]) & 0xC0) == 0x80) --limit;
    reason = reason.substr(0, limit);
  }
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason);
  return EncodeFrame(Opcode::kClose, payload);
}

}  // namespace canhbao::notify
