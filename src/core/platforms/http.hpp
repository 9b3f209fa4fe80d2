// A small HTTP client over libcurl, private to the core so nothing else sees curl. TLS
// verification is always on; proxies come from the environment (http_proxy, https_proxy,
// no_proxy), as libcurl reads them.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mlgate/data/served_model.hpp"

namespace mlgate {

struct HttpRequest {
  std::string method = "GET", url, body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Plain http:// is refused unless the user named an http:// URL themselves.
  bool allow_http = false;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string header(const std::string& lower_name) const;
};

// Sends one request; throws Error on a transport failure (refused, timeout, TLS, DNS). Only
// https (and http where allowed) reach libcurl: file://, gopher://, dict:// and every other
// scheme are refused before anything is sent, and redirects are never followed.
HttpResponse http_send(const HttpRequest& r, double timeout_s);

// "scheme://host:port" of an absolute http(s) URL, lower-cased with the scheme's default port
// made explicit; throws Error for anything else (other schemes, no host, unparsable).
std::string url_origin(const std::string& url);

// The HttpChannel of the data wing's served models, over one reused libcurl handle (the
// connection is kept alive between calls). run_main installs it.
std::unique_ptr<HttpChannel> make_curl_channel(const ChannelOptions& options);

// The URL of rel="next" in an RFC 8288 Link header, or "".
std::string link_next(const std::string& link_header);

}  // namespace mlgate
