#include "mer/core/config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "mer/core/file_io.h"

namespace mer::config {
namespace {

constexpr int kMaxJsonDepth = 64;
constexpr std::uintmax_t kMaxConfigBytes = std::uintmax_t{16} << 20;

struct TooDeep {};
struct DuplicateKey {
  std::string key;  // dotted path, e.g. "train.lr"
};

// Json::parse with the nesting depth bounded (a deeply nested document would otherwise recurse without bound, here
// and in every later dump) and duplicate keys refused (the library keeps the last one silently, so a second "train"
// section would replace the first). Throws TooDeep, DuplicateKey, Json::parse_error, or Json::out_of_range for a
// number beyond a double.
Json ParseBounded(const std::string& text) {
  struct Open {
    std::set<std::string> keys;
    std::string last_key;
  };
  std::vector<Open> open;  // one per object or array being parsed
  return Json::parse(text, [&open](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth > kMaxJsonDepth) throw TooDeep{};
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        open.emplace_back();
        break;
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        if (!open.empty()) open.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open.empty() && parsed.is_string()) {
          const std::string key = parsed.get<std::string>();
          if (!open.back().keys.insert(key).second) {
            std::string path;
            for (std::size_t i = 0; i + 1 < open.size(); ++i) {
              if (!open[i].last_key.empty()) path += open[i].last_key + ".";
            }
            throw DuplicateKey{path + key};
          }
          open.back().last_key = key;
        }
        break;
      default:
        break;
    }
    return true;
  });
}

std::string DuplicateKeyMessage(const DuplicateKey& d) {
  return "key " + Describe(Json(d.key)) + " appears twice in one object (the last would silently win)";
}

}  // namespace

Json LoadJsonFile(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) throw ConfigError(path.string() + ": cannot open: " + ec.message());
  if (!std::filesystem::exists(status)) throw ConfigError(path.string() + ": config file not found");
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError(path.string() + ": is a directory, expected a JSON config file");
  }
  // A config is a regular file of at most 16 MiB: a FIFO or /dev/zero is refused before it is opened.
  if (const std::string why = WhyNotReadableFile(path, kMaxConfigBytes); !why.empty()) {
    throw ConfigError(path.string() + ": " + why);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path.string() + ": cannot open config file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseJsonText(buffer.str(), path.string());
}

Json ParseJsonText(const std::string& text, const std::string& source) {
  try {
    return ParseBounded(text);
  } catch (const TooDeep&) {
    throw ConfigError(source + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  } catch (const DuplicateKey& d) {
    throw ConfigError(source + ": " + DuplicateKeyMessage(d));
  } catch (const Json::out_of_range&) {  // 1e400: a number beyond a double
    throw ConfigError(source + ": a number is out of range (beyond a double)");
  } catch (const Json::parse_error& e) {
    // Translate the byte offset into line:column so the user can jump to it.
    const std::size_t offset = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n');
    const auto line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
    const std::size_t column = offset - (line_start == std::string::npos ? 0 : line_start + 1) + 1;
    std::string what = e.what();
    const auto colon = what.rfind(": ");
    if (colon != std::string::npos) what = what.substr(colon + 2);
    throw ConfigError(source + ":" + std::to_string(line) + ":" + std::to_string(column) +
                      ": invalid JSON: " + what);
  }
}

void ApplyOverride(Json& root, std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw ConfigError("--set " + std::string(assignment) + ": expected KEY=VALUE, e.g. frontend.n_mels=64");
  }
  const std::string key(assignment.substr(0, eq));
  const std::string text(assignment.substr(eq + 1));
  Json value;
  try {
    value = ParseBounded(text);
  } catch (const Json::parse_error&) {
    value = text;  // unquoted strings such as `htk` or `reflect`
  } catch (const TooDeep&) {
    throw ConfigError("--set " + key + ": the value is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  } catch (const DuplicateKey& d) {
    throw ConfigError("--set " + key + ": in the value, " + DuplicateKeyMessage(d));
  } catch (const Json::out_of_range&) {
    throw ConfigError("--set " + key + ": the number is out of range (beyond a double)");
  }
  if (!root.is_object()) root = Json::object();
  Json* node = &root;
  std::string walked;
  std::size_t start = 0;
  while (true) {
    const auto dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) throw ConfigError("--set " + std::string(assignment) + ": empty component in key '" + key + "'");
    walked += (walked.empty() ? "" : ".") + part;
    if (dot == std::string::npos) {
      (*node)[part] = value;
      return;
    }
    Json& child = (*node)[part];
    if (child.is_null()) child = Json::object();
    if (!child.is_object()) {
      throw ConfigError("--set " + std::string(assignment) + ": '" + walked + "' is " + Describe(child) +
                        ", not an object");
    }
    node = &child;
    start = dot + 1;
  }
}

void ApplyOverrides(Json& root, const std::vector<std::string>& assignments) {
  for (const auto& a : assignments) ApplyOverride(root, a);
}

std::string Describe(const Json& value) {
  // Error messages stay one readable line: a long value is cut, with its length.
  constexpr std::size_t kMaxShown = 120;
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);  // invalid UTF-8 shown as U+FFFD
  if (text.size() <= kMaxShown) return text;
  return text.substr(0, kMaxShown) + "... (" + std::to_string(text.size()) + " characters)";
}

void ThrowInvalid(const std::string& field, const Json& value, const std::string& expected) {
  throw ConfigError(field + " = " + Describe(value) + " is invalid: expected " + expected);
}

FieldReader::FieldReader(const Json& object, std::string section) : object_(object), section_(std::move(section)) {
  if (!object_.is_object()) ThrowInvalid(section_, object_, "a JSON object");
}

std::string FieldReader::FieldName(const std::string& key) const {
  return section_.empty() ? key : section_ + "." + key;
}

template <>
int FieldReader::Convert<int>(const std::string& key, const Json& v) const {
  if (v.is_number_integer() || v.is_number_unsigned()) {
    const auto i = v.get<int64_t>();
    if (i >= INT32_MIN && i <= INT32_MAX) return static_cast<int>(i);
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 2e9) return static_cast<int>(d);
  }
  ThrowInvalid(FieldName(key), v, "an integer");
}

// Seeds and step counts: 64-bit and >= 0, read exactly (a JSON integer up to 2^64 - 1, or a float with an integral
// value below 2^53, where doubles are still exact).
template <>
uint64_t FieldReader::Convert<uint64_t>(const std::string& key, const Json& v) const {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d >= 0 && d == std::floor(d) && d < 9007199254740992.0) return static_cast<uint64_t>(d);
  }
  ThrowInvalid(FieldName(key), v, "an integer >= 0");
}

template <>
double FieldReader::Convert<double>(const std::string& key, const Json& v) const {
  if (v.is_number()) return v.get<double>();
  ThrowInvalid(FieldName(key), v, "a number");
}

template <>
bool FieldReader::Convert<bool>(const std::string& key, const Json& v) const {
  if (v.is_boolean()) return v.get<bool>();
  ThrowInvalid(FieldName(key), v, "true or false");
}

template <>
std::string FieldReader::Convert<std::string>(const std::string& key, const Json& v) const {
  if (v.is_string()) return v.get<std::string>();
  ThrowInvalid(FieldName(key), v, "a string");
}

template <>
std::vector<std::string> FieldReader::Convert<std::vector<std::string>>(const std::string& key, const Json& v) const {
  if (v.is_array() && std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_string(); })) {
    return v.get<std::vector<std::string>>();
  }
  ThrowInvalid(FieldName(key), v, "a list of strings");
}

template <>
std::vector<double> FieldReader::Convert<std::vector<double>>(const std::string& key, const Json& v) const {
  if (v.is_array() && std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_number(); })) {
    return v.get<std::vector<double>>();
  }
  ThrowInvalid(FieldName(key), v, "a list of numbers");
}

template <typename T>
void FieldReader::Read(const std::string& key, T* out) {
  accepted_.push_back(key);
  const auto it = object_.find(key);
  if (it == object_.end()) return;
  *out = Convert<T>(key, *it);
}

template <typename T>
void FieldReader::ReadNullable(const std::string& key, std::optional<T>* out) {
  accepted_.push_back(key);
  const auto it = object_.find(key);
  if (it == object_.end()) return;
  if (it->is_null()) {
    out->reset();
  } else {
    *out = Convert<T>(key, *it);
  }
}

void FieldReader::ReadChoice(const std::string& key, const std::vector<std::string>& choices, std::string* out) {
  accepted_.push_back(key);
  const auto it = object_.find(key);
  if (it == object_.end()) return;
  std::string joined;
  for (const auto& c : choices) joined += (joined.empty() ? "" : ", ") + ("\"" + c + "\"");
  if (!it->is_string() || std::find(choices.begin(), choices.end(), it->get<std::string>()) == choices.end()) {
    ThrowInvalid(FieldName(key), *it, "one of " + joined);
  }
  *out = it->get<std::string>();
}

void FieldReader::RejectUnknownKeys() const {
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (std::find(accepted_.begin(), accepted_.end(), it.key()) != accepted_.end()) continue;
    std::string valid;
    for (const auto& k : accepted_) valid += (valid.empty() ? "" : ", ") + k;
    throw ConfigError("unknown key '" + FieldName(it.key()) + "'; valid keys of " +
                      (section_.empty() ? std::string("the config") : "'" + section_ + "'") + ": " + valid);
  }
}

template void FieldReader::Read<int>(const std::string&, int*);
template void FieldReader::Read<double>(const std::string&, double*);
template void FieldReader::Read<uint64_t>(const std::string&, uint64_t*);
template void FieldReader::Read<bool>(const std::string&, bool*);
template void FieldReader::Read<std::string>(const std::string&, std::string*);
template void FieldReader::Read<std::vector<std::string>>(const std::string&, std::vector<std::string>*);
template void FieldReader::Read<std::vector<double>>(const std::string&, std::vector<double>*);
template void FieldReader::ReadNullable<int>(const std::string&, std::optional<int>*);
template void FieldReader::ReadNullable<double>(const std::string&, std::optional<double>*);

}  // namespace mer::config
