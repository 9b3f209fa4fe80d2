// JSON lines chunks: one object per line, parsed with simdjson's on-demand parser in place (the
// chunk's zero padding is simdjson's), keys stored by column_store.
#include <simdjson.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "column_store.hpp"
#include "mlgate/base/error.hpp"
#include "mlgate/base/json.hpp"
#include "text_source.hpp"

namespace mlgate::reader {

namespace {

// Where a line's first JSON value ends, when something other than blanks follows it ("" if
// nothing does): simdjson reports such a line as a document that "ended early".
std::string_view trailing_after_value(std::string_view body) {
  std::size_t end = scan_nesting(body, kMaxJsonDepth, true).first_end;
  return end == std::string_view::npos ? std::string_view() : trim(body.substr(end));
}

}  // namespace

void parse_jsonl_chunk(const Layout& L, TextChunk& c, ChunkResult& r) {
  init_result(L, r);
  thread_local simdjson::ondemand::parser parser;
  char* p = c.bytes.data();
  char* end = p + c.size;
  char* alloc_end = c.bytes.data() + c.bytes.size();
  std::int64_t line = 0;
  std::vector<std::uint8_t> got(L.specs.size());
  std::string scratch;
  while (p < end) {
    ++line;
    char* nl = static_cast<char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    char* le = nl ? nl : end;
    char* next = nl ? nl + 1 : end;
    std::string_view text(p, static_cast<std::size_t>(le - p));
    std::string_view body = trim(text);
    if (body.empty()) {
      p = next;
      continue;
    }
    auto fail = [&](const std::string& what, const std::string& col, const std::string& hint) {
      if (!r.error) r.error = PendingError{line, col, what, hint};
    };
    if (std::string_view rest = trailing_after_value(body); !rest.empty()) {
      fail("unexpected " + quote(std::string(rest.substr(0, 40))) + " after the JSON object", "",
           "each line must be exactly one JSON object");
      break;
    }
    simdjson::ondemand::document doc;
    auto err =
        parser.iterate(p, static_cast<std::size_t>(le - p), static_cast<std::size_t>(alloc_end - p))
            .get(doc);
    simdjson::ondemand::object obj;
    if (!err) err = doc.get_object().get(obj);
    if (err) {
      fail(std::string("not a JSON object: ") + simdjson::error_message(err), "",
           "each line must be one JSON object");
      break;
    }
    std::fill(got.begin(), got.end(), 0);
    for (auto field : obj) {
      std::string_view key;
      if ((err = field.unescaped_key().get(key))) break;
      int s = -1;
      for (std::size_t i = 0; i < L.specs.size(); ++i)
        if (L.specs[i].name == key) {
          s = static_cast<int>(i);
          break;
        }
      if (s < 0) {
        if (std::find(r.keys.begin(), r.keys.end(), key) == r.keys.end() && r.keys.size() < 10000)
          r.keys.emplace_back(key);
        continue;
      }
      auto si = static_cast<std::size_t>(s);
      if (got[si]) {
        fail("key " + quote(std::string(key)) + " appears twice", std::string(key), "");
        break;
      }
      got[si] = 1;
      r.seen[si] = 1;
      if (std::find(r.keys.begin(), r.keys.end(), key) == r.keys.end()) r.keys.emplace_back(key);
      simdjson::ondemand::value v;
      if ((err = field.value().get(v))) break;
      simdjson::ondemand::json_type t;
      if ((err = v.type().get(t))) break;
      switch (t) {
        case simdjson::ondemand::json_type::null:
          store_missing(L, r, si, line);
          break;
        case simdjson::ondemand::json_type::number: {
          std::string_view raw = trim(v.raw_json_token());
          store_value(L, r, si, raw, line);
          break;
        }
        case simdjson::ondemand::json_type::string: {
          std::string_view sv;
          if ((err = v.get_string().get(sv))) break;
          if (L.specs[si].type == ColumnType::kAuto)
            store_auto(L, r, si, sv, line, true);
          else
            store_value(L, r, si, sv, line);
          break;
        }
        case simdjson::ondemand::json_type::boolean: {
          bool b = false;
          if ((err = v.get_bool().get(b))) break;
          if (L.specs[si].type == ColumnType::kNumber)
            store_value(L, r, si, b ? "1" : "0", line);
          else if (L.specs[si].type == ColumnType::kAuto)
            store_auto(L, r, si, b ? "true" : "false", line, true);
          else
            store_value(L, r, si, b ? "true" : "false", line);
          break;
        }
        default:
          fail("a nested " +
                   std::string(t == simdjson::ondemand::json_type::array ? "array" : "object") +
                   " is not a value",
               std::string(key), "flatten nested values into their own keys");
          store_missing(L, r, si, line);
          break;
      }
      if (err || r.error) break;
    }
    if (err && !r.error) {
      fail(std::string("invalid JSON: ") + simdjson::error_message(err), "",
           "each line must be one JSON object");
    }
    if (r.error) break;
    for (std::size_t i = 0; i < got.size(); ++i)
      if (!got[i]) store_missing(L, r, i, line);
    ++r.rows;
    p = next;
  }
  r.lines = line;
}

}  // namespace mlgate::reader
