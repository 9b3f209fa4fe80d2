// A reference profile: what mlgate-datatest needs of a reference table for a suite's checks,
// without its rows (mlgate-datatest --profile-out; --reference takes it in place of the table).
// Per column the exact multiset of its values (distinct numbers with their counts, text values
// with theirs, the missing count), so every drift check gives the same result as the table; per
// no_overlap_with_reference key, the 64-bit hashes of the reference's keys. The file: a line
// "mlgate-profile 1", a line of JSON (the reference's path, sha256, rows and header, the
// columns, the keys, the body's size and sha256), then the zlib-compressed body.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mlgate/base/result.hpp"
#include "mlgate/data/table.hpp"
#include "mlgate/decisions/datatest.hpp"

namespace mlgate {

struct ReferenceProfile {  // NOLINT(bugprone-exception-escape): its members move without throwing
  // The reference's columns rebuilt from their multisets (rows in value order, so only checks
  // of one column at a time read them), its header and row count.
  Table table;
  ojson source;  // the reference table it was made from: path, sha256, rows, format
  // The sorted, distinct 64-bit hashes of the reference's keys, by the key's columns joined
  // with "+" (as no_overlap_with_reference's check id names them).
  std::map<std::string, std::vector<std::uint64_t>> key_hashes;
};

// Whether the file starts as a profile does.
bool is_profile(const std::string& path);
// The profile of a reference table for a suite (the columns it reads, the keys its
// no_overlap_with_reference expectations name).
void write_profile(const std::string& path, const Table& reference,
                   const std::string& reference_path, const Suite& suite);
ReferenceProfile read_profile(const std::string& path);
ReferenceProfile parse_profile(std::string_view bytes, const std::string& name);

// The 64-bit hash a key (a row's canonical values, each followed by \x1f) is kept as: FNV-1a
// then a SplitMix64 finalizer. Two different keys collide with probability about 2^-64.
std::uint64_t key_hash(std::string_view key);

}  // namespace mlgate
