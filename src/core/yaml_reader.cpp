#include "yaml_reader.hpp"

#include <nlohmann/json.hpp>

#include "mlgate/json.hpp"

namespace mlgate {

namespace {

// JSON policies are converted to YAML nodes so one validator serves both.
YAML::Node from_json(const nlohmann::json& j) {
  YAML::Node n;
  if (j.is_object()) {
    n = YAML::Node(YAML::NodeType::Map);
    for (auto it = j.begin(); it != j.end(); ++it) n[it.key()] = from_json(it.value());
  } else if (j.is_array()) {
    n = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& v : j) n.push_back(from_json(v));
  } else if (j.is_string()) {
    n = j.get<std::string>();
  } else if (j.is_null()) {
    n = YAML::Node(YAML::NodeType::Null);
  } else {
    n = j.dump();
  }
  return n;
}

}  // namespace

YAML::Node parse_config_text(const std::string& text, const std::string& path) {
  if (ends_with(path, ".json")) return from_json(parse_json(text, path));
  try {
    // A second document in a configuration file would be silently ignored: refuse it.
    std::vector<YAML::Node> docs = YAML::LoadAll(text);
    if (docs.size() > 1) {
      YAML::Mark m = docs[1].Mark();
      std::string where = location(path, m.is_null() ? 0 : m.line + 1);
      throw Error("a second YAML document in the file", where,
                  "one policy or suite per file; remove the '---' and what follows, or merge them");
    }
    return docs.empty() ? YAML::Node() : docs[0];
  } catch (const YAML::Exception& e) {
    throw Error(
        "invalid YAML: " + e.msg,
        path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1),
        "check indentation and quoting");
  }
}

}  // namespace mlgate
