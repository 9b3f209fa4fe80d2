// The report's shared views of the documents: checks in order of importance and once each,
// what a check's value and bound read as, the series the charts draw.
#include "views.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include "mlgate/base/text.hpp"

namespace mlgate::views {

std::string num(const std::optional<double>& v, int digits) {
  return v ? format_short(*v, digits) : "—";
}

const char* icon(Status s) {
  switch (s) {
    case Status::kPass:
      return "✅";
    case Status::kWarn:
      return "⚠️";
    case Status::kFail:
      return "❌";
    default:
      return "🛑";
  }
}

int rank(Status s) {  // most important first
  switch (s) {
    case Status::kError:
      return 0;
    case Status::kFail:
      return 1;
    case Status::kWarn:
      return 2;
    default:
      return 3;
  }
}

Counts count(const std::vector<LoadedDoc>& docs) {
  Counts c;
  for (const auto& d : docs)
    for (const auto& k : d.doc.checks) c.add(k.status);
  return c;
}

Counts count(const std::vector<Ref>& checks) {
  Counts c;
  for (const auto& r : checks) c.add(r.check->status);
  return c;
}

// Every check, most important first (stable within a status).
std::vector<Ref> ordered_checks(const std::vector<LoadedDoc>& docs) {
  std::vector<Ref> r;
  for (const auto& d : docs)
    for (const auto& c : d.doc.checks) r.push_back({&d, &c});
  std::stable_sort(r.begin(), r.end(), [](const Ref& a, const Ref& b) {
    return rank(a.check->status) < rank(b.check->status);
  });
  return r;
}

std::string interval(const Check& c) {
  if (!c.ci) return "—";
  return "[" + format_short((*c.ci)[0], 4) + ", " + format_short((*c.ci)[1], 4) + "]";
}

std::string doc_label(const LoadedDoc& d) {
  std::string in;
  for (auto it = d.doc.inputs.begin(); it != d.doc.inputs.end(); ++it)
    if (it.value().is_object() && it.value().contains("path") && it.value()["path"].is_string()) {
      in = it.value()["path"].get<std::string>();
      break;
    }
  return d.doc.tool + (in.empty() ? "" : " on " + in);
}

std::string input_path(const LoadedDoc& d) {
  for (auto it = d.doc.inputs.begin(); it != d.doc.inputs.end(); ++it)
    if (it.value().is_object() && it.value().contains("path") && it.value()["path"].is_string())
      return it.value()["path"].get<std::string>();
  return d.path;
}

std::string slice_text(const ojson& slice) {
  if (!slice.is_object()) return "all";
  std::string s;
  for (auto it = slice.begin(); it != slice.end(); ++it) {
    if (!s.empty()) s += ", ";
    s += it.key() + "=" +
         (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
  }
  return s;
}

// The member key of o, or nullptr when o is not an object or lacks it (never operator[] on a
// const document: a missing key there reads out of bounds).
const ojson* member(const ojson& o, const std::string& key) {
  if (!o.is_object()) return nullptr;
  auto it = o.find(key);
  return it == o.end() ? nullptr : &*it;
}

std::optional<double> number_in(const ojson& o, const char* set, const std::string& key) {
  const ojson* s = member(o, set);
  const ojson* v = s ? member(*s, key) : nullptr;
  if (!v || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

const ojson* eval_metrics(const ResultDoc& d) {
  if (member(d.metrics, "overall")) return &d.metrics;
  const ojson* c = member(d.metrics, "candidate");
  if (c && member(*c, "overall")) return c;
  return nullptr;
}

std::vector<Series> chart_series(const ResultDoc& d) {
  std::vector<Series> out;
  if (const ojson* m = eval_metrics(d)) {
    const ojson* slices = member(*m, "slices");
    if (slices && slices->is_array() && !slices->empty()) {
      std::string metric;
      for (const char* k : {"roc_auc", "accuracy", "roc_auc_ovr", "rmse"})
        if (const ojson* first = member((*slices)[0], "metrics"); first && member(*first, k)) {
          metric = k;
          break;
        }
      if (!metric.empty()) {
        Series s{metric + " by slice", metric, {}, {}};
        for (const auto& e : *slices)
          if (auto v = number_in(e, "metrics", metric)) {
            const ojson* sl = member(e, "slice");
            s.points.emplace_back(slice_text(sl ? *sl : ojson()), *v);
          }
        if (!s.points.empty()) out.push_back(std::move(s));
      }
    }
  }
  const ojson* groups = member(d.extra, "groups");
  if (groups && groups->is_array()) {
    Series s{"selection rate by group", "selection_rate", {}, {}};
    for (const auto& g : *groups)
      if (auto v = number_in(g, "metrics", "selection_rate")) {
        const ojson* gr = member(g, "group");
        const ojson* gated = member(g, "gated");
        s.points.emplace_back(slice_text(gr ? *gr : ojson()), *v);
        s.ungated.push_back(gated && gated->is_boolean() && !gated->get<bool>());
      }
    if (!s.points.empty()) out.push_back(std::move(s));
  }
  return out;
}

// The input a document is about (its first input with a hash): checks with the same id about the
// same input are the same check, whichever tool wrote them.
std::string primary_input(const LoadedDoc& d) {
  for (auto it = d.doc.inputs.begin(); it != d.doc.inputs.end(); ++it)
    if (const ojson* h = member(it.value(), "sha256"); h && h->is_string())
      return h->get<std::string>();
  return d.path;
}

// Every check once, most important first: a check that several documents report about the same
// input (eval and compare run with one policy) keeps its first, worst, occurrence.
std::vector<Ref> unique_checks(const std::vector<LoadedDoc>& docs) {
  std::vector<Ref> out;
  std::set<std::string> seen;
  for (const auto& r : ordered_checks(docs))
    if (seen.insert(r.check->id + '\x1f' + primary_input(*r.doc)).second) out.push_back(r);
  return out;
}

// A data test's share of rows that meet it ("mostly" its bound) reads as a percentage.
bool is_share(const Check& c) {
  return member(c.extra, "unexpected_count") && c.value && !c.p_value;
}

std::string value_text(const Check& c) {
  return is_share(c) ? format_short(*c.value * 100, 4) + "% of rows" : num(c.value);
}

// The bound a check is held to, as a reader would say it.
std::string bound_text(const Check& c) {
  if (!c.threshold) return "—";
  if (is_share(c)) return "≥ " + format_short(*c.threshold * 100, 4) + "%";
  std::string t = format_short(*c.threshold, 4);
  auto has = [&](const char* suffix) {
    const std::size_t at = c.id.find(suffix);
    const std::size_t end = at + std::strlen(suffix);
    return at != std::string::npos && (end == c.id.size() || c.id[end] == '[');
  };
  if (has(".min")) return "≥ " + t;
  if (has(".max")) return "≤ " + t;
  if (c.id.find("regression") != std::string::npos)
    return "change " + std::string(*c.threshold < 0 ? "≥ " : "≤ ") + t;
  if (c.p_value && c.method != "bootstrap" && c.method != "delong") return "p ≥ " + t;
  return t;
}

}  // namespace mlgate::views
