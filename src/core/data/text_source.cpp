#include "text_source.hpp"

#include <algorithm>
#include <cstring>

#include "format.hpp"
#include "mlgate/base/error.hpp"
#include "mlgate/base/text.hpp"

namespace mlgate::reader {

// Where the last complete record in buf[0, n) ends (one past its newline), or 0 if none does.
std::size_t last_record_end(const char* buf, std::size_t n, TableFormat format) {
  if (format == TableFormat::kJsonl || !std::memchr(buf, '"', n)) {
    for (std::size_t i = n; i > 0; --i)
      if (buf[i - 1] == '\n') return i;
    return 0;
  }
  bool in_quotes = false;
  std::size_t last = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char ch = buf[i];
    if (ch == '"')
      in_quotes = !in_quotes;
    else if (ch == '\n' && !in_quotes)
      last = i + 1;
  }
  return last;
}

TextSource::TextSource(InputStream& in, Layout& L, Table& t, TableFormat asked,
                       std::size_t chunk_bytes, std::uint64_t size_hint)
    : in_(in), L_(L), chunk_bytes_(chunk_bytes), size_hint_(in.compressed() ? 0 : size_hint) {
  pending_.reserve(chunk_bytes_ + kPadding);
  fill(64u << 10);
  const TextStart start =
      detect_format(L.file, std::string_view(pending_.data(), pending_.size()), asked);
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(start.skip));
  t.format = L.format = start.format;
  L.delim = start.format == TableFormat::kTsv ? '\t' : ',';
  if (start.format != TableFormat::kJsonl) read_header(t);
}

void TextSource::read_header(Table& t) {
  const std::string& name = L_.file;
  // The header is the first record; it may need more than one read.
  std::size_t end = 0;
  for (;;) {
    end = last_record_end(pending_.data(), pending_.size(), L_.format);
    if (end == 0 && pending_.size() >= kMaxRecordBytes)
      throw Error("a header longer than " + std::to_string(kMaxRecordBytes >> 20) + " MiB",
                  location(name, 1), "is this a table? check the line endings");
    if (end > 0 || eof_) break;
    fill(pending_.size() * 2 + (64u << 10));
  }
  if (end == 0) end = pending_.size();
  if (end == 0) throw Error("the file is empty", name, "expected a header row");
  ByteBuffer head(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(end));
  char* p = head.data();
  std::vector<std::string_view> fields;
  std::int64_t line = 1;
  RecordSplitter(L_.delim).next(p, head.data() + head.size(), fields, line, name);
  header_lines_ = std::max<std::int64_t>(1, line - 1);
  pending_.erase(pending_.begin(), pending_.begin() + (p - head.data()));
  for (auto f : fields) t.header.emplace_back(f);
  L_.n_fields = t.header.size();
  for (std::size_t i = 0; i < t.header.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (t.header[i] == t.header[j])
        throw Error(
            "duplicate column name " + quote(t.header[i]), location(name, 1),
            "columns " + std::to_string(j + 1) + " and " + std::to_string(i + 1) + " share a name");
  L_.field_to_spec.assign(L_.n_fields, -1);
  for (std::size_t s = 0; s < L_.specs.size(); ++s) {
    for (std::size_t f = 0; f < t.header.size(); ++f)
      if (t.header[f] == L_.specs[s].name) {
        L_.field_to_spec[f] = static_cast<int>(s);
        t.columns[s].present = true;
        t.columns[s].field_index = static_cast<int>(f + 1);
      }
    if (!t.columns[s].present && L_.specs[s].required)
      throw Error("missing column " + quote(L_.specs[s].name), location(name, 1),
                  did_you_mean_list(L_.specs[s].name, t.header));
  }
}

std::unique_ptr<Chunk> TextSource::next() {
  fill(chunk_bytes_);
  if (pending_.empty()) return nullptr;
  std::size_t cut;
  for (;;) {
    cut = last_record_end(pending_.data(), pending_.size(), L_.format);
    // No record end in this many bytes (or as many left at the end): one record is too long.
    if (pending_.size() - cut >= kMaxRecordBytes)
      throw Error("a record longer than " + std::to_string(kMaxRecordBytes >> 20) + " MiB", L_.file,
                  "is this a table? check the line endings and for an unclosed quote");
    if (eof_) cut = pending_.size();
    if (cut > 0) break;
    fill(pending_.size() * 2);  // one record longer than a chunk
  }
  // The chunk takes the buffer; only the partial record after the cut is copied.
  auto c = std::make_unique<TextChunk>();
  c->size = cut;
  ByteBuffer rest = buffers_.take();
  rest.reserve(chunk_bytes_ + kPadding);
  rest.assign(pending_.begin() + static_cast<std::ptrdiff_t>(cut), pending_.end());
  c->bytes = std::move(pending_);
  pending_ = std::move(rest);
  c->bytes.resize(cut + kPadding);
  std::memset(c->bytes.data() + cut, 0, kPadding);
  return c;
}

void TextSource::parse(Chunk& c, ChunkResult& r) const {
  auto& tc = static_cast<TextChunk&>(c);
  if (L_.format == TableFormat::kJsonl) {
    parse_jsonl_chunk(L_, tc, r);
  } else {
    parse_csv_chunk(L_, tc, r);
    std::fill(r.seen.begin(), r.seen.end(), 0);  // presence is the header's to say
  }
}

void TextSource::release(Chunk& c) {
  auto& tc = static_cast<TextChunk&>(c);
  tc.bytes.clear();
  buffers_.give(std::move(tc.bytes));
}

std::size_t TextSource::estimate_rows(const Chunk& first, const ChunkResult& r) const {
  const auto& tc = static_cast<const TextChunk&>(first);
  if (size_hint_ == 0 || tc.size == 0 || eof_) return 0;
  const double est =
      static_cast<double>(r.rows) * static_cast<double>(size_hint_) / static_cast<double>(tc.size);
  return static_cast<std::size_t>(est * 1.02) + 16;
}

}  // namespace mlgate::reader
