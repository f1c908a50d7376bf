// Small string helpers shared by messages and generated docs.
#pragma once

#include <string>
#include <vector>

namespace mer {

// "a, b, c" (for messages listing names).
inline std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// `bytes` as valid UTF-8 for JSON output: valid UTF-8 sequences as they are, every other byte as the four characters
// \xNN (hex). File names are bytes (a Latin-1 "caf\xe9.mp3" is a valid name), JSON strings are UTF-8: the escaped
// form is what mer writes, and what `--list` resumes compare.
inline std::string Utf8Escaped(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size());
  const auto continuation = [&](std::size_t at) {
    return at < bytes.size() && (static_cast<unsigned char>(bytes[at]) & 0xC0) == 0x80;
  };
  for (std::size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    std::size_t length = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
    bool valid = length > 0;
    for (std::size_t k = 1; valid && k < length; ++k) valid = continuation(i + k);
    if (valid && length >= 3) {  // no overlong forms, surrogates or code points above U+10FFFF
      const auto c1 = static_cast<unsigned char>(bytes[i + 1]);
      valid = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0) && !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (valid) {
      out.append(bytes, i, length);
      i += length;
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
      ++i;
    }
  }
  return out;
}

}  // namespace mer
