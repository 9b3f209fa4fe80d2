#include "mlgate/platforms/comment.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <initializer_list>
#include <thread>

#include <nlohmann/json.hpp>

#include "http.hpp"
#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/json.hpp"
#include "mlgate/base/log.hpp"
#include "mlgate/base/number.hpp"
#include "mlgate/base/text.hpp"

namespace mlgate {

std::string comment_body(const std::string& body, const std::string& marker,
                         std::size_t max_chars) {
  const std::string line = "<!-- " + marker + " -->";
  std::string b = body;
  if (b.find(line) == std::string::npos)
    b += (b.empty() || b.back() == '\n' ? "" : "\n") + line + "\n";
  if (b.size() <= max_chars) return b;
  const std::string note = "\n\n> Comment truncated to fit " + std::to_string(max_chars) +
                           " characters.\n" + line + "\n";
  std::string cut = b.substr(0, max_chars - note.size());
  while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80)
    cut.pop_back();  // whole UTF-8
  if (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0x80)) cut.pop_back();
  auto pos = cut.find(line);
  if (pos != std::string::npos) cut.erase(pos, line.size());  // the marker goes last, once
  return cut + note;
}

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// An API answer or event payload, nesting bounded; a discarded value when it is not JSON.
nlohmann::json parse_answer(const std::string& text, const std::string& where) {
  try {
    return parse_json(text, where, {kMaxJsonDepth, false});
  } catch (const Error&) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

class Api {
 public:
  Api(std::string token_header, std::string token, const CommentOptions& o)
      : header_(std::move(token_header)),
        token_(std::move(token)),
        o_(o),
        deadline_(std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::chrono::duration<double>(o.timeout_s))) {}

  // Anything printed goes through here: the token never appears in output, whole or in part
  // (masked before anything is cut, whatever its length).
  std::string redact(std::string s) const {
    if (!token_.empty())
      for (auto p = s.find(token_); p != std::string::npos; p = s.find(token_, p + 3))
        s.replace(p, token_.size(), "***");
    return s;
  }

  // Sends r with the token; statuses in `accepted` return like a 2xx instead of failing.
  HttpResponse send(HttpRequest r, std::initializer_list<long> accepted = {}) {
    r.allow_http = allow_http_;
    if (o_.verbose) {
      log_printf("mlgate-comment: > %s %s", r.method.c_str(), redact(r.url).c_str());
      log_printf("mlgate-comment: >   %s: ***", header_.c_str());
      if (!r.body.empty()) log_printf("mlgate-comment: >   (%zu bytes of JSON)", r.body.size());
    }
    r.headers.emplace_back(header_, header_ == "Authorization" ? "Bearer " + token_ : token_);
    r.headers.emplace_back("Accept", "application/json");
    if (!r.body.empty()) r.headers.emplace_back("Content-Type", "application/json");
    for (int attempt = 0;; ++attempt) {
      double left =
          std::chrono::duration<double>(deadline_ - std::chrono::steady_clock::now()).count();
      if (left <= 0)
        throw Error(
            "gave up: the overall timeout of " + format_short(o_.timeout_s, 4) + " s ran out",
            r.method + " " + r.url, "raise --timeout");
      HttpResponse resp;
      try {
        resp = http_send(r, left);
      } catch (const Error& e) {
        if (attempt >= o_.retries) throw Error(redact(e.what_text()), redact(e.where()), e.hint());
        if (o_.verbose) log_printf("mlgate-comment: %s; retrying", redact(e.what_text()).c_str());
        wait(backoff(attempt), r);
        continue;
      }
      if (o_.verbose)
        log_printf("mlgate-comment: < %ld (%zu bytes)", resp.status, resp.body.size());
      for (long a : accepted)
        if (resp.status == a) return resp;
      bool rate_limited =
          resp.status == 429 ||
          (resp.status == 403 && (resp.header("x-ratelimit-remaining") == "0" ||
                                  resp.body.find("rate limit") != std::string::npos));
      if ((resp.status >= 500 || rate_limited) && attempt < o_.retries) {
        double w = backoff(attempt);
        std::string after = resp.header("retry-after");
        if (!after.empty()) {
          double v;
          if (parse_number(after, &v)) w = v;
        } else if (!resp.header("x-ratelimit-reset").empty()) {
          double reset;
          if (parse_number(resp.header("x-ratelimit-reset"), &reset))
            w = std::max(0.0, reset - static_cast<double>(std::time(nullptr)));
        }
        log_info("mlgate-comment: %s %s answered %ld; retrying in %.3g s\n", r.method.c_str(),
                 redact(r.url).c_str(), resp.status, w);
        wait(w, r);
        continue;
      }
      if (resp.status < 200 || resp.status >= 300) {
        std::string msg = redact(resp.body);  // mask first, then cut: no token prefix survives
        if (msg.size() > 300) msg = msg.substr(0, 300) + "...";
        throw Error("the API answered " + std::to_string(resp.status) + ": " + msg,
                    r.method + " " + redact(r.url),
                    resp.status == 401 || resp.status == 403
                        ? "check the token and its permissions (pull-requests: write)"
                        : "see the API's message");
      }
      return resp;
    }
  }

 private:
  static double backoff(int attempt) { return std::min(30.0, 0.5 * (1 << std::min(attempt, 6))); }
  void wait(double seconds, const HttpRequest& r) {
    auto until = std::chrono::steady_clock::now() +
                 std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                     std::chrono::duration<double>(seconds));
    if (until > deadline_)
      throw Error("gave up: waiting " + format_short(seconds, 4) +
                      " s more would pass the overall timeout of " + format_short(o_.timeout_s, 4) +
                      " s",
                  r.method + " " + redact(r.url), "raise --timeout, or retry later");
    std::this_thread::sleep_until(until);
  }

  std::string header_, token_;
  const CommentOptions& o_;

 public:
  bool allow_http_ = false;

 private:
  std::chrono::steady_clock::time_point deadline_;
};

struct Target {
  std::string provider, api, list_url, create_url, update_prefix, update_method, token_header,
      token, web_prefix, user_url;
};

Target resolve(const CommentOptions& o) {
  std::string provider = o.provider;
  if (provider == "auto") {
    if (!env("GITHUB_ACTIONS").empty() || !env("GITHUB_REPOSITORY").empty())
      provider = "github";
    else if (!env("GITLAB_CI").empty() || !env("CI_API_V4_URL").empty())
      provider = "gitlab";
    else
      throw Error("cannot tell the provider", "--provider", "pass --provider github or gitlab");
  }
  Target t;
  t.provider = provider;
  if (provider == "github") {
    std::string api =
        env("GITHUB_API_URL").empty() ? "https://api.github.com" : env("GITHUB_API_URL");
    std::string repo = env("GITHUB_REPOSITORY");
    if (repo.empty())
      throw Error("GITHUB_REPOSITORY is not set", "environment",
                  "it is owner/name, set by GitHub Actions");
    long long pr = o.pr.value_or(0);
    if (!o.pr) {
      std::string event = env("GITHUB_EVENT_PATH");
      if (event.empty())
        throw Error("no pull request number", "--pr",
                    "pass --pr N, or run on a pull_request event");
      auto j = parse_answer(read_file(event), event);
      if (j.is_discarded())
        throw Error("invalid JSON", event, "GITHUB_EVENT_PATH should name the event payload");
      if (j.contains("pull_request") && j["pull_request"].contains("number") &&
          j["pull_request"]["number"].is_number())
        pr = j["pull_request"]["number"].get<long long>();
      else if (j.contains("issue") && j["issue"].contains("number") &&
               j["issue"]["number"].is_number())
        pr = j["issue"]["number"].get<long long>();
      else
        throw Error("the event has no pull request", event,
                    "pass --pr N, or run on a pull_request event");
    }
    t.api = api;
    t.user_url = api + "/user";
    t.list_url =
        api + "/repos/" + repo + "/issues/" + std::to_string(pr) + "/comments?per_page=100";
    t.create_url = api + "/repos/" + repo + "/issues/" + std::to_string(pr) + "/comments";
    t.update_prefix = api + "/repos/" + repo + "/issues/comments/";
    t.update_method = "PATCH";
    t.token_header = "Authorization";
    t.token = env("GITHUB_TOKEN");
    if (t.token.empty() && !o.dry_run)
      throw Error("GITHUB_TOKEN is not set", "environment",
                  "pass the workflow's token: env: GITHUB_TOKEN: ${{ github.token }}");
  } else if (provider == "gitlab") {
    std::string api = env("CI_API_V4_URL"), project = env("CI_PROJECT_ID");
    if (api.empty() || project.empty())
      throw Error("CI_API_V4_URL or CI_PROJECT_ID is not set", "environment",
                  "run in a GitLab CI job");
    std::string iid = o.pr ? std::to_string(*o.pr) : env("CI_MERGE_REQUEST_IID");
    if (iid.empty())
      throw Error("no merge request", "--pr", "pass --pr IID, or run in a merge request pipeline");
    t.api = api;
    t.user_url = api + "/user";
    std::string base = api + "/projects/" + project + "/merge_requests/" + iid + "/notes";
    t.list_url = base + "?per_page=100&sort=asc&order_by=created_at";
    t.create_url = base;
    t.update_prefix = base + "/";
    t.update_method = "PUT";
    t.token_header = "PRIVATE-TOKEN";
    t.token = env("GITLAB_TOKEN");
    if (t.token.empty() && !o.dry_run)
      throw Error("GITLAB_TOKEN is not set", "environment",
                  "a project or personal access token with api scope");
    if (!env("CI_PROJECT_URL").empty())
      t.web_prefix = env("CI_PROJECT_URL") + "/-/merge_requests/" + iid + "#note_";
  } else {
    throw Error("unknown provider " + quote(provider), "--provider", "use auto, github or gitlab");
  }
  return t;
}

// The login whose comment is the sticky one: --author, else the token's own identity.
std::string sticky_author(Api& api, const Target& t, const CommentOptions& o) {
  if (!o.author.empty()) return o.author;
  HttpResponse r = api.send({"GET", t.user_url, "", {}}, {403});
  if (r.status == 403) {
    // The Actions GITHUB_TOKEN is an installation token: GitHub refuses it /user, and its
    // comments are written as this bot.
    if (t.provider == "github") return "github-actions[bot]";
    throw Error("the API refused GET /user (403)", "GET " + api.redact(t.user_url),
                "give the token read_user or api scope, or pass --author LOGIN");
  }
  auto j = parse_answer(r.body, "API");
  const char* key = t.provider == "github" ? "login" : "username";
  if (!j.is_object() || !j.contains(key) || !j[key].is_string() ||
      j[key].get<std::string>().empty())
    throw Error(std::string("the API's user has no ") + key, "GET " + api.redact(t.user_url),
                "pass --author LOGIN");
  return j[key].get<std::string>();
}

// Who wrote a comment of the list: GitHub's user.login, GitLab's author.username.
std::string comment_author(const nlohmann::json& c, const std::string& provider) {
  const char* who = provider == "github" ? "user" : "author";
  const char* key = provider == "github" ? "login" : "username";
  if (c.contains(who) && c[who].is_object() && c[who].contains(key) && c[who][key].is_string())
    return c[who][key].get<std::string>();
  return {};
}

int comment(const CommentOptions& o) {
  std::string body = comment_body(read_file(o.body_file), o.marker);
  Target t = resolve(o);
  const std::string line = "<!-- " + o.marker + " -->";
  const std::string payload = nlohmann::json({{"body", body}})
                                  .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string origin = url_origin(t.api);
  const bool plain_http = starts_with(origin, "http://");
  if (plain_http)
    log_printf(
        "mlgate-comment: warning: the API URL is plain http://, so the token travels in "
        "clear (%s)",
        origin.c_str());
  if (o.dry_run) {
    if (o.author.empty())
      std::printf("GET %s\n  %s: ***\n(the token's own login: only its comment is updated)\n",
                  t.user_url.c_str(), t.token_header.c_str());
    std::printf("GET %s\n  %s: ***\n", t.list_url.c_str(), t.token_header.c_str());
    std::printf("then, if a comment by %s carries %s:\n%s %s<id>\n",
                o.author.empty() ? "that login" : o.author.c_str(), line.c_str(),
                t.update_method.c_str(), t.update_prefix.c_str());
    std::printf("otherwise:\nPOST %s\n  %s: ***\n  Content-Type: application/json\n\n%s\n",
                t.create_url.c_str(), t.token_header.c_str(), payload.c_str());
    return 0;
  }
  Api api(t.token_header, t.token, o);
  api.allow_http_ = plain_http;
  const std::string author = sticky_author(api, t, o);
  if (o.verbose)
    log_printf("mlgate-comment: the sticky comment is the one %s wrote", author.c_str());
  // Find our comment with the marker across every page. Another user's comment that carries the
  // marker is not ours to overwrite. Next-page links must stay on the API's own origin: the token
  // goes with every request.
  std::string url = t.list_url, found;
  int pages = 0;
  while (!url.empty() && found.empty()) {
    HttpResponse r = api.send({"GET", url, "", {}});
    auto j = parse_answer(r.body, "API");
    if (!j.is_array())
      throw Error("the API's list of comments is not a JSON array", "GET " + api.redact(url));
    for (const auto& c : j)
      if (c.is_object() && c.contains("body") && c["body"].is_string() &&
          c["body"].get<std::string>().find(line) != std::string::npos && c.contains("id")) {
        if (comment_author(c, t.provider) != author) {
          if (o.verbose)
            log_printf("mlgate-comment: ignoring comment %s: it carries the marker but %s wrote it",
                       c["id"].dump().c_str(), quote(comment_author(c, t.provider)).c_str());
          continue;
        }
        if (!c["id"].is_string() && !c["id"].is_number_unsigned())
          throw Error("the API gave a comment id that is not a number: " + quote(c["id"].dump()),
                      "GET " + api.redact(url), "is the API URL right?");
        found = c["id"].is_string() ? c["id"].get<std::string>() : c["id"].dump();
        break;
      }
    std::string next = link_next(r.header("link"));
    if (!next.empty() && found.empty()) {
      bool same_origin = false;
      try {
        same_origin = url_origin(next) == origin;
      } catch (const Error&) {
      }
      if (!same_origin)
        throw Error(
            "the API's next-page link leaves the API (" + quote(api.redact(next), 120) + ")",
            "GET " + api.redact(url),
            "the token is only sent to " + origin + "; check the API URL");
      if (o.verbose) log_printf("mlgate-comment: next page %s", api.redact(next).c_str());
    }
    url = next;
    if (++pages > 1000) throw Error("more than 1000 pages of comments", t.list_url);
  }
  if (!found.empty() && found.find_first_not_of("0123456789") != std::string::npos)
    throw Error("the API gave a comment id that is not a number: " + quote(found), t.list_url);
  HttpResponse r = found.empty()
                       ? api.send({"POST", t.create_url, payload, {}})
                       : api.send({t.update_method, t.update_prefix + found, payload, {}});
  auto j = parse_answer(r.body, "API");
  std::string link;
  if (j.is_object() && j.contains("html_url") && j["html_url"].is_string())
    link = j["html_url"];
  else if (j.is_object() && j.contains("id") && !t.web_prefix.empty())
    link = t.web_prefix + j["id"].dump();
  else
    link = found.empty() ? t.create_url : t.update_prefix + found;
  log_info("mlgate-comment: %s the %s comment", found.empty() ? "created" : "updated",
           t.provider.c_str());
  std::printf("%s\n", log_safe(link).c_str());
  return 0;
}

}  // namespace

int run_comment(const CommentOptions& o) {
  if (o.soft_fail) {
    try {
      return comment(o);
    } catch (const Error& e) {
      // A report that cannot be posted must not hide the gate's verdict, nor fail it.
      log_printf("mlgate-comment: warning: %s (--soft-fail: not failing the job)\n",
                 e.message().c_str());
      return 0;
    }
  }
  return comment(o);
}

}  // namespace mlgate
