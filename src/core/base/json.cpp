#include "mlgate/base/json.hpp"

#include <set>
#include <vector>

#include "mlgate/base/error.hpp"

namespace mlgate {

namespace {

std::string line_col(std::string_view text, std::size_t byte) {
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

// One linear scan for nesting depth, before any parser recurses or allocates for it.
void check_depth(std::string_view text, const std::string& where, int max_depth) {
  std::size_t at = scan_nesting(text, max_depth).too_deep_at;
  if (at != std::string_view::npos)
    throw Error("JSON nested deeper than " + std::to_string(max_depth) + " levels",
                where + ":" + line_col(text, at), "no mlgate document nests this deep");
}

std::string pointer_escape(const std::string& k) {
  std::string o;
  for (char c : k) {
    if (c == '~')
      o += "~0";
    else if (c == '/')
      o += "~1";
    else
      o += c;
  }
  return o;
}

template <class Json>
Json parse_impl(std::string_view text, const std::string& where, JsonLimits limits) {
  check_depth(text, where, limits.max_depth);
  // The path of keys and array positions to the value being parsed, and each open object's keys.
  struct Frame {
    bool object;
    std::set<std::string> keys;
    std::string key;
    std::size_t index = 0;
  };
  std::vector<Frame> stack;
  auto pointer = [&] {
    std::string p;
    for (const auto& f : stack)
      p += "/" + (f.object ? pointer_escape(f.key) : std::to_string(f.index));
    return p;
  };
  typename Json::parser_callback_t cb = [&](int, nlohmann::json::parse_event_t ev, Json& v) {
    using E = nlohmann::json::parse_event_t;
    switch (ev) {
      case E::object_start:
        stack.push_back({true, {}, {}, 0});
        break;
      case E::array_start:
        stack.push_back({false, {}, {}, 0});
        break;
      case E::key: {
        Frame& f = stack.back();
        f.key = v.template get<std::string>();
        if (limits.reject_duplicate_keys && !f.keys.insert(f.key).second)
          throw Error("duplicate key " + quote(f.key), where + ": " + pointer(),
                      "each key may appear once in an object");
        break;
      }
      case E::object_end:
      case E::array_end:
        stack.pop_back();
        if (!stack.empty() && !stack.back().object) ++stack.back().index;
        break;
      case E::value:
        if (!stack.empty() && !stack.back().object) ++stack.back().index;
        break;
    }
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), cb);
  } catch (const nlohmann::json::out_of_range&) {
    throw Error("invalid JSON: a number is out of range", where, "numbers must fit a double");
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    auto colon = what.find(": ", what.find("parse error"));
    std::string detail = colon == std::string::npos ? what : what.substr(colon + 2);
    throw Error("invalid JSON", where + ":" + line_col(text, e.byte > 0 ? e.byte - 1 : 0), detail);
  }
}

}  // namespace

JsonNesting scan_nesting(std::string_view text, int max_depth, bool stop_at_first_end) {
  JsonNesting out;
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth && out.too_deep_at == std::string_view::npos) {
        out.too_deep_at = i;
        if (!stop_at_first_end) return out;
      }
    } else if ((c == ']' || c == '}') && --depth == 0 && out.first_end == std::string_view::npos) {
      out.first_end = i + 1;
      if (stop_at_first_end) return out;
    }
  }
  return out;
}

nlohmann::json parse_json(std::string_view text, const std::string& where, JsonLimits limits) {
  return parse_impl<nlohmann::json>(text, where, limits);
}

nlohmann::ordered_json parse_ordered_json(std::string_view text, const std::string& where,
                                          JsonLimits limits) {
  return parse_impl<nlohmann::ordered_json>(text, where, limits);
}

}  // namespace mlgate
