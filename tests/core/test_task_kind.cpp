// The task module: one declared object per task, each self-consistent, and the lookups the rest of mer uses.
#include <algorithm>

#include <gtest/gtest.h>

#include "mer/core/error.h"
#include "mer/core/task_kind.h"

namespace mer {
namespace {

TEST(TaskKind, EveryTaskIsDeclaredOnceAndIsConsistent) {
  ASSERT_EQ(TaskNames(), "regression, tagging, quadrants, classes, dynamic");
  EXPECT_EQ(TaskNameList(), (std::vector<std::string>{"regression", "tagging", "quadrants", "classes", "dynamic"}));
  for (const TaskKind& t : Tasks()) {
    SCOPED_TRACE(t.name);
    EXPECT_EQ(FindTask(t.name), &t);
    EXPECT_FALSE(t.description.empty());
    // Exactly one kind of target.
    EXPECT_EQ(int(t.classification) + int(t.tagging) + int(t.valence_arousal), 1);
    EXPECT_TRUE(!t.dynamic || t.valence_arousal);
    // A task whose targets have quadrants needs valence/arousal labels, and the other way round.
    EXPECT_EQ(t.quadrants, t.needs_valence_arousal);
    EXPECT_NE(std::find(t.monitors.begin(), t.monitors.end(), t.default_monitor), t.monitors.end());
    EXPECT_FALSE(t.headline.empty());
  }
  EXPECT_TRUE(FindTask("quadrants")->classification && FindTask("quadrants")->quadrants);
  EXPECT_TRUE(FindTask("classes")->classification && !FindTask("classes")->quadrants);
  EXPECT_EQ(FindTask("tagging")->default_monitor, "f1_micro");
  EXPECT_EQ(FindTask("dynamic")->default_monitor, "r2");
}

TEST(TaskKind, UnknownNames) {
  EXPECT_EQ(FindTask("auto"), nullptr);
  EXPECT_EQ(FindTask("Regression"), nullptr);
  try {
    TaskNamed("segmentation");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "unknown task 'segmentation' (known: regression, tagging, quadrants, classes, dynamic)");
  }
}

}  // namespace
}  // namespace mer
