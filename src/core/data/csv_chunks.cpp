// CSV and TSV chunks: records cut at line ends outside quotes, fields stored by column_store.
#include <array>
#include <cstring>
#include <string_view>
#include <vector>

#include "column_store.hpp"
#include "mlgate/base/error.hpp"
#include "text_source.hpp"

namespace mlgate::reader {

namespace {

// A chunk without any quote: fields end at the delimiter or a line end, found through a table,
// and go straight to their columns (no per-record field list). The chunk is followed by zero
// padding, so scanning stops at its end without a bounds check per byte.
void parse_unquoted_csv_chunk(const Layout& L, TextChunk& c, ChunkResult& r) {
  std::array<bool, 256> stop{};
  stop[static_cast<unsigned char>(L.delim)] = stop['\n'] = stop['\r'] = stop[0] = true;
  const char* p = c.bytes.data();
  const char* end = p + c.size;
  const int* to_spec = L.field_to_spec.data();
  const std::size_t n_fields = L.n_fields;
  std::int64_t line = 1;
  while (p < end) {
    const std::int64_t record_line = line;
    if (*p == '\n' || *p == '\r') {  // a blank line
      p += (*p == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
      ++line;
      continue;
    }
    std::size_t f = 0;
    for (;;) {
      const char* fs = p;
      const int spec = f < n_fields ? to_spec[f] : -1;
      // Number columns: a plain decimal is parsed while it is scanned (one pass over its bytes,
      // the same arithmetic as parse_plain_decimal); anything else is scanned again below.
      if (spec >= 0 && L.specs[static_cast<std::size_t>(spec)].type != ColumnType::kCategory) {
        const PlainDecimal pd = scan_plain_decimal_padded(p, end);
        const char* q = pd.stop;
        if (stop[static_cast<unsigned char>(*q)] && (*q != 0 || q >= end) && pd.ok()) {
          store_plain_number(L, r, static_cast<std::size_t>(spec), pd.value(), pd.frac);
          p = q;
          goto field_done;
        }
      }
      for (;;) {
        while (!stop[static_cast<unsigned char>(*p)]) ++p;
        if (*p != 0 || p >= end) break;
        ++p;  // a NUL byte inside the data
      }
      if (spec >= 0)
        store_value(L, r, static_cast<std::size_t>(spec),
                    std::string_view(fs, static_cast<std::size_t>(p - fs)), record_line);
    field_done:
      ++f;
      if (p < end && *p == L.delim) {
        ++p;
        continue;
      }
      if (p < end) p += (*p == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
      break;
    }
    ++line;
    if (f != n_fields) {
      r.error = PendingError{
          record_line, "",
          "expected " + std::to_string(n_fields) + " fields, found " + std::to_string(f),
          "check the delimiter and the quoting of this row"};
      break;
    }
    ++r.rows;
    if (r.error) break;
  }
  r.lines = line - 1;
}

}  // namespace

void parse_csv_chunk(const Layout& L, TextChunk& c, ChunkResult& r) {
  init_result(L, r);
  for (auto& d : r.dicts) d.set_bounds(c.bytes.data(), c.bytes.data() + c.bytes.size());
  if (!std::memchr(c.bytes.data(), '"', c.size)) {
    parse_unquoted_csv_chunk(L, c, r);
    return;
  }
  RecordSplitter splitter(L.delim);
  std::vector<std::string_view> fields;
  char* p = c.bytes.data();
  char* end = p + c.size;
  std::int64_t line = 1;  // local, 1-based
  while (p < end) {
    std::int64_t record_line = line;
    try {
      if (!splitter.next(p, end, fields, line, L.file)) break;
    } catch (const Error& e) {
      r.error = PendingError{record_line, "", e.what_text(), e.hint()};
      break;
    }
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    if (fields.size() != L.n_fields) {
      r.error = PendingError{record_line, "",
                             "expected " + std::to_string(L.n_fields) + " fields, found " +
                                 std::to_string(fields.size()),
                             "check the delimiter and the quoting of this row"};
      break;
    }
    for (std::size_t f = 0; f < fields.size(); ++f) {
      int s = L.field_to_spec[f];
      if (s >= 0) store_value(L, r, static_cast<std::size_t>(s), fields[f], record_line);
    }
    ++r.rows;
    if (r.error) break;
  }
  r.lines = line - 1;
}

}  // namespace mlgate::reader
