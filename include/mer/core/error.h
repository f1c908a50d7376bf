// Typed errors. Every message is one line that names the file, line or field and what was expected;
// `main` catches them once and maps them to exit codes (ConfigError: 2, everything else: 1).
#pragma once

#include <stdexcept>
#include <string>

namespace mer {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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
