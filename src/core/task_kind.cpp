#include "mer/core/task_kind.h"

#include "mer/core/error.h"
#include "mer/core/strings.h"

namespace mer {
namespace {

std::vector<TaskKind> MakeTasks() {
  const std::vector<std::string> regression_monitors = {"r2", "pearson", "ccc"};
  const std::vector<std::string> class_monitors = {"accuracy", "f1_macro"};
  const std::vector<std::string> va_headline = {"valence.r2", "arousal.r2", "r2", "rmse", "pearson",
                                                "retrieval.music_to_emotion.mrr", "retrieval.emotion_to_music.mrr"};
  std::vector<TaskKind> tasks(5);
  TaskKind& regression = tasks[0];
  regression.name = "regression";
  regression.description = "valence/arousal per track (z-scored targets, MSE)";
  regression.valence_arousal = regression.quadrants = regression.needs_valence_arousal = true;
  regression.default_monitor = "r2";
  regression.monitors = regression_monitors;
  regression.headline = va_headline;

  TaskKind& tagging = tasks[1];
  tagging.name = "tagging";
  tagging.description = "multi-label tags (sigmoid + binary cross-entropy)";
  tagging.tagging = true;
  tagging.default_monitor = "f1_micro";
  tagging.monitors = {"f1_micro", "f1_macro", "f1_samples", "roc_auc_macro", "average_precision_macro"};
  tagging.headline = {"f1_micro", "f1_macro", "roc_auc_macro", "average_precision_macro"};

  TaskKind& quadrants = tasks[2];
  quadrants.name = "quadrants";
  quadrants.description = "Russell quadrant Q1..Q4 from valence/arousal (softmax + cross-entropy)";
  quadrants.classification = quadrants.quadrants = quadrants.needs_valence_arousal = true;
  quadrants.default_monitor = "accuracy";
  quadrants.monitors = class_monitors;
  quadrants.headline = class_monitors;

  TaskKind& classes = tasks[3];
  classes.name = "classes";
  classes.description = "one class per item from the dataset's class labels (softmax + cross-entropy)";
  classes.classification = true;
  classes.default_monitor = "accuracy";
  classes.monitors = class_monitors;
  classes.headline = class_monitors;

  TaskKind& dynamic = tasks[4];
  dynamic.name = "dynamic";
  dynamic.description = "valence/arousal per window from the 2 Hz curves";
  dynamic.valence_arousal = dynamic.dynamic = dynamic.quadrants = dynamic.needs_valence_arousal = true;
  dynamic.default_monitor = "r2";
  dynamic.monitors = regression_monitors;
  dynamic.headline = va_headline;
  return tasks;
}

}  // namespace

const std::vector<TaskKind>& Tasks() {
  static const std::vector<TaskKind> tasks = MakeTasks();
  return tasks;
}

const TaskKind* FindTask(const std::string& name) {
  for (const TaskKind& t : Tasks()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::vector<std::string> TaskNameList() {
  std::vector<std::string> names;
  for (const TaskKind& t : Tasks()) names.push_back(t.name);
  return names;
}

std::string TaskNames() { return Joined(TaskNameList()); }

const TaskKind& TaskNamed(const std::string& name) {
  const TaskKind* t = FindTask(name);
  if (t == nullptr) throw InputError("unknown task '" + name.substr(0, 40) + "' (known: " + TaskNames() + ")");
  return *t;
}

}  // namespace mer
