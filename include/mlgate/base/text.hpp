// Small string helpers shared by the readers, the policy parser and the reports.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlgate {

std::string_view trim(std::string_view s);
bool ends_with(std::string_view s, std::string_view suffix);
bool starts_with(std::string_view s, std::string_view prefix);
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to name by edit distance, if close enough to be a likely typo; else "".
std::string closest_name(std::string_view name, const std::vector<std::string>& candidates);
// The hint for a value that is not one of `choices`: "did you mean 'x'? one of a, b, c" (the
// question only when one is close).
std::string did_you_mean(std::string_view value, const std::vector<std::string>& choices);
// Formats a double the shortest way that reads back to the same value.
std::string format_number(double v);
// Formats with a fixed number of significant digits, for human summaries.
std::string format_short(double v, int digits = 4);

}  // namespace mlgate
