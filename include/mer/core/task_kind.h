// The tasks a run can learn, one object each: what the targets are, how outputs turn into predictions, which
// validation metrics can be monitored and which are the headline ones. The only place a task's name is compared;
// everything else asks its TaskKind (no LibTorch: the CLI, the report and the models share it).
#pragma once

#include <string>
#include <vector>

namespace mer {

struct TaskKind {
  std::string name;
  std::string description;
  bool classification = false;   // one class per item: softmax + cross-entropy, target = class index
  bool tagging = false;          // several tags per item: sigmoid + binary cross-entropy
  bool valence_arousal = false;   // valence/arousal values are the targets (per track, or per window if dynamic)
  bool dynamic = false;           // valence/arousal curves, scored per window
  bool quadrants = false;         // every target has a Russell quadrant (its labels are valence/arousal)
  bool needs_valence_arousal = false;  // the dataset must have valence and arousal labels
  std::string default_monitor;              // train.monitor "auto"
  std::vector<std::string> monitors;        // valid train.monitor values (larger is better)
  std::vector<std::string> headline;        // the metrics `mer report` shows first
};

// regression, tagging, quadrants, classes, dynamic, in that order.
const std::vector<TaskKind>& Tasks();
// The task called `name`, or nullptr.
const TaskKind* FindTask(const std::string& name);
// The task called `name`; mer::InputError naming the known ones when there is none.
const TaskKind& TaskNamed(const std::string& name);
// "regression, tagging, quadrants, classes, dynamic"
std::string TaskNames();
// Every task's name, in declaration order (what a model that learns any task lists).
std::vector<std::string> TaskNameList();

}  // namespace mer
