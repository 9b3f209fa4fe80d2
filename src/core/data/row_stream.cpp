// Rows streamed as they are, for a model command's standard input: the table in its own format
// with the label (and any other named column) left out, a block at a time. Nothing is parsed
// into columns; CSV fields are re-quoted only where they need it.
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "byte_source.hpp"
#include "format.hpp"
#include "mlgate/base/error.hpp"
#include "mlgate/base/text.hpp"
#include "mlgate/data/table.hpp"
#include "text_source.hpp"

namespace mlgate {

void stream_rows(const std::string& path, TableFormat format, const std::vector<std::string>& drop,
                 const std::function<void(std::string_view)>& sink) {
  using namespace reader;
  InputStream in = InputStream::open(path, nullptr);
  ByteBuffer pending;
  bool eof = false;
  auto fill = [&](std::size_t want) { fill_to(in, pending, want, eof); };
  const std::size_t block = 1u << 20;
  fill(block);
  const TextStart start =
      detect_format(path, std::string_view(pending.data(), pending.size()), format);
  pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(start.skip));
  format = start.format;
  const char delim = format == TableFormat::kTsv ? '\t' : ',';
  RecordSplitter splitter(delim);
  std::vector<std::string_view> fields;
  std::vector<std::uint8_t> keep;
  bool header_done = format == TableFormat::kJsonl;
  std::int64_t line = 1;
  std::string out;
  for (;;) {
    std::size_t cut =
        eof ? pending.size() : last_record_end(pending.data(), pending.size(), format);
    if (cut == 0 && !eof) {
      fill(pending.size() * 2);
      continue;
    }
    char* p = pending.data();
    char* end = p + cut;
    if (format == TableFormat::kJsonl) {
      while (p < end) {
        char* nl = static_cast<char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        char* le = nl ? nl : end;
        std::string_view text(p, static_cast<std::size_t>(le - p));
        p = nl ? nl + 1 : end;
        if (!trim(text).empty()) {
          nlohmann::ordered_json row;
          try {
            row = nlohmann::ordered_json::parse(text);
          } catch (const nlohmann::json::exception& e) {
            throw Error("invalid JSON", location(path, line), "each line must be one JSON object");
          }
          if (!row.is_object())
            throw Error("not a JSON object", location(path, line),
                        "each line must be one JSON object");
          for (const auto& d : drop) row.erase(d);
          out += row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
          out += '\n';
        }
        ++line;
      }
    } else {
      while (p < end) {
        std::int64_t record_line = line;
        if (!splitter.next(p, end, fields, line, path)) break;
        if (fields.size() == 1 && fields[0].empty()) continue;
        if (!header_done) {
          keep.assign(fields.size(), 1);
          for (std::size_t f = 0; f < fields.size(); ++f)
            for (const auto& d : drop)
              if (fields[f] == d) keep[f] = 0;
          header_done = true;
        } else if (fields.size() != keep.size()) {
          throw Error("expected " + std::to_string(keep.size()) + " fields, found " +
                          std::to_string(fields.size()),
                      location(path, record_line),
                      "check the delimiter and the quoting of this row");
        }
        bool first = true;
        for (std::size_t f = 0; f < fields.size(); ++f) {
          if (!keep[f]) continue;
          if (!first) out += delim;
          first = false;
          append_csv_field(out, fields[f], delim);
        }
        out += '\n';
      }
    }
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(cut));
    if (out.size() >= block || (eof && pending.empty())) {
      if (!out.empty()) sink(out);
      out.clear();
    }
    if (eof && pending.empty()) break;
    fill(block);
  }
}

// ---------------------------------------------------------------------------------------------

bool RecordSplitter::next(char*& p, char* end, std::vector<std::string_view>& fields,
                          std::int64_t& line, const std::string& file) {
  fields.clear();
  if (p >= end) return false;
  const char d = delim_;
  for (;;) {
    if (p < end && *p == '"') {
      std::int64_t start_line = line;
      char* out = p;
      char* q = p + 1;
      char* fs = out;
      for (;;) {
        char* hit = static_cast<char*>(std::memchr(q, '"', static_cast<std::size_t>(end - q)));
        if (!hit) {
          throw Error("unterminated quoted field", location(file, start_line),
                      "a field opened with \" must close with \"");
        }
        for (char* k = q; k < hit; ++k) line += *k == '\n';
        std::size_t len = static_cast<std::size_t>(hit - q);
        if (out != q) std::memmove(out, q, len);
        out += len;
        if (hit + 1 < end && hit[1] == '"') {
          *out++ = '"';
          q = hit + 2;
          continue;
        }
        p = hit + 1;
        break;
      }
      fields.emplace_back(fs, static_cast<std::size_t>(out - fs));
      if (p < end && *p != d && *p != '\n' && *p != '\r') {
        throw Error("unexpected character " + quote(std::string(1, *p)) + " after a closing quote",
                    location(file, line), "a quote inside a quoted field is written \"\"");
      }
    } else {
      char* fs = p;
      while (p < end && *p != d && *p != '\n' && *p != '\r') ++p;
      fields.emplace_back(fs, static_cast<std::size_t>(p - fs));
    }
    if (p >= end) {
      ++line;
      return true;
    }
    if (*p == d) {
      ++p;
      continue;
    }
    if (*p == '\r') {
      ++p;
      if (p < end && *p == '\n') ++p;
    } else {
      ++p;
    }
    ++line;
    return true;
  }
}

void append_csv_field(std::string& out, std::string_view field, char delimiter) {
  bool needs = false;
  for (char ch : field)
    if (ch == delimiter || ch == '"' || ch == '\n' || ch == '\r') {
      needs = true;
      break;
    }
  if (!needs) {
    out.append(field);
    return;
  }
  out += '"';
  for (char ch : field) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
}

}  // namespace mlgate
