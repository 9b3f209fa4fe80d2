// Numbers and missing values in text, as every reader and configuration parser reads them.
#pragma once

#include <string_view>

namespace mlgate {

// Whether text is one of the missing-value markers: "", NA, NaN, null and their usual spellings.
bool is_missing_marker(std::string_view text);
// Parses a finite number (leading/trailing spaces and a leading '+' allowed). Returns false for
// text that is not a number; sets *infinite for inf/-inf.
bool parse_number(std::string_view text, double* out, bool* infinite = nullptr);
// A plain decimal ([-]digits[.digits]) only, with its places after the point.
bool parse_plain_decimal(std::string_view text, double* out, int* places = nullptr);
// parse_number for text that is not a plain decimal (exponents, spaces, '+', inf, nan).
bool parse_number_general(std::string_view text, double* out, bool* infinite);

}  // namespace mlgate
