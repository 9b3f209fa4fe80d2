// A model behind a service: requests per protocol, answers checked, batches in flight on a few
// connections, retries, readiness, timing. The HTTP itself is an HttpChannel (platforms wing).
#include "mlgate/data/served_model.hpp"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <random>
#include <thread>

#include "mlgate/base/error.hpp"
#include "mlgate/base/json.hpp"
#include "mlgate/base/log.hpp"
#include "mlgate/base/progress.hpp"
#include "mlgate/base/text.hpp"

namespace mlgate {

namespace {

std::mutex& factory_mutex() {
  static std::mutex m;
  return m;
}
HttpChannelFactory& factory() {
  static HttpChannelFactory f;
  return f;
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void sleep_for_seconds(double s) {
  if (s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

}  // namespace

void install_http_channel_factory(HttpChannelFactory f) {
  std::lock_guard lk(factory_mutex());
  factory() = std::move(f);
}

ServeProtocol parse_serve_protocol(const std::string& name) {
  if (name == "mlflow") return ServeProtocol::kMlflow;
  if (name == "v2") return ServeProtocol::kV2;
  if (name == "tfserving") return ServeProtocol::kTfServing;
  std::string best = closest_name(name, {"mlflow", "v2", "tfserving"});
  throw Error(
      "unknown model protocol " + quote(name), "--model-protocol",
      (best.empty() ? "" : "did you mean " + quote(best) + "? ") + "one of mlflow, v2, tfserving");
}

const char* serve_protocol_name(ServeProtocol p) {
  switch (p) {
    case ServeProtocol::kMlflow:
      return "mlflow";
    case ServeProtocol::kV2:
      return "v2";
    default:
      return "tfserving";
  }
}

double ServingStats::latency(const std::string& which) const {
  if (latency_ms.empty()) return std::nan("");
  std::vector<double> x = latency_ms;
  std::sort(x.begin(), x.end());
  if (which == "max") return x.back();
  if (which == "mean") {
    double s = 0;
    for (double v : x) s += v;
    return s / static_cast<double>(x.size());
  }
  double q = which == "p50" ? 0.50 : which == "p90" ? 0.90 : which == "p95" ? 0.95 : 0.99;
  // numpy.percentile's default ("linear"): the point at q * (n - 1), interpolated.
  double pos = q * static_cast<double>(x.size() - 1);
  auto lo = static_cast<std::size_t>(std::floor(pos));
  std::size_t hi = std::min(lo + 1, x.size() - 1);
  double frac = pos - static_cast<double>(lo);
  return x[lo] + (x[hi] - x[lo]) * frac;
}

std::string redact_url(const std::string& url) {
  std::string out = url;
  auto scheme = out.find("://");
  std::size_t host_start = scheme == std::string::npos ? 0 : scheme + 3;
  std::size_t path_start = out.find_first_of("/?#", host_start);
  std::size_t at = out.rfind('@', path_start == std::string::npos ? out.size() : path_start);
  if (at != std::string::npos && at >= host_start) out.replace(host_start, at + 1 - host_start, "");
  auto q = out.find('?');  // query strings carry API keys as often as not
  if (q != std::string::npos) out = out.substr(0, q) + "?...";
  return out;
}

std::pair<std::string, std::string> parse_model_header(const std::string& flag) {
  auto colon = flag.find(':');
  std::string name(trim(flag.substr(0, colon == std::string::npos ? 0 : colon)));
  bool token_ok = !name.empty();
  for (char c : name)
    token_ok = token_ok && (std::isalnum(static_cast<unsigned char>(c)) ||
                            std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos);
  if (colon == std::string::npos || !token_ok)
    throw Error("a model header must look like 'Name: value'", "--model-header",
                "e.g. --model-header 'Authorization: env:MODEL_TOKEN'");
  std::string value(trim(flag.substr(colon + 1)));
  if (starts_with(value, "env:")) {
    std::string var = value.substr(4);
    const char* v = var.empty() ? nullptr : std::getenv(var.c_str());
    if (!v)
      throw Error("the environment variable " + quote(var) + " named by header " + quote(name) +
                      " is not set",
                  "--model-header", "export it before running, or give the value itself");
    value = v;
  }
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0')
      throw Error("the value of header " + quote(name) + " holds a line break", "--model-header",
                  "a header value is one line");
  return {name, value};
}

// ---------------------------------------------------------------------------------------------
// Requests

namespace {

void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      static const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  out += '"';
}

void json_double(std::string& out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

enum class Kind { kInt64, kFp64, kBool, kBytes };

const char* kind_datatype(Kind k) {
  switch (k) {
    case Kind::kInt64:
      return "INT64";
    case Kind::kFp64:
      return "FP64";
    case Kind::kBool:
      return "BOOL";
    default:
      return "BYTES";
  }
}

bool is_bool_word(const std::string& s, bool* value) {
  std::string l;
  for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "true") *value = true;
  if (l == "false") *value = false;
  return l == "true" || l == "false";
}

// The features as they are sent: each column's kind decided once from all its values.
struct Feature {
  const Column* col = nullptr;
  Kind kind = Kind::kFp64;
  std::vector<std::int8_t> bools;  // kBool: per dictionary code, 1/0
  std::string key;                 // "\"name\":" for objects
  // kFp64 written as plain decimals with at most this many places (the reader's
  // decimal_places): printed from the integer k = x * 10^places, exactly the text that was read
  // up to trailing zeros, so it parses back to the same double; -1: the shortest form.
  int places = -1;
};

constexpr double kPow10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

void json_fixed(std::string& out, double x, int places) {
  auto k = static_cast<long long>(std::llround(x * kPow10[places]));
  if (k < 0) {
    out += '-';
    k = -k;
  }
  const auto scale = static_cast<long long>(kPow10[places]);
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, k / scale);
  out.append(buf, r.ptr);
  long long frac = k % scale;
  if (frac == 0) return;
  char digits[16];
  for (int d = places - 1; d >= 0; --d, frac /= 10) digits[d] = static_cast<char>('0' + frac % 10);
  int n = places;
  while (n > 1 && digits[n - 1] == '0') --n;
  out += '.';
  out.append(digits, static_cast<std::size_t>(n));
}

std::vector<Feature> features_of(const Table& t, const std::vector<std::string>& drop) {
  std::vector<Feature> out;
  for (const Column& c : t.columns) {
    if (std::find(drop.begin(), drop.end(), c.name) != drop.end()) continue;
    Feature f;
    f.col = &c;
    json_string(f.key, c.name);
    f.key += ':';
    bool has_text = !c.dictionary.empty();
    if (has_text) {
      bool all_bool = c.n_numbers == 0;
      for (const auto& v : c.dictionary) {
        bool b = false;
        all_bool = all_bool && is_bool_word(v, &b);
        f.bools.push_back(b ? 1 : 0);
      }
      f.kind = all_bool ? Kind::kBool : Kind::kBytes;
    } else {
      bool ints = c.integers_only;
      for (double x : c.numbers)
        ints = ints && (std::isnan(x) || std::fabs(x) <= 9007199254740992.0);
      f.kind = ints ? Kind::kInt64 : Kind::kFp64;
      if (!ints && c.decimal_places >= 1 && c.decimal_places <= 9) {
        const double limit = 4503599627370496.0 / kPow10[c.decimal_places];  // 2^52 / 10^p
        bool fits = true;
        for (double x : c.numbers) fits = fits && (std::isnan(x) || std::fabs(x) < limit);
        if (fits) f.places = c.decimal_places;
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

// One value as JSON; missing as null. A number that JSON cannot hold is an error.
void json_value(std::string& out, const Feature& f, std::size_t row) {
  const Column& c = *f.col;
  if (c.is_text(row)) {
    std::uint32_t code = c.codes[row];
    if (f.kind == Kind::kBool)
      out += f.bools[code] ? "true" : "false";
    else
      json_string(out, c.dictionary[code]);
    return;
  }
  double x = c.numbers.empty() ? std::nan("") : c.numbers[row];
  if (std::isnan(x)) {
    out += "null";
    return;
  }
  if (std::isinf(x))
    throw Error("an infinite value cannot be sent as JSON",
                location(c.name, 0) + " row " + std::to_string(row + 1), "fix the features file");
  if (f.places > 0) {
    json_fixed(out, x, f.places);
  } else if (f.kind == Kind::kBytes) {
    json_string(out, format_number(x));
  } else if (f.kind == Kind::kInt64 || (x == std::trunc(x) && std::fabs(x) < 1e15)) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(x));
    out.append(buf, r.ptr);
  } else {
    json_double(out, x);
  }
}

struct Batch {
  std::size_t index = 0, begin = 0, end = 0;
  std::string id() const { return "mlgate-" + std::to_string(index); }
  std::string rows() const {
    return "rows " + std::to_string(begin + 1) + "-" + std::to_string(end) + " (batch " +
           std::to_string(index + 1) + ")";
  }
};

class RequestWriter {
 public:
  RequestWriter(const ServedModel& m, const Table& t, const std::vector<std::string>& drop)
      : m_(m), features_(features_of(t, drop)) {
    if (m.protocol == ServeProtocol::kV2 && m.v2_tensor)
      for (const auto& f : features_)
        if (f.kind == Kind::kBytes)
          throw Error("column " + quote(f.col->name) + " holds text, which a FP32 tensor cannot",
                      "--v2-input tensor", "send one tensor per column (--v2-input columns)");
    if (features_.empty())
      throw Error("the features file has no columns besides the label", t.path,
                  "a model needs features");
  }

  std::string body(const Batch& b) const {
    std::string out;
    out.reserve((b.end - b.begin) * features_.size() * 12 + 256);
    switch (m_.protocol) {
      case ServeProtocol::kMlflow:
        mlflow(out, b);
        break;
      case ServeProtocol::kTfServing:
        tfserving(out, b);
        break;
      default:
        if (m_.v2_tensor)
          v2_tensor(out, b);
        else
          v2_columns(out, b);
    }
    return out;
  }

 private:
  void mlflow(std::string& out, const Batch& b) const {
    out += "{\"dataframe_split\":{\"columns\":[";
    for (std::size_t k = 0; k < features_.size(); ++k) {
      if (k) out += ',';
      json_string(out, features_[k].col->name);
    }
    out += "],\"data\":[";
    for (std::size_t r = b.begin; r < b.end; ++r) {
      out += r == b.begin ? "[" : ",[";
      for (std::size_t k = 0; k < features_.size(); ++k) {
        if (k) out += ',';
        json_value(out, features_[k], r);
      }
      out += ']';
    }
    out += "]}}";
  }

  void tfserving(std::string& out, const Batch& b) const {
    out += "{\"instances\":[";
    for (std::size_t r = b.begin; r < b.end; ++r) {
      out += r == b.begin ? "{" : ",{";
      for (std::size_t k = 0; k < features_.size(); ++k) {
        if (k) out += ',';
        out += features_[k].key;
        json_value(out, features_[k], r);
      }
      out += '}';
    }
    out += "]}";
  }

  void v2_columns(std::string& out, const Batch& b) const {
    out += "{\"id\":";
    json_string(out, b.id());
    out += ",\"inputs\":[";
    const std::string n = std::to_string(b.end - b.begin);
    for (std::size_t k = 0; k < features_.size(); ++k) {
      const Feature& f = features_[k];
      out += k ? ",{\"name\":" : "{\"name\":";
      json_string(out, f.col->name);
      out += ",\"shape\":[" + n + "],\"datatype\":\"";
      out += kind_datatype(f.kind);
      out += "\",\"data\":[";
      for (std::size_t r = b.begin; r < b.end; ++r) {
        if (r != b.begin) out += ',';
        json_value(out, f, r);
      }
      out += "]}";
    }
    out += "]}";
  }

  void v2_tensor(std::string& out, const Batch& b) const {
    out += "{\"id\":";
    json_string(out, b.id());
    out += ",\"inputs\":[{\"name\":";
    json_string(out, m_.v2_input_name);
    out += ",\"shape\":[" + std::to_string(b.end - b.begin) + "," +
           std::to_string(features_.size()) + "],\"datatype\":\"FP32\",\"data\":[";
    for (std::size_t r = b.begin; r < b.end; ++r) {
      for (std::size_t k = 0; k < features_.size(); ++k) {
        if (r != b.begin || k) out += ',';
        const Feature& f = features_[k];
        const Column& c = *f.col;
        if (c.is_text(r)) {
          out += f.bools[c.codes[r]] ? "1" : "0";
          continue;
        }
        double x = c.numbers.empty() ? std::nan("") : c.numbers[r];
        if (!std::isfinite(x))
          throw Error("a missing or infinite value cannot go into a FP32 tensor",
                      "column " + quote(c.name) + " row " + std::to_string(r + 1),
                      "fill missing features, or send one tensor per column (--v2-input "
                      "columns), where a missing value is null");
        char buf[32];
        auto res = std::to_chars(buf, buf + sizeof buf, static_cast<float>(x));
        out.append(buf, res.ptr);
      }
    }
    out += "]}]}";
  }

  const ServedModel& m_;
  std::vector<Feature> features_;
};

// ---------------------------------------------------------------------------------------------
// Answers

struct AnswerError {
  std::string what;
};

// Python's json module (MLflow, TF Serving) writes NaN, Infinity and -Infinity, which JSON does
// not have: outside strings they become null, which the checks below refuse as a prediction.
std::string nonfinite_as_null(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  bool str = false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (str) {
      out += c;
      if (c == '\\' && i + 1 < in.size())
        out += in[++i];
      else if (c == '"')
        str = false;
      continue;
    }
    if (c == '"') str = true;
    std::string_view rest = in.substr(i);
    if (starts_with(rest, "NaN")) {
      out += "null";
      i += 2;
    } else if (starts_with(rest, "Infinity")) {
      out += "null";
      i += 7;
    } else if (starts_with(rest, "-Infinity")) {
      out += "null";
      i += 8;
    } else {
      out += c;
    }
  }
  return out;
}

using simdjson::dom::element;
using simdjson::dom::element_type;

std::string json_text(const element& v, std::size_t max = 40) {
  return quote(simdjson::to_string(v), max);
}

double number_at(const element& v, std::size_t row_in_batch, const Batch& b) {
  const std::size_t row = b.begin + row_in_batch + 1;
  switch (v.type()) {
    case element_type::DOUBLE: {
      double x = v.get_double().value_unsafe();
      if (std::isfinite(x)) return x;
      break;
    }
    case element_type::INT64:
      return static_cast<double>(v.get_int64().value_unsafe());
    case element_type::UINT64:
      return static_cast<double>(v.get_uint64().value_unsafe());
    case element_type::BOOL:
      return v.get_bool().value_unsafe() ? 1 : 0;
    case element_type::NULL_VALUE:
      break;
    default:
      throw AnswerError{"the prediction for row " + std::to_string(row) +
                        " is not numeric: " + json_text(v)};
  }
  throw AnswerError{"the prediction for row " + std::to_string(row) +
                    " is not a finite number (NaN, Infinity or null)"};
}

std::string field_names(const simdjson::dom::object& o) {
  std::string s;
  int n = 0;
  for (auto field : o) {
    if (n++ == 8) break;
    s += (s.empty() ? "" : ", ") + quote(std::string(field.key), 40);
  }
  return s;
}

// A list of predictions, one per row: numbers, lists of numbers, or objects.
void read_rows(const element& preds, const Batch& b, const std::string& output,
               std::vector<double>& values, std::size_t& width) {
  const std::size_t n = b.end - b.begin;
  if (!preds.is_array()) throw AnswerError{"\"predictions\" is not a list"};
  simdjson::dom::array list = preds.get_array().value_unsafe();
  if (list.size() != n)
    throw AnswerError{"the answer has " + std::to_string(list.size()) + " predictions for " +
                      std::to_string(n) + " rows"};
  values.clear();
  values.reserve(n);
  width = 0;
  std::size_t i = 0;
  for (element v : list) {
    if (v.is_object()) {
      simdjson::dom::object o = v.get_object().value_unsafe();
      if (output.empty())
        throw AnswerError{"the predictions are objects (fields " + field_names(o) +
                          "); name the one to gate with --model-output"};
      auto field = o.at_key(output);
      if (field.error())
        throw AnswerError{"the prediction for row " + std::to_string(b.begin + i + 1) +
                          " has no field " + quote(output) + " (fields " + field_names(o) + ")"};
      v = field.value_unsafe();
    }
    std::size_t w = v.is_array() ? v.get_array().value_unsafe().size() : 1;
    if (w == 0)
      throw AnswerError{"the prediction for row " + std::to_string(b.begin + i + 1) +
                        " is an empty list"};
    if (width == 0) width = w;
    if (w != width)
      throw AnswerError{"the prediction for row " + std::to_string(b.begin + i + 1) + " has " +
                        std::to_string(w) + " values, the first row " + std::to_string(width)};
    if (v.is_array()) {
      simdjson::dom::array row = v.get_array().value_unsafe();
      for (element x : row) values.push_back(number_at(x, i, b));
    } else {
      values.push_back(number_at(v, i, b));
    }
    ++i;
  }
}

void flatten(const element& v, std::vector<element>& out, int depth) {
  if (depth > 8) throw AnswerError{"the output's data is nested too deeply"};
  if (v.is_array()) {
    simdjson::dom::array list = v.get_array().value_unsafe();
    for (element x : list) flatten(x, out, depth + 1);
  } else {
    out.push_back(v);
  }
}

void read_v2(const simdjson::dom::object& doc, const Batch& b, const std::string& output,
             std::vector<double>& values, std::size_t& width) {
  if (auto id = doc.at_key("id"); !id.error()) {
    std::string_view got;
    if (id.value_unsafe().get_string().get(got) || got != b.id())
      throw AnswerError{"the answer's id " + json_text(id.value_unsafe()) +
                        " is not the request's " + quote(b.id())};
  }
  simdjson::dom::array outs;
  if (doc.at_key("outputs").get_array().get(outs) || outs.size() == 0)
    throw AnswerError{"the answer has no \"outputs\""};
  element o = outs.at(0).value_unsafe();
  if (!output.empty()) {
    bool found = false;
    std::string names;
    for (element x : outs) {
      std::string_view nm;
      if (!x.at_key("name").get_string().get(nm)) {
        if (nm == output && !found) {
          o = x;
          found = true;
        }
        names += (names.empty() ? "" : ", ") + quote(std::string(nm), 40);
      }
    }
    if (!found) throw AnswerError{"no output named " + quote(output) + " (outputs: " + names + ")"};
  }
  if (!o.is_object()) throw AnswerError{"an output is not an object"};
  std::string_view dt;
  if (!o.at_key("datatype").get_string().get(dt) && dt == "BYTES")
    throw AnswerError{"the output's datatype is BYTES, not numbers"};
  element shape_el;
  simdjson::dom::array shape;
  auto data = o.at_key("data");
  if (o.at_key("shape").get(shape_el) || shape_el.get_array().get(shape) || data.error())
    throw AnswerError{"the output has no \"shape\" or \"data\""};
  const std::string shape_text = simdjson::to_string(shape_el);
  std::vector<std::int64_t> dims;
  for (element d : shape) {
    std::int64_t k = 0;
    if (d.get_int64().get(k) || k < 0)
      throw AnswerError{"the output's shape " + quote(shape_text, 40) + " is not a shape"};
    dims.push_back(k);
  }
  const auto n = static_cast<std::int64_t>(b.end - b.begin);
  bool ok =
      (dims.size() == 1 && dims[0] == n) || (dims.size() == 2 && dims[0] == n && dims[1] >= 1);
  if (!ok)
    throw AnswerError{"the output's shape is " + shape_text + " for " + std::to_string(n) +
                      " rows; expected [" + std::to_string(n) + "] or [" + std::to_string(n) +
                      ", k]"};
  width = dims.size() == 2 ? static_cast<std::size_t>(dims[1]) : 1;
  std::vector<element> flat;
  flat.reserve(static_cast<std::size_t>(n) * width);
  flatten(data.value_unsafe(), flat, 0);
  if (flat.size() != static_cast<std::size_t>(n) * width)
    throw AnswerError{"the output has " + std::to_string(flat.size()) + " values for shape " +
                      shape_text};
  values.clear();
  values.reserve(flat.size());
  for (std::size_t i = 0; i < flat.size(); ++i) values.push_back(number_at(flat[i], i / width, b));
}

void read_answer(ServeProtocol protocol, std::string_view body, const Batch& b,
                 const std::string& output, std::vector<double>& values, std::size_t& width) {
  // One parser per thread, its depth bounded: an answer is a few levels deep.
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser p;
    simdjson::error_code err = p.allocate(1 << 16, 32);
    (void)err;  // parse() allocates again (at this depth) if this failed
    return p;
  }();
  std::string text;
  const bool nonfinite = body.find_first_of("NI") != std::string_view::npos;
  if (nonfinite) text = nonfinite_as_null(body);
  std::string_view json = nonfinite ? std::string_view(text) : body;
  element doc;
  if (auto err = parser.parse(json.data(), json.size(), true).get(doc))
    throw AnswerError{std::string("the answer is not JSON: ") + simdjson::error_message(err)};
  if (doc.is_object()) {
    for (const char* k : {"error", "error_code"}) {
      auto e = doc.at_key(k);
      if (!e.error() && !e.value_unsafe().is_null()) {
        std::string_view msg;
        std::string shown = e.value_unsafe().get_string().get(msg)
                                ? simdjson::to_string(e.value_unsafe())
                                : std::string(msg);
        throw AnswerError{"the server answered with an error: " + quote(shown, 160)};
      }
    }
  }
  if (protocol == ServeProtocol::kV2) {
    if (!doc.is_object()) throw AnswerError{"the answer is not a JSON object"};
    read_v2(doc.get_object().value_unsafe(), b, output, values, width);
    return;
  }
  // MLflow 2 and TF Serving: {"predictions": [...]}; MLflow 1 answered with the bare list.
  if (doc.is_object()) {
    auto p = doc.at_key("predictions");
    if (p.error())
      throw AnswerError{"the answer has no \"predictions\" (fields " +
                        field_names(doc.get_object().value_unsafe()) + ")"};
    read_rows(p.value_unsafe(), b, output, values, width);
  } else if (doc.is_array() && protocol == ServeProtocol::kMlflow) {
    read_rows(doc, b, output, values, width);
  } else {
    throw AnswerError{"the answer is not a JSON object"};
  }
}

// ---------------------------------------------------------------------------------------------
// Sending, with retries

// Seconds from a Retry-After value (delay-seconds or an HTTP date); negative when absent or not
// understood.
double retry_after_seconds(const std::string& v) {
  std::string_view t = trim(v);
  if (t.empty()) return -1;
  double s = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), s);
  if (r.ec == std::errc() && r.ptr == t.data() + t.size()) return s >= 0 ? s : -1;
  std::tm tm{};
  std::string text(t);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end) return -1;
  double at = static_cast<double>(timegm(&tm));
  return std::max(0.0, at - static_cast<double>(std::time(nullptr)));
}

class Client {
 public:
  Client(const ServedModel& m, std::string url) : m_(m), url_(std::move(url)) {
    headers_ = m.headers;
    headers_.emplace_back("Content-Type", "application/json");
    headers_.emplace_back("Accept", "application/json");
  }

  // Masks every header value in text, then cuts it: what is printed never carries a secret.
  std::string shown(std::string_view body) const {
    std::string s(body);
    for (const auto& [k, v] : m_.headers) {
      if (v.size() < 4) continue;
      for (std::size_t p = s.find(v); p != std::string::npos; p = s.find(v, p + 3))
        s.replace(p, v.size(), "***");
    }
    if (s.size() > 200) s = s.substr(0, 200) + "...";
    return s;
  }

  [[noreturn]] void fail(const Batch& b, const std::string& what, const HttpAnswer* a,
                         const std::string& hint) const {
    std::string msg = what;
    if (a && a->status) {
      msg = "HTTP " + std::to_string(a->status) + ": " + msg;
      msg += "; the answer began: " + quote(shown(a->body), 220);
    }
    throw Error(msg, "POST " + redact_url(url_) + " " + b.rows(), hint);
  }

  // Sends the batch until it is answered 2xx, retrying what is worth retrying; returns the
  // answer and the seconds the successful attempt took.
  HttpAnswer send(HttpChannel& ch, const std::string& body, const Batch& b, double* took,
                  std::atomic<std::int64_t>& retries, std::atomic<std::int64_t>& budget,
                  const std::atomic<bool>& stop) const {
    HttpCall call;
    call.method = "POST";
    call.url = url_;
    call.body = body;
    call.headers = &headers_;
    call.timeout_s = m_.timeout_s;
    thread_local std::mt19937_64 rng{std::random_device{}()};
    for (int attempt = 0;; ++attempt) {
      auto t0 = Clock::now();
      HttpAnswer a = ch.send(call);
      *took = seconds_since(t0);
      if (verbose())
        log_verbose("> POST %s %s, %zu bytes; < %s, %zu bytes in %.1f ms", redact_url(url_).c_str(),
                    b.rows().c_str(), body.size(),
                    a.failure != HttpAnswer::Failure::kNone
                        ? a.failure_text.c_str()
                        : ("HTTP " + std::to_string(a.status)).c_str(),
                    a.body.size(), *took * 1000);
      const bool http_ok = a.failure == HttpAnswer::Failure::kNone;
      if (http_ok && a.status >= 200 && a.status < 300) return a;
      const bool retryable = a.failure == HttpAnswer::Failure::kConnection ||
                             (http_ok && (a.status == 429 || a.status >= 500));
      if (!retryable || attempt >= m_.retries || budget.fetch_sub(1) <= 0 || stop) {
        if (!http_ok) {
          std::string why = a.failure == HttpAnswer::Failure::kTimeout
                                ? "no answer within the request timeout of " +
                                      format_short(m_.timeout_s, 6) + " s"
                                : a.failure_text;
          fail(b, why + (attempt ? " (after " + std::to_string(attempt) + " retries)" : ""),
               nullptr,
               a.failure == HttpAnswer::Failure::kTimeout
                   ? "raise --model-timeout, or lower --batch-size"
                   : "check that the server is up and --model-url points at it");
        }
        fail(b,
             "the server refused the batch" +
                 (attempt ? " (after " + std::to_string(attempt) + " retries)" : std::string()),
             &a,
             a.status == 404 ? "check --model-url, --model-protocol, --model-name and "
                               "--model-version-path"
                             : "see the server's log");
      }
      ++retries;
      // Exponential backoff with jitter (half fixed, half random), or what the server asked.
      double wait = std::min(10.0, 0.1 * std::pow(2.0, attempt));
      wait = wait / 2 + std::uniform_real_distribution<double>(0, wait / 2)(rng);
      double asked = retry_after_seconds(a.retry_after);
      if (asked >= 0) {
        if (asked > 120)
          fail(b, "the server asks to retry after " + format_short(asked, 6) + " s", &a,
               "try again later");
        wait = asked;
      }
      sleep_for_seconds(wait);
    }
  }

  const std::string& url() const { return url_; }

 private:
  const ServedModel& m_;
  std::string url_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

std::string base_url(const ServedModel& m) {
  std::string u = m.url;
  while (!u.empty() && u.back() == '/') u.pop_back();
  return u;
}

std::string model_path(const ServedModel& m, const char* prefix) {
  std::string p = std::string(prefix) + m.name;
  if (!m.version_path.empty()) p += "/versions/" + m.version_path;
  return p;
}

std::string infer_url(const ServedModel& m) {
  std::string u = base_url(m);
  switch (m.protocol) {
    case ServeProtocol::kMlflow:
      return ends_with(u, "/invocations") ? u : u + "/invocations";
    case ServeProtocol::kV2:
      return u + model_path(m, "/v2/models/") + "/infer";
    default:
      return u + model_path(m, "/v1/models/") + ":predict";
  }
}

// The health endpoints to poll, in order; all must answer 200 (and, where they say so, ready).
std::vector<std::string> health_urls(const ServedModel& m) {
  std::string u = base_url(m);
  switch (m.protocol) {
    case ServeProtocol::kMlflow:
      if (ends_with(u, "/invocations")) u.resize(u.size() - std::string("/invocations").size());
      return {u + "/ping"};
    case ServeProtocol::kV2:
      return {u + "/v2/health/ready", u + model_path(m, "/v2/models/") + "/ready"};
    default:
      return {u + model_path(m, "/v1/models/")};
  }
}

// Whether a 200 answer from a health endpoint says ready.
bool says_ready(ServeProtocol p, const std::string& body) {
  nlohmann::json doc;
  try {
    JsonLimits lim;
    lim.max_depth = 16;
    lim.reject_duplicate_keys = false;
    doc = parse_json(body, "health", lim);
  } catch (const Error&) {
    return p != ServeProtocol::kTfServing;  // /ping and v2's ready may answer with no body
  }
  if (p == ServeProtocol::kTfServing) {
    auto st = doc.find("model_version_status");
    if (st == doc.end() || !st->is_array()) return false;
    for (const auto& v : *st)
      if (v.is_object() && v.value("state", "") == "AVAILABLE") return true;
    return false;
  }
  if (doc.is_object())
    if (auto r = doc.find("ready"); r != doc.end() && r->is_boolean()) return r->get<bool>();
  return true;
}

void wait_ready(const ServedModel& m, HttpChannel& ch) {
  if (m.ready_timeout_s <= 0) return;
  const auto t0 = Clock::now();
  std::vector<std::pair<std::string, std::string>> headers = m.headers;
  std::string last;
  double pause = 0.1;
  for (;;) {
    bool ready = true;
    for (const auto& url : health_urls(m)) {
      HttpCall call;
      call.url = url;
      call.headers = &headers;
      call.timeout_s = std::min(m.timeout_s, std::max(1.0, m.ready_timeout_s));
      call.max_body = 1 << 20;
      HttpAnswer a = ch.send(call);
      if (a.failure == HttpAnswer::Failure::kTls)
        throw Error("TLS failure: " + a.failure_text, "GET " + redact_url(url),
                    "give the server's CA with --cacert (and --cert/--key for mutual TLS)");
      if (a.failure != HttpAnswer::Failure::kNone) {
        last = a.failure_text;
      } else if (a.status != 200) {
        last = "HTTP " + std::to_string(a.status);
      } else if (!says_ready(m.protocol, a.body)) {
        last = "HTTP 200, not ready yet";
      } else {
        continue;
      }
      last = "GET " + redact_url(url) + ": " + last;
      ready = false;
      break;
    }
    if (ready) return;
    double left = m.ready_timeout_s - seconds_since(t0);
    if (left <= 0)
      throw Error("the model server was not ready within " + format_short(m.ready_timeout_s, 6) +
                      " s (last: " + last + ")",
                  "--model-url",
                  std::string("raise --model-ready-timeout if it loads slowly; check the URL, "
                              "protocol and model name") +
                      (starts_with(m.url, "https://") && m.cert.empty()
                           ? "; a server asking for a client certificate needs --cert and --key"
                           : ""));
    sleep_for_seconds(std::min(pause, left));
    pause = std::min(1.0, pause * 1.5);
  }
}

}  // namespace

namespace {

void validate(const ServedModel& m) {
  if (m.batch_size < 1 || m.batch_size > 1000000)
    throw Error("--batch-size must be 1 to 1000000", "--batch-size");
  if (m.concurrency < 1 || m.concurrency > 256)
    throw Error("--model-concurrency must be 1 to 256", "--model-concurrency");
  if (!(m.timeout_s > 0 && m.timeout_s <= 86400))
    throw Error("--model-timeout must be more than 0 and at most a day (86400 s)",
                "--model-timeout");
  if (!(m.ready_timeout_s >= 0 && m.ready_timeout_s <= 86400))
    throw Error("--model-ready-timeout must be 0 to 86400 seconds", "--model-ready-timeout");
  if (m.warmup < 0 || m.warmup > 1000) throw Error("--warmup must be 0 to 1000", "--warmup");
  if (m.protocol != ServeProtocol::kMlflow && m.name.empty())
    throw Error(
        "the " + std::string(serve_protocol_name(m.protocol)) + " protocol needs the model's name",
        "--model-name", "give --model-name NAME as the server knows it");
  const std::string origin = m.url.substr(0, m.url.find("://") + 3);
  if (origin != "https://" && origin != "http://")
    throw Error("not an http(s) URL: " + quote(redact_url(m.url), 120), "--model-url",
                "e.g. http://127.0.0.1:8080 or https://models.example.com");
}

// One served model in a run: its request writer, client, connections, answers and timings.
class Endpoint {
 public:
  Endpoint(const ServedModel& m, const Table& features, const std::vector<std::string>& drop,
           std::size_t batches, int workers)
      : m_(m),
        writer_(m, features, drop),
        client_(m, infer_url(m)),
        slots_(batches),
        latency_ms_(batches, std::nan("")),
        budget_(std::max<std::int64_t>(4LL * m.retries,
                                       static_cast<std::int64_t>(batches / 10) + m.retries)) {
    ChannelOptions co;
    co.allow_http = starts_with(m.url, "http://");
    co.cacert = m.cacert;
    co.cert = m.cert;
    co.key = m.key;
    HttpChannelFactory make;
    {
      std::lock_guard lk(factory_mutex());
      make = factory();
    }
    if (!make) throw Error("no HTTP client is installed (internal)", "--model-url");
    channels_.reserve(static_cast<std::size_t>(workers));
    for (int w = 0; w < workers; ++w) channels_.push_back(make(co));
  }

  // Readiness, then the warm-up: the first batch, untimed, its answers checked like any.
  void prepare(const Batch& first) {
    wait_ready(m_, *channels_[0]);
    std::string body = writer_.body(first);
    std::vector<double> v;
    std::size_t width = 0;
    for (int w = 0; w < m_.warmup; ++w) {
      double took = 0;
      HttpAnswer a = client_.send(*channels_[0], body, first, &took, retries_, budget_, stop_);
      read(a, first, v, width);
    }
  }

  // Scores one batch on connection w, timed.
  void score(const Batch& b, int w, const std::atomic<bool>& stop) {
    double took = 0;
    std::string body = writer_.body(b);
    HttpAnswer a = client_.send(*channels_[static_cast<std::size_t>(w)], body, b, &took, retries_,
                                budget_, stop);
    latency_ms_[b.index] = took * 1000;
    read(a, b, slots_[b.index].values, slots_[b.index].width);
  }

  // The answers in row order, and the timings of the batches that were sent.
  ServedOutput finish(const std::vector<Batch>& batches, std::int64_t rows, int workers,
                      double seconds) {
    ServedOutput out;
    out.stats.batch_size = m_.batch_size;
    out.stats.warmup = m_.warmup;
    out.stats.rows = rows;
    out.stats.concurrency = workers;
    out.stats.seconds = seconds;
    out.stats.retries = retries_;
    if (batches.empty()) return out;
    out.width = slots_[0].width;
    out.values.reserve(static_cast<std::size_t>(rows) * out.width);
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].width != out.width)
        throw Error("the model answered " + std::to_string(slots_[i].width) +
                        " values per row here but " + std::to_string(out.width) +
                        " for the first batch",
                    "POST " + redact_url(client_.url()) + " " + batches[i].rows(),
                    "a model must answer with the same shape for every batch");
      out.values.insert(out.values.end(), slots_[i].values.begin(), slots_[i].values.end());
      std::vector<double>().swap(slots_[i].values);
    }
    out.stats.latency_ms = latency_ms_;
    out.stats.requests = static_cast<std::int64_t>(latency_ms_.size());
    return out;
  }

 private:
  void read(const HttpAnswer& a, const Batch& b, std::vector<double>& v, std::size_t& width) {
    try {
      read_answer(m_.protocol, a.body, b, m_.output, v, width);
    } catch (const AnswerError& e) {
      client_.fail(b, e.what, &a, "see the server's answer");
    }
  }

  struct Slot {
    std::vector<double> values;
    std::size_t width = 0;
  };
  const ServedModel& m_;
  RequestWriter writer_;
  Client client_;
  std::vector<std::unique_ptr<HttpChannel>> channels_;
  std::vector<Slot> slots_;
  std::vector<double> latency_ms_;  // by batch
  std::atomic<std::int64_t> retries_{0};
  // A bounded total: a server failing everywhere ends the run instead of being retried batch
  // after batch.
  std::atomic<std::int64_t> budget_;
  std::atomic<bool> stop_{false};
};

// Scores every batch on every endpoint: workers take batches in order; each batch goes to the
// endpoints one after the other, the order alternating from batch to batch, so two models
// compared see the same load, the same data and the same moments. Throws the earliest failing
// batch's error.
std::vector<ServedOutput> run_endpoints(const std::vector<const ServedModel*>& models,
                                        const Table& features,
                                        const std::vector<std::string>& drop) {
  for (const auto* m : models) validate(*m);
  const ServedModel& lead = *models[0];
  const auto n = static_cast<std::size_t>(features.rows);
  const auto bs = static_cast<std::size_t>(lead.batch_size);
  std::vector<Batch> batches;
  for (std::size_t b = 0; b * bs < n; ++b)
    batches.push_back({b, b * bs, std::min(n, (b + 1) * bs)});
  const int workers = static_cast<int>(
      std::max<std::size_t>(1, std::min<std::size_t>(lead.concurrency, batches.size())));
  std::vector<std::unique_ptr<Endpoint>> eps;
  eps.reserve(models.size());
  for (const auto* m : models)
    eps.push_back(std::make_unique<Endpoint>(*m, features, drop, batches.size(), workers));
  if (!batches.empty())
    for (auto& e : eps) e->prepare(batches[0]);

  if (verbose())
    for (const auto* m : models) {
      std::string hs;
      for (const auto& h : m->headers) hs += ", header " + h.first + ": ***";
      log_verbose("served model %s: %s protocol, %zu rows in %zu batches of %lld, %d in flight%s",
                  redact_url(m->url).c_str(), serve_protocol_name(m->protocol), n, batches.size(),
                  static_cast<long long>(m->batch_size), workers, hs.c_str());
    }
  Progress progress(eps.size() > 1 ? "served models" : "served model", "rows",
                    static_cast<std::uint64_t>(n * eps.size()));
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex err_m;
  std::size_t err_batch = batches.size();
  std::exception_ptr err;
  auto work = [&](int w) {
    for (;;) {
      std::size_t i = next.fetch_add(1);
      if (i >= batches.size() || stop) return;
      try {
        for (std::size_t k = 0; k < eps.size(); ++k) {
          eps[(i % 2 == 0) ? k : eps.size() - 1 - k]->score(batches[i], w, stop);
          progress.add(batches[i].end - batches[i].begin);
        }
      } catch (...) {
        stop = true;
        std::lock_guard lk(err_m);
        if (i < err_batch) {  // the earliest failing batch is the one reported
          err_batch = i;
          err = std::current_exception();
        }
        return;
      }
    }
  };
  const auto t0 = Clock::now();
  {
    std::vector<std::thread> pool;
    for (int w = 1; w < workers; ++w) pool.emplace_back(work, w);
    work(0);
    for (auto& th : pool) th.join();
  }
  const double seconds = seconds_since(t0);
  if (err) std::rethrow_exception(err);
  std::vector<ServedOutput> out;
  out.reserve(eps.size());
  for (auto& e : eps)
    out.push_back(e->finish(batches, static_cast<std::int64_t>(n), workers, seconds));
  if (eps.size() > 1)
    // Interleaved, each endpoint's share of the run is its own request time spread over the
    // requests in flight.
    for (auto& o : out) {
      double busy = 0;
      for (double l : o.stats.latency_ms) busy += l / 1000;
      o.stats.seconds = busy / workers;
    }
  return out;
}

}  // namespace

ServedOutput score_served(const ServedModel& m, const Table& features,
                          const std::vector<std::string>& drop) {
  return std::move(run_endpoints({&m}, features, drop)[0]);
}

std::pair<ServedOutput, ServedOutput> score_served_pair(const ServedModel& candidate,
                                                        const ServedModel& baseline,
                                                        const Table& features,
                                                        const std::vector<std::string>& drop) {
  auto out = run_endpoints({&candidate, &baseline}, features, drop);
  return {std::move(out[0]), std::move(out[1])};
}

}  // namespace mlgate
