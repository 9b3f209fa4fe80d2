// Strict reading of YAML (and JSON converted to YAML nodes) configuration: every error names
// file:line:column and the key path, unknown keys get a did-you-mean. Private to the core.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "mlgate/base/error.hpp"
#include "mlgate/base/number.hpp"
#include "mlgate/base/text.hpp"

namespace mlgate {

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& path, const std::string& what,
                         const std::string& hint = {}) const {
    std::string where = file_;
    YAML::Mark m = node.Mark();
    if (!m.is_null() && m.line >= 0)
      where += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
    if (!path.empty()) where += ": " + path;
    throw Error(what, where, hint);
  }
  std::string at(const YAML::Node& node) const {
    YAML::Mark m = node.Mark();
    if (m.is_null() || m.line < 0) return file_;
    return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }

  std::string key(const YAML::Node& k, const std::string& path) const {
    if (!k.IsScalar()) fail(k, path, "a key must be a plain string");
    return k.Scalar();
  }

  // Checks a map's keys against the allowed ones, rejecting duplicates.
  void keys(const YAML::Node& node, const std::string& path,
            const std::vector<std::string>& allowed) const {
    if (!node.IsMap()) fail(node, path, "expected a mapping", "write it as key: value pairs");
    std::vector<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string k = key(it->first, path);
      std::string kp = path.empty() ? k : path + "." + k;
      if (std::find(seen.begin(), seen.end(), k) != seen.end())
        fail(it->first, kp, "duplicate key");
      seen.push_back(k);
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        std::string best = closest_name(k, allowed);
        std::string hint = best.empty() ? "allowed keys:" : "did you mean " + best + "?";
        if (best.empty())
          for (const auto& a : allowed) hint += " " + a;
        fail(it->first, kp, "unknown key", hint);
      }
    }
  }
  double number(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) fail(n, path, "expected a number");
    double v;
    if (!parse_number(n.Scalar(), &v))
      fail(n, path, "expected a number, found " + quote(n.Scalar()));
    return v;
  }
  std::int64_t integer(const YAML::Node& n, const std::string& path, std::int64_t lo,
                       std::int64_t hi) const {
    double v = number(n, path);
    if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi)) || v != std::floor(v))
      fail(n, path,
           "expected a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
    return static_cast<std::int64_t>(v);
  }
  std::string string(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) fail(n, path, "expected a string");
    return n.Scalar();
  }
  std::string choice(const YAML::Node& n, const std::string& path,
                     const std::vector<std::string>& options) const {
    std::string v = string(n, path);
    if (std::find(options.begin(), options.end(), v) == options.end()) {
      std::string hint = "use one of:";
      for (const auto& o : options) hint += " " + o;
      fail(n, path, "unknown value " + quote(v), hint);
    }
    return v;
  }
  // One of a fixed set of names, as the enum value it stands for (parsed once, here).
  template <class E>
  E choice(const YAML::Node& n, const std::string& path,
           const std::vector<std::pair<std::string, E>>& options) const {
    std::vector<std::string> names;
    names.reserve(options.size());
    for (const auto& o : options) names.push_back(o.first);
    const std::string v = choice(n, path, names);
    for (const auto& o : options)
      if (o.first == v) return o.second;
    return options.front().second;  // not reached: choice() failed on anything else
  }
  std::vector<std::string> strings(const YAML::Node& n, const std::string& path) const {
    std::vector<std::string> out;
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
      return out;
    }
    if (!n.IsSequence()) fail(n, path, "expected a list of strings");
    std::size_t i = 0;
    for (const auto& e : n) out.push_back(string(e, path + "[" + std::to_string(i++) + "]"));
    return out;
  }

 private:
  std::string file_;
};

// Parses text as YAML, or as JSON when the path ends in .json; errors name line and column.
YAML::Node parse_config_text(const std::string& text, const std::string& path);

}  // namespace mlgate
