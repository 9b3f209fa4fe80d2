#include "mlgate/platforms/promote.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "http.hpp"
#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/json.hpp"
#include "mlgate/base/log.hpp"
#include "mlgate/base/number.hpp"
#include "mlgate/base/text.hpp"
#include "mlgate/reports/report.hpp"

namespace mlgate {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string actor() {
  for (const char* v : {"GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_USER_ID", "USER"})
    if (!env(v).empty()) return env(v);
  return "unknown";
}

// An exclusive lock on a file for the lifetime of the object (flock: released if we die).
class FileLock {
 public:
  explicit FileLock(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw Error(std::string("cannot open the lock file: ") + std::strerror(errno), path);
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR) throw Error(std::string("cannot lock: ") + std::strerror(errno), path);
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  int fd() const { return fd_; }

 private:
  std::string path_;
  int fd_ = -1;
};

struct Evidence {
  std::string path, tool, status, sha256;
};

// Appends one JSON line to the audit log, flushed to disk before it returns.
void append_audit(const std::string& path, const ojson& line);

// The audit trail of one promotion: its line is written before the registry changes, so a
// promotion never stands without it; a change that then fails adds a line saying so.
struct Audit {
  const PromoteOptions& o;
  ojson line;
  bool written = false;
  void record(const ojson& where) {
    ojson l = line;
    l["where"] = where;
    if (o.dry_run) {
      std::printf("would append to %s:\n%s\n", o.audit_log.c_str(),
                  l.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return;
    }
    append_audit(o.audit_log, l);  // throws: nothing has changed yet
    written = true;
  }
  void failed(const std::string& why) noexcept {
    if (!written) return;
    try {
      append_audit(o.audit_log, {{"time", utc_timestamp()},
                                 {"id", line["id"]},
                                 {"event", "promotion_failed"},
                                 {"error", why}});
    } catch (...) {
      // The intent line stands; the error itself reaches the user as exit 2.
    }
  }
};

std::string git(const std::vector<std::string>& args, bool* ok = nullptr) {
  std::vector<std::string> argv = {"git"};
  argv.insert(argv.end(), args.begin(), args.end());
  bool good = false;
  std::string err;
  std::string out = capture_command(argv, &good, &err);
  if (ok) {
    *ok = good;
  } else if (!good) {
    std::string cmd;
    for (const auto& a : args) cmd += " " + a;
    throw Error("git" + cmd + " failed: " + std::string(trim(err)), "git",
                "is this a git work tree with a commit?");
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string evidence_summary(const std::vector<Evidence>& ev) {
  std::string s;
  for (const auto& e : ev)
    s += "\n- " + e.tool + ": " + e.status + " (" + e.path + ", sha256 " + e.sha256 + ")";
  return s;
}

// GTO-style tags: NAME@vVERSION registers the version, NAME#STAGE#N assigns the stage (N counts
// up).
ojson promote_git(const PromoteOptions& o, const std::vector<Evidence>& ev, Audit& audit) {
  bool inside = false;
  git({"rev-parse", "--is-inside-work-tree"}, &inside);
  if (!inside)
    throw Error("not inside a git work tree", "--registry git",
                "run in the repository, or use --registry file");
  // One promotion at a time in this clone: the stage number is counted and taken under the lock.
  std::string git_dir = git({"rev-parse", "--absolute-git-dir"});
  FileLock lock(git_dir + "/mlgate-promote.lock");
  const std::string v = starts_with(o.version, "v") ? o.version : "v" + o.version;
  const std::string version_tag = o.model + "@" + v;
  bool exists = false;
  git({"rev-parse", "-q", "--verify", "refs/tags/" + version_tag}, &exists);
  std::string list = git({"tag", "--list", o.model + "#" + o.stage + "#*"});
  long next = 1;
  std::size_t pos = 0;
  while (pos < list.size()) {
    std::size_t nl = list.find('\n', pos);
    std::string t = list.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? list.size() : nl + 1;
    std::size_t h = t.rfind('#');
    double n;
    if (h != std::string::npos && parse_number(t.substr(h + 1), &n))
      next = std::max(next, static_cast<long>(n) + 1);
  }
  const std::string stage_tag = o.model + "#" + o.stage + "#" + std::to_string(next);
  std::vector<std::string> created;
  if (!exists) created.push_back(version_tag);
  created.push_back(stage_tag);
  ojson where = {{"registry", "git"}, {"tags", created}, {"pushed", o.push && !o.dry_run}};
  audit.record(where);
  if (o.dry_run) return where;
  std::vector<std::string> made;
  try {
    if (!exists) {
      git({"tag", "-a", version_tag, "-m", "mlgate: register " + o.model + " " + v});
      made.push_back(version_tag);
    }
    git({"tag", "-a", stage_tag, version_tag + "^{}", "-m",
         "mlgate: promote " + o.model + " " + v + " to " + o.stage + " by " + actor() +
             "\n\nAudit id: " + audit.line["id"].get<std::string>() +
             "\n\nEvidence:" + evidence_summary(ev)});
    made.push_back(stage_tag);
    if (o.push) {
      std::vector<std::string> args = {"push", "origin"};
      for (const auto& t : created) args.push_back("refs/tags/" + t);
      git(args);
    }
  } catch (const Error& e) {
    // Nothing half done: the tags this run made go again (a push that failed pushed nothing).
    for (const auto& t : made) {
      bool ok = false;
      git({"tag", "-d", t}, &ok);
    }
    audit.failed(e.message());
    throw;
  }
  return where;
}

// A JSON registry with every promotion in its history, rewritten atomically under a lock.
ojson promote_file(const PromoteOptions& o, const std::vector<Evidence>& ev, const std::string& now,
                   Audit& audit) {
  FileLock lock(o.registry_path + ".lock");
  ojson reg;
  if (::access(o.registry_path.c_str(), F_OK) == 0) {
    std::string text = read_file(o.registry_path);
    try {
      reg = parse_ordered_json(text, o.registry_path);
    } catch (const Error& e) {
      throw Error("the registry is not valid JSON (" + e.what_text() + ")", e.where(),
                  "restore it from version control");
    }
  } else {
    reg = {{"schema", "mlgate.registry/v1"}, {"models", ojson::object()}};
  }
  if (!reg.is_object() || !reg.contains("models") || !reg["models"].is_object())
    throw Error("not an mlgate registry", o.registry_path,
                "expected {\"schema\": \"mlgate.registry/v1\", \"models\": {...}}");
  ojson& m = reg["models"][o.model];
  if (!m.is_object())
    m = {{"versions", ojson::object()}, {"stages", ojson::object()}, {"history", ojson::array()}};
  ojson evj = ojson::array();
  for (const auto& e : ev)
    evj.push_back({{"path", e.path}, {"tool", e.tool}, {"status", e.status}, {"sha256", e.sha256}});
  if (!m["versions"].contains(o.version)) m["versions"][o.version] = {{"registered", now}};
  ojson previous = m["stages"].contains(o.stage) ? m["stages"][o.stage]["version"] : ojson(nullptr);
  m["stages"][o.stage] = {{"version", o.version}, {"since", now}, {"by", actor()}};
  m["history"].push_back({{"time", now},
                          {"actor", actor()},
                          {"version", o.version},
                          {"stage", o.stage},
                          {"previous", previous},
                          {"audit_id", audit.line["id"]},
                          {"evidence", evj}});
  ojson where = {{"registry", "file"}, {"path", o.registry_path}, {"previous", previous}};
  audit.record(where);  // under the registry's lock, before the registry changes
  if (!o.dry_run) {
    try {
      write_file_atomic(o.registry_path,
                        reg.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    } catch (const Error& e) {
      audit.failed(e.message());
      throw;
    }
  }
  return where;
}

// MLflow Model Registry: the stage as an alias on the version, evidence hashes as version tags.
ojson promote_mlflow(const PromoteOptions& o, const std::vector<Evidence>& ev, Audit& audit) {
  std::string uri = o.mlflow_uri.empty() ? env("MLFLOW_TRACKING_URI") : o.mlflow_uri;
  if (uri.empty())
    throw Error("no MLflow server", "--mlflow-uri", "pass --mlflow-uri or set MLFLOW_TRACKING_URI");
  while (!uri.empty() && uri.back() == '/') uri.pop_back();
  const std::string token = env("MLFLOW_TRACKING_TOKEN");
  // Plain http only where the user named it; the token then travels in clear.
  const bool allow_http = starts_with(url_origin(uri + "/"), "http://");
  if (allow_http && !token.empty())
    log_printf(
        "mlgate-promote: warning: the MLflow URL is plain http://, so the token travels in "
        "clear");
  auto call = [&](const std::string& path, const ojson& body) {
    HttpRequest r{"POST",
                  uri + path,
                  body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  {{"Content-Type", "application/json"}}};
    r.allow_http = allow_http;
    if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
    if (o.dry_run) {
      std::printf("POST %s%s\n%s\n", r.url.c_str(),
                  token.empty() ? "" : "\n  Authorization: Bearer ***", r.body.c_str());
      return;
    }
    HttpResponse resp = http_send(r, 60);
    if (resp.status < 200 || resp.status >= 300) {
      std::string msg = resp.body;  // mask first, then cut: no token prefix survives the cut
      if (!token.empty())
        for (auto p = msg.find(token); p != std::string::npos; p = msg.find(token, p + 3))
          msg.replace(p, token.size(), "***");
      if (msg.size() > 300) msg = msg.substr(0, 300) + "...";
      throw Error("MLflow answered " + std::to_string(resp.status) + ": " + msg, "POST " + r.url,
                  resp.status == 404 ? "does the registered model and version exist?"
                                     : "check the token and the server");
    }
  };
  ojson where = {{"registry", "mlflow"}, {"uri", uri}, {"alias", o.stage}};
  audit.record(where);
  try {
    call("/api/2.0/mlflow/registered-models/alias",
         {{"name", o.model}, {"alias", o.stage}, {"version", o.version}});
    for (const auto& e : ev)
      call("/api/2.0/mlflow/model-versions/set-tag", {{"name", o.model},
                                                      {"version", o.version},
                                                      {"key", "mlgate.evidence." + e.tool},
                                                      {"value", e.sha256}});
    call("/api/2.0/mlflow/model-versions/set-tag", {{"name", o.model},
                                                    {"version", o.version},
                                                    {"key", "mlgate.promoted_to"},
                                                    {"value", o.stage}});
  } catch (const Error& e) {
    audit.failed(e.message());
    throw;
  }
  return where;
}

}  // namespace

namespace {

void append_audit(const std::string& path, const ojson& line) {
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(std::string("cannot open the audit log: ") + std::strerror(errno), path);
  while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
  }
  std::size_t off = 0;
  int e = 0;
  while (off < text.size()) {
    ssize_t w = ::write(fd, text.data() + off, text.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      e = errno;
      break;
    }
    off += static_cast<std::size_t>(w);
  }
  if (!e && ::fsync(fd) != 0) e = errno;
  ::close(fd);
  if (e) throw Error(std::string("cannot write the audit log: ") + std::strerror(e), path);
}

}  // namespace

namespace {

// Names that become git refs, registry keys and MLflow aliases: a plain word each.
void check_name(const char* flag, const std::string& value) {
  bool ok = !value.empty() && value.size() <= 200 && value.front() != '.' && value.front() != '-' &&
            value.find("..") == std::string::npos && !ends_with(value, ".lock");
  for (unsigned char c : value) ok = ok && (std::isalnum(c) || c == '.' || c == '-' || c == '_');
  if (!ok)
    throw Error("invalid " + std::string(flag) + " " + quote(value), flag,
                "use letters, digits, '.', '-' and '_', not starting with '.' or '-'");
}

std::string random_id() {
  unsigned char b[16];
  std::FILE* f = std::fopen("/dev/urandom", "rb");
  std::size_t got = f ? std::fread(b, 1, sizeof b, f) : 0;
  if (f) std::fclose(f);
  if (got != sizeof b) throw Error("cannot read /dev/urandom", "audit id");
  return hex_digest(b, sizeof b);
}

// Why a document is not evidence for this promotion, or "" when it is: a gate tool's document
// with checks, whose status and summary agree with them, about this model version, signed when
// a signing key is set.
std::string evidence_problem(const LoadedDoc& d, const nlohmann::json& raw, const PromoteOptions& o,
                             std::vector<std::string>& warnings) {
  bool known = false;
  for (const char* t : kGateTools) known = known || d.doc.tool == t;
  if (!known)
    return "not a gate tool's document (tool " + quote(d.doc.tool) +
           "); evidence comes from mlgate-eval, -compare, -fairness or -datatest";
  if (d.doc.checks.empty()) return "it has no checks: there is nothing it proves";
  const Status computed = d.doc.status();
  if (!raw.contains("status") || !raw["status"].is_string() ||
      raw["status"].get<std::string>() != status_name(computed))
    return "its status does not agree with its checks (which say " +
           std::string(status_name(computed)) + ")";
  int counts[4] = {0, 0, 0, 0};
  for (const auto& c : d.doc.checks) ++counts[static_cast<int>(c.status)];
  const nlohmann::json want = {{"checks", d.doc.checks.size()},
                               {"passed", counts[0]},
                               {"failed", counts[2]},
                               {"warned", counts[1]},
                               {"errors", counts[3]}};
  if (!raw.contains("summary") || raw["summary"] != want)
    return "its summary does not agree with its checks";
  for (const auto& c : d.doc.checks)
    if (c.verdict == "inferior" && c.status == Status::kPass)
      return "check " + quote(c.id) + " passes with a failing verdict";
  const auto& prov = raw.contains("provenance") ? raw["provenance"] : nlohmann::json();
  if (prov.is_object() && prov.contains("model_version") && !prov["model_version"].is_null()) {
    if (!prov["model_version"].is_string() || prov["model_version"].get<std::string>() != o.version)
      return "it gated model version " + quote(prov["model_version"].dump()) + ", not " +
             quote(o.version);
  } else {
    warnings.push_back(d.path +
                       " does not record the model version it gated (run the gate with "
                       "--model-version " +
                       o.version + ")");
  }
  if (!o.signing_key.empty()) {
    if (!raw.contains("signature") || !raw["signature"].is_string())
      return "it is not signed, and MLGATE_SIGNING_KEY is set";
    if (!constant_time_equal(raw["signature"].get<std::string>(),
                             document_signature(raw, o.signing_key)))
      return "its signature does not match: it was altered, or signed with another key";
  }
  return {};
}

}  // namespace

int run_promote(const PromoteOptions& o) {
  check_name("--model", o.model);
  check_name("--version", o.version);
  check_name("--stage", o.stage);
  if (o.evidence.empty())
    throw Error("no evidence", "--evidence", "pass the result documents of the gate");
  for (const auto& k : o.require) {
    bool known = false;
    for (const char* t : kGateTools) known = known || "mlgate-" + k == t;
    if (!known)
      throw Error("unknown evidence kind " + quote(k), "--require",
                  "use eval, compare, fairness or datatest");
  }
  std::vector<LoadedDoc> docs = load_documents(o.evidence);  // unreadable evidence: exit 2
  std::vector<Evidence> ev;
  ResultDoc doc;
  doc.tool = "mlgate-promote";
  doc.version = MLGATE_VERSION;
  bool all_pass = true;
  std::vector<std::string> passing_tools;
  for (const auto& d : docs) {
    const std::string text = read_file(d.path);
    const nlohmann::json raw = parse_json(text, d.path);
    Status s = d.doc.status();
    ev.push_back({d.path, d.doc.tool, status_name(s), sha256_hex(text)});
    Check c;
    c.id = "evidence." + d.doc.tool + "[" + d.path + "]";
    c.title = "evidence " + d.path + " passes";
    const std::string problem = evidence_problem(d, raw, o, doc.warnings);
    c.status = s == Status::kPass && problem.empty() ? Status::kPass : Status::kFail;
    c.message = d.doc.tool + " on " + d.path + ": " + (problem.empty() ? status_name(s) : problem);
    c.extra["sha256"] = ev.back().sha256;
    if (c.status == Status::kPass) passing_tools.push_back(d.doc.tool);
    all_pass = all_pass && c.status == Status::kPass;
    doc.checks.push_back(std::move(c));
  }
  for (const auto& k : o.require) {
    Check c;
    c.id = "require." + k;
    c.title = "passing mlgate-" + k + " evidence";
    bool have =
        std::find(passing_tools.begin(), passing_tools.end(), "mlgate-" + k) != passing_tools.end();
    c.status = have ? Status::kPass : Status::kFail;
    c.message = have ? "given" : "the stage requires passing mlgate-" + k + " evidence; none given";
    all_pass = all_pass && have;
    doc.checks.push_back(std::move(c));
  }
  std::string registry = o.registry;
  if (registry.empty()) {
    bool inside = false;
    git({"rev-parse", "--is-inside-work-tree"}, &inside);
    registry = inside ? "git" : "file";
  }
  if (registry != "git" && registry != "file" && registry != "mlflow")
    throw Error("unknown registry " + quote(registry), "--registry", "use git, file or mlflow");
  doc.inputs["evidence"] = ojson::array();
  for (const auto& e : ev)
    doc.inputs["evidence"].push_back(
        {{"path", e.path}, {"sha256", e.sha256}, {"status", e.status}});
  doc.provenance = make_provenance("");
  Check promo;
  promo.id = "promotion";
  promo.title = "promote " + o.model + " " + o.version + " to " + o.stage;
  print_warnings(doc.warnings, "mlgate-promote: ");
  if (!all_pass) {
    promo.status = Status::kFail;
    promo.message = "refused: not every evidence document passes";
    doc.checks.push_back(promo);
    log_info("mlgate-promote: refused to promote %s %s to %s: the evidence does not suffice",
             o.model.c_str(), o.version.c_str(), o.stage.c_str());
    for (const auto& c : doc.checks)
      if (c.status != Status::kPass) log_info("  %s", c.message.c_str());
    finish_document(doc, o.output);
    return kGateFailed;
  }
  const std::string now = utc_timestamp();
  ojson evj = ojson::array();
  for (const auto& e : ev)
    evj.push_back({{"path", e.path}, {"tool", e.tool}, {"sha256", e.sha256}});
  Audit audit{o,
              {{"time", now},
               {"id", random_id()},
               {"actor", actor()},
               {"commit", current_git_sha()},
               {"model", o.model},
               {"version", o.version},
               {"stage", o.stage},
               {"registry", registry},
               {"evidence", evj}}};
  ojson where;
  if (registry == "git")
    where = promote_git(o, ev, audit);
  else if (registry == "file")
    where = promote_file(o, ev, now, audit);
  else
    where = promote_mlflow(o, ev, audit);
  promo.status = Status::kPass;
  promo.message =
      std::string(o.dry_run ? "would promote" : "promoted") + " in the " + registry + " registry";
  promo.extra["where"] = where;
  promo.extra["audit_id"] = audit.line["id"];
  doc.checks.push_back(promo);
  log_info("mlgate-promote: %s %s %s to %s (%s registry)%s",
           o.dry_run ? "would promote" : "promoted", o.model.c_str(), o.version.c_str(),
           o.stage.c_str(), registry.c_str(),
           o.dry_run ? "" : ("; audit line in " + o.audit_log).c_str());
  return finish_document(doc, o.output);
}

}  // namespace mlgate
