// The reader's byte sources: a file (or standard input), bytes in memory, and gzip over either,
// detected by its magic bytes. Whatever the source, the bytes as stored are counted and hashed
// once (base's Sha256) as they stream past, so a table's sha256 costs no second read.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mlgate/base/io.hpp"

namespace mlgate::reader {

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

// A file descriptor (0: standard input), closed at the end.
std::unique_ptr<StoredSource> fd_source(int fd, std::string name);
std::unique_ptr<StoredSource> memory_source(std::string_view data);

// A table's bytes: inflated when they are gzip, refused when they are UTF-16 or named .gz
// without being gzip.
class InputStream {
 public:
  InputStream(const std::string& name, std::unique_ptr<StoredSource> stored);
  // Opens path ("-": standard input); *size is the file's size when known (else 0).
  static InputStream open(const std::string& path, std::uint64_t* size);
  std::size_t read(char* buf, std::size_t n) { return src_->read(buf, n); }
  bool compressed() const { return compressed_; }
  std::string sha256() { return stored_->sha256(); }
  std::uint64_t stored_bytes() const { return stored_->stored_bytes(); }

 private:
  std::unique_ptr<StoredSource> stored_;
  std::unique_ptr<ByteSource> src_;
  bool compressed_ = false;
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

// Reads until buf holds at least `want` bytes or the input ends (then sets eof).
void fill_to(InputStream& in, ByteBuffer& buf, std::size_t want, bool& eof);

}  // namespace mlgate::reader
