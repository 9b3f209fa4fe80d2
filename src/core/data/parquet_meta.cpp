// Parquet's metadata: a Thrift compact-protocol reader (bounded: every length is checked against
// what is left, nesting is limited) and the structures mlgate reads from it. Fields mlgate does
// not use are skipped by type; statistics and page indexes are never read.
#include <cstring>

#include "mlgate/base/error.hpp"
#include "parquet.hpp"

namespace mlgate::reader::parquet {

namespace {

// Thrift compact protocol types.
enum : int {
  kStop = 0,
  kTrue = 1,
  kFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12
};

class Compact {
 public:
  Compact(std::string_view data, std::string where)
      : p_(data.data()),
        end_(data.data() + data.size()),
        begin_(data.data()),
        where_(std::move(where)) {}

  std::size_t used() const { return static_cast<std::size_t>(p_ - begin_); }

  [[noreturn]] void fail(const std::string& what) const {
    throw Error("corrupt metadata: " + what + " (at byte " + std::to_string(used()) + ")", where_,
                "the file is damaged or not written by a Parquet writer");
  }

  std::uint8_t byte() {
    if (p_ >= end_) fail("it ends early");
    return static_cast<std::uint8_t>(*p_++);
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t b = byte();
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    fail("a varint is too long");
  }
  std::int64_t zigzag() {
    std::uint64_t v = varint();
    return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  std::int32_t i32() {
    std::int64_t v = zigzag();
    if (v < INT32_MIN || v > INT32_MAX) fail("an i32 is out of range");
    return static_cast<std::int32_t>(v);
  }
  std::string_view binary() {
    std::uint64_t n = varint();
    if (n > static_cast<std::uint64_t>(end_ - p_)) fail("a string runs past the end");
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }

  // A field header: returns false at STOP; sets id and type.
  bool field(std::int16_t& last_id, int& id, int& type) {
    std::uint8_t b = byte();
    type = b & 0x0f;
    if (type == kStop) return false;
    int delta = b >> 4;
    if (delta)
      id = last_id + delta;
    else
      id = static_cast<int>(zigzag());
    last_id = static_cast<std::int16_t>(id);
    return true;
  }
  // A list or set header: element type and count (each element takes at least one byte, so a
  // count past the bytes left is corrupt).
  std::size_t list(int& elem) {
    std::uint8_t b = byte();
    elem = b & 0x0f;
    std::uint64_t n = b >> 4;
    if (n == 15) n = varint();
    if (n > static_cast<std::uint64_t>(end_ - p_) + 1) fail("a list is longer than the data");
    return static_cast<std::size_t>(n);
  }
  bool bool_value(int type) {
    if (type == kTrue) return true;
    if (type == kFalse) return false;
    return byte() == 1;  // inside lists: one byte
  }

  void skip(int type, int depth = 0) {
    if (depth > 32) fail("nesting is too deep");
    switch (type) {
      case kTrue:
      case kFalse:
        return;
      case kByte:
        byte();
        return;
      case kI16:
      case kI32:
      case kI64:
        varint();
        return;
      case kDouble:
        for (int i = 0; i < 8; ++i) byte();
        return;
      case kBinary:
        binary();
        return;
      case kList:
      case kSet: {
        int elem = 0;
        std::size_t n = list(elem);
        for (std::size_t i = 0; i < n; ++i) skip_element(elem, depth + 1);
        return;
      }
      case kMap: {
        std::uint64_t n = varint();
        if (n == 0) return;
        if (n > static_cast<std::uint64_t>(end_ - p_)) fail("a map is longer than the data");
        std::uint8_t kv = byte();
        for (std::uint64_t i = 0; i < n; ++i) {
          skip_element(kv >> 4, depth + 1);
          skip_element(kv & 0x0f, depth + 1);
        }
        return;
      }
      case kStruct: {
        std::int16_t last = 0;
        int id = 0, t = 0;
        while (field(last, id, t)) skip(t, depth + 1);
        return;
      }
      default:
        fail("unknown type " + std::to_string(type));
    }
  }
  void skip_element(int type, int depth) {
    if (type == kTrue || type == kFalse)
      byte();  // a bool inside a collection is a byte
    else
      skip(type, depth);
  }

 private:
  const char* p_;
  const char* end_;
  const char* begin_;
  std::string where_;
};

// Calls f(id, type) for each field of a struct; f must consume the value (or skip it).
template <class F>
void each_field(Compact& c, F&& f) {
  std::int16_t last = 0;
  int id = 0, type = 0;
  while (c.field(last, id, type)) f(id, type);
}

template <class F>
void each_element(Compact& c, int type, int expect, F&& f) {
  if (type != kList && type != kSet) c.fail("expected a list");
  int elem = 0;
  std::size_t n = c.list(elem);
  for (std::size_t i = 0; i < n; ++i) {
    if (elem != expect) {
      c.skip_element(elem, 1);
      continue;
    }
    f();
  }
}

std::string unit_of(Compact& c) {  // TimeUnit union
  std::string unit = "?";
  each_field(c, [&](int id, int type) {
    if (id == 1) unit = "milliseconds";
    if (id == 2) unit = "microseconds";
    if (id == 3) unit = "nanoseconds";
    c.skip(type);
  });
  return unit;
}

void logical_type(Compact& c, LeafColumn& leaf) {
  each_field(c, [&](int id, int type) {
    if (type != kStruct) {
      c.skip(type);
      return;
    }
    switch (id) {
      case 1:   // STRING
      case 4:   // ENUM
      case 12:  // JSON
      case 14:  // UUID (as bytes)
        leaf.meaning = id == 14 ? Meaning::kOther : Meaning::kString;
        c.skip(type);
        break;
      case 5:  // DECIMAL
        leaf.meaning = Meaning::kDecimal;
        each_field(c, [&](int fid, int ft) {
          if (fid == 1 && ft == kI32)
            leaf.scale = c.i32();
          else if (fid == 2 && ft == kI32)
            leaf.precision = c.i32();
          else
            c.skip(ft);
        });
        break;
      case 6:  // DATE
        leaf.meaning = Meaning::kDate;
        leaf.unit = "days since 1970-01-01";
        c.skip(type);
        break;
      case 7:  // TIME
      case 8:  // TIMESTAMP
        leaf.meaning = id == 7 ? Meaning::kTime : Meaning::kTimestamp;
        each_field(c, [&](int fid, int ft) {
          if (fid == 2 && ft == kStruct)
            leaf.unit = unit_of(c);
          else
            c.skip(ft);
        });
        leaf.unit += id == 7 ? " since midnight" : " since 1970-01-01 UTC";
        break;
      case 10:  // INTEGER
        leaf.meaning = Meaning::kInteger;
        each_field(c, [&](int fid, int ft) {
          if (fid == 2)
            leaf.is_signed = c.bool_value(ft);
          else
            c.skip(ft);
        });
        break;
      default:
        c.skip(type);
    }
  });
}

struct SchemaElement {
  int type = -1, type_length = 0, repetition = 0, num_children = 0, converted = -1;
  int scale = 0, precision = 0;
  std::string name;
  LeafColumn logical;  // meaning and parameters from logicalType
  bool has_logical = false;
};

SchemaElement schema_element(Compact& c) {
  SchemaElement e;
  each_field(c, [&](int id, int type) {
    switch (id) {
      case 1:
        e.type = c.i32();
        break;
      case 2:
        e.type_length = c.i32();
        break;
      case 3:
        e.repetition = c.i32();
        break;
      case 4:
        e.name = std::string(c.binary());
        break;
      case 5:
        e.num_children = c.i32();
        break;
      case 6:
        e.converted = c.i32();
        break;
      case 7:
        e.scale = c.i32();
        break;
      case 8:
        e.precision = c.i32();
        break;
      case 10:
        if (type == kStruct) {
          e.has_logical = true;
          logical_type(c, e.logical);
        } else {
          c.skip(type);
        }
        break;
      default:
        c.skip(type);
    }
  });
  return e;
}

// The legacy converted types, where no logicalType says more.
void converted_meaning(const SchemaElement& e, LeafColumn& leaf) {
  switch (e.converted) {
    case 0:   // UTF8
    case 4:   // ENUM
    case 19:  // JSON
      leaf.meaning = Meaning::kString;
      break;
    case 5:  // DECIMAL
      leaf.meaning = Meaning::kDecimal;
      leaf.scale = e.scale;
      leaf.precision = e.precision;
      break;
    case 6:
      leaf.meaning = Meaning::kDate;
      leaf.unit = "days since 1970-01-01";
      break;
    case 7:
    case 8:
      leaf.meaning = Meaning::kTime;
      leaf.unit = e.converted == 7 ? "milliseconds since midnight" : "microseconds since midnight";
      break;
    case 9:
    case 10:
      leaf.meaning = Meaning::kTimestamp;
      leaf.unit = e.converted == 9 ? "milliseconds since 1970-01-01 UTC"
                                   : "microseconds since 1970-01-01 UTC";
      break;
    case 11:
    case 12:
    case 13:
    case 14:
      leaf.meaning = Meaning::kInteger;
      leaf.is_signed = false;
      break;
    case 15:
    case 16:
    case 17:
    case 18:
      leaf.meaning = Meaning::kInteger;
      break;
    default:
      break;
  }
}

ChunkMeta column_meta(Compact& c) {
  ChunkMeta m;
  each_field(c, [&](int id, int type) {
    switch (id) {
      case 1:
        m.type = static_cast<Physical>(c.i32());
        break;
      case 4:
        m.codec = static_cast<Codec>(c.i32());
        break;
      case 5:
        m.num_values = c.zigzag();
        break;
      case 7:
        m.total_compressed_size = c.zigzag();
        break;
      case 9:
        m.data_page_offset = c.zigzag();
        break;
      case 11:
        m.dictionary_page_offset = c.zigzag();
        break;
      default:
        c.skip(type);
    }
  });
  return m;
}

RowGroupMeta row_group(Compact& c) {
  RowGroupMeta g;
  each_field(c, [&](int id, int type) {
    if (id == 1) {
      each_element(c, type, kStruct, [&] {
        ChunkMeta m;
        bool have = false;
        each_field(c, [&](int cid, int ct) {
          if (cid == 1 && ct == kBinary) {
            if (!c.binary().empty())
              throw Error("a column chunk lives in another file", "",
                          "mlgate reads Parquet files whose data is in the file itself");
          } else if (cid == 3 && ct == kStruct) {
            m = column_meta(c);
            have = true;
          } else if (cid == 8 || cid == 9) {
            throw Error("the file is encrypted", "", "decrypt it first");
          } else {
            c.skip(ct);
          }
        });
        if (!have) c.fail("a column chunk has no metadata");
        g.columns.push_back(m);
      });
    } else if (id == 3) {
      g.num_rows = c.zigzag();
    } else {
      c.skip(type);
    }
  });
  return g;
}

}  // namespace

FileMeta read_footer(std::string_view bytes, const std::string& file) {
  if (bytes.size() < 12 || bytes.substr(0, 4) != "PAR1")
    throw Error("not a Parquet file (no PAR1 at its start)", file,
                "the file is damaged, or not Parquet");
  if (bytes.substr(bytes.size() - 4) == "PARE")
    throw Error("the file is encrypted (PARE)", file, "decrypt it first");
  if (bytes.substr(bytes.size() - 4) != "PAR1")
    throw Error("the file is truncated (no PAR1 at its end)", file,
                "the file was cut short; write it again");
  std::uint32_t len = 0;
  std::memcpy(&len, bytes.data() + bytes.size() - 8, 4);
  if (len == 0 || len > bytes.size() - 12)
    throw Error("the footer's length " + std::to_string(len) + " runs past the file's start", file,
                "the file is damaged");
  Compact c(bytes.substr(bytes.size() - 8 - len, len), file + ": footer");
  FileMeta m;
  std::vector<SchemaElement> schema;
  try {
    each_field(c, [&](int id, int type) {
      switch (id) {
        case 2:
          each_element(c, type, kStruct, [&] { schema.push_back(schema_element(c)); });
          break;
        case 3:
          m.num_rows = c.zigzag();
          break;
        case 4:
          each_element(c, type, kStruct, [&] { m.row_groups.push_back(row_group(c)); });
          break;
        default:
          c.skip(type);
      }
    });
  } catch (const Error& e) {
    if (!e.where().empty()) throw;
    throw Error(e.what_text(), file, e.hint());
  }
  if (schema.empty()) throw Error("the footer has no schema", file, "the file is damaged");
  // The schema is a tree in depth-first order; the root's children are the top-level fields.
  // Leaves under a group, or repeated, are nested: their names are kept so that asking for one
  // is a clear error.
  struct Frame {
    int left;
    std::string top;
    bool nested;
    int def;
  };
  std::vector<Frame> stack;
  stack.push_back({schema[0].num_children, "", false, 0});
  for (std::size_t i = 1; i < schema.size(); ++i) {
    while (!stack.empty() && stack.back().left == 0) stack.pop_back();
    if (stack.empty()) throw Error("the schema has more elements than its tree", file);
    Frame& parent = stack.back();
    --parent.left;
    const SchemaElement& e = schema[i];
    const bool top = stack.size() == 1;
    const std::string top_name = top ? e.name : parent.top;
    if (top) m.header.push_back(e.name);
    const bool repeated = e.repetition == 2;
    const int def = parent.def + (e.repetition == 1 || repeated ? 1 : 0);
    if (e.num_children > 0) {
      stack.push_back({e.num_children, top_name, true, def});
      continue;
    }
    LeafColumn leaf;
    leaf.name = top_name;
    if (e.type < 0 || e.type > 7) throw Error("column " + quote(e.name) + " has no type", file);
    leaf.type = static_cast<Physical>(e.type);
    leaf.type_length = e.type_length;
    leaf.max_def = def;
    leaf.nested = parent.nested || repeated || !top;
    if (e.has_logical)
      leaf = [&] {
        LeafColumn l = e.logical;
        l.name = leaf.name;
        l.type = leaf.type;
        l.type_length = leaf.type_length;
        l.max_def = leaf.max_def;
        l.nested = leaf.nested;
        return l;
      }();
    else
      converted_meaning(e, leaf);
    m.leaves.push_back(std::move(leaf));
  }
  for (std::size_t g = 0; g < m.row_groups.size(); ++g)
    if (m.row_groups[g].columns.size() != m.leaves.size())
      throw Error("row group " + std::to_string(g) + " has " +
                      std::to_string(m.row_groups[g].columns.size()) + " columns, the schema " +
                      std::to_string(m.leaves.size()),
                  file, "the file is damaged");
  return m;
}

PageHeader read_page_header(std::string_view data, std::size_t* used, const std::string& where) {
  Compact c(data, where);
  PageHeader h;
  bool have_kind = false;
  each_field(c, [&](int id, int type) {
    switch (id) {
      case 1:
        h.type = static_cast<PageType>(c.i32());
        break;
      case 2:
        h.uncompressed_size = c.i32();
        break;
      case 3:
        h.compressed_size = c.i32();
        break;
      case 4:
        h.has_crc = true;
        h.crc = static_cast<std::uint32_t>(c.i32());
        break;
      case 5:  // DataPageHeader: num_values, encoding, definition_level_encoding
      case 7:  // DictionaryPageHeader: num_values, encoding
        have_kind = true;
        each_field(c, [&](int fid, int ft) {
          if (fid == 1)
            h.num_values = c.i32();
          else if (fid == 2)
            h.encoding = static_cast<Encoding>(c.i32());
          else if (fid == 3 && id == 5)
            h.def_encoding = static_cast<Encoding>(c.i32());
          else
            c.skip(ft);
        });
        break;
      case 8:  // DataPageHeaderV2
        have_kind = true;
        each_field(c, [&](int fid, int ft) {
          switch (fid) {
            case 1:
              h.num_values = c.i32();
              break;
            case 2:
              h.num_nulls = c.i32();
              break;
            case 4:
              h.encoding = static_cast<Encoding>(c.i32());
              break;
            case 5:
              h.def_bytes = c.i32();
              break;
            case 6:
              h.rep_bytes = c.i32();
              break;
            case 7:
              h.v2_compressed = c.bool_value(ft);
              break;
            default:
              c.skip(ft);
          }
        });
        break;
      default:
        c.skip(type);
    }
  });
  if (h.compressed_size < 0 || h.uncompressed_size < 0 || h.num_values < 0 || h.def_bytes < 0 ||
      h.rep_bytes < 0)
    c.fail("a page header has a negative size");
  if (!have_kind && h.type != PageType::kIndex) c.fail("a page header names no page kind");
  *used = c.used();
  return h;
}

}  // namespace mlgate::reader::parquet
