#include "mlgate/data/table.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/json.hpp"
#include "mlgate/base/number_scan.hpp"
#include "mlgate/base/runtime.hpp"
#include "mlgate/base/text.hpp"

namespace mlgate {

TableFormat parse_table_format(const std::string& name) {
  if (name == "csv") return TableFormat::kCsv;
  if (name == "tsv") return TableFormat::kTsv;
  if (name == "jsonl" || name == "ndjson") return TableFormat::kJsonl;
  throw Error("unknown table format " + quote(name), "--format", "use csv, tsv or jsonl");
}

const char* format_name(TableFormat f) {
  switch (f) {
    case TableFormat::kCsv:
      return "csv";
    case TableFormat::kTsv:
      return "tsv";
    case TableFormat::kJsonl:
      return "jsonl";
    default:
      return "auto";
  }
}

bool Column::is_missing(std::size_t row) const {
  switch (type) {
    case ColumnType::kNumber:
      return std::isnan(numbers[row]);
    case ColumnType::kCategory:
      return codes[row] == kMissingCode;
    default:
      return (numbers.empty() || std::isnan(numbers[row])) && !is_text(row);
  }
}

const Column* Table::find(std::string_view name) const {
  for (const auto& c : columns)
    if (c.name == name && c.present) return &c;
  return nullptr;
}

Column* Table::find(std::string_view name) {
  for (auto& c : columns)
    if (c.name == name && c.present) return &c;
  return nullptr;
}

const Column& Table::column(std::string_view name) const {
  const Column* c = find(name);
  if (!c) throw Error("column " + quote(std::string(name)) + " was not read", path);
  return *c;
}

void Table::filter_rows(const std::vector<std::uint8_t>& keep) {
  std::size_t kept = 0;
  for (auto& c : columns) {
    if (!c.present) continue;
    std::size_t j = 0;
    if (c.type != ColumnType::kCategory) {
      for (std::size_t i = 0; i < c.numbers.size(); ++i)
        if (keep[i]) c.numbers[j++] = c.numbers[i];
      c.numbers.resize(j);
      c.numbers.shrink_to_fit();
    }
    if (!c.codes.empty()) {
      j = 0;
      for (std::size_t i = 0; i < c.codes.size(); ++i)
        if (keep[i]) c.codes[j++] = c.codes[i];
      c.codes.resize(j);
      c.codes.shrink_to_fit();
    }
    c.missing = 0;
    for (std::size_t i = 0; i < j; ++i) c.missing += c.is_missing(i);
    kept = j;
  }
  if (columns.empty()) {
    for (auto k : keep) kept += k != 0;
  }
  rows = static_cast<std::int64_t>(kept);
}

// ---------------------------------------------------------------------------------------------
// Byte sources: a file, gzip over a file, or memory. Each hashes the bytes as stored.

namespace {

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx_, p, n); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    return hex_digest(md, len);
  }

 private:
  EVP_MD_CTX* ctx_;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes of content; 0 at the end. Throws Error on failure.
  virtual std::size_t read(char* buf, std::size_t n) = 0;
};

// The source of the bytes as stored: hashes and counts everything it hands out.
class StoredSource : public ByteSource {
 public:
  std::string sha256() { return sha_.hex(); }
  std::uint64_t stored_bytes() const { return bytes_; }

 protected:
  void account(const char* p, std::size_t n) {
    sha_.update(p, n);
    bytes_ += n;
  }

 private:
  Sha256 sha_;
  std::uint64_t bytes_ = 0;
};

class FdSource : public StoredSource {
 public:
  FdSource(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  ~FdSource() override {
    if (fd_ > 0) ::close(fd_);
  }
  FdSource(const FdSource&) = delete;
  FdSource& operator=(const FdSource&) = delete;
  std::size_t read(char* buf, std::size_t n) override {
    for (;;) {
      ssize_t r = ::read(fd_, buf, n);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw Error(std::string("cannot read: ") + std::strerror(errno), name_);
      account(buf, static_cast<std::size_t>(r));
      return static_cast<std::size_t>(r);
    }
  }

 private:
  int fd_;
  std::string name_;
};

class MemorySource : public StoredSource {
 public:
  explicit MemorySource(std::string_view data) : data_(data) { account(data.data(), data.size()); }
  std::size_t read(char* buf, std::size_t n) override {
    std::size_t got = std::min(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, got);
    pos_ += got;
    return got;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

// Replays bytes already read (to sniff the compression) before the rest of a source.
class PrefixedSource : public ByteSource {
 public:
  PrefixedSource(ByteSource* in, std::vector<char> head) : in_(in), head_(std::move(head)) {}
  std::size_t read(char* buf, std::size_t n) override {
    if (pos_ < head_.size()) {
      std::size_t got = std::min(n, head_.size() - pos_);
      std::memcpy(buf, head_.data() + pos_, got);
      pos_ += got;
      return got;
    }
    return in_->read(buf, n);
  }

 private:
  ByteSource* in_;
  std::vector<char> head_;
  std::size_t pos_ = 0;
};

// Inflates gzip (concatenated members too) from an inner source.
class GzipSource : public ByteSource {
 public:
  GzipSource(std::unique_ptr<ByteSource> inner, std::string name)
      : inner_(std::move(inner)), name_(std::move(name)), in_(1 << 18) {
    std::memset(&z_, 0, sizeof z_);
    if (inflateInit2(&z_, 15 + 32) != Z_OK) throw Error("cannot initialise zlib", name_);
  }
  ~GzipSource() override { inflateEnd(&z_); }
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;
  std::size_t read(char* buf, std::size_t n) override {
    z_.next_out = reinterpret_cast<Bytef*>(buf);
    z_.avail_out = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    while (z_.avail_out > 0 && !done_) {
      if (z_.avail_in == 0) {
        std::size_t got = inner_->read(in_.data(), in_.size());
        if (got == 0) {
          if (!member_started_) {
            done_ = true;
            break;
          }
          throw Error("truncated gzip data", name_, "the file ends inside a compressed stream");
        }
        z_.next_in = reinterpret_cast<Bytef*>(in_.data());
        z_.avail_in = static_cast<uInt>(got);
      }
      member_started_ = true;
      int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_started_ = false;
        inflateReset(&z_);
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        throw Error(std::string("corrupt gzip data: ") + (z_.msg ? z_.msg : "inflate failed"),
                    name_);
      }
    }
    return n - z_.avail_out;
  }

 private:
  std::unique_ptr<ByteSource> inner_;
  std::string name_;
  std::vector<char> in_;
  z_stream z_;
  bool member_started_ = false;
  bool done_ = false;
};

// A table's bytes: from a file, standard input or memory; gzip detected by its magic bytes.
class InputStream {
 public:
  InputStream(const std::string& name, std::unique_ptr<StoredSource> stored)
      : stored_(std::move(stored)) {
    std::string lower;
    for (char ch : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::vector<char> head(2);
    std::size_t got = 0;
    while (got < 2) {
      std::size_t r = stored_->read(head.data() + got, 2 - got);
      if (r == 0) break;
      got += r;
    }
    head.resize(got);
    bool gz = got == 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
              static_cast<unsigned char>(head[1]) == 0x8b;
    if (got == 2 && ((static_cast<unsigned char>(head[0]) == 0xFF &&
                      static_cast<unsigned char>(head[1]) == 0xFE) ||
                     (static_cast<unsigned char>(head[0]) == 0xFE &&
                      static_cast<unsigned char>(head[1]) == 0xFF)))
      throw Error("the file is UTF-16", name,
                  "tables must be UTF-8; convert with: iconv -f UTF-16 -t UTF-8");
    if (!gz && ends_with(lower, ".gz"))
      throw Error("not gzip data", name,
                  "the name ends in .gz but the file is not compressed; rename it");
    auto prefixed = std::make_unique<PrefixedSource>(stored_.get(), std::move(head));
    if (gz) {
      src_ = std::make_unique<GzipSource>(std::move(prefixed), name);
      compressed_ = true;
    } else {
      src_ = std::move(prefixed);
    }
  }
  static InputStream open(const std::string& path, std::uint64_t* size) {
    int fd = 0;
    if (size) *size = 0;
    if (path != "-") {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        throw Error(std::string("cannot open: ") + std::strerror(errno), path, "check the path");
      struct stat st {};
      if (::fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
          ::close(fd);
          throw Error("is a directory, not a table", path);
        }
        if (size) *size = static_cast<std::uint64_t>(st.st_size);
      }
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    return InputStream(path, std::make_unique<FdSource>(fd, path));
  }
  std::size_t read(char* buf, std::size_t n) { return src_->read(buf, n); }
  bool compressed() const { return compressed_; }
  std::string sha256() { return stored_->sha256(); }
  std::uint64_t stored_bytes() const { return stored_->stored_bytes(); }

 private:
  std::unique_ptr<StoredSource> stored_;
  std::unique_ptr<ByteSource> src_;
  bool compressed_ = false;
};

// ---------------------------------------------------------------------------------------------
// Dictionaries: open addressing; values of up to 16 bytes live in the slot itself, so a lookup
// is two word compares (no pointer chase, no memcmp). Longer values compare by hash, then text.

class LocalDict {
 public:
  // Values inside [lo, hi) may be read 16 bytes at a time (the chunk and its padding).
  void set_bounds(const char* lo, const char* hi) {
    lo_ = lo;
    hi_ = hi;
  }
  std::uint32_t code(std::string_view v, std::int64_t line) {
    std::uint64_t a, b;
    const std::uint32_t len = static_cast<std::uint32_t>(v.size());
    if (v.size() <= 16) {
      pack(v, a, b);
    } else {
      a = std::hash<std::string_view>{}(v);
      b = 0;
    }
    const std::uint64_t h = hash(a, b, len);
    std::size_t i = h >> shift_;
    for (;;) {
      const Slot& s = slots_[i];
      if (s.code == 0) return insert(i, v, a, b, len, line);
      if (s.a == a && s.b == b && s.len == len && (len <= 16 || values_[s.code - 1] == v))
        return s.code - 1;
      i = (i + 1) & mask_;
    }
  }
  const std::deque<std::string>& values() const { return values_; }
  const std::vector<std::int64_t>& lines() const { return lines_; }

 private:
  struct Slot {
    std::uint64_t a = 0, b = 0;  // the value's bytes, zero-padded (or its hash past 16 bytes)
    std::uint32_t len = 0;
    std::uint32_t code = 0;  // code + 1; 0 marks an empty slot
  };
  // Multiplicative hashing: the slot is taken from the top bits, which mix every input bit.
  static std::uint64_t hash(std::uint64_t a, std::uint64_t b, std::uint32_t len) {
    return (a * 0x9E3779B97F4A7C15ULL) ^ ((b + len) * 0xC2B2AE3D27D4EB4FULL);
  }
  __attribute__((noinline)) std::uint32_t insert(std::size_t i, std::string_view v, std::uint64_t a,
                                                 std::uint64_t b, std::uint32_t len,
                                                 std::int64_t line) {
    auto code = static_cast<std::uint32_t>(values_.size());
    values_.emplace_back(v);
    lines_.push_back(line);
    slots_[i] = Slot{a, b, len, code + 1};
    if (values_.size() * 2 > slots_.size()) grow();
    return code;
  }
  // The first 16 bytes of v as two zero-padded words.
  void pack(std::string_view v, std::uint64_t& a, std::uint64_t& b) const {
    const std::size_t n = v.size();
    if constexpr (std::endian::native == std::endian::little) {
      if (v.data() >= lo_ && v.data() + 16 <= hi_) {
        std::memcpy(&a, v.data(), 8);
        std::memcpy(&b, v.data() + 8, 8);
        if (n < 8) {
          a &= n == 0 ? 0 : ~std::uint64_t{0} >> (64 - 8 * n);
          b = 0;
        } else if (n < 16) {
          b &= n == 8 ? 0 : ~std::uint64_t{0} >> (64 - 8 * (n - 8));
        }
        return;
      }
    }
    a = b = 0;
    std::memcpy(&a, v.data(), std::min<std::size_t>(8, n));
    if (n > 8) std::memcpy(&b, v.data() + 8, n - 8);
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    --shift_;
    for (const Slot& s : old) {
      if (!s.code) continue;
      std::size_t i = hash(s.a, s.b, s.len) >> shift_;
      while (slots_[i].code) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_ = std::vector<Slot>(64);
  std::size_t mask_ = 63;
  int shift_ = 64 - 6;  // 64 - log2(slots)
  const char* lo_ = nullptr;
  const char* hi_ = nullptr;
  std::deque<std::string> values_;
  std::vector<std::int64_t> lines_;
};

struct PendingError {
  std::int64_t line = 0;  // local to the chunk
  std::string column;     // empty when not about one column
  std::string what, hint;
};

struct ChunkResult {
  std::int64_t lines = 0;  // physical lines in the chunk
  std::int64_t rows = 0;
  std::vector<std::int64_t> n_numbers;      // kAuto
  std::vector<std::uint8_t> integers_only;  // kAuto
  std::vector<int> places;  // kNumber, kAuto: most decimal places of a plain decimal; -1: other
  std::vector<std::vector<double>> numbers;
  std::vector<std::vector<std::uint32_t>> codes;
  std::vector<LocalDict> dicts;
  std::vector<std::int64_t> missing, first_missing_line;
  std::vector<std::uint8_t> seen;  // JSONL: whether the key appeared
  std::vector<std::string> keys;   // JSONL: keys in order of first appearance
  std::optional<PendingError> error;
};

// A byte buffer whose growth does not zero what read() is about to overwrite.
template <class T>
struct UninitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitAllocator<U>;
  };
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... A>
  void construct(U* p, A&&... a) {
    ::new (static_cast<void*>(p)) U(std::forward<A>(a)...);
  }
};
using ByteBuffer = std::vector<char, UninitAllocator<char>>;

// Objects handed back once used and taken again (thread-safe): the same few megabytes are
// reused instead of fresh pages for every chunk.
template <class T>
class Pool {
 public:
  T take() {
    std::lock_guard lk(m_);
    if (items_.empty()) return T();
    T x = std::move(items_.back());
    items_.pop_back();
    return x;
  }
  void give(T&& x) {
    std::lock_guard lk(m_);
    items_.push_back(std::move(x));
  }

 private:
  std::mutex m_;
  std::vector<T> items_;
};

// Reads until buf holds at least `want` bytes or the input ends (then sets eof).
void fill_to(InputStream& in, ByteBuffer& buf, std::size_t want, bool& eof) {
  while (!eof && buf.size() < want) {
    std::size_t old = buf.size();
    buf.resize(std::max(want, old + (64u << 10)));
    std::size_t got = in.read(buf.data() + old, buf.size() - old);
    buf.resize(old + got);
    if (got == 0) eof = true;
  }
}

struct Chunk {
  std::int64_t seq = 0;
  ByteBuffer bytes;  // content followed by SIMDJSON_PADDING spare bytes
  std::size_t size = 0;
};

struct Layout {
  TableFormat format = TableFormat::kCsv;
  char delim = ',';
  std::size_t n_fields = 0;        // CSV: fields per record
  std::vector<int> field_to_spec;  // CSV: spec index per field, or -1
  std::vector<ColumnSpec> specs;
  std::string file;
};

bool integer_literal(std::string_view t) {
  t = trim(t);
  if (!t.empty() && (t.front() == '-' || t.front() == '+')) t.remove_prefix(1);
  if (t.empty()) return false;
  for (char ch : t)
    if (ch < '0' || ch > '9') return false;
  return true;
}

// A number written as a plain decimal with `frac` places (or, frac < 0, any other way).
inline void note_places(ChunkResult& r, std::size_t s, int frac) {
  int& p = r.places[s];
  if (frac < 0 || frac > 9)
    p = -1;
  else if (p >= 0 && frac > p)
    p = frac;
}

// kAuto keeps numbers and text codes each only once the column has one in this chunk: a text
// column holds no array of NaNs, a numeric one none of missing codes. A vector in use holds one
// entry per row so far (r.rows); a vector not in use is empty and is padded when first needed.
template <class T>
inline __attribute__((always_inline)) void push_or_pad(std::vector<T>& v, std::size_t row,
                                                       const T* value, T none) {
  if (value) {
    if (v.size() != row) [[unlikely]]
      v.resize(row, none);
    v.push_back(*value);
  } else if (!v.empty()) {
    v.push_back(none);
  }
}
inline __attribute__((always_inline)) void auto_push(std::vector<double>& nums,
                                                     std::vector<std::uint32_t>& codes,
                                                     std::size_t row, const double* number,
                                                     const std::uint32_t* code) {
  push_or_pad(nums, row, number, std::numeric_limits<double>::quiet_NaN());
  push_or_pad(codes, row, code, kMissingCode);
}

// A number column's value written as a plain decimal with `places` places (kNumber or kAuto).
inline __attribute__((always_inline)) void store_plain_number(const Layout& L, ChunkResult& r,
                                                              std::size_t s, double x, int places) {
  if (L.specs[s].type == ColumnType::kNumber) {
    r.numbers[s].push_back(x);
  } else {
    auto_push(r.numbers[s], r.codes[s], static_cast<std::size_t>(r.rows), &x, nullptr);
    ++r.n_numbers[s];
    if (places) r.integers_only[s] = 0;
  }
  note_places(r, s, places);
}

// kAuto: a number where the text is one (unless it came quoted from JSON), text otherwise.
void store_auto(const Layout& L, ChunkResult& r, std::size_t s, std::string_view v,
                std::int64_t line, bool text) {
  auto& nums = r.numbers[s];
  auto& codes = r.codes[s];
  const auto row = static_cast<std::size_t>(r.rows);
  // Most text is told apart at its first byte: numbers, inf, nan and the missing markers all
  // start with one of these.
  static constexpr auto kMaybeNumberOrMissing = [] {
    std::array<bool, 256> t{};
    for (char ch : std::string_view("0123456789+-. \t\riInN<"))
      t[static_cast<unsigned char>(ch)] = true;
    return t;
  }();
  if (text || (!v.empty() && !kMaybeNumberOrMissing[static_cast<unsigned char>(v[0])])) {
    const std::uint32_t code = r.dicts[s].code(v, line);
    auto_push(nums, codes, row, nullptr, &code);
    return;
  }
  double x;
  int places = 0;
  if (parse_plain_decimal(v, &x, &places)) {  // the common case, first
    store_plain_number(L, r, s, x, places);
    return;
  }
  if (is_missing_marker(trim(v))) {
    auto_push(nums, codes, row, nullptr, nullptr);
    if (r.missing[s]++ == 0) r.first_missing_line[s] = line;
    return;
  }
  bool inf = false;
  if (parse_number_general(v, &x, &inf) || inf) {
    if (inf)
      x = trim(v).front() == '-' ? -std::numeric_limits<double>::infinity()
                                 : std::numeric_limits<double>::infinity();
    auto_push(nums, codes, row, &x, nullptr);
    ++r.n_numbers[s];
    if (r.integers_only[s] && !integer_literal(v)) r.integers_only[s] = 0;
    note_places(r, s, -1);
    return;
  }
  const std::uint32_t code = r.dicts[s].code(v, line);
  auto_push(nums, codes, row, nullptr, &code);
}

void store_value(const Layout& L, ChunkResult& r, std::size_t s, std::string_view v,
                 std::int64_t line) {
  const ColumnSpec& spec = L.specs[s];
  if (spec.type == ColumnType::kAuto) {
    store_auto(L, r, s, v, line, false);
    return;
  }
  if (spec.type == ColumnType::kNumber) {
    double x;
    bool inf = false;
    int places = 0;
    if (parse_plain_decimal(v, &x, &places)) {
      store_plain_number(L, r, s, x, places);
      return;
    }
    if (parse_number_general(v, &x, &inf)) {
      r.numbers[s].push_back(x);
      note_places(r, s, -1);
      return;
    }
    if (!inf && is_missing_marker(trim(v))) {
      r.numbers[s].push_back(std::numeric_limits<double>::quiet_NaN());
      if (r.missing[s]++ == 0) r.first_missing_line[s] = line;
      return;
    }
    r.numbers[s].push_back(0);
    if (!r.error)
      r.error = PendingError{
          line, spec.name,
          quote(std::string(v)) + (inf ? " is not a finite number" : " is not a number"),
          inf ? "scores and values must be finite" : "expected a number"};
    return;
  }
  if (is_missing_marker(v)) {
    r.codes[s].push_back(kMissingCode);
    if (r.missing[s]++ == 0) r.first_missing_line[s] = line;
    return;
  }
  r.codes[s].push_back(r.dicts[s].code(v, line));
}

void store_missing(const Layout& L, ChunkResult& r, std::size_t s, std::int64_t line) {
  if (L.specs[s].type == ColumnType::kNumber)
    r.numbers[s].push_back(std::numeric_limits<double>::quiet_NaN());
  else if (L.specs[s].type == ColumnType::kCategory)
    r.codes[s].push_back(kMissingCode);
  else
    auto_push(r.numbers[s], r.codes[s], static_cast<std::size_t>(r.rows), nullptr, nullptr);
  if (r.missing[s]++ == 0) r.first_missing_line[s] = line;
}

// Resets r for a new chunk; a reused result keeps the capacity of its vectors, so memory the
// previous chunk touched is written again instead of fresh pages being faulted in.
void init_result(const Layout& L, ChunkResult& r) {
  std::size_t n = L.specs.size();
  r.lines = r.rows = 0;
  r.error.reset();
  r.keys.clear();
  r.numbers.resize(n);
  r.codes.resize(n);
  for (auto& v : r.numbers) v.clear();
  for (auto& v : r.codes) v.clear();
  r.dicts.assign(n, LocalDict());
  r.missing.assign(n, 0);
  r.first_missing_line.assign(n, 0);
  r.seen.assign(n, 0);
  r.n_numbers.assign(n, 0);
  r.integers_only.assign(n, 1);
  r.places.assign(n, 0);
}

// A chunk without any quote: fields end at the delimiter or a line end, found through a table,
// and go straight to their columns (no per-record field list). The chunk is followed by zero
// padding, so scanning stops at its end without a bounds check per byte.
void parse_unquoted_csv_chunk(const Layout& L, Chunk& c, ChunkResult& r) {
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

void parse_csv_chunk(const Layout& L, Chunk& c, ChunkResult& r) {
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

// Where a line's first JSON value ends, when something other than blanks follows it ("" if
// nothing does): simdjson reports such a line as a document that "ended early".
std::string_view trailing_after_value(std::string_view body) {
  std::size_t end = scan_nesting(body, kMaxJsonDepth, true).first_end;
  return end == std::string_view::npos ? std::string_view() : trim(body.substr(end));
}

void parse_jsonl_chunk(const Layout& L, Chunk& c, ChunkResult& r) {
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

constexpr std::size_t kMaxRecordBytes = std::size_t{256} << 20;

// How much memory the columns may take: the runtime's limit (MLGATE_MEMORY_LIMIT), else 80% of
// what the machine has available when the read starts. Past it the read stops with an error
// instead of being killed by the kernel.
std::uint64_t memory_limit_now() {
  if (runtime().memory_limit > 0) return runtime().memory_limit;
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0;
  while (meminfo >> key >> kb) {
    if (key == "MemAvailable:") return kb * 1024 / 10 * 8;
    meminfo.ignore(256, '\n');
  }
  return std::numeric_limits<std::uint64_t>::max();
}

class Merger {
 public:
  Merger(Layout& L, Table& t) : L_(L), t_(t) {
    maps_.resize(L.specs.size());
    for (std::size_t s = 0; s < L.specs.size(); ++s) {
      t_.columns[s].name = L.specs[s].name;
      t_.columns[s].type = L.specs[s].type;
    }
  }
  void reserve(std::size_t rows) {
    est_rows_ = rows;
    for (auto& c : t_.columns) {
      if (c.type == ColumnType::kNumber) c.numbers.reserve(rows);
      if (c.type == ColumnType::kCategory) c.codes.reserve(rows);
    }
  }
  // kAuto: pads both vectors in use to every row, and a column of nothing but missing values
  // to NaNs, once every chunk is merged.
  void finish() {
    const auto rows = static_cast<std::size_t>(t_.rows);
    for (auto& c : t_.columns) {
      if (c.type != ColumnType::kAuto) continue;
      if (!c.numbers.empty() || c.codes.empty())
        c.numbers.resize(rows, std::numeric_limits<double>::quiet_NaN());
      if (!c.codes.empty()) c.codes.resize(rows, kMissingCode);
    }
  }
  void merge(ChunkResult& r) {
    if (r.error) {
      const PendingError& e = *r.error;
      std::int64_t line = base_line_ + e.line;
      std::string where =
          e.column.empty() ? location(L_.file, line) : location(L_.file, line, e.column);
      throw Error(e.what, where, e.hint);
    }
    for (std::size_t s = 0; s < L_.specs.size(); ++s) {
      Column& col = t_.columns[s];
      if (r.seen[s]) col.present = true;
      if (r.missing[s] > 0) {
        if (col.missing == 0) col.first_missing_line = base_line_ + r.first_missing_line[s];
        col.missing += r.missing[s];
      }
      if (col.type != ColumnType::kCategory)
        col.decimal_places = col.decimal_places < 0 || r.places[s] < 0
                                 ? -1
                                 : std::max(col.decimal_places, r.places[s]);
      if (col.type == ColumnType::kNumber) {
        col.numbers.insert(col.numbers.end(), r.numbers[s].begin(), r.numbers[s].end());
        r.numbers[s].clear();
        continue;
      }
      if (col.type == ColumnType::kAuto) {
        // Either vector starts when some chunk first needs it: pad the rows before (and, in a
        // chunk without it, the chunk's rows) with NaN or the missing code.
        const auto before = static_cast<std::size_t>(t_.rows);
        const auto after = before + static_cast<std::size_t>(r.rows);
        auto& nums = r.numbers[s];
        if (!nums.empty() || !col.numbers.empty()) {
          if (col.numbers.capacity() == 0) col.numbers.reserve(std::max(est_rows_, after));
          col.numbers.resize(before, std::numeric_limits<double>::quiet_NaN());
          col.numbers.insert(col.numbers.end(), nums.begin(), nums.end());
          col.numbers.resize(after, std::numeric_limits<double>::quiet_NaN());
          nums.clear();
        }
        col.n_numbers += r.n_numbers[s];
        col.integers_only = col.integers_only && r.integers_only[s];
        if (r.codes[s].empty()) {
          if (!col.codes.empty()) col.codes.resize(after, kMissingCode);
          continue;
        }
        if (col.codes.capacity() == 0) col.codes.reserve(std::max(est_rows_, after));
        col.codes.resize(before, kMissingCode);
      }
      // Map the chunk's dictionary onto the table's.
      const auto& vals = r.dicts[s].values();
      const auto& lines = r.dicts[s].lines();
      std::vector<std::uint32_t> remap(vals.size());
      bool identity = true;
      for (std::size_t i = 0; i < vals.size(); ++i) {
        auto it = maps_[s].find(vals[i]);
        std::uint32_t code;
        if (it == maps_[s].end()) {
          code = static_cast<std::uint32_t>(col.dictionary.size());
          col.dictionary.push_back(vals[i]);
          col.first_line.push_back(base_line_ + lines[i]);
          maps_[s].emplace(vals[i], code);
        } else {
          code = it->second;
        }
        remap[i] = code;
        identity = identity && code == i;
      }
      auto& codes = r.codes[s];
      if (identity) {
        col.codes.insert(col.codes.end(), codes.begin(), codes.end());
      } else {
        for (auto code : codes) col.codes.push_back(code == kMissingCode ? code : remap[code]);
      }
      codes.clear();
    }
    for (auto& k : r.keys)
      if (std::find(t_.header.begin(), t_.header.end(), k) == t_.header.end() &&
          t_.header.size() < 10000)
        t_.header.push_back(k);
    t_.rows += r.rows;
    base_line_ += r.lines;
    std::uint64_t held = 0;
    for (const auto& c : t_.columns)
      held += c.numbers.capacity() * sizeof(double) + c.codes.capacity() * 4;
    if (held > limit_)
      throw Error(
          "the table needs more memory than this machine has available: " +
              std::to_string(t_.rows) + " rows already take " + std::to_string(held >> 20) +
              " MiB of the " + std::to_string(limit_ >> 20) + " MiB limit",
          L_.file,
          "read fewer columns, split the file, or raise MLGATE_MEMORY_LIMIT on a bigger machine");
  }
  void set_base_line(std::int64_t b) { base_line_ = b; }

 private:
  Layout& L_;
  Table& t_;
  std::int64_t base_line_ = 0;
  std::size_t est_rows_ = 0;
  std::uint64_t limit_ = memory_limit_now();
  std::vector<std::unordered_map<std::string, std::uint32_t>> maps_;
};

std::string lower_ext(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string lower;
  for (char ch : base) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return lower;
}

TableFormat format_from_name(const std::string& path) {
  std::string b = lower_ext(path);
  if (ends_with(b, ".gz")) b.resize(b.size() - 3);
  if (ends_with(b, ".csv")) return TableFormat::kCsv;
  if (ends_with(b, ".tsv") || ends_with(b, ".tab")) return TableFormat::kTsv;
  if (ends_with(b, ".jsonl") || ends_with(b, ".ndjson")) return TableFormat::kJsonl;
  return TableFormat::kAuto;
}

// What a file that is not text looks like, from its first bytes ("" for text): binary input is
// refused with a name instead of being read as a CSV with a header of garbage.
std::string binary_kind(std::string_view head) {
  auto starts = [&](std::string_view magic) { return head.substr(0, magic.size()) == magic; };
  if (starts("PAR1")) return "a Parquet file";
  if (starts("ARROW1")) return "an Arrow IPC file";
  if (starts(std::string_view("PK\x03\x04", 4))) return "a zip archive (or an .xlsx workbook)";
  if (starts("BZh")) return "a bzip2 file";
  if (starts(std::string_view("\xFD"
                              "7zXZ",
                              5)))
    return "an xz file";
  if (starts(std::string_view("\x28\xB5\x2F\xFD", 4))) return "a zstd file";
  if (starts(std::string_view("SQLite format 3\0", 16))) return "an SQLite database";
  if (starts("%PDF")) return "a PDF document";
  if (starts(std::string_view("\x89HDF", 4))) return "an HDF5 file";
  if (starts(std::string_view("\x93NUMPY", 6))) return "a NumPy array file";
  if (starts(std::string_view("\x80", 1))) return "a Python pickle";
  if (head.substr(0, 1024).find('\0') != std::string_view::npos) return "binary data (NUL bytes)";
  return {};
}

void refuse_binary(std::string_view head, const std::string& name) {
  std::string kind = binary_kind(head);
  if (!kind.empty())
    throw Error("this looks like " + kind + ", not a table", name,
                "mlgate reads CSV, TSV and JSON lines, optionally gzipped");
}

TableFormat sniff_format(std::string_view head) {
  std::string_view t = head;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  if (!t.empty() && t.front() == '{') return TableFormat::kJsonl;
  auto nl = t.find('\n');
  std::string_view first = t.substr(0, nl);
  if (first.find('\t') != std::string_view::npos && first.find(',') == std::string_view::npos)
    return TableFormat::kTsv;
  return TableFormat::kCsv;
}

std::string did_you_mean_list(const std::string& name, const std::vector<std::string>& header) {
  std::string best = closest_name(name, header);
  std::string hint;
  if (!best.empty()) hint = "did you mean " + quote(best) + "? ";
  hint += "columns are:";
  std::size_t shown = 0;
  for (const auto& h : header) {
    if (shown++ == 12) {
      hint += " ...";
      break;
    }
    hint += " " + h;
  }
  if (header.empty()) hint = "the file has no columns";
  return hint;
}

Table read_from(const std::string& name, InputStream in, TableFormat format,
                const std::vector<ColumnSpec>& specs, const ReadOptions& opt,
                std::uint64_t size_hint) {
  Table t;
  t.path = name;
  t.columns.resize(specs.size());
  Layout L;
  L.specs = specs;
  L.file = name;
  if (in.compressed()) size_hint = 0;

  const std::size_t pad = simdjson::SIMDJSON_PADDING;
  static_assert(simdjson::SIMDJSON_PADDING >= 34, "scan_plain_decimal_padded reads ahead");
  ByteBuffer pending;  // bytes not yet handed out
  pending.reserve(opt.chunk_bytes + pad);
  bool eof = false;
  auto fill = [&](std::size_t want) { fill_to(in, pending, want, eof); };
  fill(64u << 10);

  // Strip a UTF-8 byte order mark.
  if (pending.size() >= 3 && static_cast<unsigned char>(pending[0]) == 0xEF &&
      static_cast<unsigned char>(pending[1]) == 0xBB &&
      static_cast<unsigned char>(pending[2]) == 0xBF)
    pending.erase(pending.begin(), pending.begin() + 3);

  refuse_binary(std::string_view(pending.data(), pending.size()), name);
  if (format == TableFormat::kAuto) format = format_from_name(name);
  if (format == TableFormat::kAuto)
    format = sniff_format(std::string_view(pending.data(), pending.size()));
  t.format = L.format = format;
  L.delim = format == TableFormat::kTsv ? '\t' : ',';

  Merger merger(L, t);
  std::int64_t header_lines = 0;
  if (format != TableFormat::kJsonl) {
    // The header is the first record; it may need more than one read.
    std::size_t end = 0;
    for (;;) {
      end = last_record_end(pending.data(), pending.size(), format);
      if (end == 0 && pending.size() >= kMaxRecordBytes)
        throw Error("a header longer than " + std::to_string(kMaxRecordBytes >> 20) + " MiB",
                    location(name, 1), "is this a table? check the line endings");
      if (end > 0 || eof) break;
      fill(pending.size() * 2 + (64u << 10));
    }
    if (end == 0) end = pending.size();
    if (end == 0) throw Error("the file is empty", name, "expected a header row");
    ByteBuffer head(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(end));
    char* p = head.data();
    std::vector<std::string_view> fields;
    std::int64_t line = 1;
    RecordSplitter(L.delim).next(p, head.data() + head.size(), fields, line, name);
    header_lines = line - 1;
    if (header_lines == 0) header_lines = 1;
    pending.erase(pending.begin(), pending.begin() + (p - head.data()));
    for (auto f : fields) t.header.emplace_back(f);
    L.n_fields = t.header.size();
    for (std::size_t i = 0; i < t.header.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (t.header[i] == t.header[j])
          throw Error("duplicate column name " + quote(t.header[i]), location(name, 1),
                      "columns " + std::to_string(j + 1) + " and " + std::to_string(i + 1) +
                          " share a name");
    L.field_to_spec.assign(L.n_fields, -1);
    for (std::size_t s = 0; s < specs.size(); ++s) {
      for (std::size_t f = 0; f < t.header.size(); ++f)
        if (t.header[f] == specs[s].name) {
          L.field_to_spec[f] = static_cast<int>(s);
          t.columns[s].present = true;
          t.columns[s].field_index = static_cast<int>(f + 1);
        }
      if (!t.columns[s].present && specs[s].required)
        throw Error("missing column " + quote(specs[s].name), location(name, 1),
                    did_you_mean_list(specs[s].name, t.header));
    }
  }
  merger.set_base_line(header_lines);
  if (opt.header_only && format != TableFormat::kJsonl) {
    t.sha256 = in.sha256();
    t.bytes = in.stored_bytes();
    return t;
  }

  auto parse = [&L](Chunk& c, ChunkResult& r) {
    if (L.format == TableFormat::kJsonl)
      parse_jsonl_chunk(L, c, r);
    else
      parse_csv_chunk(L, c, r);
    if (L.format != TableFormat::kJsonl) std::fill(r.seen.begin(), r.seen.end(), 0);
  };

  // Byte buffers and chunk results go back to pools once used.
  Pool<ByteBuffer> buffers;
  Pool<ChunkResult> results;
  auto give_buffer = [&](ByteBuffer&& b) {
    b.clear();
    buffers.give(std::move(b));
  };

  // Chunks: cut at record ends, parsed by workers, merged in order by this thread.
  auto next_chunk = [&](std::int64_t seq) -> std::unique_ptr<Chunk> {
    fill(opt.chunk_bytes);
    if (pending.empty()) return nullptr;
    std::size_t cut;
    for (;;) {
      cut = last_record_end(pending.data(), pending.size(), format);
      // No record end in this many bytes (or as many left at the end): one record is too long.
      if (pending.size() - cut >= kMaxRecordBytes)
        throw Error("a record longer than " + std::to_string(kMaxRecordBytes >> 20) + " MiB", name,
                    "is this a table? check the line endings and for an unclosed quote");
      if (eof) cut = pending.size();
      if (cut > 0) break;
      fill(pending.size() * 2);  // one record longer than a chunk
    }
    // The chunk takes the buffer; only the partial record after the cut is copied.
    auto c = std::make_unique<Chunk>();
    c->seq = seq;
    c->size = cut;
    ByteBuffer rest = buffers.take();
    rest.reserve(opt.chunk_bytes + pad);
    rest.assign(pending.begin() + static_cast<std::ptrdiff_t>(cut), pending.end());
    c->bytes = std::move(pending);
    pending = std::move(rest);
    c->bytes.resize(cut + pad);
    std::memset(c->bytes.data() + cut, 0, pad);
    return c;
  };

  unsigned threads =
      opt.threads ? opt.threads : std::min(4u, std::max(1u, std::thread::hardware_concurrency()));
  auto first = next_chunk(0);
  if (first) {
    ChunkResult r0;
    parse(*first, r0);
    if (size_hint > 0 && first->size > 0 && !eof) {
      double est = static_cast<double>(r0.rows) * static_cast<double>(size_hint) /
                   static_cast<double>(first->size);
      merger.reserve(static_cast<std::size_t>(est * 1.02) + 16);
    }
    give_buffer(std::move(first->bytes));
    first.reset();
    merger.merge(r0);
    results.give(std::move(r0));
  }
  if (opt.header_only) {
    merger.finish();
    return t;
  }
  if (!eof || !pending.empty()) {
    // This thread reads and cuts chunks; workers parse them and, in turn, merge whatever is
    // next in order (one merger at a time), so reading never waits on merging.
    std::mutex m, merge_m;
    std::condition_variable cv;
    std::deque<std::unique_ptr<Chunk>> queue;
    std::map<std::int64_t, ChunkResult> done;
    std::exception_ptr failure;
    bool closed = false;
    std::int64_t submitted = 1, merged = 1;
    const std::int64_t max_in_flight = static_cast<std::int64_t>(threads) * 2;
    auto drain = [&] {
      for (;;) {
        {
          std::unique_lock mg(merge_m, std::try_to_lock);
          if (!mg.owns_lock()) return;  // the merger at work will see this chunk
          for (;;) {
            ChunkResult r;
            {
              std::lock_guard lk(m);
              auto it = done.find(merged);
              if (failure || it == done.end()) break;
              r = std::move(it->second);
              done.erase(it);
            }
            try {
              merger.merge(r);
            } catch (...) {
              std::lock_guard lk(m);
              failure = std::current_exception();
              cv.notify_all();
              return;
            }
            results.give(std::move(r));
            {
              std::lock_guard lk(m);
              ++merged;
            }
            cv.notify_all();
          }
        }
        // A chunk finished while the lock was held may have found it taken: look again.
        std::lock_guard lk(m);
        if (failure || !done.count(merged)) return;
      }
    };
    std::vector<std::thread> workers;
    for (unsigned w = 0; w < threads; ++w) {
      workers.emplace_back([&] {
        for (;;) {
          std::unique_ptr<Chunk> c;
          {
            std::unique_lock lk(m);
            cv.wait(lk, [&] { return closed || !queue.empty(); });
            if (queue.empty()) return;
            c = std::move(queue.front());
            queue.pop_front();
          }
          try {
            ChunkResult r = results.take();
            parse(*c, r);
            std::int64_t seq = c->seq;
            give_buffer(std::move(c->bytes));
            c.reset();
            {
              std::lock_guard lk(m);
              done.emplace(seq, std::move(r));
            }
            drain();
          } catch (...) {  // out of memory, say: the reading thread reports it, no terminate()
            std::lock_guard lk(m);
            if (!failure) failure = std::current_exception();
            cv.notify_all();
            return;
          }
        }
      });
    }
    struct Joiner {
      std::vector<std::thread>& ws;
      std::mutex& m;
      std::condition_variable& cv;
      bool& closed;
      ~Joiner() {
        {
          std::lock_guard lk(m);
          closed = true;
        }
        cv.notify_all();
        for (auto& w : ws) w.join();
      }
    } joiner{workers, m, cv, closed};

    for (;;) {
      {
        std::unique_lock lk(m);
        cv.wait(lk, [&] { return failure || submitted - merged < max_in_flight; });
        if (failure) break;
      }
      auto c = next_chunk(submitted);
      if (!c) break;
      {
        std::lock_guard lk(m);
        queue.push_back(std::move(c));
        ++submitted;
      }
      cv.notify_all();
    }
    {
      std::unique_lock lk(m);
      cv.wait(lk, [&] { return failure || merged == submitted; });
      if (failure) std::rethrow_exception(failure);
    }
  }

  merger.finish();
  t.sha256 = in.sha256();
  t.bytes = in.stored_bytes();
  if (format == TableFormat::kJsonl) {
    for (std::size_t s = 0; s < specs.size(); ++s)
      if (!t.columns[s].present && specs[s].required)
        throw Error("missing column " + quote(specs[s].name), name,
                    t.rows == 0 ? "the file has no rows"
                                : "no row has the key " + quote(specs[s].name) + "; " +
                                      did_you_mean_list(specs[s].name, t.header));
  }
  return t;
}

}  // namespace

namespace {
// One column may serve several roles (a label that is also a slice, an id that is also a sensitive
// attribute): it is read once. Two roles that would read it differently are an error.
std::vector<ColumnSpec> merge_specs(const std::vector<ColumnSpec>& specs, const std::string& name) {
  std::vector<ColumnSpec> out;
  out.reserve(specs.size());
  for (const auto& s : specs) {
    auto it =
        std::find_if(out.begin(), out.end(), [&](const ColumnSpec& o) { return o.name == s.name; });
    if (it == out.end()) {
      out.push_back(s);
      continue;
    }
    if (it->type != s.type)
      throw Error("column " + quote(s.name) + " is named for two roles that read it differently (" +
                      (it->type == ColumnType::kNumber ? "numbers" : "categories") + " and " +
                      (s.type == ColumnType::kNumber ? "numbers" : "categories") + ")",
                  name, "give each role its own column");
    it->required = it->required || s.required;
  }
  return out;
}
}  // namespace

std::uint64_t memory_limit() { return memory_limit_now(); }

Table read_table(const std::string& path, const std::vector<ColumnSpec>& specs,
                 const ReadOptions& opt) {
  std::vector<ColumnSpec> merged = merge_specs(specs, path);
  std::uint64_t size = 0;
  InputStream in = InputStream::open(path, &size);
  return read_from(path, std::move(in), opt.format, merged, opt, size);
}

Table read_table_buffer(const std::string& name, std::string_view data, TableFormat format,
                        const std::vector<ColumnSpec>& specs, const ReadOptions& opt) {
  return read_from(name, InputStream(name, std::make_unique<MemorySource>(data)), format,
                   merge_specs(specs, name), opt, data.size());
}

void stream_rows(const std::string& path, TableFormat format, const std::vector<std::string>& drop,
                 const std::function<void(std::string_view)>& sink) {
  InputStream in = InputStream::open(path, nullptr);
  ByteBuffer pending;
  bool eof = false;
  auto fill = [&](std::size_t want) { fill_to(in, pending, want, eof); };
  const std::size_t block = 1u << 20;
  fill(block);
  if (pending.size() >= 3 && static_cast<unsigned char>(pending[0]) == 0xEF &&
      static_cast<unsigned char>(pending[1]) == 0xBB &&
      static_cast<unsigned char>(pending[2]) == 0xBF)
    pending.erase(pending.begin(), pending.begin() + 3);
  refuse_binary(std::string_view(pending.data(), pending.size()), path);
  if (format == TableFormat::kAuto) format = format_from_name(path);
  if (format == TableFormat::kAuto)
    format = sniff_format(std::string_view(pending.data(), pending.size()));
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
