// The HTML report: one static page (no script, no inline style, nothing external: Jenkins'
// default Content-Security-Policy shows it as is) with SVG charts that answer the gate's
// questions: the verdict and what decided it; the candidate's curves over production's with
// the operating point; every check with an interval against its bound (a forest plot); slices
// and groups scaled to their data; each drifted column's histograms; a confusion matrix; and the
// provenance of every document. Every chart has axes with tick labels and titles; bars carry
// their value in data-value so tests can hold their heights to it.
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/text.hpp"
#include "mlgate/reports/report.hpp"
#include "views.hpp"

namespace mlgate {

using namespace views;

namespace {

const char* kStyle =
    R"(body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 72rem; color: #1f2328; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
.verdict { display: inline-block; padding: .15rem .6rem; border-radius: 1rem; font-weight: 600; color: #fff; }
.s-pass { background: #1a7f37; } .s-warn { background: #9a6700; } .s-fail { background: #cf222e; } .s-error { background: #6e40c9; }
.summary { color: #57606a; margin: .3rem 0 1rem; }
table { border-collapse: collapse; font-size: 13px; margin: .5rem 0 1rem; }
table.wide { width: 100%; }
th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.r-fail td:first-child, tr.r-error td:first-child { border-left: 4px solid #cf222e; }
tr.r-warn td:first-child { border-left: 4px solid #9a6700; }
tr.r-pass td:first-child { border-left: 4px solid #1a7f37; }
td.cm0 { background: #ffffff; } td.cm1 { background: #ddf4ff; } td.cm2 { background: #b6e3ff; }
td.cm3 { background: #80ccff; } td.cm4 { background: #54aeff; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa; padding: .05rem .25rem; border-radius: 4px; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
figure { margin: 0; }
figcaption { font-size: 13px; color: #57606a; text-align: center; max-width: 460px; }
details { margin: .5rem 0; } summary { cursor: pointer; }
svg .frame { fill: #fff; stroke: #d0d7de; }
svg .grid { stroke: #eaeef2; }
svg .tickmark { stroke: #8c959f; }
svg .diag { stroke: #afb8c1; stroke-dasharray: 4 4; }
svg .ref { stroke: #57606a; stroke-dasharray: 6 3; stroke-width: 1.5; }
svg .bound { stroke: #cf222e; stroke-width: 2; stroke-dasharray: 5 3; }
svg .zero { stroke: #8c959f; }
svg .c0 { fill: none; stroke: #0969da; stroke-width: 2; }
svg .c1 { fill: none; stroke: #bf3989; stroke-width: 2; stroke-dasharray: 6 3; }
svg .b0 { fill: #0969da; } svg .b1 { fill: #bf3989; } svg .b2 { fill: #1a7f37; } svg .b3 { fill: #9a6700; }
svg .ungated { fill-opacity: .35; }
svg .op0 { fill: #0969da; stroke: #fff; stroke-width: 1.5; } svg .op1 { fill: #bf3989; stroke: #fff; stroke-width: 1.5; }
svg .dot { fill: #0969da; }
svg .v-non_inferior, svg .v-pass { stroke: #1a7f37; fill: #1a7f37; stroke-width: 2.5; }
svg .v-inferior, svg .v-fail { stroke: #cf222e; fill: #cf222e; stroke-width: 2.5; }
svg .v-inconclusive, svg .v-warn { stroke: #9a6700; fill: #9a6700; stroke-width: 2.5; }
svg .v-error { stroke: #6e40c9; fill: #6e40c9; stroke-width: 2.5; }
svg text { font: 11px system-ui, sans-serif; fill: #57606a; }
svg text.title { font-size: 12px; fill: #1f2328; }
svg text.legend { fill: #1f2328; }
.muted { color: #57606a; }
footer { margin-top: 3rem; font-size: 12px; color: #57606a; }
)";

std::string f(double v, int digits = 4) { return format_short(v, digits); }

std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// An axis: its range, tick values at a 1-2-5 step, and its title.
struct Axis {
  double lo = 0, hi = 1;
  std::vector<double> ticks;
  std::string title;
};

Axis nice_axis(double lo, double hi, const std::string& title, bool from_zero = true) {
  if (from_zero) lo = std::min(lo, 0.0);
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / mag < 1.5 ? mag
                      : raw / mag < 3 ? 2 * mag
                      : raw / mag < 7 ? 5 * mag
                                      : 10 * mag;
  Axis a;
  a.lo = std::floor(lo / step + 1e-9) * step;
  a.hi = std::ceil(hi / step - 1e-9) * step;
  for (double t = a.lo; t <= a.hi + step * 1e-6; t += step)
    a.ticks.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  a.title = title;
  return a;
}

Axis unit_axis(const std::string& title) {
  Axis a;
  a.ticks = {0, 0.2, 0.4, 0.6, 0.8, 1};
  a.title = title;
  return a;
}

// The plot area of a chart and its two axes.
struct Plot {
  double x0 = 64, y0 = 28, w = 300, h = 240;
  Axis x, y;
  double X(double v) const { return x0 + w * (v - x.lo) / (x.hi - x.lo); }
  double Y(double v) const { return y0 + h - h * (v - y.lo) / (y.hi - y.lo); }
  double width() const { return x0 + w + 24; }
  double height() const { return y0 + h + 56; }
};

std::string svg_begin(double w, double h, const std::string& label, const std::string& kind) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart " + kind + "\" width=\"" + px(w) +
         "\" height=\"" + px(h) + "\" viewBox=\"0 0 " + px(w) + " " + px(h) +
         "\" role=\"img\" aria-label=\"" + html_escape(label) + "\"><text class=\"title\" x=\"" +
         px(w / 2) + "\" y=\"16\" text-anchor=\"middle\">" + html_escape(label) + "</text>";
}

// The frame, the grid at every tick, tick marks with their labels on both axes, axis titles.
// numeric_x false: the caller labels the x axis (categories).
std::string axes_svg(const Plot& p, bool numeric_x = true) {
  std::string s = "<rect class=\"frame\" x=\"" + px(p.x0) + "\" y=\"" + px(p.y0) + "\" width=\"" +
                  px(p.w) + "\" height=\"" + px(p.h) + "\"/><g class=\"y-axis\">";
  for (double t : p.y.ticks) {
    const std::string y = px(p.Y(t));
    s += "<line class=\"grid\" x1=\"" + px(p.x0) + "\" y1=\"" + y + "\" x2=\"" + px(p.x0 + p.w) +
         "\" y2=\"" + y + "\"/><line class=\"tickmark\" x1=\"" + px(p.x0 - 4) + "\" y1=\"" + y +
         "\" x2=\"" + px(p.x0) + "\" y2=\"" + y + "\"/><text class=\"tick\" x=\"" + px(p.x0 - 6) +
         "\" y=\"" + px(p.Y(t) + 4) + "\" text-anchor=\"end\">" + f(t, 3) + "</text>";
  }
  s += "<text class=\"axis-title\" x=\"14\" y=\"" + px(p.y0 + p.h / 2) +
       "\" text-anchor=\"middle\" transform=\"rotate(-90 14 " + px(p.y0 + p.h / 2) + ")\">" +
       html_escape(p.y.title) + "</text></g><g class=\"x-axis\">";
  if (numeric_x)
    for (double t : p.x.ticks) {
      const std::string x = px(p.X(t));
      s += "<line class=\"grid\" x1=\"" + x + "\" y1=\"" + px(p.y0) + "\" x2=\"" + x + "\" y2=\"" +
           px(p.y0 + p.h) + "\"/><line class=\"tickmark\" x1=\"" + x + "\" y1=\"" + px(p.y0 + p.h) +
           "\" x2=\"" + x + "\" y2=\"" + px(p.y0 + p.h + 4) + "\"/><text class=\"tick\" x=\"" + x +
           "\" y=\"" + px(p.y0 + p.h + 16) + "\" text-anchor=\"middle\">" + f(t, 3) + "</text>";
    }
  s += "<text class=\"axis-title\" x=\"" + px(p.x0 + p.w / 2) + "\" y=\"" + px(p.height() - 6) +
       "\" text-anchor=\"middle\">" + html_escape(p.x.title) + "</text></g>";
  return s;
}

std::string legend_svg(const Plot& p,
                       const std::vector<std::pair<std::string, std::string>>& items) {
  std::string s;
  double y = p.y0 + 14;
  for (const auto& [cls, text] : items) {
    s += "<rect class=\"" + cls + "\" x=\"" + px(p.x0 + p.w - 150) + "\" y=\"" + px(y - 8) +
         "\" width=\"10\" height=\"10\"/><text class=\"legend\" x=\"" + px(p.x0 + p.w - 136) +
         "\" y=\"" + px(y + 1) + "\">" + html_escape(text) + "</text>";
    y += 15;
  }
  return s;
}

// One curve of a curve chart.
struct Curve {
  std::string name;
  const ojson* points = nullptr;                // [[x, y, ...], ...]
  std::optional<std::pair<double, double>> op;  // operating point at the threshold
};

std::string curve_chart(const std::string& title, const std::string& xt, const std::string& yt,
                        const std::vector<Curve>& curves, bool diag,
                        std::optional<double> hline = std::nullopt,
                        const std::string& hline_label = "") {
  Plot p;
  p.x = unit_axis(xt);
  p.y = unit_axis(yt);
  std::string s = svg_begin(p.width(), p.height(), title, "curve") + axes_svg(p);
  if (diag)
    s += "<line class=\"diag\" x1=\"" + px(p.X(0)) + "\" y1=\"" + px(p.Y(0)) + "\" x2=\"" +
         px(p.X(1)) + "\" y2=\"" + px(p.Y(1)) + "\"/>";
  if (hline)
    s += "<line class=\"ref\" x1=\"" + px(p.X(0)) + "\" y1=\"" + px(p.Y(*hline)) + "\" x2=\"" +
         px(p.X(1)) + "\" y2=\"" + px(p.Y(*hline)) + "\" data-value=\"" + f(*hline, 6) +
         "\"/><text x=\"" + px(p.X(0) + 4) + "\" y=\"" + px(p.Y(*hline) - 4) + "\">" +
         html_escape(hline_label) + "</text>";
  std::vector<std::pair<std::string, std::string>> legend;
  for (std::size_t k = 0; k < curves.size() && k < 2; ++k) {
    const Curve& c = curves[k];
    if (!c.points || !c.points->is_array()) continue;
    s += "<polyline class=\"c" + std::to_string(k) + "\" points=\"";
    for (const auto& q : *c.points)
      if (q.is_array() && q.size() >= 2 && q[0].is_number() && q[1].is_number())
        s += px(p.X(std::clamp(q[0].get<double>(), 0.0, 1.0))) + "," +
             px(p.Y(std::clamp(q[1].get<double>(), 0.0, 1.0))) + " ";
    s += "\"/>";
    if (c.op)
      s += "<circle class=\"op" + std::to_string(k) + " operating-point\" cx=\"" +
           px(p.X(c.op->first)) + "\" cy=\"" + px(p.Y(c.op->second)) + "\" r=\"5\"><title>" +
           html_escape(c.name) + " at the threshold</title></circle>";
    legend.emplace_back("b" + std::to_string(k), c.name);
  }
  s += legend_svg(p, legend);
  return s + "</svg>";
}

// Grouped bars: one group per category, one bar per series, the y axis spanning the data.
struct BarSeries {
  std::string name;
  std::vector<double> values;  // NaN: no bar
};

std::string bar_chart(const std::string& title, const std::string& yt,
                      const std::vector<std::string>& categories,
                      const std::vector<BarSeries>& series, const std::vector<bool>& ungated = {},
                      std::optional<double> ref = std::nullopt, const std::string& ref_label = "") {
  const std::size_t n = std::min<std::size_t>(categories.size(), 30);
  double lo = 0, hi = 0;
  for (const auto& se : series)
    for (std::size_t i = 0; i < n && i < se.values.size(); ++i)
      if (std::isfinite(se.values[i])) {
        lo = std::min(lo, se.values[i]);
        hi = std::max(hi, se.values[i]);
      }
  if (ref) hi = std::max(hi, *ref);
  Plot p;
  p.x0 = 96;  // room for the first rotated category label
  p.w = std::max(300.0, 34.0 * static_cast<double>(n * std::max<std::size_t>(series.size(), 1)));
  p.x.title = "";
  p.y = nice_axis(lo, hi > 0 ? hi : 1, yt);
  std::string s = svg_begin(p.width(), p.height() + 40, title, "bars") + axes_svg(p, false);
  const double gw = p.w / static_cast<double>(std::max<std::size_t>(n, 1));
  const double bw = gw * 0.8 / static_cast<double>(std::max<std::size_t>(series.size(), 1));
  const double zero = p.Y(0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < series.size(); ++k) {
      if (i >= series[k].values.size() || !std::isfinite(series[k].values[i])) continue;
      const double v = series[k].values[i];
      const double top = std::min(p.Y(v), zero), hgt = std::abs(p.Y(v) - zero);
      const double x = p.x0 + gw * static_cast<double>(i) + gw * 0.1 + bw * static_cast<double>(k);
      s += "<rect class=\"bar b" + std::to_string(k % 4) +
           (i < ungated.size() && ungated[i] ? " ungated" : "") + "\" x=\"" + px(x) + "\" y=\"" +
           px(top) + "\" width=\"" + px(bw) + "\" height=\"" + px(hgt) + "\" data-value=\"" +
           f(v, 6) + "\"><title>" + html_escape(series[k].name + " " + categories[i]) + ": " +
           f(v, 4) + "</title></rect><text x=\"" + px(x + bw / 2) + "\" y=\"" + px(top - 3) +
           "\" text-anchor=\"middle\">" + f(v, 3) + "</text>";
    }
    const double cx = p.x0 + gw * (static_cast<double>(i) + 0.5);
    s += "<text class=\"tick category\" x=\"" + px(cx) + "\" y=\"" + px(p.y0 + p.h + 14) +
         "\" text-anchor=\"end\" transform=\"rotate(-30 " + px(cx) + " " + px(p.y0 + p.h + 14) +
         ")\">" + html_escape(categories[i].substr(0, 28)) + "</text>";
  }
  if (lo < 0)
    s += "<line class=\"zero\" x1=\"" + px(p.x0) + "\" y1=\"" + px(zero) + "\" x2=\"" +
         px(p.x0 + p.w) + "\" y2=\"" + px(zero) + "\"/>";
  if (ref)
    s += "<line class=\"ref\" x1=\"" + px(p.x0) + "\" y1=\"" + px(p.Y(*ref)) + "\" x2=\"" +
         px(p.x0 + p.w) + "\" y2=\"" + px(p.Y(*ref)) + "\" data-value=\"" + f(*ref, 6) +
         "\"/><text x=\"" + px(p.x0 + p.w - 4) + "\" y=\"" + px(p.Y(*ref) - 4) +
         "\" text-anchor=\"end\">" + html_escape(ref_label) + "</text>";
  if (series.size() > 1) {
    std::vector<std::pair<std::string, std::string>> legend;
    for (std::size_t k = 0; k < series.size(); ++k)
      legend.emplace_back("b" + std::to_string(k % 4), series[k].name);
    s += legend_svg(p, legend);
  }
  return s + "</svg>";
}

// A forest plot: each check's change with its interval, against its bound, coloured by verdict.
struct ForestRow {
  std::string label, verdict;
  double delta, lo, hi, bound;
};

std::string forest_chart(const std::string& title, const std::vector<ForestRow>& rows) {
  double lo = 0, hi = 0;
  for (const auto& r : rows) {
    lo = std::min({lo, r.lo, r.bound, r.delta});
    hi = std::max({hi, r.hi, r.bound, r.delta});
  }
  const double pad = (hi - lo) * 0.08 + 1e-12;
  Plot p;
  p.x0 = 190;
  p.w = 320;
  p.h = 26.0 * static_cast<double>(rows.size()) + 10;
  p.x = nice_axis(lo - pad, hi + pad, "change (candidate − production)", false);
  p.y.lo = 0;
  p.y.hi = static_cast<double>(rows.size());
  p.y.title = "";
  std::string s = svg_begin(p.width(), p.height(), title, "forest") + axes_svg(p);
  s += "<line class=\"zero\" x1=\"" + px(p.X(0)) + "\" y1=\"" + px(p.y0) + "\" x2=\"" + px(p.X(0)) +
       "\" y2=\"" + px(p.y0 + p.h) + "\"/>";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const ForestRow& r = rows[i];
    const double y = p.y0 + 18 + 26.0 * static_cast<double>(i);
    const std::string cls = "v-" + (r.verdict.empty() ? std::string("pass") : r.verdict);
    s += "<text class=\"tick row-label\" x=\"" + px(p.x0 - 8) + "\" y=\"" + px(y + 4) +
         "\" text-anchor=\"end\">" + html_escape(r.label.substr(0, 32)) + "</text>";
    s += "<line class=\"bound\" x1=\"" + px(p.X(r.bound)) + "\" y1=\"" + px(y - 10) + "\" x2=\"" +
         px(p.X(r.bound)) + "\" y2=\"" + px(y + 10) + "\" data-value=\"" + f(r.bound, 6) +
         "\"><title>bound " + f(r.bound, 4) + "</title></line>";
    s += "<line class=\"interval " + cls + "\" x1=\"" + px(p.X(r.lo)) + "\" y1=\"" + px(y) +
         "\" x2=\"" + px(p.X(r.hi)) + "\" y2=\"" + px(y) + "\"/><circle class=\"estimate " + cls +
         "\" cx=\"" + px(p.X(r.delta)) + "\" cy=\"" + px(y) + "\" r=\"4\" data-value=\"" +
         f(r.delta, 6) + "\"><title>" + html_escape(r.label) + ": " + f(r.delta, 4) + " [" +
         f(r.lo, 4) + ", " + f(r.hi, 4) + "], bound " + f(r.bound, 4) + ", " +
         html_escape(r.verdict) + "</title></circle>";
  }
  return s + "</svg>";
}

std::string figure(const std::string& svg, const std::string& caption) {
  return "<figure>" + svg + "<figcaption>" + caption + "</figcaption></figure>";
}

std::optional<double> metric_of(const ojson* m, const char* name) {
  if (!m) return std::nullopt;
  return number_in(*m, "overall", name);
}

// The operating point at the threshold: on ROC (FPR, TPR), on PR (recall, precision).
std::optional<std::pair<double, double>> roc_point(const ojson* m) {
  auto r = metric_of(m, "recall"), sp = metric_of(m, "specificity");
  if (!r || !sp) return std::nullopt;
  return std::make_pair(1 - *sp, *r);
}
std::optional<std::pair<double, double>> pr_point(const ojson* m) {
  auto r = metric_of(m, "recall"), pr = metric_of(m, "precision");
  if (!r || !pr) return std::nullopt;
  return std::make_pair(*r, *pr);
}

const ojson* curves_of(const ojson* m, const char* kind) {
  const ojson* c = m ? member(*m, "curves") : nullptr;
  const ojson* k = c ? member(*c, kind) : nullptr;
  return k && k->is_array() && !k->empty() ? k : nullptr;
}

// Curves of a model (and of production, when the document compares): ROC with AUC, PR with AP
// and the prevalence, calibration with the counts under each bin.
std::string curves_section(const ResultDoc& d) {
  const ojson* cand = eval_metrics(d);
  const ojson* base = member(d.metrics, "baseline");
  if (base && !member(*base, "overall")) base = nullptr;
  if (!curves_of(cand, "roc") && !curves_of(cand, "pr")) return {};
  // The operating point: score >= threshold, or the hard predictions the data gave (null).
  const ojson* thr = member(*cand, "threshold");
  const std::string at = thr && thr->is_number() ? "at threshold " + f(thr->get<double>(), 4)
                                                 : "of the given hard predictions";
  auto named = [&](const char* who, const ojson* m, const char* metric, const char* abbrev) {
    std::string s = who;
    if (auto v = metric_of(m, metric)) s += std::string(" (") + abbrev + " " + f(*v, 3) + ")";
    return s;
  };
  std::string h = "<div class=\"charts\">";
  if (curves_of(cand, "roc")) {
    std::vector<Curve> cs = {{named(base ? "candidate" : "model", cand, "roc_auc", "AUC"),
                              curves_of(cand, "roc"), roc_point(cand)}};
    if (base && curves_of(base, "roc"))
      cs.push_back(
          {named("production", base, "roc_auc", "AUC"), curves_of(base, "roc"), roc_point(base)});
    h += figure(curve_chart("ROC curve", "false positive rate", "true positive rate", cs, true),
                "ROC; the dots are the operating points " + at);
  }
  if (curves_of(cand, "pr")) {
    std::vector<Curve> cs = {{named(base ? "candidate" : "model", cand, "average_precision", "AP"),
                              curves_of(cand, "pr"), pr_point(cand)}};
    if (base && curves_of(base, "pr"))
      cs.push_back({named("production", base, "average_precision", "AP"), curves_of(base, "pr"),
                    pr_point(base)});
    auto prev = metric_of(cand, "prevalence");
    h += figure(curve_chart("Precision-recall curve", "recall", "precision", cs, false, prev,
                            prev ? "prevalence " + f(*prev, 3) : ""),
                "Precision against recall; the dashed line is a model without skill (the "
                "prevalence)");
  }
  if (const ojson* cal = curves_of(cand, "calibration")) {
    std::vector<Curve> cs = {{"observed", cal, std::nullopt}};
    std::string counts;
    for (const auto& b : *cal)
      if (b.is_array() && b.size() >= 3 && b[2].is_number())
        counts += (counts.empty() ? "" : ", ") + f(b[2].get<double>(), 10);
    h += figure(
        curve_chart("Calibration", "mean predicted probability", "fraction positive", cs, true),
        "Rows per bin: " + counts);
  }
  return h + "</div>\n";
}

// A multiclass document's confusion matrix (metrics.confusion, up to 20 classes).
std::string multiclass_confusion(const ojson& m) {
  const ojson* cm = member(m, "confusion");
  const ojson* classes = member(m, "classes");
  if (!cm || !classes || !cm->is_array() || !classes->is_array() || cm->size() != classes->size())
    return {};
  double top = 0;
  for (const auto& row : *cm)
    for (const auto& v : row)
      if (v.is_number()) top = std::max(top, v.get<double>());
  std::string h =
      "<h3>Confusion matrix</h3><table class=\"confusion\"><thead><tr><th>actual \\ "
      "predicted</th>";
  for (const auto& c : *classes)
    h += "<th>" + html_escape(c.is_string() ? c.get<std::string>() : c.dump()) + "</th>";
  h += "</tr></thead><tbody>";
  for (std::size_t a = 0; a < cm->size(); ++a) {
    const ojson& c = (*classes)[a];
    h += "<tr><th>" + html_escape(c.is_string() ? c.get<std::string>() : c.dump()) + "</th>";
    for (const auto& v : (*cm)[a]) {
      const double x = v.is_number() ? v.get<double>() : 0;
      const int shade = top > 0 ? std::clamp(static_cast<int>(4.999 * x / top), 0, 4) : 0;
      h += "<td class=\"num cm" + std::to_string(shade) + "\">" + f(x, 12) + "</td>";
    }
    h += "</tr>";
  }
  return h + "</tbody></table>\n";
}

// The confusion matrix at the threshold, from the counts the rates were computed from.
std::string confusion_section(const ResultDoc& d) {
  const ojson* m = eval_metrics(d);
  if (!m) return {};
  if (std::string mc = multiclass_confusion(*m); !mc.empty()) return mc;
  const ojson* nn = member(*m, "n");
  auto prev = metric_of(m, "prevalence"), pos = metric_of(m, "positive_rate"),
       rec = metric_of(m, "recall");
  if (!nn || !nn->is_number() || !prev || !pos || !rec) return {};
  const double n = nn->get<double>();
  const double P = std::round(*prev * n), PP = std::round(*pos * n);
  const double tp = std::round(*rec * P), fp = PP - tp, fn = P - tp, tn = n - P - fp;
  auto cell = [&](double v) {
    const int shade = n > 0 ? std::clamp(static_cast<int>(5 * v / n), 0, 4) : 0;
    return "<td class=\"num cm" + std::to_string(shade) + "\">" + f(v, 12) + "</td>";
  };
  return "<h3>Confusion matrix at the threshold</h3><table class=\"confusion\"><thead><tr><th>"
         "</th><th>predicted negative</th><th>predicted positive</th></tr></thead><tbody>"
         "<tr><th>actual negative</th>" +
         cell(tn) + cell(fp) + "</tr><tr><th>actual positive</th>" + cell(fn) + cell(tp) +
         "</tr></tbody></table>\n";
}

// Per-slice metric: the candidate's bars, with production's beside them when compared.
std::string slices_section(const ResultDoc& d) {
  std::string h;
  const ojson* base = member(d.metrics, "baseline");
  const ojson* bslices = base ? member(*base, "slices") : nullptr;
  for (const auto& s : chart_series(d)) {
    if (s.metric == "selection_rate") continue;  // fairness draws its own
    std::vector<std::string> cats;
    BarSeries cand{base ? "candidate" : s.metric, {}}, prod{"production", {}};
    for (const auto& [label, v] : s.points) {
      cats.push_back(label);
      cand.values.push_back(v);
      double b = std::nan("");
      if (bslices && bslices->is_array())
        for (const auto& e : *bslices) {
          const ojson* sl = member(e, "slice");
          if (slice_text(sl ? *sl : ojson()) == label)
            if (auto bv = number_in(e, "metrics", s.metric)) b = *bv;
        }
      prod.values.push_back(b);
    }
    std::vector<BarSeries> series = {cand};
    if (base) series.push_back(prod);
    h += figure(bar_chart(s.title, s.metric, cats, series),
                html_escape(s.title) + (base ? ", candidate beside production" : ""));
  }
  return h.empty() ? h : "<div class=\"charts\">" + h + "</div>\n";
}

// Every check with an interval, overall and per slice, against its bound.
std::string forest_section(const ResultDoc& d) {
  std::vector<ForestRow> rows;
  for (const auto& c : d.checks)
    if (c.ci && c.threshold)
      rows.push_back({c.id, c.verdict.empty() ? status_name(c.status) : c.verdict,
                      c.delta.value_or(((*c.ci)[0] + (*c.ci)[1]) / 2), (*c.ci)[0], (*c.ci)[1],
                      *c.threshold});
  if (rows.empty()) return {};
  return "<div class=\"charts\">" +
         figure(forest_chart("Changes against their bounds", rows),
                "Each check's change with its confidence interval (dot: estimate; dashed red: "
                "the bound it may not cross); green non-inferior, red inferior, amber "
                "inconclusive") +
         "</div>\n";
}

// Fairness: selection rate, TPR and FPR per group (group sizes in the labels, the overall as a
// reference line), and each gated disparity against its bound.
std::string fairness_section(const ResultDoc& d) {
  const ojson* groups = member(d.extra, "groups");
  if (!groups || !groups->is_array() || groups->empty()) return {};
  std::string h = "<div class=\"charts\">";
  for (const char* rate : {"selection_rate", "tpr", "fpr"}) {
    std::vector<std::string> cats;
    std::vector<bool> ungated;
    BarSeries se{rate, {}};
    for (const auto& g : *groups) {
      const ojson* gr = member(g, "group");
      const ojson* n = member(g, "n");
      const ojson* gated = member(g, "gated");
      cats.push_back(slice_text(gr ? *gr : ojson()) +
                     (n && n->is_number() ? " (n=" + f(n->get<double>(), 12) + ")" : ""));
      ungated.push_back(gated && gated->is_boolean() && !gated->get<bool>());
      se.values.push_back(number_in(g, "metrics", rate).value_or(std::nan("")));
    }
    auto overall = number_in(d.metrics, "overall", rate);
    h += figure(bar_chart(std::string(rate) + " by group", rate, cats, {se}, ungated, overall,
                          overall ? "overall " + f(*overall, 3) : ""),
                html_escape(rate) +
                    " per group; the dashed line is the overall; pale bars are "
                    "groups below min_group_size (reported, not gated)");
  }
  // Disparities with a bound: the value against the bound.
  std::vector<std::string> cats;
  BarSeries vals{"disparity", {}}, bounds{"bound", {}};
  for (const auto& c : d.checks)
    if (c.value && c.threshold && c.id.find("regression") == std::string::npos) {
      cats.push_back(c.id);
      vals.values.push_back(*c.value);
      bounds.values.push_back(*c.threshold);
    }
  if (!cats.empty())
    h += figure(bar_chart("Disparities against their bounds", "value", cats, {vals, bounds}),
                "Each gated disparity beside the bound the policy sets (ratios must stay above "
                "theirs, differences below)");
  return h + "</div>\n";
}

// Datatest: each drift check's reference and current histograms over the bins it recorded.
std::string datatest_section(const ResultDoc& d) {
  std::string h;
  for (const auto& c : d.checks) {
    const ojson* bins = member(c.extra, "bins");
    if (!bins) continue;
    const ojson* labels = member(*bins, "labels");
    const ojson* ref = member(*bins, "reference");
    const ojson* cur = member(*bins, "current");
    if (!labels || !ref || !cur || !labels->is_array() || !ref->is_array() || !cur->is_array())
      continue;
    std::vector<std::string> cats;
    BarSeries r{"reference", {}}, k{"current", {}};
    for (std::size_t i = 0; i < labels->size() && i < ref->size() && i < cur->size(); ++i) {
      cats.push_back((*labels)[i].is_string() ? (*labels)[i].get<std::string>() : "?");
      r.values.push_back((*ref)[i].is_number() ? (*ref)[i].get<double>() : std::nan(""));
      k.values.push_back((*cur)[i].is_number() ? (*cur)[i].get<double>() : std::nan(""));
    }
    std::string stat = c.method + " " + (c.value ? f(*c.value, 4) : "—");
    if (c.p_value) stat += ", p-value " + f(*c.p_value, 4);
    if (c.threshold) stat += ", threshold " + f(*c.threshold, 4);
    h += figure(bar_chart(c.id, "share of rows", cats, {r, k}),
                html_escape(c.id) + ": " + html_escape(stat) + " — " + status_name(c.status));
  }
  return h.empty() ? h : "<div class=\"charts\">" + h + "</div>\n";
}

std::string check_row(const Ref& r) {
  const Check& c = *r.check;
  return "<tr class=\"r-" + std::string(status_name(c.status)) + "\"><td>" + status_name(c.status) +
         "</td><td><code>" + html_escape(c.id) + "</code><br><span class=\"muted\">" +
         html_escape(r.doc->doc.tool) + "</span></td><td class=\"num\">" +
         html_escape(value_text(c)) + "</td><td class=\"num\">" + html_escape(num(c.baseline)) +
         "</td><td class=\"num\">" + html_escape(num(c.delta)) + "</td><td class=\"num\">" +
         html_escape(interval(c)) + "</td><td class=\"num\">" + html_escape(bound_text(c)) +
         "</td><td>" + html_escape(c.verdict) + "</td><td>" + html_escape(c.message) +
         "</td></tr>\n";
}

const char* kCheckHead =
    "<table class=\"wide checks\"><thead><tr><th>Status</th><th>Check</th><th>Candidate</th>"
    "<th>Production</th><th>Change</th><th>Interval</th><th>Bound</th><th>Verdict</th>"
    "<th>Message</th></tr></thead><tbody>\n";

// Where each document came from: commit, time, tool version, inputs and their hashes.
std::string footer(const std::vector<LoadedDoc>& docs) {
  std::string h =
      "<footer><table class=\"provenance\"><thead><tr><th>Document</th><th>Tool</th>"
      "<th>Commit</th><th>Created</th><th>Inputs (sha256)</th></tr></thead><tbody>";
  for (const auto& d : docs) {
    auto text = [&](const char* key) {
      const ojson* v = member(d.doc.provenance, key);
      return v && v->is_string() ? v->get<std::string>() : std::string("—");
    };
    std::string inputs;
    for (auto it = d.doc.inputs.begin(); it != d.doc.inputs.end(); ++it) {
      const ojson* path = member(it.value(), "path");
      const ojson* sha = member(it.value(), "sha256");
      if (!path || !path->is_string()) continue;
      inputs += "<code>" + html_escape(it.key()) + "</code> " +
                html_escape(path->get<std::string>()) +
                (sha && sha->is_string()
                     ? " <code>" + html_escape(sha->get<std::string>().substr(0, 12)) + "</code>"
                     : "") +
                "<br>";
    }
    h += "<tr><td>" + html_escape(d.path) + "</td><td>" +
         html_escape(d.doc.tool + " " + d.doc.version) + "</td><td><code>" +
         html_escape(text("git_sha").substr(0, 12)) + "</code></td><td>" +
         html_escape(text("created")) + "</td><td>" + inputs + "</td></tr>";
  }
  return h + "</tbody></table><p>Made by mlgate " + std::string(MLGATE_VERSION) +
         ". No scripts, nothing external.</p></footer>\n";
}

}  // namespace

void write_html_report(const std::vector<LoadedDoc>& docs, const std::string& dir) {
  ::mkdir(dir.c_str(), 0755);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error("cannot create the report folder", dir,
                "check that its parent exists and is writable");
  const Status status = combined_status(docs);
  const std::vector<Ref> checks = unique_checks(docs);
  const Counts n = count(checks);
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mlgate report: " +
      std::string(status_name(status)) +
      "</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<link rel=\"stylesheet\" href=\"style.css\"></head><body>\n";
  h += "<h1>mlgate <span class=\"verdict s-" + std::string(status_name(status)) + "\">" +
       status_name(status) + "</span></h1>\n";
  h += "<p class=\"summary\">" + std::to_string(n.checks) + " checks: " + std::to_string(n.passed) +
       " passed, " + std::to_string(n.failed) + " failed, " + std::to_string(n.warned) +
       " warned, " + std::to_string(n.errors) + " errors, from " + std::to_string(docs.size()) +
       " documents</p>\n";
  std::string decided, passed;
  for (const auto& r : checks)
    (r.check->status == Status::kPass ? passed : decided) += check_row(r);
  if (!decided.empty())
    h += "<h2>What decided it</h2>\n" + std::string(kCheckHead) + decided + "</tbody></table>\n";
  if (!passed.empty())
    h += "<details><summary>Checks that passed</summary>\n" + std::string(kCheckHead) + passed +
         "</tbody></table></details>\n";
  for (const auto& d : docs) {
    const std::string sect = forest_section(d.doc) + curves_section(d.doc) +
                             confusion_section(d.doc) + slices_section(d.doc) +
                             fairness_section(d.doc) + datatest_section(d.doc);
    if (!sect.empty())
      h += "<h2>" + html_escape(doc_label(d)) + " <span class=\"verdict s-" +
           status_name(d.doc.status()) + "\">" + status_name(d.doc.status()) + "</span></h2>\n" +
           sect;
  }
  h += footer(docs) + "</body></html>\n";
  write_file_atomic(dir + "/style.css", kStyle);
  write_file_atomic(dir + "/index.html", h);
}

}  // namespace mlgate
