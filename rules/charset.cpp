#include "rules/charset.hpp"

#include <iconv.h>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>

namespace canhbao::rules {

namespace {

enum class Charset { kUtf8, kTcvn3, kWindows1258 };

struct CharsetInfo {
  Charset charset;
  const char* display_name;  // used in error messages
  const char* iconv_name;    // glibc iconv name, or nullptr for UTF-8
};

constexpr CharsetInfo kUtf8Info{Charset::kUtf8, "UTF-8", nullptr};
constexpr CharsetInfo kTcvn3Info{Charset::kTcvn3, "TCVN3", "TCVN5712-1"};
constexpr CharsetInfo kWindows1258Info{Charset::kWindows1258, "Windows-1258", "CP1258"};

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// ICU takes int32_t lengths, so the decoded text must fit in one.
constexpr size_t kMaxInputBytes =
    static_cast<size_t>(std::numeric_limits<int32_t>::max()) / kMaxDecodedBytesPerInputByte;

// A charset name is echoed in error messages, so it is cut short and reduced to
// printable ASCII there.
constexpr size_t kMaxEchoedCharsetBytes = 40;

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view TrimCharsetName(std::string_view name) {
  size_t begin = name.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  size_t end = name.find_last_not_of(" \t");
  name = name.substr(begin, end - begin + 1);
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  return name;
}

std::optional<CharsetInfo> LookUpCharset(std::string_view name) {
  std::string key = AsciiLower(TrimCharsetName(name));
  if (key == "utf-8" || key == "utf8") return kUtf8Info;
  if (key == "tcvn3" || key == "tcvn" || key == "tcvn5712-1" || key == "vn3") return kTcvn3Info;
  if (key == "windows-1258" || key == "cp1258") return kWindows1258Info;
  return std::nullopt;
}

std::string PrintableCharsetName(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, kMaxEchoedCharsetBytes)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (name.size() > kMaxEchoedCharsetBytes) out += "...";
  return out;
}

Invalid UnknownCharset(std::string_view name) {
  std::string shown = PrintableCharsetName(name);
  return {"invalid_format",
          "Bảng mã \"" + shown + "\" không được hỗ trợ. Hãy dùng utf-8, tcvn3 hoặc windows-1258.",
          "Unsupported charset \"" + shown + "\": use utf-8, tcvn3 or windows-1258."};
}

std::string HexByte(unsigned char byte) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%02X", byte);
  return buffer;
}

Invalid InvalidByte(const CharsetInfo& info, std::string_view bytes, size_t offset) {
  std::string name = info.display_name;
  std::string where = std::to_string(offset);
  std::string byte = HexByte(static_cast<unsigned char>(bytes[offset]));
  return {"invalid_format",
          "Văn bản không hợp lệ theo bảng mã " + name + ": byte " + byte + " tại vị trí " + where +
              " (tính từ 0) không đúng bảng mã. Hãy kiểm tra bảng mã đã khai báo.",
          "Invalid " + name + " text: byte " + byte + " at byte offset " + where +
              " is not valid in this charset. Check the declared charset."};
}

Invalid IncompleteSequence(const CharsetInfo& info, size_t offset) {
  std::string name = info.display_name;
  std::string where = std::to_string(offset);
  return {"invalid_format",
          "Văn bản không hợp lệ theo bảng mã " + name + ": chuỗi byte bắt đầu tại vị trí " +
              where + " (tính từ 0) bị cắt cụt ở cuối dữ liệu.",
          "Invalid " + name + " text: the byte sequence at byte offset " + where +
              " is cut off at the end of the input."};
}

Invalid TooLong() {
  return {"too_long",
          "Văn bản sau khi chuyển bảng mã dài quá " +
              std::to_string(kMaxDecodedBytesPerInputByte) + " lần dữ liệu gốc.",
          "The decoded text is more than " + std::to_string(kMaxDecodedBytesPerInputByte) +
              " times the size of the input."};
}

// Returns the offset of the first ill-formed UTF-8 sequence, or nullopt when the
// text is well-formed. Overlong forms, surrogates and code points past U+10FFFF are
// ill-formed. A sequence cut off by the end of the text is reported at its start.
std::optional<size_t> FirstInvalidUtf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  int32_t length = static_cast<int32_t>(text.size());
  int32_t i = 0;
  while (i < length) {
    int32_t start = i;
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return static_cast<size_t>(start);
  }
  return std::nullopt;
}

// Returns true when the ill-formed sequence at `offset` is a valid prefix of a
// sequence that the end of the text cut off, so that the error can report it as
// incomplete rather than invalid.
bool IsTruncatedUtf8(std::string_view text, size_t offset) {
  auto lead = static_cast<unsigned char>(text[offset]);
  if (lead < 0xC2 || lead > 0xF4) return false;
  size_t needed = 2;
  if (lead >= 0xF0) {
    needed = 4;
  } else if (lead >= 0xE0) {
    needed = 3;
  }
  if (offset + needed <= text.size()) return false;
  for (size_t i = offset + 1; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) return false;
  }
  return true;
}

class IconvDescriptor {
 public:
  explicit IconvDescriptor(const char* from) : cd_(iconv_open("UTF-8", from)) {}
  ~IconvDescriptor() {
    if (ok()) iconv_close(cd_);
  }
  IconvDescriptor(const IconvDescriptor&) = delete;
  IconvDescriptor& operator=(const IconvDescriptor&) = delete;

  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }
  iconv_t get() const { return cd_; }

 private:
  iconv_t cd_;
};

// Converts `bytes` to UTF-8 with glibc iconv. The output buffer starts at twice the
// input size and doubles up to `max_output` bytes, so ordinary text needs at most
// one resize and hostile text cannot allocate more than the bound.
Checked<std::string> ConvertWithIconv(std::string_view bytes, const CharsetInfo& info,
                                      size_t max_output) {
  IconvDescriptor cd(info.iconv_name);
  if (!cd.ok()) {
    // glibc keeps these converters in separate gconv modules, which a minimal
    // installation may lack. That is a server limitation, not bad input, but the
    // client can still resend as UTF-8.
    std::string name = info.display_name;
    return Invalid{"invalid_format",
                   "Máy chủ không chuyển được bảng mã " + name + ". Hãy gửi dữ liệu dạng UTF-8.",
                   "This server cannot convert from " + name + ": send the data as UTF-8."};
  }

  std::string out(std::min(max_output, 2 * bytes.size() + 16), '\0');
  size_t out_used = 0;
  char* in = const_cast<char*>(bytes.data());  // iconv does not write through it
  size_t in_left = bytes.size();
  // The first pass converts the input. The second, with a null input, flushes a
  // base letter that the decoder holds back in case a combining tone mark follows.
  bool flushing = false;
  while (true) {
    char* out_ptr = out.data() + out_used;
    size_t out_left = out.size() - out_used;
    size_t rc = flushing ? iconv(cd.get(), nullptr, nullptr, &out_ptr, &out_left)
                         : iconv(cd.get(), &in, &in_left, &out_ptr, &out_left);
    int error = errno;
    out_used = out.size() - out_left;
    if (rc != static_cast<size_t>(-1)) {
      if (flushing) break;
      flushing = true;
      continue;
    }

    size_t offset = bytes.size() - in_left;
    if (error == E2BIG) {
      if (out.size() >= max_output) return TooLong();
      out.resize(std::min(max_output, 2 * out.size()));
      continue;
    }
    if (error == EILSEQ) return InvalidByte(info, bytes, offset);
    if (error == EINVAL) return IncompleteSequence(info, offset);
    std::string reason = std::to_string(error);
    return Invalid{"invalid_format",
                   "Chuyển bảng mã " + std::string(info.display_name) + " thất bại (errno " +
                       reason + ").",
                   "Converting from " + std::string(info.display_name) + " failed (errno " +
                       reason + ")."};
  }
  out.resize(out_used);
  return out;
}

const icu::Normalizer2& Nfc() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  // The NFC data is part of ICU's common library: failing to load it means a broken
  // installation, not bad input.
  if (U_FAILURE(status)) std::abort();
  return *nfc;
}

// Returns well-formed UTF-8 in NFC.
std::string ToNfc(std::string utf8) {
  const icu::Normalizer2& nfc = Nfc();
  icu::StringPiece piece(utf8.data(), static_cast<int32_t>(utf8.size()));
  UErrorCode status = U_ZERO_ERROR;
  if (nfc.isNormalizedUTF8(piece, status) && U_SUCCESS(status)) return utf8;

  status = U_ZERO_ERROR;
  std::string out;
  out.reserve(utf8.size());
  icu::StringByteSink<std::string> sink(&out);
  nfc.normalizeUTF8(0, piece, sink, nullptr, status);
  // The input was checked or produced by iconv, so ICU can only fail here on
  // memory exhaustion.
  if (U_FAILURE(status)) std::abort();
  return out;
}

}  // namespace

Checked<std::string> DecodeCatalogText(std::string_view bytes, std::string_view charset) {
  std::optional<CharsetInfo> info = LookUpCharset(charset);
  if (!info) return UnknownCharset(charset);
  if (bytes.size() > kMaxInputBytes) return TooLong();
  size_t max_output = kMaxDecodedBytesPerInputByte * bytes.size();

  std::string utf8;
  if (info->charset == Charset::kUtf8) {
    size_t skipped = bytes.starts_with(kUtf8Bom) ? kUtf8Bom.size() : 0;
    std::string_view text = bytes.substr(skipped);
    if (std::optional<size_t> bad = FirstInvalidUtf8(text)) {
      if (IsTruncatedUtf8(text, *bad)) return IncompleteSequence(*info, skipped + *bad);
      return InvalidByte(*info, bytes, skipped + *bad);
    }
    utf8.assign(text);
  } else {
    Checked<std::string> converted = ConvertWithIconv(bytes, *info, max_output);
    if (!converted) return converted;
    utf8 = std::move(converted.value());
  }

  std::string normalized = ToNfc(std::move(utf8));
  if (normalized.size() > max_output) return TooLong();
  return normalized;
}

}  // namespace canhbao::rules
