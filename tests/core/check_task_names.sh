#!/usr/bin/env bash
# Fails (listing the lines) when a task's name is compared outside the task module (src/core/task_kind.cpp):
# `task == "tagging"`, `spec.task != "dynamic"`, `t.task == "classes"`, ... anywhere in src/ or include/.
cd "${1:-.}" || exit 2
hits=$(grep -rnE 'task_? *[!=]= *"(regression|tagging|quadrants|classes|dynamic)"' src include \
         --include='*.cpp' --include='*.h' | grep -v '^src/core/task_kind.cpp:')
if [ -n "$hits" ]; then
  echo "task names compared outside src/core/task_kind.cpp (ask the task's TaskKind instead):"
  echo "$hits"
  exit 1
fi
echo "ok: task names are compared only in src/core/task_kind.cpp"
