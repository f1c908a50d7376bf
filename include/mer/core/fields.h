// A config section's fields declared once: key, default (the struct's own), what values are valid, one line of doc.
// The declaration drives reading (with unknown keys rejected), validation (ConfigError naming section.key, the value
// and the rule), the resolved JSON written to the run folder, and the generated reference (docs/config.md).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mer/core/config.h"

namespace mer::config {

// A validity predicate for a number in [lo, hi].
template <typename T>
std::function<bool(const T&)> Within(T lo, T hi) {
  return [lo, hi](const T& v) { return v >= lo && v <= hi; };
}

template <typename S>
class Fields {
 public:
  struct Field {
    std::string key;
    std::string rule;  // the valid values, as an error and the docs say them
    std::string doc;
    std::function<void(FieldReader&, S&)> read;
    std::function<bool(const S&)> valid;
    std::function<Json(const S&)> value;
    std::function<bool(const S&)> resolved;  // false: left out of the resolved JSON (a newer key at its default)
    // Rules that read other fields too: each a predicate on the section and the rule in words, with those values.
    std::vector<std::pair<std::function<bool(const S&)>, std::function<std::string(const S&)>>> cross = {};
  };

  explicit Fields(std::string section) : section_(std::move(section)) {}

  // A number or flag member with a validity predicate (`rule` says it in words).
  template <typename T>
  Fields& Add(const std::string& key, T S::*member, std::function<bool(const T&)> valid, std::string rule,
              std::string doc) {
    fields_.push_back({key, std::move(rule), std::move(doc),
                       [key, member](FieldReader& r, S& s) { r.Read(key, &(s.*member)); },
                       [member, valid](const S& s) { return valid(s.*member); },
                       [member](const S& s) { return Json(s.*member); }, [](const S&) { return true; }});
    return *this;
  }
  // A string member that must be one of `choices`.
  Fields& Choice(const std::string& key, std::string S::*member, std::vector<std::string> choices, std::string doc) {
    return NestedChoice(key, [member](auto& s) -> auto& { return s.*member; }, std::move(choices), std::move(doc));
  }
  // As Choice, for a string held deeper in the struct (`get` as for Nested).
  template <typename Get>
  Fields& NestedChoice(const std::string& key, Get get, std::vector<std::string> choices, std::string doc) {
    std::string rule = "one of";
    for (std::size_t i = 0; i < choices.size(); ++i) rule += (i ? ", \"" : " \"") + choices[i] + "\"";
    fields_.push_back({key, rule, std::move(doc),
                       [key, get, choices](FieldReader& r, S& s) {
                         r.ReadChoice(key, choices, static_cast<std::string*>(&get(s)));
                       },
                       [](const S&) { return true; }, [get](const S& s) { return Json(get(s)); },
                       [](const S&) { return true; }});
    return *this;
  }
  // A std::filesystem::path (`get` as for Nested), a string in JSON.
  template <typename Get>
  Fields& Path(const std::string& key, Get get, std::string rule, std::string doc) {
    fields_.push_back({key, std::move(rule), std::move(doc),
                       [key, get](FieldReader& r, S& s) {
                         std::string v = get(s).string();
                         r.Read(key, &v);
                         get(s) = v;
                       },
                       [](const S&) { return true; }, [get](const S& s) { return Json(get(s).string()); },
                       [](const S&) { return true; }});
    return *this;
  }
  // An optional number member: JSON null (the default when unset) or a value `valid` accepts.
  template <typename T>
  Fields& Nullable(const std::string& key, std::optional<T> S::*member, std::function<bool(const T&)> valid,
                   std::string rule, std::string doc) {
    fields_.push_back({key, std::move(rule), std::move(doc),
                       [key, member](FieldReader& r, S& s) { r.ReadNullable(key, &(s.*member)); },
                       [member, valid](const S& s) { return !(s.*member) || valid(*(s.*member)); },
                       [member](const S& s) { return (s.*member) ? Json(*(s.*member)) : Json(nullptr); },
                       [](const S&) { return true; }});
    return *this;
  }
  // A field held deeper in the struct (or converted): `get` is a generic lambda returning a reference to a T
  // from a const or non-const S, e.g. [](auto& c) -> auto& { return c.split.folds; }.
  template <typename T, typename Get>
  Fields& Nested(const std::string& key, Get get, std::function<bool(const T&)> valid, std::string rule,
                 std::string doc) {
    fields_.push_back({key, std::move(rule), std::move(doc),
                       [key, get](FieldReader& r, S& s) { r.Read(key, static_cast<T*>(&get(s))); },
                       [get, valid](const S& s) { return valid(get(s)); },
                       [get](const S& s) { return Json(get(s)); }, [](const S&) { return true; }});
    return *this;
  }
  // A free string member (checked elsewhere, e.g. a registered name).
  Fields& Text(const std::string& key, std::string S::*member, std::string rule, std::string doc) {
    fields_.push_back({key, std::move(rule), std::move(doc),
                       [key, member](FieldReader& r, S& s) { r.Read(key, &(s.*member)); }, [](const S&) { return true; },
                       [member](const S& s) { return Json(s.*member); }, [](const S&) { return true; }});
    return *this;
  }
  // A 64-bit integer member >= 0 (seeds, step counts): read exactly (FieldReader's uint64_t), not through a double
  // or a 32-bit int; a signed member is capped at its largest value.
  template <typename T>
  Fields& Count(const std::string& key, T S::*member, std::string doc) {
    const std::string field = section_ + "." + key;
    fields_.push_back({key, "an integer >= 0", std::move(doc),
                       [key, member, field](FieldReader& r, S& s) {
                         uint64_t v = static_cast<uint64_t>(s.*member);
                         r.Read(key, &v);
                         if (v > static_cast<uint64_t>(std::numeric_limits<T>::max())) ThrowInvalid(field, v, "an integer >= 0 that fits 64 bits");
                         s.*member = static_cast<T>(v);
                       },
                       [](const S&) { return true; }, [member](const S& s) { return Json(s.*member); },
                       [](const S&) { return true; }});
    return *this;
  }
  // The last field added is written to the resolved JSON only when it differs from the default, so runs made before
  // it existed resolve to the same config (and can be resumed).
  Fields& OnlyWhenSet() {
    Field& f = fields_.back();
    const S defaults{};
    const auto value = f.value;
    f.resolved = [value, defaults](const S& s) { return value(s) != value(defaults); };
    return *this;
  }

  // The last field added is written to the resolved JSON only when `when` holds (e.g. a group of keys that is
  // written together once any of them is set).
  Fields& OnlyWhen(std::function<bool(const S&)> when) {
    fields_.back().resolved = std::move(when);
    return *this;
  }
  // A rule of the last field that reads other fields too (checked after its own): `valid` sees the whole section,
  // `rule` says the valid values in words for the error, e.g. "an integer in [1, n_fft = 2048]".
  Fields& Where(std::function<bool(const S&)> valid, std::function<std::string(const S&)> rule) {
    fields_.back().cross.emplace_back(std::move(valid), std::move(rule));
    return *this;
  }
  // Appends `other`'s fields whose keys are not declared here yet (same section).
  Fields& Append(const Fields& other) {
    for (const Field& f : other.fields_) {
      if (!Has(f.key)) fields_.push_back(f);
    }
    return *this;
  }
  bool Has(const std::string& key) const {
    for (const Field& f : fields_) {
      if (f.key == key) return true;
    }
    return false;
  }
  std::vector<std::string> Keys() const {
    std::vector<std::string> keys;
    for (const Field& f : fields_) keys.push_back(f.key);
    return keys;
  }

  void Read(const Json& section, S* s) const {
    FieldReader r(section, section_);
    ReadFields(r, s);
    r.RejectUnknownKeys();
  }
  // Reads the declared keys through a reader that other keys are read from too (the caller rejects unknown keys).
  void ReadFields(FieldReader& r, S* s) const {
    for (const Field& f : fields_) f.read(r, *s);
  }
  // Reads the declared keys `object` holds, ignoring any other key (an object that holds more than this section).
  void ReadPresent(const Json& object, S* s) const {
    FieldReader r(object, section_);
    ReadFields(r, s);
  }
  void Validate(const S& s) const {
    for (const Field& f : fields_) {
      if (!f.valid(s)) ThrowInvalid(section_ + "." + f.key, f.value(s), f.rule);
      for (const auto& [valid, rule] : f.cross) {
        if (!valid(s)) ThrowInvalid(section_ + "." + f.key, f.value(s), rule(s));
      }
    }
  }
  // The resolved section (without the keys OnlyWhenSet / OnlyWhen leave out).
  Json ToJson(const S& s) const {
    Json j = Json::object();
    for (const Field& f : fields_) {
      if (f.resolved(s)) j[f.key] = f.value(s);
    }
    return j;
  }
  // One key's value (null when the key is not declared).
  Json Value(const std::string& key, const S& s) const {
    for (const Field& f : fields_) {
      if (f.key == key) return f.value(s);
    }
    return Json();
  }
  // | key | default | valid values | meaning |, one row per field.
  std::string Markdown() const {
    static const S defaults = S();
    std::string out = "| key | default | valid values | meaning |\n| --- | --- | --- | --- |\n";
    for (const Field& f : fields_) {
      out += "| `" + section_ + "." + f.key + "` | `" + Cell(f.value(defaults).dump()) + "` | " + Cell(f.rule) + " | " +
             Cell(f.doc) + " |\n";
    }
    return out;
  }
  const std::string& section() const { return section_; }

 private:
  // A table cell's text: a '|' escaped, a tab written as \t.
  static std::string Cell(const std::string& text) {
    std::string out;
    for (char c : text) out += c == '|' ? std::string("\\|") : c == '\t' ? std::string("\\t") : std::string(1, c);
    return out;
  }

  std::string section_;
  std::vector<Field> fields_;
};

}  // namespace mer::config
