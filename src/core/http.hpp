// A small HTTP client over libcurl, private to the core so nothing else sees curl. TLS
// verification is always on; proxies come from the environment (http_proxy, https_proxy,
// no_proxy), as libcurl reads them.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mlgate {

struct HttpRequest {
  std::string method = "GET", url, body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string header(const std::string& lower_name) const;
};

// Sends one request; throws Error on a transport failure (refused, timeout, TLS, DNS).
HttpResponse http_send(const HttpRequest& r, double timeout_s);

// The URL of rel="next" in an RFC 8288 Link header, or "".
std::string link_next(const std::string& link_header);

}  // namespace mlgate
