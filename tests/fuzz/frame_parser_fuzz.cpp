// Fuzz target for the parser of client WebSocket frames, the first code to
// read what a stream client sends. The input's first byte picks where the
// rest is split, so that a piece boundary crosses every state of the
// parser. The message limit is small, so the 1009 path is reached too.
//
// Checked on every input: nothing crashes or reads out of bounds (the
// sanitizers), consumed counts stay within the input, a control payload
// never exceeds 125 bytes, and after a close frame or an error the parser
// takes nothing more.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "server/websocket.hpp"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t split = data[0];
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  split = input.empty() ? 0 : split % (input.size() + 1);

  canhbao::ws::FrameParser parser(512);
  std::vector<canhbao::ws::ControlFrame> controls;
  size_t total = 0;
  bool ended = false;
  for (std::string_view piece : {input.substr(0, split), input.substr(split)}) {
    canhbao::ws::FrameParser::Result result = parser.Feed(piece, controls);
    Check(result.consumed <= piece.size());
    if (ended) Check(result.consumed == 0);
    total += result.consumed;
    if (result.error_code != 0) {
      Check(result.error_code == canhbao::ws::kCloseProtocolError ||
            result.error_code == canhbao::ws::kCloseTooBig);
      Check(!result.error_reason.empty());
      Check(parser.closed());
    }
    if (parser.closed()) ended = true;
  }
  Check(total <= input.size());
  for (const canhbao::ws::ControlFrame& frame : controls) {
    Check(frame.payload.size() <= canhbao::notify::kMaxControlPayload);
  }
  return 0;
}
