// The registry template datasets and models share: entries by name, and an unknown name is a ConfigError naming
// the kind and listing every registered name.
#include <thread>

#include <gtest/gtest.h>

#include "mer/core/registry.h"

namespace mer {
namespace {

TEST(NamedRegistry, FindsByNameAndListsTheRegisteredOnesForAnUnknownName) {
  NamedRegistry<int> registry("widget");
  registry.Register("b", 2);
  registry.Register("a", 1);
  registry.Register("b", 3);  // replaces
  EXPECT_EQ(registry.Find("a"), 1);
  EXPECT_EQ(registry.Find("b"), 3);
  EXPECT_EQ(registry.Names(), (std::vector<std::string>{"a", "b"}));
  try {
    registry.Find("c");
    FAIL() << "no error for an unknown name";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "unknown widget 'c'; registered: a, b");
  }
}

TEST(NamedRegistry, RegistersFromManyThreads) {
  NamedRegistry<int> registry("widget");
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&registry, t] {
      for (int i = 0; i < 100; ++i) registry.Register("w" + std::to_string(t * 100 + i), i);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(registry.Names().size(), 800u);
  EXPECT_EQ(registry.Find("w799"), 99);
}

}  // namespace
}  // namespace mer
