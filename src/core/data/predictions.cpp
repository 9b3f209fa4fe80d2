#include "mlgate/data/predictions.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "mlgate/base/error.hpp"
#include "mlgate/base/text.hpp"

namespace mlgate {

std::size_t Predictions::size() const {
  switch (task) {
    case Task::kBinary:
      return score.size();
    case Task::kMulticlass:
      return class_label.size();
    default:
      return target.size();
  }
}

MulticlassData Predictions::multiclass() const {
  MulticlassData d;
  d.n_classes = classes.size();
  d.label = class_label;
  for (const auto& col : proba) d.proba.emplace_back(col);
  d.pred = class_pred;
  d.weight = weight;
  return d;
}

std::string canonical_class(const std::string& v) {
  double x;
  if (parse_number(v, &x)) return format_number(x == 0 ? 0.0 : x);
  return v;
}

namespace {

struct ProbaColumn {
  std::string column, cls;
};

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::vector<ProbaColumn> resolve_proba(const std::string& spec,
                                       const std::vector<std::string>& header,
                                       const std::string& file) {
  std::vector<ProbaColumn> out;
  if (ends_with(spec, "*")) {
    std::string prefix = spec.substr(0, spec.size() - 1);
    for (const auto& h : header)
      if (starts_with(h, prefix) && h.size() > prefix.size())
        out.push_back({h, h.substr(prefix.size())});
    if (out.empty())
      throw Error("no column matches " + quote(spec), location(file, 1),
                  "columns are named like " + prefix + "CLASS");
  } else {
    std::vector<std::string> names;
    std::size_t start = 0;
    while (start <= spec.size()) {
      std::size_t comma = spec.find(',', start);
      std::string name(
          trim(spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
      if (!name.empty()) names.push_back(name);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    // Class names: what follows a shared prefix ending in a separator ("p_a,p_b" -> a, b).
    std::string prefix = names.empty() ? "" : names[0];
    for (const auto& n : names) {
      std::size_t k = 0;
      while (k < prefix.size() && k < n.size() && prefix[k] == n[k]) ++k;
      prefix.resize(k);
    }
    while (!prefix.empty() && alnum(prefix.back())) prefix.pop_back();
    bool strip = !prefix.empty();
    for (const auto& n : names) strip = strip && n.size() > prefix.size();
    for (const auto& n : names) out.push_back({n, strip ? n.substr(prefix.size()) : n});
  }
  if (out.size() < 2)
    throw Error("multiclass probabilities need at least two columns", "--proba-cols",
                "list one column per class, or a pattern like p_*");
  return out;
}

Column* find_col(Table& t, const std::string& name) {
  return name.empty() ? nullptr : t.find(name);
}

// Where each role's values come from; the label table and the score table may differ (a model
// command's output supplies the scores).
// The columns are consumed: build() moves them out where it can instead of copying.
struct Roles {
  const Table* label_table = nullptr;
  const Table* score_table = nullptr;
  Column* label = nullptr;
  Column* score = nullptr;
  Column* pred = nullptr;
  std::vector<Column*> proba;
  std::vector<std::string> proba_classes;
  Column* id = nullptr;
  Column* weight = nullptr;
  Column* cluster = nullptr;
  Column* query = nullptr;
  std::vector<Column*> slices;
  std::vector<Column*> carried;

  // How many roles read c: a column serving several (a label that is also a slice) is copied,
  // never moved out or freed while another role still needs it.
  int uses(const Column* c) const {
    int n = (label == c) + (score == c) + (pred == c) + (id == c) + (weight == c) + (cluster == c) +
            (query == c);
    for (const Column* x : proba) n += x == c;
    for (const Column* x : slices) n += x == c;
    for (const Column* x : carried) n += x == c;
    return n;
  }
};

std::string missing_hint() {
  return "pass --drop-missing to drop rows with a missing label or score";
}

std::uint8_t binary_value(const Column& c, std::size_t code, const ColumnOptions& o,
                          const std::string& file) {
  const std::string& v = c.dictionary[code];
  if (!o.positive_label.empty())
    return canonical_class(v) == canonical_class(o.positive_label) ? 1 : 0;
  std::string lower;
  for (char ch : v) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  double x;
  if (lower == "true") return 1;
  if (lower == "false") return 0;
  if (parse_number(v, &x)) {
    if (x == 1) return 1;
    if (x == 0 || x == -1) return 0;
  }
  throw Error(quote(v) + " is not a binary label", location(file, c.first_line[code], c.name),
              "binary labels are 0/1 or true/false; name the positive class with --positive-label");
}

void check_two_values(const Column& c, const std::string& file) {
  if (c.dictionary.size() > 2)
    throw Error(quote(c.dictionary[2]) + " is a third distinct value",
                location(file, c.first_line[2], c.name),
                "a binary task has two classes; use --task multiclass for more");
}

// Distinct classes in order: by value when every one is a number, else as text (numpy.unique's
// order, which is scikit-learn's classes_).
std::vector<std::string> sorted_classes(const std::vector<std::string>& values) {
  std::vector<std::string> all;
  all.reserve(values.size());
  for (const auto& v : values) all.push_back(canonical_class(v));
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  bool numeric = true;
  double x;
  for (const auto& v : all) numeric = numeric && parse_number(v, &x);
  if (numeric)
    std::sort(all.begin(), all.end(), [](const std::string& a, const std::string& b) {
      double xa = 0, xb = 0;
      parse_number(a, &xa);
      parse_number(b, &xb);
      return xa < xb;
    });
  return all;
}

// A multiclass task's classes, in order: the probability columns' (--proba-cols), else the
// distinct labels and predictions, by value when every one is a number, else as text. Returns
// each class's index by its canonical name.
std::map<std::string, std::uint32_t> class_index(const Roles& r,
                                                 std::vector<std::string>& classes) {
  std::map<std::string, std::uint32_t> index;
  if (!r.proba.empty()) {
    for (const auto& c : r.proba_classes) {
      std::string k = canonical_class(c);
      if (index.count(k))
        throw Error("two probability columns are for class " + quote(c), "--proba-cols");
      index.emplace(k, static_cast<std::uint32_t>(classes.size()));
      classes.push_back(c);
    }
  } else {
    std::vector<std::string> all = r.label->dictionary;
    if (r.pred) all.insert(all.end(), r.pred->dictionary.begin(), r.pred->dictionary.end());
    for (const auto& v : sorted_classes(all)) {
      index.emplace(v, static_cast<std::uint32_t>(classes.size()));
      classes.push_back(v);
    }
  }
  return index;
}

// Every kept value of a number column is finite and >= 0 (weights, relevances), else the
// first that is not, by its data row.
void check_nonnegative(const Column& c, const std::vector<std::uint8_t>& keep,
                       const std::string& file, const char* what, const char* hint) {
  for (std::size_t i = 0; i < c.numbers.size(); ++i) {
    const double x = c.numbers[i];
    if ((keep.empty() || keep[i]) && !(x >= 0 && std::isfinite(x)))
      throw Error(std::string(what) + " " + format_number(x) + " in data row " +
                      std::to_string(i + 1) + " is not a finite number >= 0",
                  location(file, 0, c.name), hint);
  }
}

// The first kept data row (0-based) whose value differs from an earlier kept row of its group
// (codes: each row's group; kMissingCode rows are in none), with that earlier value; npos when
// every group holds one value.
template <class V>
std::pair<std::size_t, V> first_split_group(const std::vector<std::uint32_t>& codes,
                                            std::size_t n_groups,
                                            const std::vector<std::uint8_t>& keep,
                                            const std::vector<V>& value) {
  std::vector<V> seen(n_groups);
  std::vector<std::uint8_t> has(n_groups, 0);
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if ((!keep.empty() && !keep[i]) || codes[i] == kMissingCode) continue;
    const std::uint32_t g = codes[i];
    if (!has[g]) {
      has[g] = 1;
      seen[g] = value[i];
    } else if (seen[g] != value[i]) {
      return {i, seen[g]};
    }
  }
  return {std::string::npos, V{}};
}

Predictions build(const Roles& r, const ColumnOptions& o, Task task) {
  Predictions p;
  p.task = task;
  p.threshold = o.threshold;
  const std::string& lfile = r.label_table->path;
  const std::string& sfile = r.score_table->path;
  const std::size_t n = r.label->size();

  // Rows with a missing label or score: an error, or dropped with --drop-missing.
  std::vector<std::pair<Column*, const std::string*>> required = {{r.label, &lfile}};
  if (r.weight) required.push_back({r.weight, &lfile});
  if (r.score) required.push_back({r.score, &sfile});
  if (r.pred) required.push_back({r.pred, &sfile});
  for (auto* c : r.proba) required.push_back({c, &sfile});
  std::vector<std::uint8_t> keep;
  std::int64_t dropped = 0;
  for (auto [c, file] : required) {
    if (c->missing == 0) continue;
    if (!o.drop_missing)
      throw Error("missing value", location(*file, c->first_missing_line, c->name), missing_hint());
    if (keep.empty()) keep.assign(n, 1);
    for (std::size_t i = 0; i < n; ++i)
      if (keep[i] && c->is_missing(i)) keep[i] = 0;
  }
  auto kept = [&](std::size_t i) { return keep.empty() || keep[i]; };
  if (!keep.empty())
    for (auto k : keep) dropped += k == 0;
  p.dropped = dropped;
  const std::size_t m = n - static_cast<std::size_t>(dropped);

  if (task == Task::kBinary) {
    std::vector<std::uint8_t> lmap(r.label->dictionary.size());
    if (!o.positive_label.empty()) check_two_values(*r.label, lfile);
    bool positive_seen = false;
    for (std::size_t k = 0; k < lmap.size(); ++k) {
      lmap[k] = binary_value(*r.label, k, o, lfile);
      positive_seen = positive_seen || lmap[k];
    }
    if (!o.positive_label.empty() && !positive_seen)
      p.warnings.push_back("the positive label " + quote(o.positive_label) +
                           " never occurs in column " + quote(r.label->name));
    p.label.reserve(m);
    for (std::size_t i = 0; i < n; ++i)
      if (kept(i)) p.label.push_back(lmap[r.label->codes[i]]);
    if (r.uses(r.label) == 1) std::vector<std::uint32_t>().swap(r.label->codes);
    p.score_places = r.score->decimal_places;
    if (keep.empty() && r.uses(r.score) == 1) {
      p.score = std::move(r.score->numbers);
    } else {
      p.score.reserve(m);
      for (std::size_t i = 0; i < n; ++i)
        if (kept(i)) p.score.push_back(r.score->numbers[i]);
    }
    if (r.pred) {
      std::vector<std::uint8_t> pmap(r.pred->dictionary.size());
      for (std::size_t k = 0; k < pmap.size(); ++k) pmap[k] = binary_value(*r.pred, k, o, sfile);
      p.pred.reserve(m);
      for (std::size_t i = 0; i < n; ++i)
        if (kept(i)) p.pred.push_back(pmap[r.pred->codes[i]]);
    }
  } else if (task == Task::kMulticlass) {
    std::map<std::string, std::uint32_t> index = class_index(r, p.classes);
    auto map_codes = [&](const Column& c, const std::string& file, const char* role) {
      std::vector<std::uint32_t> cmap(c.dictionary.size());
      for (std::size_t k = 0; k < cmap.size(); ++k) {
        auto it = index.find(canonical_class(c.dictionary[k]));
        if (it == index.end()) {
          std::string list;
          for (const auto& cl : p.classes) list += (list.empty() ? "" : ", ") + cl;
          throw Error(
              std::string(role) + " " + quote(c.dictionary[k]) + " is not one of the classes",
              location(file, c.first_line[k], c.name),
              "the classes of the probability columns are " + list);
        }
        cmap[k] = it->second;
      }
      return cmap;
    };
    auto lmap = map_codes(*r.label, lfile, "label");
    p.class_label.reserve(m);
    for (std::size_t i = 0; i < n; ++i)
      if (kept(i)) p.class_label.push_back(lmap[r.label->codes[i]]);
    if (r.pred) {
      auto pmap = map_codes(*r.pred, sfile, "predicted class");
      p.class_pred.reserve(m);
      for (std::size_t i = 0; i < n; ++i)
        if (kept(i)) p.class_pred.push_back(pmap[r.pred->codes[i]]);
    }
    for (const auto* c : r.proba) {
      std::vector<double> col;
      col.reserve(m);
      for (std::size_t i = 0; i < n; ++i)
        if (kept(i)) col.push_back(c->numbers[i]);
      p.proba.push_back(std::move(col));
    }
    if (p.classes.size() < 2)
      throw Error("a multiclass task needs at least two classes", lfile,
                  "use --task binary for two-valued labels");
  } else {
    if (task == Task::kRanking)  // scikit-learn's ndcg_score refuses negative gains
      check_nonnegative(*r.label, keep, lfile, "relevance",
                        "a ranking's label is each item's relevance: 0 not relevant, 1, 2, ... "
                        "more relevant");
    const Column* est = r.pred ? r.pred : r.score;
    p.target.reserve(m);
    p.estimate.reserve(m);
    for (std::size_t i = 0; i < n; ++i)
      if (kept(i)) {
        p.target.push_back(r.label->numbers[i]);
        p.estimate.push_back(est->numbers[i]);
      }
  }

  // The checks that read columns the roles below take over.
  if (r.weight)
    check_nonnegative(*r.weight, keep, lfile, "weight",
                      "sample weights are counts or importances: 0 leaves a row out");
  if (task == Task::kRanking && r.query && r.weight) {
    // A ranking weighs queries (scikit-learn's ndcg_score sample_weight): one weight a query.
    const auto [i, earlier] =
        first_split_group(r.query->codes, r.query->dictionary.size(), keep, r.weight->numbers);
    if (i != std::string::npos)
      throw Error("weight " + format_number(r.weight->numbers[i]) + " in data row " +
                      std::to_string(i + 1) + " differs from " + format_number(earlier) +
                      " on an earlier row of query " +
                      quote(r.query->dictionary[r.query->codes[i]]),
                  location(lfile, 0, r.weight->name),
                  "a ranking weighs queries: give every row of a query the same weight");
  }
  if (task == Task::kRanking && r.query && r.cluster) {
    // The bootstrap draws clusters of whole queries (a user's searches): a query in two
    // clusters would be split by the draws.
    const auto [i, earlier] =
        first_split_group(r.query->codes, r.query->dictionary.size(), keep, r.cluster->codes);
    if (i != std::string::npos)
      throw Error("query " + quote(r.query->dictionary[r.query->codes[i]]) + " in data row " +
                      std::to_string(i + 1) + " is in two clusters",
                  location(lfile, 0, r.cluster->name),
                  "a ranking's clusters (users, sessions) hold whole queries");
  }
  auto as_slice = [&](Column* c) {
    SliceColumn s;
    s.column = c->name;
    for (const auto& v : c->dictionary) s.values.emplace_back(v);
    auto missing_code = static_cast<std::uint32_t>(s.values.size());
    if (c->missing > 0) s.values.emplace_back(std::nullopt);
    if (keep.empty() && c->missing == 0 && r.uses(c) == 1) {
      s.codes = std::move(c->codes);
    } else {
      s.codes.reserve(m);
      for (std::size_t i = 0; i < n; ++i)
        if (kept(i)) s.codes.push_back(c->codes[i] == kMissingCode ? missing_code : c->codes[i]);
    }
    return s;
  };
  for (Column* c : r.slices) p.slices.push_back(as_slice(c));
  if (r.cluster) {
    if (r.cluster->missing > 0)
      throw Error("missing cluster",
                  location(lfile, r.cluster->first_missing_line, r.cluster->name),
                  "every row needs its cluster (user, session, patient) for the cluster bootstrap");
    p.cluster = as_slice(r.cluster);
  }
  if (r.query) {
    if (r.query->missing > 0)
      throw Error("missing query", location(lfile, r.query->first_missing_line, r.query->name),
                  "every row of a ranking needs its query");
    p.query = as_slice(r.query);
  }
  for (Column* c : r.carried) p.carried.push_back(as_slice(c));
  if (r.id) {
    if (r.id->missing > 0)
      throw Error("missing id", location(lfile, r.id->first_missing_line, r.id->name),
                  "every row needs an id to be paired");
    p.ids.reserve(m);
    for (std::size_t i = 0; i < n; ++i)
      if (kept(i)) p.ids.push_back(r.id->dictionary[r.id->codes[i]]);
  }
  if (r.weight) {
    // scikit-learn's sample_weight: any finite weight >= 0, not all zero.
    p.weight.reserve(m);
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!kept(i)) continue;
      const double w = r.weight->numbers[i];
      p.weight.push_back(w);
      total += w;
    }
    if (total == 0)
      throw Error("every weight is 0", location(lfile, 0, r.weight->name),
                  "at least one row needs a positive weight");
  }
  if (task == Task::kBinary && o.score_lower) {
    // Lower scores mean positive: the measures read the negated scores, so every rank-based
    // metric (and DeLong) sees the order they expect; 0 - x keeps zeros positive.
    for (double& x : p.score) x = 0.0 - x;
    p.score_lower = true;
  } else if (o.score_lower) {
    throw Error("--score-direction lower applies to binary scores", "--score-direction",
                "remove it, or use --task binary");
  }
  return p;
}

Task task_of(const ColumnOptions& o) {
  if (o.task) return *o.task;
  return o.proba_cols.empty() ? Task::kBinary : Task::kMulticlass;
}

std::vector<ColumnSpec> label_specs(const ColumnOptions& o, Task task) {
  if (task == Task::kRanking && o.query_col.empty())
    throw Error("a ranking task needs its query column", "--query-col",
                "pass --query-col COLUMN (or columns.query in the policy)");
  if (task != Task::kRanking && !o.query_col.empty())
    throw Error("--query-col applies to a ranking task", "--query-col",
                "add --task ranking (or task: ranking in the policy), or remove --query-col");
  std::vector<ColumnSpec> specs;
  // A column serving several roles (a slice that is also the cluster) is read once; read two
  // ways (a number label that is also a slice), the reader refuses it.
  auto add = [&](const std::string& name, ColumnType type) {
    if (name.empty()) return;
    for (const auto& s : specs)
      if (s.name == name && s.type == type) return;
    specs.push_back({name, type, true});
  };
  const bool numeric = task == Task::kRegression || task == Task::kRanking;
  add(o.label_col, numeric ? ColumnType::kNumber : ColumnType::kCategory);
  add(o.id_col, ColumnType::kCategory);
  add(o.weight_col, ColumnType::kNumber);
  for (const auto& s : o.slice_cols) add(s, ColumnType::kCategory);
  add(o.query_col, ColumnType::kCategory);
  add(o.cluster_col, ColumnType::kCategory);
  // Carried columns are written back as they were read, whatever role read them.
  for (const auto& c : o.carry_cols)
    if (std::none_of(specs.begin(), specs.end(), [&](const ColumnSpec& s) { return s.name == c; }))
      specs.push_back({c, ColumnType::kCategory, true});
  return specs;
}

// The score-side columns; the names of the probability columns are resolved against header.
std::vector<ColumnSpec> score_specs(const ColumnOptions& o, Task task,
                                    const std::vector<ProbaColumn>& proba,
                                    const std::string& score_name) {
  std::vector<ColumnSpec> specs;
  if (task == Task::kBinary) {
    specs.push_back({score_name, ColumnType::kNumber, true});
    if (!o.pred_col.empty()) specs.push_back({o.pred_col, ColumnType::kCategory, true});
  } else if (task == Task::kMulticlass) {
    for (const auto& pc : proba) specs.push_back({pc.column, ColumnType::kNumber, true});
    if (!o.pred_col.empty()) specs.push_back({o.pred_col, ColumnType::kCategory, true});
    if (proba.empty() && o.pred_col.empty())
      throw Error("a multiclass task needs probabilities or predicted classes", "--proba-cols",
                  "pass --proba-cols p_* or --pred-col");
  } else {
    specs.push_back({o.pred_col.empty() ? score_name : o.pred_col, ColumnType::kNumber, true});
  }
  return specs;
}

void fill_roles(Roles& r, Table& lt, Table& st, const ColumnOptions& o, Task task,
                const std::vector<ProbaColumn>& proba, const std::string& score_name) {
  r.label_table = &lt;
  r.score_table = &st;
  r.label = find_col(lt, o.label_col);
  r.id = find_col(lt, o.id_col);
  r.weight = find_col(lt, o.weight_col);
  r.cluster = find_col(lt, o.cluster_col);
  r.query = find_col(lt, o.query_col);
  for (const auto& s : o.slice_cols) r.slices.push_back(find_col(lt, s));
  for (const auto& s : o.carry_cols)
    if (std::find(o.slice_cols.begin(), o.slice_cols.end(), s) == o.slice_cols.end() &&
        s != o.label_col && s != o.id_col)
      r.carried.push_back(find_col(lt, s));
  if (task == Task::kBinary) {
    r.score = find_col(st, score_name);
    r.pred = find_col(st, o.pred_col);
  } else if (task == Task::kMulticlass) {
    for (const auto& pc : proba) {
      r.proba.push_back(find_col(st, pc.column));
      r.proba_classes.push_back(pc.cls);
    }
    r.pred = find_col(st, o.pred_col);
  } else {
    r.score = find_col(st, o.pred_col.empty() ? score_name : o.pred_col);
  }
}

}  // namespace

Predictions load_predictions(const std::string& path, const ColumnOptions& o) {
  Task task = task_of(o);
  std::vector<ProbaColumn> proba;
  ReadOptions ro;
  ro.format = o.format;
  if (task == Task::kMulticlass && !o.proba_cols.empty()) {
    std::vector<std::string> header;
    if (ends_with(o.proba_cols, "*")) {
      ReadOptions ho = ro;
      ho.header_only = true;
      header = read_table(path, {}, ho).header;
    }
    proba = resolve_proba(o.proba_cols, header, path);
  }
  auto specs = label_specs(o, task);
  auto more = score_specs(o, task, proba, o.score_col);
  for (auto& s : more) {
    bool dup = false;
    for (const auto& e : specs) dup = dup || e.name == s.name;
    if (dup)
      throw Error("column " + quote(s.name) + " is named for two roles", "flags",
                  "give each role its own column");
    specs.push_back(s);
  }
  Table t = read_table(path, specs, ro);
  Roles r;
  fill_roles(r, t, t, o, task, proba, o.score_col);
  Predictions p = build(r, o, task);
  p.path = path;
  p.sha256 = t.sha256;
  p.rows_read = t.rows;
  return p;
}

Predictions predictions_from_model(const std::string& features, const ModelCommand& cmd,
                                   const ColumnOptions& o) {
  Task task = task_of(o);
  ReadOptions ro;
  ro.format = o.format;
  Table labels = read_table(features, label_specs(o, task), ro);

  // What the rows can need: a line each (a header, some slack), up to 64 KiB a line, and never
  // more than half the memory tables may take.
  ModelCommand bounded = cmd;
  bounded.expected_rows = labels.rows;
  bounded.max_output_lines = labels.rows + 64;
  const std::uint64_t need =
      (static_cast<std::uint64_t>(labels.rows) + 1) * (64u << 10) + (1u << 20);
  bounded.max_output_bytes = static_cast<std::size_t>(std::min(need, memory_limit() / 2));
  std::string output =
      run_model_command(bounded, [&](const std::function<void(std::string_view)>& write) {
        stream_rows(features, o.format, {o.label_col, o.weight_col}, write);
      });
  // Models on Windows-minded runtimes end lines with CRLF: one line ending for the parsers.
  if (output.find('\r') != std::string::npos) {
    std::string lf;
    lf.reserve(output.size());
    for (std::size_t i = 0; i < output.size(); ++i)
      if (!(output[i] == '\r' && i + 1 < output.size() && output[i + 1] == '\n')) lf += output[i];
    output.swap(lf);
  }

  // The output: a number per line, JSON lines, or CSV with a header.
  const std::string name = "model output";
  std::string_view body = trim(output);
  while (!body.empty() && (body.front() == '\n' || body.front() == ' ')) body.remove_prefix(1);
  std::string first_line(body.substr(0, body.find('\n')));
  double x;
  TableFormat fmt = TableFormat::kCsv;
  std::string csv_with_header;
  std::string score_name = o.score_col;
  if (!body.empty() && body.front() == '{') {
    fmt = TableFormat::kJsonl;
  } else if (parse_number(first_line, &x) || is_missing_marker(trim(first_line))) {
    if (task == Task::kMulticlass)
      throw Error("a multiclass model must print probability columns", name,
                  "print CSV or JSON lines with one column per class");
    csv_with_header = "score\n" + output;
    score_name = "score";
  }
  std::string_view data =
      csv_with_header.empty() ? std::string_view(output) : std::string_view(csv_with_header);
  std::vector<ProbaColumn> proba;
  std::vector<std::string> header;
  {
    ReadOptions ho;
    ho.format = fmt;
    ho.header_only = true;
    header = read_table_buffer(name, data, fmt, {}, ho).header;
  }
  if (task == Task::kMulticlass && !o.proba_cols.empty())
    proba = resolve_proba(o.proba_cols, header, name);
  if (task != Task::kMulticlass && o.pred_col.empty() && header.size() == 1) score_name = header[0];
  ColumnOptions so = o;
  if (task == Task::kRegression && !o.pred_col.empty()) so.pred_col = o.pred_col;
  ReadOptions out_ro;
  out_ro.format = fmt;
  Table scores =
      read_table_buffer(name, data, fmt, score_specs(so, task, proba, score_name), out_ro);
  if (scores.rows != labels.rows)
    throw Error("the model printed " + std::to_string(scores.rows) + " predictions for " +
                    std::to_string(labels.rows) + " feature rows",
                "--model-cmd", "print exactly one prediction per input row, in order");
  Roles r;
  fill_roles(r, labels, scores, so, task, proba, score_name);
  Predictions p = build(r, o, task);
  p.path = features;
  p.sha256 = labels.sha256;
  p.rows_read = labels.rows;
  return p;
}

namespace {

Column number_column(std::string name, std::vector<double> values) {
  Column c;
  c.name = std::move(name);
  c.type = ColumnType::kNumber;
  c.present = true;
  c.decimal_places = -1;
  c.numbers = std::move(values);
  return c;
}

// The model's answers as the score side of a table: a score, class probabilities, or predicted
// classes, named the way the roles expect them.
Table served_scores(const ServedOutput& out, const Table& labels, ColumnOptions& so, Task task,
                    std::vector<ProbaColumn>& proba, const std::string& url) {
  Table t;
  t.path = "model answers";
  t.rows = labels.rows;
  const std::size_t n = static_cast<std::size_t>(labels.rows), w = out.width;
  auto column_of = [&](std::size_t k) {
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = out.values[i * w + k];
    return v;
  };
  auto shape_error = [&](const std::string& what, const std::string& hint) {
    return Error(what, redact_url(url), hint);
  };
  if (task == Task::kBinary) {
    // [n] a score; [n, 2] scikit-learn's predict_proba, the second column the positive class.
    if (w != 1 && w != 2)
      throw shape_error("a binary model answered " + std::to_string(w) + " values per row",
                        "answer one score per row, or two class probabilities");
    t.columns.push_back(number_column("score", column_of(w - 1)));
    so.score_col = "score";
    so.pred_col.clear();
  } else if (task == Task::kRegression || task == Task::kRanking) {
    if (w != 1)
      throw shape_error(std::string("a ") + task_name(task) + " model answered " +
                            std::to_string(w) + " values per row",
                        "answer one number per row");
    t.columns.push_back(number_column("score", column_of(0)));
    so.score_col = "score";
    so.pred_col.clear();
  } else if (w == 1) {
    // Predicted classes.
    Column c;
    c.name = "pred";
    c.type = ColumnType::kCategory;
    c.present = true;
    std::map<std::string, std::uint32_t> codes;
    c.codes.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::string v = format_number(out.values[i]);
      auto [it, fresh] = codes.emplace(v, static_cast<std::uint32_t>(c.dictionary.size()));
      if (fresh) {
        c.dictionary.push_back(v);
        c.first_line.push_back(static_cast<std::int64_t>(i) + 1);
      }
      c.codes[i] = it->second;
    }
    t.columns.push_back(std::move(c));
    so.pred_col = "pred";
    so.proba_cols.clear();
  } else {
    // Class probabilities: named by --proba-cols (a list in the model's order), else the
    // label's classes in scikit-learn's order (classes_ is sorted).
    std::string prefix = "p_";
    if (!so.proba_cols.empty() && !ends_with(so.proba_cols, "*")) {
      proba = resolve_proba(so.proba_cols, {}, "--proba-cols");
    } else {
      if (!so.proba_cols.empty()) prefix = so.proba_cols.substr(0, so.proba_cols.size() - 1);
      const Column& label = labels.columns[0];
      for (const auto& cls : sorted_classes(label.dictionary)) proba.push_back({prefix + cls, cls});
    }
    if (proba.size() != w)
      throw shape_error("the model answered " + std::to_string(w) + " probabilities per row for " +
                            std::to_string(proba.size()) + " classes",
                        "name the model's classes in its order with --proba-cols a,b,c");
    for (std::size_t k = 0; k < w; ++k)
      t.columns.push_back(number_column(proba[k].column, column_of(k)));
    so.pred_col.clear();
  }
  return t;
}

}  // namespace

namespace {

// The features file as a served model gets it (every column but the label), and its labels.
std::pair<Table, Table> served_inputs(const std::string& features, const ColumnOptions& o,
                                      Task task) {
  ReadOptions ro;
  ro.format = o.format;
  Table labels = read_table(features, label_specs(o, task), ro);
  ReadOptions ho = ro;
  ho.header_only = true;
  std::vector<ColumnSpec> specs;
  for (const auto& h : read_table(features, {}, ho).header)
    if (h != o.label_col && h != o.weight_col) specs.push_back({h, ColumnType::kAuto, true});
  Table ft = read_table(features, specs, ro);
  if (ft.rows != labels.rows)
    throw Error("the features file changed while it was read", features, "read a stable file");
  return {std::move(labels), std::move(ft)};
}

Predictions served_predictions(ServedOutput& out, Table& labels, const std::string& features,
                               const ColumnOptions& o, Task task, const std::string& url) {
  ColumnOptions so = o;
  std::vector<ProbaColumn> proba;
  Table scores = served_scores(out, labels, so, task, proba, url);
  std::vector<double>().swap(out.values);
  Roles r;
  fill_roles(r, labels, scores, so, task, proba, "score");
  Predictions p = build(r, so, task);
  p.path = features;
  p.sha256 = labels.sha256;
  p.rows_read = labels.rows;
  return p;
}

}  // namespace

Predictions predictions_from_service(const std::string& features, const ServedModel& model,
                                     const ColumnOptions& o, ServingStats* stats) {
  Task task = task_of(o);
  auto [labels, ft] = served_inputs(features, o, task);
  ServedOutput out = score_served(model, ft, {});
  ft = Table{};
  if (stats) *stats = out.stats;
  return served_predictions(out, labels, features, o, task, model.url);
}

std::pair<Predictions, Predictions> predictions_from_services(
    const std::string& features, const ServedModel& candidate, const ServedModel& baseline,
    const ColumnOptions& o, ServingStats* candidate_stats, ServingStats* baseline_stats) {
  Task task = task_of(o);
  auto [labels, ft] = served_inputs(features, o, task);
  auto [c, b] = score_served_pair(candidate, baseline, ft, {});
  ft = Table{};
  if (candidate_stats) *candidate_stats = c.stats;
  if (baseline_stats) *baseline_stats = b.stats;
  Table labels2 = labels;  // the roles consume the label table's columns
  Predictions pc = served_predictions(c, labels, features, o, task, candidate.url);
  Predictions pb = served_predictions(b, labels2, features, o, task, baseline.url);
  return {std::move(pc), std::move(pb)};
}

// ---------------------------------------------------------------------------------------------
// Pairing two models' predictions row by row

namespace {

template <class T>
void permute(std::vector<T>& v, const std::vector<std::uint32_t>& from) {
  if (v.empty()) return;
  std::vector<T> out(from.size());
  for (std::size_t i = 0; i < from.size(); ++i) out[i] = v[from[i]];
  v.swap(out);
}

void permute_all(Predictions& p, const std::vector<std::uint32_t>& from) {
  permute(p.score, from);
  permute(p.label, from);
  permute(p.pred, from);
  permute(p.class_label, from);
  permute(p.class_pred, from);
  for (auto& c : p.proba) permute(c, from);
  permute(p.target, from);
  permute(p.estimate, from);
  permute(p.ids, from);
  permute(p.weight, from);
  permute(p.cluster.codes, from);
  permute(p.query.codes, from);
}

std::string label_text(const Predictions& p, std::size_t i) {
  switch (p.task) {
    case Task::kBinary:
      return p.label[i] ? "1" : "0";
    case Task::kMulticlass:
      return p.classes[p.class_label[i]];
    case Task::kRanking:
      return format_number(p.target[i]) + " in query " + *p.query.values[p.query.codes[i]];
    default:
      return format_number(p.target[i]);
  }
}

bool same_label(const Predictions& a, std::size_t i, const Predictions& b, std::size_t j) {
  switch (a.task) {
    case Task::kBinary:
      return a.label[i] == b.label[j];
    case Task::kMulticlass:
      return a.class_label[i] == b.class_label[j];
    case Task::kRanking:  // the same relevance of the same query's item
      return a.target[i] == b.target[j] &&
             *a.query.values[a.query.codes[i]] == *b.query.values[b.query.codes[j]];
    default:
      return a.target[i] == b.target[j];
  }
}

// Puts the baseline's classes in the candidate's order.
void align_classes(const Predictions& c, Predictions& b) {
  if (c.task != Task::kMulticlass) return;
  std::map<std::string, std::uint32_t> index;
  for (std::size_t k = 0; k < c.classes.size(); ++k)
    index[canonical_class(c.classes[k])] = static_cast<std::uint32_t>(k);
  std::vector<std::uint32_t> remap(b.classes.size());
  for (std::size_t k = 0; k < b.classes.size(); ++k) {
    auto it = index.find(canonical_class(b.classes[k]));
    if (it == index.end())
      throw Error("the baseline has class " + quote(b.classes[k]) + " that the candidate does not",
                  b.path, "both models must predict the same classes");
    remap[k] = it->second;
  }
  for (auto& v : b.class_label) v = remap[v];
  for (auto& v : b.class_pred) v = remap[v];
  if (!b.proba.empty()) {
    if (b.proba.size() != c.classes.size())
      throw Error("the baseline has probabilities for " + std::to_string(b.proba.size()) +
                      " classes, the candidate for " + std::to_string(c.classes.size()),
                  b.path, "both models must predict the same classes");
    std::vector<std::vector<double>> cols(b.proba.size());
    for (std::size_t k = 0; k < b.proba.size(); ++k) cols[remap[k]] = std::move(b.proba[k]);
    b.proba = std::move(cols);
  }
  b.classes = c.classes;
}

}  // namespace

std::string pair_rows(const Predictions& c, Predictions& b) {
  align_classes(c, b);
  const std::size_t n = c.size();
  if (!c.ids.empty()) {
    if (b.ids.empty())
      throw Error("the baseline has no id column", b.path, "both files need the --id-col column");
    std::unordered_map<std::string_view, std::uint32_t> where;
    where.reserve(b.ids.size() * 2);
    for (std::size_t j = 0; j < b.ids.size(); ++j)
      if (!where.emplace(b.ids[j], static_cast<std::uint32_t>(j)).second)
        throw Error("id " + quote(b.ids[j]) + " appears twice", b.path,
                    "ids must be unique to pair rows");
    std::unordered_map<std::string_view, std::uint32_t> seen;
    seen.reserve(n * 2);
    std::vector<std::uint32_t> from(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (!seen.emplace(c.ids[i], static_cast<std::uint32_t>(i)).second)
        throw Error("id " + quote(c.ids[i]) + " appears twice", c.path,
                    "ids must be unique to pair rows");
      auto it = where.find(c.ids[i]);
      if (it == where.end())
        throw Error("id " + quote(c.ids[i]) + " is not in the baseline", c.path,
                    "both files must hold the same rows; " + std::to_string(n) +
                        " candidate rows, " + std::to_string(b.size()) + " baseline rows");
      from[i] = it->second;
      if (!same_label(c, i, b, it->second))
        throw Error("id " + quote(c.ids[i]) + " has label " + quote(label_text(c, i)) +
                        " in the candidate but " + quote(label_text(b, it->second)) +
                        " in the baseline",
                    b.path, "both files must be scored on the same labelled rows");
    }
    if (b.size() != n) {
      for (std::size_t j = 0; j < b.ids.size(); ++j)
        if (!seen.count(b.ids[j]))
          throw Error("id " + quote(b.ids[j]) + " is not in the candidate", b.path,
                      "both files must hold the same rows");
    }
    permute_all(b, from);
    b.query = c.query;
    return "id";
  }
  if (b.size() != n)
    throw Error("the baseline has " + std::to_string(b.size()) + " rows, the candidate " +
                    std::to_string(n),
                b.path, "without --id-col rows are paired by order; pass --id-col to pair by key");
  for (std::size_t i = 0; i < n; ++i)
    if (!same_label(c, i, b, i))
      throw Error("row " + std::to_string(i + 1) + " has label " + quote(label_text(c, i)) +
                      " in the candidate but " + quote(label_text(b, i)) + " in the baseline",
                  b.path, "rows are paired by order; pass --id-col to pair by key");
  b.query = c.query;
  return "row_order";
}

}  // namespace mlgate
