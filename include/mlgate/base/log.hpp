// Every human-facing line mlgate writes to stderr goes through here, so text from data can never
// act on a CI log: control bytes, newlines, invalid UTF-8, C1 and bidi controls, and log commands
// (GitHub's `::cmd::` at a line start, Azure's `##vso[`, TeamCity's `##teamcity[`) are escaped,
// and a line is cut to a bounded length.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mlgate {

// Longest line log_line writes, in bytes after escaping (the rest is cut and counted).
inline constexpr std::size_t kMaxLogLine = 4096;

// s made inert for a log: \n \r \t as those two-character escapes, other control bytes and
// invalid UTF-8 as \xNN, C1 controls, U+2028/2029 and bidi overrides as \u{XXXX}; the second
// '#' of "##word[" as \x23; a leading "::" as ":\x3a". At most max_bytes of output, then
// "... (N bytes cut)". Always valid UTF-8.
// at_line_start: s begins a log line (false for text that follows a prefix of ours).
std::string log_safe(std::string_view s, std::size_t max_bytes = kMaxLogLine,
                     bool at_line_start = true);

// Writes log_safe(line) and a newline to stderr in one write.
void log_line(std::string_view line);

// printf-style log_line (one trailing newline in the format is dropped, then re-added).
void log_printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// log_printf for what a run reports when it goes well (summaries, checks, what it wrote): nothing
// under --quiet. Errors and warnings go through log_printf and are never silenced.
void log_info(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// The running tool's name ("mlgate-eval"; run_main sets it): progress and verbose lines start
// with it.
void set_tool_name(const std::string& tool);
const std::string& tool_name();

// log_printf for --verbose only, after "<tool>: ": what was read, chosen and sent (never a
// credential).
void log_verbose(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
bool verbose();

}  // namespace mlgate
