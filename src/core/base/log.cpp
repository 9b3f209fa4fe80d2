#include "mlgate/base/log.hpp"

#include "mlgate/base/runtime.hpp"

#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <vector>

namespace mlgate {

namespace {

// Length of the valid UTF-8 sequence at s[i] (1-4), or 0 if the bytes there are not one; cp gets
// the code point.
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t* cp) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  std::size_t n;
  char32_t v;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    n = 2, v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, v = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, v = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(i + k) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
      (v >= 0xD800 && v <= 0xDFFF))
    return 0;
  *cp = v;
  return n;
}

bool needs_escape(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

bool is_word_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

}  // namespace

std::string log_safe(std::string_view s, std::size_t max_bytes, bool at_line_start) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes) + 16);
  char buf[16];
  std::size_t i = 0;
  // A line that starts (after blanks) with "::" would be a GitHub workflow command.
  std::size_t lead = 0;
  while (lead < s.size() && (s[lead] == ' ' || s[lead] == '\t')) ++lead;
  while (i < s.size()) {
    if (out.size() >= max_bytes) break;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) {
      if (c == '\n')
        out += "\\n";
      else if (c == '\r')
        out += "\\r";
      else if (c == '\t')
        out += "\\t";
      else {
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      }
      ++i;
      continue;
    }
    if (c == ':' && at_line_start && i == lead && i + 1 < s.size() && s[i + 1] == ':') {
      out += ":\\x3a";
      i += 2;
      continue;
    }
    if (c == '#' && i + 1 < s.size() && s[i + 1] == '#') {
      std::size_t j = i + 2;
      while (j < s.size() && is_word_byte(s[j])) ++j;
      if (j < s.size() && s[j] == '[') {  // ##vso[, ##teamcity[, ##[group]
        out += "#\\x23";
        i += 2;
        continue;
      }
    }
    char32_t cp;
    std::size_t n = utf8_sequence(s, i, &cp);
    if (n == 0) {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
      ++i;
    } else if (needs_escape(cp)) {
      std::snprintf(buf, sizeof buf, "\\u{%04x}", static_cast<unsigned>(cp));
      out += buf;
      i += n;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  if (i < s.size()) out += "... (" + std::to_string(s.size() - i) + " bytes cut)";
  return out;
}

void log_line(std::string_view line) {
  std::string out = log_safe(line);
  out += '\n';
  std::fflush(stderr);
  std::size_t off = 0;
  while (off < out.size()) {
    ssize_t w = ::write(2, out.data() + off, out.size() - off);
    if (w <= 0) break;  // nothing more can be said on a closed stderr
    off += static_cast<std::size_t>(w);
  }
}

namespace {

std::string vformat(const char* fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(nullptr, 0, fmt, ap);
  std::string s;
  if (n > 0) {
    s.resize(static_cast<std::size_t>(n) + 1);
    std::vsnprintf(s.data(), s.size(), fmt, ap2);
    s.resize(static_cast<std::size_t>(n));
  }
  va_end(ap2);
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

void log_vprintf(const char* fmt, va_list ap) { log_line(vformat(fmt, ap)); }

}  // namespace

void log_printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_vprintf(fmt, ap);
  va_end(ap);
}

void log_info(const char* fmt, ...) {
  if (runtime().quiet) return;
  va_list ap;
  va_start(ap, fmt);
  log_vprintf(fmt, ap);
  va_end(ap);
}

bool verbose() { return runtime().verbose; }

namespace {
std::string g_tool = "mlgate";
}  // namespace

void set_tool_name(const std::string& tool) { g_tool = tool; }
const std::string& tool_name() { return g_tool; }

void log_verbose(const char* fmt, ...) {
  if (!runtime().verbose) return;
  va_list ap;
  va_start(ap, fmt);
  log_line(g_tool + ": " + vformat(fmt, ap));
  va_end(ap);
}

}  // namespace mlgate
