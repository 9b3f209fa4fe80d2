#include "yaml_reader.hpp"

#include <nlohmann/json.hpp>

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
  if (ends_with(path, ".json")) {
    try {
      return from_json(nlohmann::json::parse(text));
    } catch (const nlohmann::json::out_of_range&) {
      throw Error("invalid JSON: a number is out of range", path, "numbers must fit a double");
    } catch (const nlohmann::json::parse_error& e) {
      // Turn the byte offset into line and column.
      std::size_t line = 1, col = 1;
      for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
          ++line;
          col = 1;
        } else {
          ++col;
        }
      }
      std::string what = e.what();
      throw Error("invalid JSON", path + ":" + std::to_string(line) + ":" + std::to_string(col),
                  what.substr(what.find(':') + 2));
    }
  }
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(
        "invalid YAML: " + e.msg,
        path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1),
        "check indentation and quoting");
  }
}

}  // namespace mlgate
