#include "mlgate/decisions/state.hpp"

#include "body.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/log.hpp"
#include "mlgate/base/text.hpp"
#include "mlgate/decisions/eval.hpp"
#include "mlgate/decisions/policy.hpp"

namespace mlgate {

namespace {

constexpr const char* kMagic = "mlgate-state 1";
constexpr const char* kHint =
    "the state is damaged or not one mlgate wrote; write it again with --state-out";
// A state's body is at most this large uncompressed (a billion rows of 6-decimal scores take a
// few MB per scope; this leaves room for many slices and finer scores, not for a hostile size).
constexpr std::uint64_t kMaxBody = std::uint64_t{1} << 32;
constexpr std::size_t kMaxHeader = 1 << 20;
// Rows a state may count (2^50, a thousand trillion), and all merged states together: counts
// and their sums stay far from overflowing.
constexpr std::int64_t kMaxRows = std::int64_t{1} << 50;
constexpr std::int64_t kMaxMergedRows = std::int64_t{1} << 60;

void put_state(body::Writer& w, const BinaryState& s) {
  for (std::int64_t v : {s.n, s.pos, s.tp, s.fp}) w.i64(v);
  w.u8(s.outside_unit ? 1 : 0);
  for (int b = 0; b < BinaryState::kBins; ++b) {
    w.i64(s.bin_n[b]);
    w.i64(s.bin_pos[b]);
  }
  w.text(s.logloss.text());
  w.text(s.brier.text());
  for (const auto& x : s.bin_prob) w.text(x.text());
  body::write_ascending(w, s.score);
  for (std::size_t i = 0; i < s.score.size(); ++i) {
    w.var(static_cast<std::uint64_t>(s.positives[i]));
    w.var(static_cast<std::uint64_t>(s.negatives[i]));
  }
}

BinaryState get_state(body::Reader& r) {
  BinaryState s;
  s.n = r.i64();
  s.pos = r.i64();
  s.tp = r.i64();
  s.fp = r.i64();
  if (s.n < 0 || s.n > kMaxRows || s.pos < 0 || s.pos > s.n || s.tp < 0 || s.tp > s.pos ||
      s.fp < 0 || s.fp > s.n - s.pos)
    r.fail("the counts do not add up");
  const std::uint8_t flag = r.u8();
  if (flag > 1) r.fail("a flag is neither 0 nor 1");
  s.outside_unit = flag == 1;
  std::int64_t in_bins = 0;
  for (int b = 0; b < BinaryState::kBins; ++b) {
    s.bin_n[b] = r.i64();
    s.bin_pos[b] = r.i64();
    if (s.bin_n[b] < 0 || s.bin_pos[b] < 0 || s.bin_pos[b] > s.bin_n[b] ||
        s.bin_n[b] > s.n - in_bins)
      r.fail("the calibration bins' counts do not add up");
    in_bins += s.bin_n[b];
  }
  auto sum = [&](ExactSum& x) {
    if (!x.parse(r.text(4096))) r.fail("an exact sum is malformed");
  };
  sum(s.logloss);
  sum(s.brier);
  for (auto& x : s.bin_prob) sum(x);
  s.score = body::read_ascending(r, r.left() / 3);
  const std::size_t k = s.score.size();
  s.positives.reserve(k);
  s.negatives.reserve(k);
  std::int64_t pos = 0, neg = 0;
  for (std::size_t i = 0; i < k; ++i) {
    const std::uint64_t p = r.var(), q = r.var();
    if (p > static_cast<std::uint64_t>(s.n) || q > static_cast<std::uint64_t>(s.n) || p + q == 0)
      r.fail("the score histogram has a score without rows");
    s.positives.push_back(static_cast<std::int64_t>(p));
    s.negatives.push_back(static_cast<std::int64_t>(q));
    pos += static_cast<std::int64_t>(p);
    neg += static_cast<std::int64_t>(q);
    if (pos > s.pos || neg > s.n - s.pos)
      r.fail("the score histogram holds more rows than the counts");
  }
  if (pos != s.pos || neg != s.n - s.pos) r.fail("the score histogram misses rows of the counts");
  return s;
}

ojson scope_json(const EvalState::Slice& s) { return slice_json({{s.column, s.value}}); }

}  // namespace

EvalState eval_state(const Predictions& p, const ColumnOptions& cols,
                     const std::string& policy_sha256) {
  if (p.task != Task::kBinary)
    throw Error("--state-out writes states of binary tasks so far", "--state-out",
                "for multiclass, regression and ranking, evaluate in one run");
  if (!p.weight.empty())
    throw Error("--state-out does not take sample weights yet", "--state-out",
                "drop --weight-col, or evaluate in one run");
  EvalState s;
  ojson& id = s.identity;
  id["tool"] = "mlgate-eval";
  id["version"] = MLGATE_VERSION;
  id["task"] = task_name(p.task);
  id["columns"] = {{"label", cols.label_col},
                   {"score", cols.score_col},
                   {"pred", cols.pred_col.empty() ? ojson(nullptr) : ojson(cols.pred_col)},
                   {"positive_label",
                    cols.positive_label.empty() ? ojson(nullptr) : ojson(cols.positive_label)}};
  id["threshold"] = p.pred.empty() ? ojson(p.threshold) : ojson(nullptr);
  id["score_direction"] = p.score_lower ? "lower" : "higher";
  id["policy_sha256"] = policy_sha256.empty() ? ojson(nullptr) : ojson(policy_sha256);
  ojson sc = ojson::array();
  for (const auto& c : p.slices) sc.push_back(c.column);
  id["slice_columns"] = std::move(sc);
  s.negated = p.score_lower;
  s.rows = static_cast<std::int64_t>(p.size());
  s.dropped = p.dropped;
  s.inputs.push_back(input_json(p));
  const BinaryData d = p.binary();
  s.overall = std::move(binary_states(d, Grouping{})[0]);
  for (const auto& c : p.slices) {
    auto states = binary_states(d, Grouping{c.codes, static_cast<std::uint32_t>(c.values.size())});
    for (std::size_t v = 0; v < states.size(); ++v)
      s.slices.push_back({c.column, c.values[v], std::move(states[v])});
  }
  return s;
}

void write_state(const std::string& path, const EvalState& s) {
  body::Writer w;
  put_state(w, s.overall);
  for (const auto& sl : s.slices) put_state(w, sl.state);
  const std::string& raw = w.bytes();
  ojson h = s.identity;
  h["rows"] = s.rows;
  h["dropped"] = s.dropped;
  h["inputs"] = s.inputs;
  ojson scopes = ojson::array();
  for (const auto& sl : s.slices) scopes.push_back(scope_json(sl));
  h["slices"] = std::move(scopes);
  h["body"] = {{"size", raw.size()}, {"sha256", sha256_hex(raw)}, {"compression", "zlib"}};
  std::string out = std::string(kMagic) + "\n" + h.dump() + "\n" + body::deflate(raw);
  write_file_atomic(path, out);
}

EvalState read_state(const std::string& path) { return parse_state(read_file(path), path); }

EvalState parse_state(std::string_view all, const std::string& path) {
  const std::string magic = std::string(kMagic) + "\n";
  if (all.compare(0, magic.size(), magic) != 0)
    throw Error("not an mlgate state (its first line is not \"" + std::string(kMagic) + "\")", path,
                "give the files mlgate-eval --state-out wrote");
  const std::size_t eol = all.find('\n', magic.size());
  if (eol == std::string::npos || eol - magic.size() > kMaxHeader)
    throw Error("the state's header line is missing or too long", location(path, 2),
                "the state is damaged; write it again with --state-out");
  const ojson h = parse_ordered_json(all.substr(magic.size(), eol - magic.size()), path);
  auto bad = [&](const std::string& what) {
    return Error("the state's header " + what, location(path, 2),
                 "the state is damaged or from another mlgate; write it again with --state-out");
  };
  if (!h.is_object()) throw bad("is not an object");
  for (const char* k :
       {"tool", "version", "task", "columns", "threshold", "score_direction", "policy_sha256",
        "slice_columns", "rows", "dropped", "inputs", "slices", "body"})
    if (!h.contains(k)) throw bad(std::string("has no ") + k);
  if (h["tool"] != "mlgate-eval" || h["task"] != "binary") throw bad("names another tool or task");
  if (h["version"] != MLGATE_VERSION)
    throw bad("is from mlgate " + h["version"].dump() + ", not " + MLGATE_VERSION);
  if (!h["threshold"].is_number() && !h["threshold"].is_null())
    throw bad("has a threshold that is not a number");
  if (!h["slices"].is_array() || !h["inputs"].is_array() || !h["slice_columns"].is_array() ||
      !h["rows"].is_number_integer() || !h["dropped"].is_number_integer() ||
      !h["body"].is_object() || !h["body"].contains("size") ||
      !h["body"]["size"].is_number_unsigned() || !h["body"].contains("sha256") ||
      !h["body"]["sha256"].is_string() ||
      (h["score_direction"] != "higher" && h["score_direction"] != "lower"))
    throw bad("has a field of the wrong kind");
  const std::uint64_t size = h["body"]["size"].get<std::uint64_t>();
  if (size > kMaxBody) throw bad("declares a body larger than 4 GiB");
  const std::string raw = body::inflate(all.substr(eol + 1), size, path, kHint);
  if (sha256_hex(raw) != h["body"]["sha256"].get<std::string>())
    throw Error("the state's body does not match its sha256", path,
                "the state is damaged; write it again with --state-out");
  EvalState s;
  for (const auto& [k, v] : h.items())
    if (k != "rows" && k != "dropped" && k != "inputs" && k != "slices" && k != "body")
      s.identity[k] = v;
  s.rows = h["rows"].get<std::int64_t>();
  s.dropped = h["dropped"].get<std::int64_t>();
  if (s.dropped < 0 || s.dropped > kMaxRows) throw bad("has a dropped count out of range");
  for (const auto& in : h["inputs"]) s.inputs.push_back(in);
  s.negated = h["score_direction"] == "lower";
  body::Reader r(raw, path, "state", kHint);
  s.overall = get_state(r);
  if (s.overall.n != s.rows) throw bad("counts other rows than its body");
  std::set<std::string> seen;
  for (const auto& sc : h["slices"]) {
    if (!sc.is_object() || sc.size() != 1) throw bad("has a slice that is not {column: value}");
    if (!seen.insert(sc.dump()).second) throw bad("lists a slice twice");
    const std::string col = sc.begin().key();
    const ojson& val = sc.begin().value();
    if (!val.is_string() && !val.is_null()) throw bad("has a slice value that is not a text");
    if (std::find(h["slice_columns"].begin(), h["slice_columns"].end(), col) ==
        h["slice_columns"].end())
      throw bad("has a slice of a column it does not slice by");
    EvalState::Slice sl{
        col, val.is_null() ? std::nullopt : std::optional<std::string>(val.get<std::string>()),
        get_state(r)};
    s.slices.push_back(std::move(sl));
  }
  if (r.left() != 0) r.fail("bytes follow the last scope");
  return s;
}

void merge_state(EvalState& into, const EvalState& part, const std::string& part_path) {
  for (const auto& [k, v] : into.identity.items())
    if (!part.identity.contains(k) || part.identity[k] != v)
      throw Error("this state's " + k + " (" +
                      (part.identity.contains(k) ? part.identity[k].dump() : std::string("none")) +
                      ") differs from the first state's (" + v.dump() + ")",
                  part_path,
                  "merge states of one mlgate version, written with the same columns, threshold, "
                  "slices and policy");
  if (part.rows > kMaxMergedRows - into.rows)
    throw Error("the states count more than 2^60 rows together", part_path,
                "merge fewer states at a time");
  into.rows += part.rows;
  into.dropped += part.dropped;
  into.inputs.insert(into.inputs.end(), part.inputs.begin(), part.inputs.end());
  into.overall.merge(part.overall);
  // Slices by (column, value): a value new to `into` goes after that column's values, before
  // its missing value (one run lists the missing value last).
  for (const auto& sl : part.slices) {
    auto same = std::find_if(into.slices.begin(), into.slices.end(), [&](const auto& x) {
      return x.column == sl.column && x.value == sl.value;
    });
    if (same != into.slices.end()) {
      same->state.merge(sl.state);
      continue;
    }
    auto at = into.slices.end();
    bool seen = false;
    for (auto it = into.slices.begin(); it != into.slices.end(); ++it)
      if (it->column == sl.column && (!seen || it->value)) {
        at = it->value ? it + 1 : it;
        seen = true;
      }
    if (!seen) {
      // The column's first value: after the columns before it in the slice order.
      const auto& cols = into.identity["slice_columns"];
      const auto rank = [&](const std::string& c) {
        return std::find(cols.begin(), cols.end(), c) - cols.begin();
      };
      at = std::find_if(into.slices.begin(), into.slices.end(),
                        [&](const auto& x) { return rank(x.column) > rank(sl.column); });
    }
    into.slices.insert(at, sl);
  }
}

int run_merge(const MergeOptions& o) {
  if (o.states.empty())
    throw Error("no states to merge", "states", "give the files mlgate-eval --state-out wrote");
  EvalState s = read_state(o.states[0]);
  for (std::size_t i = 1; i < o.states.size(); ++i)
    merge_state(s, read_state(o.states[i]), o.states[i]);
  Policy policy;
  const bool has_policy = !o.policy.empty();
  if (has_policy) policy = load_policy(o.policy, Task::kBinary);
  const std::string want = has_policy ? policy.sha256 : std::string();
  const ojson& got = s.identity["policy_sha256"];
  if (!has_policy && !got.is_null())
    throw Error("the states were written under a policy (sha256 " + got.get<std::string>() +
                    "), and no --policy was given",
                o.states[0], "give the policy with --policy, so its checks gate the merge");
  if (has_policy && !got.is_null() && got != want)
    throw Error(
        "the states were written under another policy (sha256 " + got.get<std::string>() + ")",
        o.policy, "merge with the policy the parts were evaluated with");
  const MetricRequest req = has_policy ? metric_request(policy, Task::kBinary) : MetricRequest{};
  EvalResult r;
  r.task = Task::kBinary;
  r.request = req;
  r.n = s.overall.n;
  r.threshold = s.identity["threshold"];
  r.overall = binary_state_metrics(s.overall, s.negated, !o.no_curves, req);
  for (const auto& sl : s.slices) {
    SliceResult sr;
    sr.slice = slice_json({{sl.column, sl.value}});
    sr.n = sl.state.n;
    sr.gated = sr.n >= (has_policy ? policy.slice_min_size : 0);
    sr.metrics = binary_state_metrics(sl.state, s.negated, false, req);
    r.slices.push_back(std::move(sr));
  }
  if (r.n == 0) throw Error("no rows to evaluate", o.states[0], "the states hold no rows");
  ResultDoc doc;
  doc.tool = "mlgate-eval";
  doc.version = MLGATE_VERSION;
  Predictions shape;  // a binary task's document needs nothing more of the rows
  doc.metrics = eval_metrics_json(r, shape);
  if (has_policy) doc.checks = absolute_checks(r, policy);
  doc.warnings = eval_warnings(r);
  ojson data;
  data["parts"] = s.inputs;
  data["rows"] = s.rows;
  data["dropped"] = s.dropped;
  data["merged_by"] = "mlgate-merge";
  doc.inputs["data"] = std::move(data);
  doc.provenance = make_provenance(has_policy ? policy.sha256 : std::string());
  log_info("mlgate-merge: %zu states, %lld rows\n", o.states.size(),
           static_cast<long long>(s.rows));
  print_eval_summary(doc, r);
  return finish_document(doc, o.output, o.stamp);
}

}  // namespace mlgate
