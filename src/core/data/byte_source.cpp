#include "byte_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "mlgate/base/error.hpp"
#include "mlgate/base/text.hpp"

namespace mlgate::reader {

namespace {

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

}  // namespace

std::unique_ptr<StoredSource> fd_source(int fd, std::string name) {
  return std::make_unique<FdSource>(fd, std::move(name));
}
std::unique_ptr<StoredSource> memory_source(std::string_view data) {
  return std::make_unique<MemorySource>(data);
}

InputStream::InputStream(const std::string& name, std::unique_ptr<StoredSource> stored)
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
  const auto b0 = got > 0 ? static_cast<unsigned char>(head[0]) : 0;
  const auto b1 = got > 1 ? static_cast<unsigned char>(head[1]) : 0;
  const bool gz = got == 2 && b0 == 0x1f && b1 == 0x8b;
  if (got == 2 && ((b0 == 0xFF && b1 == 0xFE) || (b0 == 0xFE && b1 == 0xFF)))
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

InputStream InputStream::open(const std::string& path, std::uint64_t* size) {
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
  return InputStream(path, fd_source(fd, path));
}

void fill_to(InputStream& in, ByteBuffer& buf, std::size_t want, bool& eof) {
  while (!eof && buf.size() < want) {
    std::size_t old = buf.size();
    buf.resize(std::max(want, old + (64u << 10)));
    std::size_t got = in.read(buf.data() + old, buf.size() - old);
    buf.resize(old + got);
    if (got == 0) eof = true;
  }
}

}  // namespace mlgate::reader
