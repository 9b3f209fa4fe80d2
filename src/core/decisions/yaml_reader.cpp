#include "yaml_reader.hpp"

#include <nlohmann/json.hpp>

#include "mlgate/base/json.hpp"

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
  // A second document in a configuration file would be silently ignored: refuse it. Found in
  // the text (a "---" or "..." line at column 0 after content, then more content), since
  // yaml-cpp's LoadAll can loop for ever on malformed input.
  {
    bool content = false, marker = false;
    std::int64_t line_no = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
      std::size_t nl = text.find('\n', pos);
      std::string_view line(text.data() + pos, (nl == std::string::npos ? text.size() : nl) - pos);
      ++line_no;
      bool is_marker = (starts_with(line, "---") || starts_with(line, "...")) &&
                       (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
      std::string_view t = trim(line);
      bool blank = t.empty() || t.front() == '#' || (!content && t.front() == '%');
      bool second = false;
      if (is_marker) {
        marker = marker || content;
        std::string_view rest = trim(line.substr(3));
        second = marker && !rest.empty() && rest.front() != '#';
      } else if (!blank) {
        second = marker;
        content = true;
      }
      if (second)
        throw Error(
            "a second YAML document in the file", location(path, line_no),
            "one policy or suite per file; remove the '---' and what follows, or merge them");
      if (nl == std::string::npos) break;
      pos = nl + 1;
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
