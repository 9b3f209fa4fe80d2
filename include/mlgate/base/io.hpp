// Files and provenance: hashes, atomic writes, and where a result came from.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace mlgate {

// SHA-256 over bytes handed in pieces (a table as it streams past); the one digest every input
// hash and evidence hash in mlgate comes from.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t n);
  std::string hex();  // lower-case hex; once, at the end

 private:
  evp_md_ctx_st* ctx_;
};

std::string sha256_hex(std::string_view bytes);
// HMAC-SHA256 of data under key, lower-case hex.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// Compares two strings in time that does not depend on where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);
// Lower-case hex of a digest.
std::string hex_digest(const unsigned char* md, unsigned len);
std::string sha256_file(const std::string& path);  // throws Error
std::string read_file(const std::string& path);    // throws Error; "-" reads standard input

// Writes to a temporary file beside path, flushes it to disk and renames it over path, so a
// reader never sees half a file. "-" writes to standard output. Throws Error (disk full too).
void write_file_atomic(const std::string& path, std::string_view content);

// SIGINT, SIGTERM and SIGHUP remove the temporary files of writes under way, kill the model
// command's process group if one runs, print "TOOL: error: interrupted by SIG..." and exit 2.
void install_interrupt_cleanup(const char* tool);
// The process group the handler kills (0: none).
void set_interrupt_child_group(int group);

// The commit under test: GITHUB_SHA, CI_COMMIT_SHA, GIT_COMMIT, else `git rev-parse HEAD`.
std::string current_git_sha();
// UTC time as 2026-11-23T02:00:00Z; SOURCE_DATE_EPOCH pins it for reproducible documents.
std::string utc_timestamp();

// Runs argv without a shell and returns its standard output; sets *ok to whether it exited 0.
// With err, standard error is captured there (else discarded).
std::string capture_command(const std::vector<std::string>& argv, bool* ok,
                            std::string* err = nullptr);

}  // namespace mlgate
