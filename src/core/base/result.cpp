#include "mlgate/base/result.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/log.hpp"

namespace mlgate {

const char* status_name(Status s) {
  switch (s) {
    case Status::kPass:
      return "pass";
    case Status::kWarn:
      return "warn";
    case Status::kFail:
      return "fail";
    default:
      return "error";
  }
}

Status parse_status(const std::string& s) {
  if (s == "pass") return Status::kPass;
  if (s == "warn") return Status::kWarn;
  if (s == "fail") return Status::kFail;
  if (s == "error") return Status::kError;
  throw Error("unknown status " + quote(s), "", "expected pass, warn, fail or error");
}

Status worse(Status a, Status b) { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

int exit_code_for(Status s) {
  switch (s) {
    case Status::kPass:
    case Status::kWarn:
      return 0;
    case Status::kFail:
      return 1;
    default:
      return 2;
  }
}

Status ResultDoc::status() const {
  Status s = Status::kPass;
  for (const auto& c : checks) s = worse(s, c.status);
  return s == Status::kWarn ? Status::kPass : s;
}

namespace {
ojson opt(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}
}  // namespace

ojson ResultDoc::to_json() const {
  ojson j;
  j["schema"] = kResultSchema;
  j["tool"] = {{"name", tool}, {"version", version}};
  j["status"] = status_name(status());
  int passed = 0, failed = 0, warned = 0, errors = 0;
  for (const auto& c : checks) {
    passed += c.status == Status::kPass;
    failed += c.status == Status::kFail;
    warned += c.status == Status::kWarn;
    errors += c.status == Status::kError;
  }
  j["summary"] = {{"checks", checks.size()},
                  {"passed", passed},
                  {"failed", failed},
                  {"warned", warned},
                  {"errors", errors}};
  ojson arr = ojson::array();
  for (const auto& c : checks) {
    ojson o;
    o["id"] = c.id;
    o["title"] = c.title;
    o["status"] = status_name(c.status);
    o["metric"] = c.metric.empty() ? ojson(nullptr) : ojson(c.metric);
    o["slice"] = c.slice.is_null() ? ojson(nullptr) : c.slice;
    o["value"] = opt(c.value);
    o["baseline"] = opt(c.baseline);
    o["delta"] = opt(c.delta);
    o["threshold"] = opt(c.threshold);
    o["ci"] = c.ci ? ojson::array({(*c.ci)[0], (*c.ci)[1]}) : ojson(nullptr);
    o["confidence"] = opt(c.confidence);
    o["p_value"] = opt(c.p_value);
    o["method"] = c.method.empty() ? ojson(nullptr) : ojson(c.method);
    o["verdict"] = c.verdict.empty() ? ojson(nullptr) : ojson(c.verdict);
    o["message"] = c.message;
    for (auto it = c.extra.begin(); it != c.extra.end(); ++it) o[it.key()] = it.value();
    arr.push_back(std::move(o));
  }
  j["checks"] = std::move(arr);
  j["metrics"] = metrics;
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  if (warnings.size() <= kMaxDocumentWarnings) {
    j["warnings"] = warnings;
  } else {
    ojson w(std::vector<std::string>(warnings.begin(), warnings.begin() + kMaxDocumentWarnings));
    w.push_back(std::to_string(warnings.size() - kMaxDocumentWarnings) +
                " more warnings not listed");
    j["warnings"] = std::move(w);
  }
  j["inputs"] = inputs;
  j["provenance"] = provenance;
  return j;
}

ResultDoc ResultDoc::from_json(const nlohmann::json& j, const std::string& file) {
  return from_json(ojson::parse(j.dump()), file);
}

namespace {

// The shapes of a document's sections that reports read, validated once at load so that no
// reader meets a missing or mistyped field: each error names the file and the JSON pointer.
class Shape {
 public:
  explicit Shape(const std::string& file) : file_(file) {}

  [[noreturn]] void fail(const std::string& ptr, const std::string& what) const {
    throw Error(what, file_ + ": " + (ptr.empty() ? "/" : ptr),
                "is this an mlgate result document?");
  }
  void object(const ojson& v, const std::string& ptr) const {
    if (!v.is_object()) fail(ptr, "expected an object");
  }
  // An object whose values are numbers or null (metric sets, disparities).
  void numbers(const ojson& v, const std::string& ptr) const {
    object(v, ptr);
    for (auto it = v.begin(); it != v.end(); ++it)
      if (!it.value().is_number() && !it.value().is_null())
        fail(ptr + "/" + it.key(), "expected a number or null");
  }
  void optional_number(const ojson& o, const char* key, const std::string& ptr) const {
    auto it = o.find(key);
    if (it != o.end() && !it->is_number() && !it->is_null())
      fail(ptr + "/" + key, "expected a number");
  }
  // slice / group: null or an object of strings and nulls.
  void labels(const ojson& o, const char* key, const std::string& ptr) const {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return;
    object(*it, ptr + "/" + key);
    for (auto e = it->begin(); e != it->end(); ++e)
      if (!e.value().is_string() && !e.value().is_null() && !e.value().is_number())
        fail(ptr + "/" + key + "/" + e.key(), "expected a string or null");
  }
  // Entries with a label object, a row count and a metric set: slices and groups.
  void entries(const ojson& v, const std::string& ptr, const char* label) const {
    if (!v.is_array()) fail(ptr, "expected an array");
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::string at = ptr + "/" + std::to_string(i);
      object(v[i], at);
      labels(v[i], label, at);
      optional_number(v[i], "n", at);
      if (auto g = v[i].find("gated"); g != v[i].end() && !g->is_boolean())
        fail(at + "/gated", "expected true or false");
      if (auto m = v[i].find("metrics"); m != v[i].end()) numbers(*m, at + "/metrics");
    }
  }
  // An eval metric set: overall, slices, curves.
  void eval_set(const ojson& v, const std::string& ptr) const {
    object(v, ptr);
    optional_number(v, "n", ptr);
    if (auto o = v.find("overall"); o != v.end()) numbers(*o, ptr + "/overall");
    if (auto sl = v.find("slices"); sl != v.end()) entries(*sl, ptr + "/slices", "slice");
    if (auto c = v.find("curves"); c != v.end()) {
      object(*c, ptr + "/curves");
      for (auto it = c->begin(); it != c->end(); ++it) {
        const std::string at = ptr + "/curves/" + it.key();
        if (!it.value().is_array()) fail(at, "expected an array of points");
        for (std::size_t i = 0; i < it.value().size(); ++i) {
          const ojson& pt = it.value()[i];
          if (!pt.is_array() || pt.size() < 2)
            fail(at + "/" + std::to_string(i), "expected a point [x, y, ...]");
          for (std::size_t k = 0; k < pt.size(); ++k)
            if (!pt[k].is_number())
              fail(at + "/" + std::to_string(i) + "/" + std::to_string(k), "expected a number");
        }
      }
    }
  }

 private:
  const std::string& file_;
};

void validate_sections(const ojson& j, const std::string& file) {
  Shape shape(file);
  if (auto m = j.find("metrics"); m != j.end()) {
    shape.object(*m, "/metrics");
    if (m->contains("overall")) shape.eval_set(*m, "/metrics");
    for (const char* who : {"candidate", "baseline"})
      if (auto w = m->find(who); w != m->end() && !w->is_null())
        shape.eval_set(*w, std::string("/metrics/") + who);
  }
  if (auto g = j.find("groups"); g != j.end()) shape.entries(*g, "/groups", "group");
  for (const char* key : {"disparities", "baseline_disparities"})
    if (auto d = j.find(key); d != j.end()) shape.numbers(*d, std::string("/") + key);
  if (auto d = j.find("drift"); d != j.end()) {
    shape.object(*d, "/drift");
    for (const char* key : {"columns", "drifted", "share"})
      shape.optional_number(*d, key, "/drift");
  }
  for (const char* key : {"inputs", "provenance"})
    if (auto v = j.find(key); v != j.end() && !v->is_null())
      shape.object(*v, std::string("/") + key);
  if (auto w = j.find("warnings"); w != j.end() && !w->is_null()) {
    if (!w->is_array()) shape.fail("/warnings", "expected an array of strings");
    for (std::size_t i = 0; i < w->size(); ++i)
      if (!(*w)[i].is_string()) shape.fail("/warnings/" + std::to_string(i), "expected a string");
  }
  if (auto t = j.find("tool"); t != j.end() && !t->is_null()) shape.object(*t, "/tool");
}

}  // namespace

ResultDoc ResultDoc::from_json(const ojson& j, const std::string& file) {
  auto bad = [&](const std::string& field, const std::string& what) {
    return Error(what, file + ": " + field, "is this an mlgate result document?");
  };
  if (!j.is_object()) throw bad("(top level)", "not a JSON object");
  if (!j.contains("schema") || !j["schema"].is_string()) throw bad("schema", "missing \"schema\"");
  std::string schema = j["schema"];
  if (schema != kResultSchema) {
    if (schema.rfind("mlgate.result/", 0) == 0)
      throw Error("unsupported schema version " + quote(schema), file + ": schema",
                  std::string("this mlgate reads ") + kResultSchema + "; upgrade mlgate");
    throw bad("schema", "not an mlgate result document (schema " + quote(schema) + ")");
  }
  // A string field, or def when absent or null; any other type is an error naming the field.
  auto text = [&](const ojson& o, const char* key, const std::string& def, const std::string& at) {
    if (!o.contains(key) || o[key].is_null()) return def;
    if (!o[key].is_string()) throw bad(at + key, std::string("\"") + key + "\" is not a string");
    return o[key].get<std::string>();
  };
  validate_sections(j, file);
  ResultDoc d;
  if (j.contains("tool") && j["tool"].is_object()) {
    d.tool = text(j["tool"], "name", "", "tool.");
    d.version = text(j["tool"], "version", "", "tool.");
  }
  if (!j.contains("checks") || !j["checks"].is_array())
    throw bad("checks", "missing \"checks\" array");
  std::size_t i = 0;
  for (const auto& c : j["checks"]) {
    std::string at = "checks[" + std::to_string(i++) + "]";
    if (!c.is_object()) throw bad(at, "a check is not an object");
    Check k;
    if (!c.contains("id") || !c["id"].is_string()) throw bad(at + ".id", "missing check id");
    k.id = c["id"];
    k.title = text(c, "title", k.id, at + ".");
    if (!c.contains("status") || !c["status"].is_string())
      throw bad(at + ".status", "missing check status");
    try {
      k.status = parse_status(c["status"]);
    } catch (const Error& e) {
      throw bad(at + ".status", e.what_text());
    }
    auto num = [&](const char* key) -> std::optional<double> {
      if (!c.contains(key) || c[key].is_null()) return std::nullopt;
      if (!c[key].is_number())
        throw bad(at + "." + key, std::string("\"") + key + "\" is not a number");
      return c[key].get<double>();
    };
    auto str = [&](const char* key) -> std::string {
      if (!c.contains(key) || c[key].is_null()) return {};
      if (!c[key].is_string())
        throw bad(at + "." + key, std::string("\"") + key + "\" is not a string");
      return c[key].get<std::string>();
    };
    k.metric = str("metric");
    if (c.contains("slice") && !c["slice"].is_null()) {
      if (!c["slice"].is_object()) throw bad(at + ".slice", "\"slice\" is not an object");
      k.slice = c["slice"];
    }
    k.value = num("value");
    k.baseline = num("baseline");
    k.delta = num("delta");
    k.threshold = num("threshold");
    k.confidence = num("confidence");
    k.p_value = num("p_value");
    if (c.contains("ci") && !c["ci"].is_null()) {
      if (!c["ci"].is_array() || c["ci"].size() != 2 || !c["ci"][0].is_number() ||
          !c["ci"][1].is_number())
        throw bad(at + ".ci", "\"ci\" is not a pair of numbers");
      k.ci = std::array<double, 2>{c["ci"][0].get<double>(), c["ci"][1].get<double>()};
    }
    k.method = str("method");
    k.verdict = str("verdict");
    k.message = str("message");
    static const char* known[] = {"id",         "title",    "status", "metric",    "slice",
                                  "value",      "baseline", "delta",  "threshold", "ci",
                                  "confidence", "p_value",  "method", "verdict",   "message"};
    for (auto it = c.begin(); it != c.end(); ++it) {
      bool is_known = false;
      for (const char* kk : known) is_known = is_known || it.key() == kk;
      if (!is_known) k.extra[it.key()] = it.value();
    }
    d.checks.push_back(std::move(k));
  }
  if (j.contains("metrics")) d.metrics = j["metrics"];
  if (j.contains("inputs")) d.inputs = j["inputs"];
  if (j.contains("provenance")) d.provenance = j["provenance"];
  if (j.contains("warnings") && j["warnings"].is_array())
    for (const auto& w : j["warnings"])
      if (w.is_string()) d.warnings.push_back(w);
  for (const char* key : {"groups", "disparities", "baseline_disparities", "drift"})
    if (j.contains(key)) d.extra[key] = j[key];
  if (j.contains("status")) {
    // A recorded status worse than the checks' (say, edited by hand) wins: fail closed.
    if (!j["status"].is_string()) throw bad("status", "\"status\" is not a string");
    Status recorded;
    try {
      recorded = parse_status(j["status"]);
    } catch (const Error& e) {
      throw bad("status", e.what_text());
    }
    if (worse(recorded, d.status()) != d.status() && recorded != Status::kWarn) {
      Check k;
      k.id = "document.status";
      k.title = "recorded status";
      k.status = recorded;
      k.message = std::string("the document records status ") + status_name(recorded);
      d.checks.push_back(k);
    }
  }
  return d;
}

void print_warnings(const std::vector<std::string>& warnings, const std::string& prefix) {
  const std::size_t n = std::min(warnings.size(), kMaxPrintedWarnings);
  for (std::size_t i = 0; i < n; ++i)
    log_printf("%swarning: %s", prefix.c_str(), warnings[i].c_str());
  if (warnings.size() > n)
    log_printf("%s... and %zu more warnings (in the document's \"warnings\")", prefix.c_str(),
               warnings.size() - n);
}

std::string canonical_document(const nlohmann::json& doc) {
  nlohmann::json copy = doc;  // nlohmann::json keeps its keys sorted
  if (copy.is_object()) copy.erase("signature");
  return copy.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string document_signature(const nlohmann::json& doc, const std::string& key) {
  return "hmac-sha256:" + hmac_sha256_hex(key, canonical_document(doc));
}

int finish_document(const ResultDoc& doc, const std::string& path, const DocumentStamp& stamp) {
  ojson j = doc.to_json();
  if (!stamp.model_version.empty()) j["provenance"]["model_version"] = stamp.model_version;
  if (!stamp.signing_key.empty()) {
    // Signed over what a reader will parse back: the text as written, re-read.
    const std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    j["signature"] = document_signature(nlohmann::json::parse(text), stamp.signing_key);
  }
  write_file_atomic(path.empty() ? "-" : path,
                    j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  Status st = doc.status();
  if (st == Status::kError) {
    std::size_t n = 0;
    const Check* first = nullptr;
    for (const auto& c : doc.checks)
      if (c.status == Status::kError) {
        if (!first) first = &c;
        ++n;
      }
    log_printf("%s: error: %zu check(s) could not be evaluated: %s: %s (the gate fails closed)\n",
               doc.tool.c_str(), n, first->id.c_str(), first->message.c_str());
  }
  return exit_code_for(st);
}

ojson make_provenance(const std::string& policy_sha256) {
  ojson p;
  std::string sha = current_git_sha();
  p["git_sha"] = sha.empty() ? ojson(nullptr) : ojson(sha);
  p["policy_sha256"] = policy_sha256.empty() ? ojson(nullptr) : ojson(policy_sha256);
  p["created"] = utc_timestamp();
  return p;
}

ojson slice_json(const std::vector<std::pair<std::string, std::optional<std::string>>>& parts) {
  if (parts.empty()) return nullptr;
  ojson o = ojson::object();
  for (const auto& [k, v] : parts) o[k] = v ? ojson(*v) : ojson(nullptr);
  return o;
}

std::string slice_label(const ojson& slice) {
  if (!slice.is_object() || slice.empty()) return {};
  std::string s = "[";
  bool first = true;
  for (auto it = slice.begin(); it != slice.end(); ++it) {
    if (!first) s += ",";
    first = false;
    s += it.key() + "=" +
         (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
  }
  return s + "]";
}

}  // namespace mlgate
