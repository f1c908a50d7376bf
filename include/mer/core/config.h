// Generic configuration plumbing shared by every section of a run config (`frontend`, and later `data`,
// `model`, `train`): JSON files, dotted `--set a.b=value` overrides, and typed reading of an object's fields
// that rejects unknown keys listing the accepted ones.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mer/core/error.h"

namespace mer::config {

using Json = nlohmann::json;

// Parses a JSON file; errors name the file and, for syntax errors, the line and column.
Json LoadJsonFile(const std::filesystem::path& path);
// The same from text; `source` names it in errors ("<source>:<line>:<column>: invalid JSON: ...").
Json ParseJsonText(const std::string& text, const std::string& source);

// Applies one `a.b.c=value` override. The value is parsed as JSON when it is valid JSON (numbers, true, false,
// null, quoted strings, arrays) and taken as a plain string otherwise, so `frontend.mel_scale=htk` works unquoted.
// Intermediate objects are created; descending into a non-object is an error.
void ApplyOverride(Json& root, std::string_view assignment);
void ApplyOverrides(Json& root, const std::vector<std::string>& assignments);

// Formats a JSON value for an error message (strings quoted, compact).
std::string Describe(const Json& value);

// Throws ConfigError "<field> = <value> is invalid: expected <expected>".
[[noreturn]] void ThrowInvalid(const std::string& field, const Json& value, const std::string& expected);

// Reads the fields of one JSON object into a struct, converting types with errors that name the field
// (`frontend.n_fft`), and remembers which keys it saw so that RejectUnknownKeys() can list the accepted ones.
class FieldReader {
 public:
  // `section` is the dotted path of the object, e.g. "frontend"; a non-object value is an error.
  FieldReader(const Json& object, std::string section);

  // Reads `key` into *out when present; absent keys keep the struct's default. null is rejected.
  template <typename T>
  void Read(const std::string& key, T* out);

  // As Read, but JSON null is accepted and stored as std::nullopt.
  template <typename T>
  void ReadNullable(const std::string& key, std::optional<T>* out);

  // Reads a string that must be one of `choices`.
  void ReadChoice(const std::string& key, const std::vector<std::string>& choices, std::string* out);

  // Throws ConfigError naming the first unknown key and listing the accepted ones.
  void RejectUnknownKeys() const;

  std::string FieldName(const std::string& key) const;

 private:
  template <typename T>
  T Convert(const std::string& key, const Json& value) const;

  const Json& object_;
  std::string section_;
  std::vector<std::string> accepted_;
};

}  // namespace mer::config
