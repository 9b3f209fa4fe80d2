// mlgate-comment: one sticky PR/MR comment, created or updated in place (GitHub, GitLab).
#pragma once

#include <optional>
#include <string>

namespace mlgate {

struct CommentOptions {
  std::string body_file, provider = "auto", marker = "mlgate-report";
  std::string author;  // whose comment is the sticky one; default: the token's own identity
  std::optional<long long> pr;
  bool dry_run = false, soft_fail = false, verbose = false;
  int retries = 3;
  double timeout_s = 60;
};

// The body with the hidden marker line, cut to fit max_chars with the marker kept.
std::string comment_body(const std::string& body, const std::string& marker,
                         std::size_t max_chars = 65536);

int run_comment(const CommentOptions& o);

}  // namespace mlgate
