// Files and digests: SHA-256 and HMAC-SHA256 against published vectors, atomic writes and modes.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"

using namespace mlgate;

TEST(Io, Sha256KnownVectors) {
  // FIPS 180-2 examples.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Io, HmacSha256Rfc4231) {
  // RFC 4231, test cases 1 and 2.
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

TEST(Io, AtomicWriteKeepsModeAndLeavesNoTemporary) {
  char dir[] = "/tmp/mlgate-io-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/out.json";
  write_file_atomic(path, "one");
  EXPECT_EQ(read_file(path), "one");
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  write_file_atomic(path, "two");
  EXPECT_EQ(read_file(path), "two");
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_THROW(write_file_atomic(std::string(dir) + "/no/such/dir/x", "x"), Error);
  ASSERT_EQ(unlink(path.c_str()), 0);
  EXPECT_EQ(rmdir(dir), 0);  // empty: no temporary file left behind
}
