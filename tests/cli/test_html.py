"""The HTML report rendered in a real browser (Debian's headless Chromium): the demo's four
documents, a regression evaluation and the hostile fixtures. Chromium loads each page, its
serialised DOM is checked (every chart has axes with tick labels and titles, bar heights are
proportional to their values, the forest plot's bound lines sit at their bounds, a confusion
matrix and a provenance footer are there) and a screenshot is taken; the page has no script, no
inline style and nothing external (Jenkins' default Content-Security-Policy)."""
import os
import random
import re
import shutil
import subprocess
import tempfile
import unittest
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "oracle"))
from oracle_common import BIN, write  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
EX = os.path.join(ROOT, "examples")
DATA = os.path.join(HERE, "data")
SVG = "{http://www.w3.org/2000/svg}"
CHROMIUM = shutil.which("chromium")


def tool(name):
    return os.path.join(os.environ.get("MLGATE_BIN_DIR", BIN), name)


def chromium(args, tmp):
    profile = tempfile.mkdtemp(dir=tmp)
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


def svgs(dom):
    """Every <svg> of the DOM Chromium serialised, parsed as XML."""
    out = []
    for m in re.finditer(r"<svg\b.*?</svg>", dom, re.S):
        text = m.group(0)
        if "xmlns=" not in text.split(">", 1)[0]:
            text = text.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
        out.append(ET.fromstring(text))
    return out


class Html(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not CHROMIUM:
            raise unittest.SkipTest("chromium is missing: run scripts/deps.sh test")
        cls.dir = tempfile.TemporaryDirectory()
        d = cls.dir.name
        # The demo's documents (examples/run_demo.sh writes them and the report).
        subprocess.run([os.path.join(EX, "run_demo.sh"), os.path.dirname(tool("mlgate-eval")), f"{d}/demo"],
                       capture_output=True, text=True)
        # A regression with slices whose RMSE is far above 1 (the old bars were clamped to 1).
        rng = random.Random(3)
        rows = ["label,score,segment"]
        for i in range(900):
            seg = ["a", "b", "c"][i % 3]
            noise = {"a": 3.0, "b": 6.0, "c": 9.0}[seg]
            y = rng.uniform(0, 100)
            rows.append(f"{y:.3f},{y + rng.gauss(0, noise):.3f},{seg}")
        write(f"{d}/reg.csv", "\n".join(rows) + "\n")
        subprocess.run([tool("mlgate-eval"), "--data", f"{d}/reg.csv", "--task", "regression", "--slice-col", "segment",
                        "-o", f"{d}/reg.json"], check=True, capture_output=True)
        rows = ["label,pred"] + [f"{'abc'[i % 3]},{'abc'[(i * 7) % 5 % 3]}" for i in range(300)]
        write(f"{d}/mc.csv", "\n".join(rows) + "\n")
        subprocess.run([tool("mlgate-eval"), "--data", f"{d}/mc.csv", "--task", "multiclass", "--pred-col", "pred",
                        "-o", f"{d}/mc.json"], check=True, capture_output=True)
        cls.pages = {}
        cases = {
            "demo": [f"{d}/demo/{n}.json" for n in ("candidate.eval", "compare", "fairness", "datatest")],
            "regression": [f"{d}/reg.json"],
            "multiclass": [f"{d}/mc.json"],
            "hostile": [os.path.join(DATA, "report_hostile.json"), os.path.join(DATA, "report_fairness.json")],
        }
        for name, docs in cases.items():
            out = f"{d}/{name}"
            p = subprocess.run([tool("mlgate-report"), *docs, "--html", out], capture_output=True, text=True)
            assert p.returncode in (0, 1, 2) and os.path.exists(f"{out}/index.html"), p.stderr
            dom = chromium(["--dump-dom", f"file://{out}/index.html"], d)
            shot = chromium(["--window-size=1280,4000", f"--screenshot={out}/shot.png", f"file://{out}/index.html"], d)
            with open(f"{out}/index.html", encoding="utf-8") as fh:
                html = fh.read()
            cls.pages[name] = {"html": html, "dom": dom.stdout,
                               "shot": f"{out}/shot.png", "shot_rc": shot.returncode}

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_rendered_with_a_screenshot(self):
        for name, p in self.pages.items():
            self.assertIn("<h1>", p["dom"], name)  # Chromium parsed and serialised the page
            self.assertEqual(p["shot_rc"], 0, name)
            with open(p["shot"], "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", name)
            self.assertGreater(os.path.getsize(p["shot"]), 20000, name)

    def test_every_chart_has_axes_with_ticks_and_titles(self):
        for name, p in self.pages.items():
            charts = svgs(p["dom"])
            self.assertTrue(charts or name == "multiclass", name)  # (a multiclass page: its matrix)
            for svg in charts:
                label = svg.get("aria-label")
                y = svg.find(f"{SVG}g[@class='y-axis']")
                x = svg.find(f"{SVG}g[@class='x-axis']")
                self.assertIsNotNone(y, label)
                self.assertIsNotNone(x, label)
                if "forest" in svg.get("class"):  # one row per check: the checks label the y axis
                    yticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "tick row-label"]
                    self.assertGreaterEqual(len(yticks), 1, label)
                else:
                    yticks = [t.text for t in y.iter(f"{SVG}text") if t.get("class") == "tick"]
                    self.assertGreaterEqual(len(yticks), 2, label)
                    for t in yticks:
                        float(t)  # tick labels are numbers
                xticks = [t for t in svg.iter(f"{SVG}text") if (t.get("class") or "").startswith("tick")]
                self.assertGreater(len(xticks), len(yticks), label)  # the x axis is labelled too
                titles = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "axis-title"]
                if "bars" not in svg.get("class") and "forest" not in svg.get("class"):
                    self.assertTrue(all(titles) and len(titles) == 2, (label, titles))

    def test_bar_heights_are_proportional_to_their_values(self):
        seen = 0
        for name, p in self.pages.items():
            for svg in svgs(p["dom"]):
                bars = [r for r in svg.iter(f"{SVG}rect") if "bar" in (r.get("class") or "").split()]
                ratios = [float(r.get("height")) / abs(float(r.get("data-value")))
                          for r in bars if abs(float(r.get("data-value"))) > 1e-9]
                if len(ratios) >= 2:
                    seen += 1
                    for r in ratios:
                        self.assertAlmostEqual(r / ratios[0], 1, delta=0.02, msg=svg.get("aria-label"))
        self.assertGreater(seen, 5)
        # Regression: RMSE per segment near 3, 6 and 9 draws at three heights, not one clamped.
        rmse = [svg for svg in svgs(self.pages["regression"]["dom"]) if "rmse" in svg.get("aria-label")]
        self.assertTrue(rmse)
        heights = sorted(float(r.get("height")) for r in rmse[0].iter(f"{SVG}rect")
                         if "bar" in (r.get("class") or "").split())
        self.assertEqual(len(heights), 3)
        self.assertGreater(heights[2], heights[1] * 1.2)
        self.assertGreater(heights[1], heights[0] * 1.2)

    def test_forest_bound_lines_sit_at_their_bounds(self):
        forests = [s for s in svgs(self.pages["demo"]["dom"]) if "forest" in s.get("class")]
        self.assertEqual(len(forests), 1)
        f = forests[0]
        # The x scale from two tick labels and their tick marks' positions.
        ticks = [(float(t.text), float(t.get("x"))) for t in f.find(f"{SVG}g[@class='x-axis']").iter(f"{SVG}text")
                 if t.get("class") == "tick"]
        (v0, x0), (v1, x1) = ticks[0], ticks[-1]
        scale = lambda v: x0 + (x1 - x0) * (v - v0) / (v1 - v0)  # noqa: E731
        bounds = [l for l in f.iter(f"{SVG}line") if l.get("class") == "bound"]
        self.assertGreaterEqual(len(bounds), 5)
        for b in bounds:
            self.assertAlmostEqual(float(b.get("x1")), scale(float(b.get("data-value"))), delta=0.6)
        dots = [c for c in f.iter(f"{SVG}circle") if "estimate" in c.get("class")]
        self.assertEqual(len(dots), len(bounds))
        for c in dots:
            self.assertAlmostEqual(float(c.get("cx")), scale(float(c.get("data-value"))), delta=0.6)
            self.assertIn("v-non_inferior", c.get("class"))

    def test_sections_answer_the_questions(self):
        html = self.pages["demo"]["html"]
        self.assertLess(html.index("What decided it"), html.index("ROC curve"))
        self.assertIn("production (AUC", html)        # production's curve drawn beside the candidate's
        self.assertIn("operating-point", html)
        self.assertIn("prevalence", html)
        self.assertIn('class="confusion"', html)
        self.assertIn("selection_rate by group", html)
        self.assertIn("no_drift.monthly_charges", html)  # a drift histogram
        self.assertIn('class="provenance"', html)
        self.assertRegex(html, r"<code>[0-9a-f]{12}</code>")  # input hashes in the footer

    def test_multiclass_confusion_matrix(self):
        html = self.pages["multiclass"]["html"]
        table = re.search(r'<table class="confusion">(.*?)</table>', html, re.S).group(1)
        self.assertEqual(len(re.findall(r"<tr><th>", table.split("<tbody>")[1])), 3)  # a row per actual class
        self.assertEqual(sum(int(v) for v in re.findall(r'<td class="num cm\d">(\d+)</td>', table)), 300)

    def test_no_script_no_inline_style_nothing_external(self):
        for name, p in self.pages.items():
            html = p["html"]
            self.assertNotRegex(html, r"(?i)<script", name)
            self.assertNotRegex(html, r"(?i)\sstyle\s*=", name)
            self.assertNotRegex(html, r"(?i)\son[a-z]+\s*=", name)
            for url in re.findall(r'(?:href|src)="([^"]*)"', html):
                self.assertEqual(url, "style.css", name)
        # Hostile text stays text.
        dom = self.pages["hostile"]["dom"]
        self.assertNotIn("<script>alert(1)</script>", dom)


if __name__ == "__main__":
    unittest.main(verbosity=2)
