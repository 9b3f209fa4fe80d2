#include "http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include "mlgate/base/error.hpp"
#include "mlgate/base/text.hpp"

namespace mlgate {

std::string HttpResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

namespace {

std::size_t on_body(char* p, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(p, size * n);
  return size * n;
}

std::size_t on_header(char* p, std::size_t size, std::size_t n, void* user) {
  std::string line(p, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string k = line.substr(0, colon), v(trim(line.substr(colon + 1)));
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
    std::transform(k.begin(), k.end(), k.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static_cast<HttpResponse*>(user)->headers.emplace_back(k, v);
  } else if (line.rfind("HTTP/", 0) == 0) {
    static_cast<HttpResponse*>(user)->headers.clear();  // a new response (after a redirect)
  }
  return size * n;
}

}  // namespace

namespace {
void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}
}  // namespace

std::string url_origin(const std::string& url) {
  global_init();
  CURLU* u = curl_url();
  if (!u) throw Error("cannot initialise libcurl", "URL");
  auto part = [&](CURLUPart what, unsigned flags) {
    char* v = nullptr;
    std::string out;
    if (curl_url_get(u, what, &v, flags) == CURLUE_OK && v) out = v;
    curl_free(v);
    return out;
  };
  // No guessing of a scheme: a URL without one is not an API URL.
  bool ok = curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK;
  std::string scheme = ok ? part(CURLUPART_SCHEME, 0) : "",
              host = ok ? part(CURLUPART_HOST, 0) : "",
              port = ok ? part(CURLUPART_PORT, CURLU_DEFAULT_PORT) : "";
  curl_url_cleanup(u);
  for (auto* s : {&scheme, &host})
    std::transform(s->begin(), s->end(), s->begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (!ok || host.empty() || (scheme != "https" && scheme != "http"))
    throw Error("not an http(s) URL: " + quote(url, 120), "URL",
                "mlgate speaks https (and http where you name an http:// URL), nothing else");
  return scheme + "://" + host + ":" + port;
}

HttpResponse http_send(const HttpRequest& r, double timeout_s) {
  global_init();
  const std::string origin = url_origin(r.url);
  if (!r.allow_http && starts_with(origin, "http://"))
    throw Error("refusing plain http", r.method + " " + r.url,
                "only https is used unless you name an http:// URL yourself");
  CURL* c = curl_easy_init();
  if (!c) throw Error("cannot initialise libcurl", r.url);
  HttpResponse resp;
  curl_slist* hdrs = nullptr;
  for (const auto& [k, v] : r.headers) hdrs = curl_slist_append(hdrs, (k + ": " + v).c_str());
  curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  if (!r.body.empty() || r.method == "POST" || r.method == "PATCH" || r.method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max(1.0, timeout_s * 1000)));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max(1.0, std::min(timeout_s, 30.0) * 1000)));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "mlgate/" MLGATE_VERSION);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect could carry the token elsewhere
  // Belt and braces behind url_origin: libcurl itself will speak nothing but these.
  const char* protocols = r.allow_http ? "https,http" : "https";
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) {
    // The URL never holds a token (tokens travel in headers), so it may be named.
    throw Error(std::string("network failure: ") + curl_easy_strerror(rc), r.method + " " + r.url,
                "check the API URL, the network and any proxy");
  }
  return resp;
}

namespace {

struct BoundedBody {
  std::string* out;
  std::size_t max;
  bool over = false;
};

std::size_t on_bounded_body(char* p, std::size_t size, std::size_t n, void* user) {
  auto* b = static_cast<BoundedBody*>(user);
  if (b->out->size() + size * n > b->max) {
    b->over = true;
    return 0;  // libcurl stops with CURLE_WRITE_ERROR
  }
  b->out->append(p, size * n);
  return size * n;
}

class CurlChannel : public HttpChannel {
 public:
  explicit CurlChannel(const ChannelOptions& o) : o_(o) {
    global_init();
    c_ = curl_easy_init();
    if (!c_) throw Error("cannot initialise libcurl", "--model-url");
  }
  ~CurlChannel() override {
    if (hdrs_) curl_slist_free_all(hdrs_);
    curl_easy_cleanup(c_);
  }
  CurlChannel(const CurlChannel&) = delete;
  CurlChannel& operator=(const CurlChannel&) = delete;

  HttpAnswer send(const HttpCall& call) override {
    HttpAnswer a;
    // The same handle each time (so the connection is reused); options set afresh.
    curl_easy_reset(c_);
    if (hdrs_) curl_slist_free_all(hdrs_);
    hdrs_ = nullptr;
    if (call.headers)
      for (const auto& [k, v] : *call.headers)
        hdrs_ = curl_slist_append(hdrs_, (k + ": " + v).c_str());
    // No "Expect: 100-continue" round trip before each body.
    hdrs_ = curl_slist_append(hdrs_, "Expect:");
    BoundedBody body{&a.body, call.max_body};
    curl_easy_setopt(c_, CURLOPT_URL, call.url.c_str());
    if (call.method == "POST") {
      curl_easy_setopt(c_, CURLOPT_POST, 1L);
      curl_easy_setopt(c_, CURLOPT_POSTFIELDS, call.body.c_str());
      curl_easy_setopt(c_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
    } else {
      curl_easy_setopt(c_, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c_, CURLOPT_HTTPHEADER, hdrs_);
    curl_easy_setopt(c_, CURLOPT_WRITEFUNCTION, on_bounded_body);
    curl_easy_setopt(c_, CURLOPT_WRITEDATA, &body);
    HttpResponse headers;  // on_header's collection; only Retry-After is kept
    curl_easy_setopt(c_, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c_, CURLOPT_HEADERDATA, &headers);
    curl_easy_setopt(c_, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c_, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!o_.cacert.empty()) curl_easy_setopt(c_, CURLOPT_CAINFO, o_.cacert.c_str());
    if (!o_.cert.empty()) curl_easy_setopt(c_, CURLOPT_SSLCERT, o_.cert.c_str());
    if (!o_.key.empty()) curl_easy_setopt(c_, CURLOPT_SSLKEY, o_.key.c_str());
    curl_easy_setopt(c_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c_, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::max(1.0, call.timeout_s * 1000)));
    curl_easy_setopt(c_, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::max(1.0, std::min(call.timeout_s, 30.0) * 1000)));
    curl_easy_setopt(c_, CURLOPT_USERAGENT, "mlgate/" MLGATE_VERSION);
    curl_easy_setopt(c_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c_, CURLOPT_TCP_NODELAY, 1L);
    const char* protocols = o_.allow_http ? "https,http" : "https";
    curl_easy_setopt(c_, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(c_, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
    CURLcode rc = curl_easy_perform(c_);
    curl_easy_getinfo(c_, CURLINFO_RESPONSE_CODE, &a.status);
    a.retry_after = headers.header("retry-after");
    if (rc == CURLE_OK) return a;
    a.failure_text = curl_easy_strerror(rc);
    switch (rc) {
      case CURLE_OPERATION_TIMEDOUT:
        a.failure = HttpAnswer::Failure::kTimeout;
        break;
      case CURLE_COULDNT_CONNECT:
      case CURLE_GOT_NOTHING:
      case CURLE_RECV_ERROR:
      case CURLE_SEND_ERROR:
      case CURLE_PARTIAL_FILE:
        a.failure = HttpAnswer::Failure::kConnection;
        break;
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CIPHER:
      case CURLE_SSL_ENGINE_NOTFOUND:
      case CURLE_SSL_ISSUER_ERROR:
      case CURLE_SSL_CRL_BADFILE:
        a.failure = HttpAnswer::Failure::kTls;
        break;
      case CURLE_WRITE_ERROR:
        if (body.over) {
          a.failure = HttpAnswer::Failure::kTooLarge;
          a.failure_text = "the answer is longer than " + std::to_string(call.max_body) + " bytes";
          break;
        }
        a.failure = HttpAnswer::Failure::kOther;
        break;
      default:
        a.failure = HttpAnswer::Failure::kOther;
    }
    a.status = 0;
    return a;
  }

 private:
  ChannelOptions o_;
  CURL* c_ = nullptr;
  curl_slist* hdrs_ = nullptr;
};

}  // namespace

std::unique_ptr<HttpChannel> make_curl_channel(const ChannelOptions& options) {
  return std::make_unique<CurlChannel>(options);
}

std::string link_next(const std::string& h) {
  // <https://api.example/x?page=2>; rel="next", <...>; rel="last"
  std::size_t pos = 0;
  while (pos < h.size()) {
    auto lt = h.find('<', pos);
    if (lt == std::string::npos) break;
    auto gt = h.find('>', lt);
    if (gt == std::string::npos) break;
    auto next = h.find('<', gt);
    std::string params =
        h.substr(gt + 1, next == std::string::npos ? std::string::npos : next - gt - 1);
    if (params.find("rel=\"next\"") != std::string::npos ||
        params.find("rel=next") != std::string::npos)
      return h.substr(lt + 1, gt - lt - 1);
    pos = gt + 1;
  }
  return {};
}

}  // namespace mlgate
