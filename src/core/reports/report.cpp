#include "mlgate/reports/report.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <set>

#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/json.hpp"
#include "mlgate/base/log.hpp"
#include "mlgate/base/text.hpp"
#include "views.hpp"

namespace mlgate {

std::vector<LoadedDoc> load_documents(const std::vector<std::string>& paths) {
  std::vector<LoadedDoc> out;
  for (const auto& p : paths) {
    std::string text = read_file(p);
    ojson j;  // keys keep their order (inputs: candidate before baseline)
    try {
      j = parse_ordered_json(text, p);
    } catch (const Error& e) {
      if (e.what_text() != "invalid JSON") throw;
      throw Error("not valid JSON", p, e.where().substr(p.size() + 1) + ": " + e.hint());
    }
    out.push_back({p, ResultDoc::from_json(j, p)});
  }
  return out;
}

Status combined_status(const std::vector<LoadedDoc>& docs) {
  Status s = Status::kPass;
  for (const auto& d : docs) s = worse(s, d.doc.status());
  return s;
}

// ---------------------------------------------------------------------------------------------
// Escaping

namespace {
const std::string kZwsp = "\u200b";

// Drops characters that no report format may carry (C0 controls but tab, newline; DEL).
std::string printable(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (unsigned char c : s)
    if (c >= 0x20 || c == '\t' || c == '\n') o += static_cast<char>(c == 0x7f ? ' ' : c);
  return o;
}
}  // namespace

std::string md_text(const std::string& in) {
  // Only what GitHub's and GitLab's Markdown would read as markup is escaped, so the raw text
  // still reads cleanly ("data/candidate.csv", "roc_auc"); mentions, links and HTML stay inert.
  std::string s = printable(in), o;
  auto word = [&](std::size_t j) {
    return j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] < 0);
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\n' || c == '\t') {
      o += ' ';
    } else if (c == '@') {
      o += "@" + kZwsp;  // no @mention
    } else if (c == ':' && s.compare(i, 3, "://") == 0) {
      o += ":" + kZwsp;  // no bare-URL autolink
    } else if (c == '<') {
      o += "&lt;";  // no HTML tag, in every renderer (a lone > starts nothing mid-line)
    } else if (c == '&') {
      o += "&amp;";  // no entity
    } else if (std::string_view("\\`*_[]|~$").find(c) != std::string_view::npos &&
               !(c == '_' && i > 0 && word(i - 1) && word(i + 1))) {
      // (inside a word an underscore is never emphasis: it stays as it is)
      o += '\\';
      o += c;
    } else {
      o += c;
    }
    if ((c == 'w' || c == 'W') && i + 3 < s.size() &&
        (s.compare(i, 4, "www.") == 0 || s.compare(i, 4, "WWW.") == 0))
      o += kZwsp;  // "w" + ZWSP breaks the www. autolink
  }
  return o;
}

std::string md_code(const std::string& in) {
  std::string s = printable(in), o;
  for (char c : s) {
    if (c == '\n' || c == '\t')
      o += ' ';
    else if (c == '|')
      o += "\\|";  // table cells split on | even inside code
    else if (c == '`')
      o += "'";
    else if (c == '@')
      o += "@\u200b";  // belt and braces: no mention even if rendered as text
    else
      o += c;
  }
  return "`" + o + "`";
}

namespace {
// Entities for HTML and XML alike; XML also keeps newlines and tabs as character references.
std::string entities(const std::string& in, const char* apos, bool xml) {
  std::string o;
  for (char c : printable(in)) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += apos;
        break;
      case '\n':
        o += xml ? "&#10;" : "\n";
        break;
      case '\t':
        o += xml ? "&#9;" : "\t";
        break;
      default:
        o += c;
    }
  }
  return o;
}
}  // namespace

std::string html_escape(const std::string& in) { return entities(in, "&#39;", false); }

std::string xml_text(const std::string& in) { return entities(in, "&apos;", true); }

namespace {
// Each line made inert (control bytes, invalid UTF-8, log commands), newlines kept for the
// annotation's own %0A encoding.
std::string log_safe_lines(const std::string& in) {
  std::string o;
  std::size_t start = 0;
  while (true) {
    std::size_t nl = in.find('\n', start);
    o += log_safe(std::string_view(in).substr(start, nl - start), 4096, false);
    if (nl == std::string::npos) break;
    o += '\n';
    start = nl + 1;
  }
  return o;
}
}  // namespace

std::string gh_command_data(const std::string& in) {
  std::string o;
  for (char c : in) {
    if (c == '%')
      o += "%25";
    else if (c == '\r')
      o += "%0D";
    else if (c == '\n')
      o += "%0A";
    else
      o += c;
  }
  return o;
}

std::string gh_command_property(const std::string& in) {
  std::string o;
  for (char c : gh_command_data(log_safe(in, 1024))) {
    if (c == ':')
      o += "%3A";
    else if (c == ',')
      o += "%2C";
    else
      o += c;
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Markdown-only helpers

using namespace views;

namespace {

// Chart labels keep letters, digits and plain punctuation; anything a renderer could read as
// markup becomes a space.
std::string mermaid_label(const std::string& s) {
  std::string o;
  for (unsigned char c : printable(s)) {
    bool safe =
        std::isalnum(c) || c >= 0x80 ||
        std::string_view(" .,_-=:/()+#%").find(static_cast<char>(c)) != std::string_view::npos;
    o += safe ? static_cast<char>(c) : ' ';
  }
  return "\"" + o.substr(0, 40) + "\"";
}

// HTML inside Markdown (a <summary>): entities, and no @mention or autolink either.
std::string md_html(const std::string& s) {
  std::string o;
  std::string e = html_escape(s);
  for (std::size_t i = 0; i < e.size(); ++i) {
    o += e[i] == '\n' || e[i] == '\t' ? ' ' : e[i];
    if (e[i] == '@' || (e[i] == ':' && e.compare(i, 3, "://") == 0) ||
        ((e[i] == 'w' || e[i] == 'W') && e.compare(i, 4, "www.") == 0))
      o += "\u200b";
  }
  return o;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Markdown

namespace {

std::string check_cell(const Ref& r) {
  return md_code(r.check->id) + "<br>" + md_text(r.doc->doc.tool);
}

const char* verdict_line(Status st) {
  switch (st) {
    case Status::kPass:
      return "ready to merge";
    case Status::kWarn:
      return "ready to merge, with warnings";
    case Status::kFail:
      return "may not merge";
    default:
      return "could not decide: an error needs fixing";
  }
}

// Candidate vs production on the headline metrics, from the first comparison with a baseline.
std::string headline_table(const std::vector<LoadedDoc>& docs) {
  static const char* kHeadline[] = {
      "roc_auc", "average_precision", "log_loss", "brier", "ece", "accuracy",
      "f1",      "roc_auc_ovr",       "f1_macro", "rmse",  "mae", "r2"};
  for (const auto& d : docs) {
    const ojson* c = member(d.doc.metrics, "candidate");
    const ojson* b = member(d.doc.metrics, "baseline");
    const ojson* co = c ? member(*c, "overall") : nullptr;
    const ojson* bo = b ? member(*b, "overall") : nullptr;
    if (!co || !bo || !co->is_object() || !bo->is_object()) continue;
    std::string t = "**Candidate vs production** (" + md_text(doc_label(d)) +
                    ")\n\n| Metric | Candidate | Production | Change |\n|---|---|---|---|\n";
    int rows = 0;
    for (const char* m : kHeadline) {
      const ojson* cv = member(*co, m);
      const ojson* bv = member(*bo, m);
      if (!cv || !bv || !cv->is_number() || !bv->is_number()) continue;
      const double x = cv->get<double>(), y = bv->get<double>();
      t += "| " + md_text(m) + " | " + format_short(x, 4) + " | " + format_short(y, 4) + " | " +
           (x - y > 0 ? "+" : "") + format_short(x - y, 4) + " |\n";
      ++rows;
    }
    if (rows) return t + "\n";
  }
  return {};
}

// A Mermaid bar chart whose y axis spans the data (0 to 1 for rates and scores).
std::string mermaid_bars(const Series& s) {
  double lo = 0, hi = 0;
  for (std::size_t i = 0; i < s.points.size() && i < 30; ++i) {
    lo = std::min(lo, s.points[i].second);
    hi = std::max(hi, s.points[i].second);
  }
  if (hi <= 1 && lo >= 0) {
    hi = 1;
  } else {
    const double span = hi - lo > 0 ? hi - lo : 1;
    const double step = std::pow(10.0, std::floor(std::log10(span)));
    hi = std::ceil(hi * 1.05 / step) * step;
    lo = lo < 0 ? std::floor(lo * 1.05 / step) * step : 0;
  }
  std::string t = "```mermaid\nxychart-beta\n  title " + mermaid_label(s.title) + "\n  x-axis [";
  for (std::size_t i = 0; i < s.points.size() && i < 30; ++i)
    t += (i ? ", " : "") + mermaid_label(s.points[i].first);
  t += "]\n  y-axis " + mermaid_label(s.metric) + " " + format_short(lo, 6) + " --> " +
       format_short(hi, 6) + "\n  bar [";
  for (std::size_t i = 0; i < s.points.size() && i < 30; ++i)
    t += (i ? ", " : "") + format_short(s.points[i].second, 4);
  return t + "]\n```\n\n";
}

// One document's folded section: its passing checks (those not already in the table above)
// and its charts and tables.
std::string document_details(const LoadedDoc& d, const std::vector<Ref>& passing) {
  std::string t;
  if (!passing.empty()) {
    t += "| | Check | Value | Bound | Message |\n|---|---|---|---|---|\n";
    for (const auto& r : passing)
      t += "| " + std::string(icon(r.check->status)) + " | " + md_code(r.check->id) + " | " +
           value_text(*r.check) + " | " + bound_text(*r.check) + " | " + md_text(r.check->message) +
           " |\n";
    t += "\n";
  }
  for (const auto& s : chart_series(d.doc)) {
    t += mermaid_bars(s);
    t += "| " + md_text(s.metric == "selection_rate" ? "group" : "slice") + " | " +
         md_text(s.metric) + " |\n|---|---|\n";
    for (const auto& [label, v] : s.points)
      t += "| " + md_code(label) + " | " + format_short(v, 4) + " |\n";
    t += "\n";
  }
  if (const ojson* disp = member(d.doc.extra, "disparities"); disp && disp->is_object()) {
    t += "| disparity | value |\n|---|---|\n";
    for (auto it = disp->begin(); it != disp->end(); ++it)
      t += "| " + md_text(it.key()) + " | " +
           (it.value().is_number() ? format_short(it.value().get<double>(), 4) : "—") + " |\n";
    t += "\n";
  }
  if (t.empty()) return t;
  std::string summary = std::string(icon(d.doc.status())) + " " + md_html(doc_label(d)) + ": " +
                        std::to_string(passing.size()) + " passed";
  if (auto columns = number_in(d.doc.extra, "drift", "columns"); columns && *columns > 0)
    summary += ", " + format_short(number_in(d.doc.extra, "drift", "drifted").value_or(0), 10) +
               " of " + format_short(*columns, 10) + " columns drifted";
  return "<details><summary>" + summary + "</summary>\n\n" + t + "</details>\n\n";
}

}  // namespace

// The comment answers "may this merge?" in one screen: the verdict; the checks that decided it
// (failed, errored, warned, inconclusive), each once; candidate vs production on the headline
// metrics; everything that passed folded per document. Under the budget, passing detail goes
// first, then decided rows; what is left out is counted and linked.
std::string markdown_report(const std::vector<LoadedDoc>& docs, const MarkdownOptions& o) {
  const Status st = combined_status(docs);
  const std::vector<Ref> checks = unique_checks(docs);
  const Counts n = count(checks);
  const std::string marker = "<!-- " + o.marker + " -->";
  std::string head = "## " + std::string(icon(st)) + " mlgate: **" + status_name(st) + "** — " +
                     verdict_line(st) + "\n\n";
  head += std::to_string(n.checks) + " checks: " + std::to_string(n.passed) + " passed, " +
          std::to_string(n.failed) + " failed, " + std::to_string(n.warned) + " warned, " +
          std::to_string(n.errors) + " errors, from " + std::to_string(docs.size()) + " document" +
          (docs.size() == 1 ? "" : "s") + "\n\n";
  std::vector<std::string> decided;
  std::vector<std::string> why;
  for (const auto& r : checks) {
    const Check& c = *r.check;
    if (c.status == Status::kPass) continue;
    decided.push_back("| " + std::string(icon(c.status)) + " | " + check_cell(r) + " | " +
                      value_text(c) + " | " + num(c.baseline) + " | " + num(c.delta) + " | " +
                      interval(c) + " | " + bound_text(c) + " | " +
                      (c.verdict.empty() ? status_name(c.status) : md_text(c.verdict)) + " |\n");
    why.push_back("- " + md_code(c.id) + ": " + md_text(c.message) + "\n");
  }
  const std::string table_head =
      "| | Check | Candidate | Production | Change | Interval | Bound | Verdict |\n"
      "|---|---|---|---|---|---|---|---|\n";
  const std::string headline = headline_table(docs);
  std::vector<std::pair<bool, std::string>> details;  // (document passed, text)
  for (const auto& d : docs) {
    std::vector<Ref> passing;
    for (const auto& r : checks)
      if (r.doc == &d && r.check->status == Status::kPass) passing.push_back(r);
    std::string t = document_details(d, passing);
    if (!t.empty()) details.emplace_back(d.doc.status() == Status::kPass, std::move(t));
  }

  // Fit the budget by priority: decided rows, their reasons, the headline table, failing
  // documents' details, passing ones'.
  const std::string tail_marker = "\n" + marker + "\n";
  const std::size_t budget = o.max_chars - tail_marker.size() - 400;  // room for the note
  std::size_t used = head.size() + table_head.size() + 64;
  std::size_t cut_rows = 0, cut_details = 0;
  auto take = [&](const std::string& piece) {
    if (used + piece.size() > budget) return false;
    used += piece.size();
    return true;
  };
  std::vector<bool> row_in(decided.size()), why_in(why.size()), detail_in(details.size());
  for (std::size_t i = 0; i < decided.size(); ++i) cut_rows += !(row_in[i] = take(decided[i]));
  for (std::size_t i = 0; i < why.size(); ++i) why_in[i] = row_in[i] && take(why[i]);
  const bool headline_in = take(headline);
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t i = 0; i < details.size(); ++i)
      if (details[i].first == (pass == 1)) cut_details += !(detail_in[i] = take(details[i].second));

  std::string body = head;
  if (!decided.empty()) {
    body += "**What decided it**\n\n" + table_head;
    for (std::size_t i = 0; i < decided.size(); ++i)
      if (row_in[i]) body += decided[i];
    body += "\n";
    for (std::size_t i = 0; i < why.size(); ++i)
      if (why_in[i]) body += why[i];
    body += "\n";
  }
  if (headline_in) body += headline;
  for (std::size_t i = 0; i < details.size(); ++i)
    if (detail_in[i]) body += details[i].second;
  if (cut_rows || cut_details) {
    body += "\n> **Report truncated** to fit " + std::to_string(o.max_chars) +
            " characters: " + std::to_string(cut_rows) + " decided checks and " +
            std::to_string(cut_details) + " document sections left out (passing ones first).";
    if (!o.details_url.empty()) body += " [Full report](" + o.details_url + ").";
    body += "\n";
  }
  return body + tail_marker;
}

// ---------------------------------------------------------------------------------------------
// JUnit

std::string junit_xml(const std::vector<LoadedDoc>& docs) {
  Counts all = count(docs);
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<testsuites name=\"mlgate\" tests=\"" + std::to_string(all.checks) + "\" failures=\"" +
       std::to_string(all.failed) + "\" errors=\"" + std::to_string(all.errors) +
       "\" time=\"0\">\n";
  for (const auto& d : docs) {
    Counts n;
    for (const auto& c : d.doc.checks) n.add(c.status);
    x += "  <testsuite name=\"" + xml_text(doc_label(d)) + "\" tests=\"" +
         std::to_string(n.checks) + "\" failures=\"" + std::to_string(n.failed) + "\" errors=\"" +
         std::to_string(n.errors) + "\" skipped=\"0\" time=\"0\"";
    if (d.doc.provenance.contains("created") && d.doc.provenance["created"].is_string())
      x += " timestamp=\"" + xml_text(d.doc.provenance["created"].get<std::string>()) + "\"";
    x += " file=\"" + xml_text(d.path) + "\">\n";
    for (const auto& c : d.doc.checks) {
      x += "    <testcase name=\"" + xml_text(c.id) + "\" classname=\"" + xml_text(d.doc.tool) +
           "\" time=\"0\"";
      std::string detail = c.title + "\nvalue: " + num(c.value, 6) +
                           ", baseline: " + num(c.baseline, 6) + ", delta: " + num(c.delta, 6) +
                           ", interval: " + interval(c) +
                           (c.verdict.empty() ? "" : ", verdict: " + c.verdict);
      if (c.status == Status::kPass) {
        x += "/>\n";
      } else if (c.status == Status::kWarn) {
        x += ">\n      <system-out>" + xml_text("warning: " + c.message + "\n" + detail) +
             "</system-out>\n    </testcase>\n";
      } else {
        const char* tag = c.status == Status::kFail ? "failure" : "error";
        x += ">\n      <" + std::string(tag) + " type=\"" +
             (c.verdict.empty() ? status_name(c.status) : xml_text(c.verdict)) + "\" message=\"" +
             xml_text(c.message) + "\">" + xml_text(detail) + "</" + tag + ">\n    </testcase>\n";
      }
    }
    x += "  </testsuite>\n";
  }
  return x + "</testsuites>\n";
}

// ---------------------------------------------------------------------------------------------
// GitLab, Jenkins

std::string gitlab_codequality(const std::vector<LoadedDoc>& docs) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& r : ordered_checks(docs)) {
    const Check& c = *r.check;
    if (c.status == Status::kPass) continue;
    const char* severity = c.status == Status::kError  ? "blocker"
                           : c.status == Status::kFail ? "critical"
                                                       : "minor";
    // Stable across runs: the tool, the check and the file, not the values.
    std::string fp =
        sha256_hex(r.doc->doc.tool + "\x1f" + c.id + "\x1f" + input_path(*r.doc)).substr(0, 32);
    arr.push_back({{"type", "issue"},
                   {"check_name", "mlgate/" + r.doc->doc.tool + "/" + c.id},
                   {"description", printable(c.title + ": " + c.message)},
                   {"categories", {"Bug Risk"}},
                   {"severity", severity},
                   {"fingerprint", fp},
                   {"location", {{"path", input_path(*r.doc)}, {"lines", {{"begin", 1}}}}}});
  }
  return arr.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

namespace {
std::string om_label(const std::string& v) {
  std::string o;
  for (char c : printable(v)) {
    if (c == '\\')
      o += "\\\\";
    else if (c == '"')
      o += "\\\"";
    else if (c == '\n')
      o += "\\n";
    else
      o += c;
  }
  return "\"" + o + "\"";
}
}  // namespace

std::string openmetrics(const std::vector<LoadedDoc>& docs) {
  std::string m =
      "# TYPE mlgate_metric gauge\n# HELP mlgate_metric A metric from an mlgate result document.\n";
  auto emit_set = [&](const std::string& tool, const std::string& model, const ojson& set,
                      const std::string& slice) {
    if (!set.is_object()) return;
    for (auto it = set.begin(); it != set.end(); ++it)
      if (it.value().is_number())
        m += "mlgate_metric{tool=" + om_label(tool) + ",model=" + om_label(model) +
             ",metric=" + om_label(it.key()) + ",slice=" + om_label(slice) + "} " +
             format_number(it.value().get<double>()) + "\n";
  };
  for (const auto& d : docs) {
    const ResultDoc& r = d.doc;
    if (const ojson* o = member(r.metrics, "overall")) emit_set(r.tool, "candidate", *o, "all");
    for (const char* who : {"candidate", "baseline"})
      if (const ojson* w = member(r.metrics, who))
        if (const ojson* o = member(*w, "overall")) emit_set(r.tool, who, *o, "all");
    if (const ojson* disp = member(r.extra, "disparities"))
      emit_set(r.tool, "candidate", *disp, "all");
    if (auto share = number_in(r.extra, "drift", "share"))
      m += "mlgate_metric{tool=" + om_label(r.tool) +
           ",model=\"data\",metric=\"drift_share\",slice=\"all\"} " + format_number(*share) + "\n";
  }
  m += "# TYPE mlgate_checks gauge\n# HELP mlgate_checks Checks per status.\n";
  Counts n = count(docs);
  m += "mlgate_checks{status=\"pass\"} " + std::to_string(n.passed) +
       "\nmlgate_checks{status=\"fail\"} " + std::to_string(n.failed) +
       "\nmlgate_checks{status=\"warn\"} " + std::to_string(n.warned) +
       "\nmlgate_checks{status=\"error\"} " + std::to_string(n.errors) + "\n";
  return m + "# EOF\n";
}

std::string warnings_ng(const std::vector<LoadedDoc>& docs) {
  nlohmann::ordered_json issues = nlohmann::ordered_json::array();
  for (const auto& r : ordered_checks(docs)) {
    const Check& c = *r.check;
    if (c.status == Status::kPass) continue;
    const char* severity = c.status == Status::kError  ? "ERROR"
                           : c.status == Status::kFail ? "HIGH"
                                                       : "NORMAL";
    issues.push_back({{"fileName", input_path(*r.doc)},
                      {"lineStart", 1},
                      {"severity", severity},
                      {"category", r.doc->doc.tool},
                      {"type", c.id},
                      {"message", printable(c.title + ": " + c.message)},
                      {"description", printable(c.message)}});
  }
  nlohmann::ordered_json j = {{"_class", "io.jenkins.plugins.analysis.core.restapi.ReportApi"},
                              {"issues", issues}};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// ---------------------------------------------------------------------------------------------
// GitHub

std::vector<std::string> github_annotations(const std::vector<LoadedDoc>& docs, std::size_t limit) {
  std::vector<std::string> out;
  std::size_t errors = 0, warnings = 0;
  for (const auto& r : ordered_checks(docs)) {
    const Check& c = *r.check;
    if (c.status == Status::kPass) continue;
    bool is_error = c.status != Status::kWarn;
    if ((is_error ? errors : warnings) >= limit) continue;
    ++(is_error ? errors : warnings);
    out.push_back(std::string(is_error ? "::error" : "::warning") +
                  " title=" + gh_command_property("mlgate " + r.doc->doc.tool + ": " + c.id) +
                  "::" + gh_command_data(log_safe_lines(c.title + ": " + c.message)));
  }
  return out;
}

namespace {
void append_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::app | std::ios::binary);
  if (!f) throw Error("cannot append", path, "is the runner's environment file writable?");
  f << text;
  if (!f.flush()) throw Error("cannot write", path);
}
}  // namespace

void github_outputs(const std::vector<LoadedDoc>& docs, const std::string& markdown) {
  for (const auto& a : github_annotations(docs)) std::printf("%s\n", a.c_str());
  std::fflush(stdout);
  if (const char* summary = std::getenv("GITHUB_STEP_SUMMARY"); summary && *summary) {
    std::string md =
        markdown.size() > (1u << 20) - 1024 ? markdown.substr(0, (1u << 20) - 1024) : markdown;
    append_file(summary, md + "\n");
  }
  if (const char* output = std::getenv("GITHUB_OUTPUT"); output && *output) {
    Counts n = count(docs);
    std::random_device rd;
    std::string delim;
    do {
      char buf[40];
      std::snprintf(buf, sizeof buf, "mlgate_%08x%08x", rd(), rd());
      delim = buf;
    } while (markdown.find(delim) != std::string::npos);
    std::string text = "status=" + std::string(status_name(combined_status(docs))) +
                       "\npassed=" + std::to_string(n.passed) +
                       "\nfailed=" + std::to_string(n.failed) + "\nreport<<" + delim + "\n" +
                       markdown + (markdown.empty() || markdown.back() == '\n' ? "" : "\n") +
                       delim + "\n";
    append_file(output, text);
  }
}

// ---------------------------------------------------------------------------------------------

int run_report(const ReportOptions& o) {
  std::vector<LoadedDoc> docs = load_documents(o.inputs);
  const Status status = combined_status(docs);
  MarkdownOptions mo;
  mo.details_url = o.details_url;
  std::string md = markdown_report(docs, mo);
  if (!o.markdown.empty()) write_file_atomic(o.markdown, md);
  if (!o.html.empty()) write_html_report(docs, o.html);
  if (!o.junit.empty()) write_file_atomic(o.junit, junit_xml(docs));
  if (!o.gitlab_codequality.empty())
    write_file_atomic(o.gitlab_codequality, gitlab_codequality(docs));
  if (!o.gitlab_metrics.empty()) write_file_atomic(o.gitlab_metrics, openmetrics(docs));
  if (!o.warnings_ng.empty()) write_file_atomic(o.warnings_ng, warnings_ng(docs));
  if (o.github) github_outputs(docs, md);
  if (!o.output.empty()) {
    ResultDoc all;
    all.tool = "mlgate-report";
    all.version = MLGATE_VERSION;
    for (const auto& d : docs)
      for (Check c : d.doc.checks) {
        c.id = d.doc.tool + "/" + c.id;
        all.checks.push_back(std::move(c));
      }
    for (const auto& d : docs)
      all.inputs[d.path] = {{"tool", d.doc.tool},
                            {"sha256", sha256_file(d.path)},
                            {"status", status_name(d.doc.status())}};
    all.provenance = make_provenance("");
    write_file_atomic(
        o.output,
        all.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }
  Counts n = count(docs);
  log_info(
      "mlgate-report: %s (%d checks: %d passed, %d failed, %d warned, %d errors in %zu "
      "documents)\n",
      status_name(status), n.checks, n.passed, n.failed, n.warned, n.errors, docs.size());
  if (status == Status::kError)
    log_printf("mlgate-report: error: %d check(s) could not be evaluated (the gate fails closed)\n",
               n.errors);
  return exit_code_for(status);
}

}  // namespace mlgate
