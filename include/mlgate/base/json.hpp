// Reading JSON from outside (policies, suites, result documents, registries, API answers) with
// bounded nesting and, where a document is a configuration or evidence, no duplicate keys: the
// last of two keys silently winning is how a policy or a result gets quietly rewritten.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace mlgate {

// Deeper nesting than this is an error: no mlgate document comes near it, and it keeps every
// recursive walk (conversion, dump, copy) far from the stack's end.
inline constexpr int kMaxJsonDepth = 128;

struct JsonLimits {
  int max_depth = kMaxJsonDepth;
  bool reject_duplicate_keys = true;
};

// One string-aware pass over JSON text: where nesting first goes deeper than max_depth, and where
// the first top-level array or object closes (npos for either when it does not happen). With
// stop_at_first_end the scan ends there.
struct JsonNesting {
  std::size_t too_deep_at = std::string_view::npos, first_end = std::string_view::npos;
};
JsonNesting scan_nesting(std::string_view text, int max_depth, bool stop_at_first_end = false);

// Parses text; throws Error naming where (file:line:column for syntax and depth, file and the
// key's JSON pointer for a duplicate) and what. Numbers out of a double's range are errors too.
nlohmann::json parse_json(std::string_view text, const std::string& where, JsonLimits limits = {});
nlohmann::ordered_json parse_ordered_json(std::string_view text, const std::string& where,
                                          JsonLimits limits = {});

}  // namespace mlgate
