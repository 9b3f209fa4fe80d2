// What a table's bytes are, told in one place for every reader path (the columnar read and the
// row stream to a model command): the format asked for, else the file name's extension, else a
// look at the first line; binary input is refused by name rather than read as text.
#pragma once

#include <string>
#include <string_view>

#include "mlgate/data/table.hpp"

namespace mlgate::reader {

struct TextStart {
  TableFormat format = TableFormat::kCsv;  // never kAuto
  std::size_t skip = 0;                    // bytes of a UTF-8 byte order mark to drop
};
// head: the first bytes of the content (64 KiB or all of it). Throws Error for binary input.
TextStart detect_format(const std::string& name, std::string_view head, TableFormat asked);

// Whether a file name says Parquet (.parquet, .pq).
bool is_parquet_name(const std::string& path);

// What a file that is not text looks like, from its first bytes ("" for text).
std::string binary_kind(std::string_view head);

}  // namespace mlgate::reader
