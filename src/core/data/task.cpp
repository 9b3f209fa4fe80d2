#include "mlgate/data/task.hpp"

#include "mlgate/base/error.hpp"

namespace mlgate {

Task parse_task(const std::string& name) {
  if (name == "binary") return Task::kBinary;
  if (name == "multiclass") return Task::kMulticlass;
  if (name == "regression") return Task::kRegression;
  if (name == "ranking") return Task::kRanking;
  throw Error("unknown task " + quote(name), "task",
              "use binary, multiclass, regression or ranking");
}

const char* task_name(Task t) {
  switch (t) {
    case Task::kBinary:
      return "binary";
    case Task::kMulticlass:
      return "multiclass";
    case Task::kRanking:
      return "ranking";
    default:
      return "regression";
  }
}

}  // namespace mlgate
