// A registry of named entries (datasets, models), filled by explicit RegisterBuiltin...() calls: Register adds or
// replaces an entry, Find returns it or throws a ConfigError naming the kind and listing the registered names.
// Thread-safe; entries are never removed, so references from Find stay valid.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "mer/core/error.h"
#include "mer/core/strings.h"

namespace mer {

template <typename Entry>
class NamedRegistry {
 public:
  explicit NamedRegistry(std::string kind) : kind_(std::move(kind)) {}

  void Register(const std::string& name, Entry entry) {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_[name] = std::move(entry);
  }
  std::vector<std::string> Names() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> names;
    for (const auto& [name, entry] : entries_) names.push_back(name);
    return names;
  }
  // The entry, or nullptr when none has that name.
  const Entry* TryFind(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }
  const Entry& Find(const std::string& name) const {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto it = entries_.find(name);
      if (it != entries_.end()) return it->second;
    }
    throw ConfigError("unknown " + kind_ + " '" + name + "'; registered: " + Joined(Names()));
  }

 private:
  std::string kind_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace mer
