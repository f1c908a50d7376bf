// Typed errors. Every message is one line that names the file, line or field and what was expected;
// `main` catches them once and maps them to exit codes (ConfigError: 2, everything else: 1).
#pragma once

#include <stdexcept>
#include <string>

namespace mer {

// Messages are kept to one printable line: a NUL byte (which would cut the message short), a newline or a carriage
// return taken from the user's input is shown escaped ("\\0", "\\n", "\\r").
inline std::string OneLineMessage(const std::string& text) {
  if (text.find_first_of(std::string("\0\n\r", 3)) == std::string::npos) return text;
  std::string out;
  for (const char c : text) {
    out += c == '\0' ? std::string("\\0") : c == '\n' ? std::string("\\n") : c == '\r' ? std::string("\\r") : std::string(1, c);
  }
  return out;
}

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(OneLineMessage(what)) {}
  explicit Error(const char* what) : Error(std::string(what)) {}
};

// A configuration file, a config key or a command-line argument is wrong (exit code 2).
class ConfigError : public Error {
 public:
  using Error::Error;
};

// An input file (audio, annotations, features) cannot be used (exit code 1).
class InputError : public Error {
 public:
  using Error::Error;
};

// Writing an output failed (exit code 1).
class OutputError : public Error {
 public:
  using Error::Error;
};

}  // namespace mer
