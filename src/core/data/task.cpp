#include "mlgate/data/task.hpp"

#include "mlgate/base/error.hpp"

namespace mlgate {

Task parse_task(const std::string& name) {
  if (name == "binary") return Task::kBinary;
  if (name == "multiclass") return Task::kMulticlass;
  if (name == "regression") return Task::kRegression;
  throw Error("unknown task " + quote(name), "task", "use binary, multiclass or regression");
}

const char* task_name(Task t) {
  switch (t) {
    case Task::kBinary:
      return "binary";
    case Task::kMulticlass:
      return "multiclass";
    default:
      return "regression";
  }
}

}  // namespace mlgate
