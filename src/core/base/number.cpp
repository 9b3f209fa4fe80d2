#include "mlgate/base/number.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>

#include "mlgate/base/number_scan.hpp"

namespace mlgate {

bool is_missing_marker(std::string_view t) {
  // By length and first letter before any comparison: most values are none of these.
  auto is = [&](const char* m) { return std::memcmp(t.data(), m, t.size()) == 0; };
  switch (t.size()) {
    case 0:
      return true;
    case 2:
      return t[0] == 'N' && t[1] == 'A';
    case 3:
      if (t[0] == 'N') return is("NaN") || is("NAN") || is("N/A");
      return t[0] == 'n' && (is("nan") || is("n/a"));
    case 4:
      if (t[0] == 'n') return is("null");
      if (t[0] == 'N') return is("NULL") || is("None") || is("Null");
      return t[0] == '<' && is("<NA>");
    default:
      return false;
  }
}

bool parse_plain_decimal(std::string_view t, double* out, int* places) {
  const char* end = t.data() + t.size();
  const PlainDecimal d = scan_plain_decimal(t.data(), end);
  if (d.stop != end || !d.ok()) return false;
  *out = d.value();
  if (places) *places = d.frac;
  return true;
}

// parse_number for text that is not a plain decimal (exponents, spaces, '+', inf, nan).
bool parse_number_general(std::string_view t, double* out, bool* infinite) {
  if (infinite) *infinite = false;
  {
    // Text is told apart at its first letter: a number (or inf, nan) starts with one of these.
    std::size_t i = 0;
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (i >= t.size()) return false;
    const char c = t[i];
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'i' || c == 'I' || c == 'n' || c == 'N'))
      return false;
  }
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  if (t.empty()) return false;
  double v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ec == std::errc::result_out_of_range) {
    // Overflow is infinite; underflow rounds to zero as strtod does.
    v = std::strtod(std::string(t).c_str(), nullptr);
  } else if (r.ec != std::errc() || r.ptr != t.data() + t.size()) {
    return false;
  }
  if (std::isnan(v)) return false;
  if (std::isinf(v)) {
    if (infinite) *infinite = true;
    return false;
  }
  *out = v;
  return true;
}

bool parse_number(std::string_view t, double* out, bool* infinite) {
  if (infinite) *infinite = false;
  return parse_plain_decimal(t, out) || parse_number_general(t, out, infinite);
}

}  // namespace mlgate
