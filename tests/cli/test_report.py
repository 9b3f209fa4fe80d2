"""mlgate-report in every format, with hostile strings from the data: golden files, the JUnit
schema, CI limits, CSP-safe HTML, GitHub environment files and annotations."""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
from html.parser import HTMLParser

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "oracle"))
from oracle_common import tool, write  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
GOLDEN = os.path.join(HERE, "golden", "report")
XSD = os.environ.get("MLGATE_JUNIT_XSD", os.path.join(HERE, "..", "..", "..", "shared", "schemas", "junit-10.xsd"))
DOCS = [os.path.join(DATA, "report_hostile.json"), os.path.join(DATA, "report_fairness.json")]
DOCS_REL = ["report_hostile.json", "report_fairness.json"]  # golden files must not depend on the checkout path


def report(*args, env=None, cwd=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([tool("mlgate-report"), *args], capture_output=True, text=True, env=e, cwd=cwd)


class Formats(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.d = self.dir.name
        p = report(*DOCS_REL, "--markdown", f"{self.d}/r.md", "--junit", f"{self.d}/r.xml", "--html", f"{self.d}/html",
                   "--gitlab-codequality", f"{self.d}/cq.json", "--gitlab-metrics", f"{self.d}/metrics.txt",
                   "--warnings-ng", f"{self.d}/wng.json", "--details-url", "https://ci.example/run/1", cwd=DATA)
        self.proc = p
        self.out = {n: open(f"{self.d}/{n}", encoding="utf-8").read() for n in
                    ("r.md", "r.xml", "cq.json", "metrics.txt", "wng.json")}

    def tearDown(self):
        self.dir.cleanup()

    def test_exit_code_is_the_combined_status(self):
        self.assertEqual(self.proc.returncode, 2, self.proc.stderr)  # one check is an error
        p = report(DOCS[1])
        self.assertEqual(p.returncode, 0)

    def test_golden_files(self):
        for name in ("r.md", "r.xml", "cq.json", "metrics.txt", "wng.json"):
            path = os.path.join(GOLDEN, name)
            if os.environ.get("UPDATE_GOLDEN") == "1":
                write(path, self.out[name])
            self.assertEqual(self.out[name], open(path, encoding="utf-8").read(), name)

    def test_markdown_is_inert(self):
        md = self.out["r.md"]
        self.assertTrue(md.startswith("## 🛑 mlgate: **error**"))
        self.assertIn("<!-- mlgate-report -->", md)
        # Outside code spans (shown as text) nothing is markup.
        prose = re.sub(r"`[^`\n]*`", "", md)
        self.assertNotIn("<script>", prose)
        for block in re.findall(r"```mermaid\n(.*?)```", md, re.S):
            for label in re.findall(r'"([^"\n]*)"', block):
                self.assertNotRegex(label, r"[<>@`\[\]]")
        for summary in re.findall(r"<summary>(.*?)</summary>", md, re.S):
            self.assertNotIn("\n", summary)
            self.assertNotIn("<script", summary)
        self.assertNotIn("@octocat", md)             # a zero-width space follows @, even in code
        self.assertNotIn("](http://evil", prose)     # no link
        self.assertNotIn("http://evil", prose)       # no autolink
        self.assertNotIn("www.evil", prose)
        for line in md.splitlines():
            self.assertFalse(line.startswith("::error"), line)
        # Table rows keep their column count despite | in the data.
        rows = [l for l in md.splitlines() if l.startswith("| ") and "<br>" in l]
        for r in rows:
            self.assertEqual(len(re.findall(r"(?<!\\)\|", r)), 9, r)
        # What decided the verdict comes first, worst first; what passed is folded below it.
        order = [l.split("|")[1].strip() for l in md.splitlines() if l.startswith("| ") and "<br>" in l]
        self.assertEqual(order, ["🛑", "❌", "⚠️"])
        self.assertLess(md.index("What decided it"), md.index("<details>"))
        self.assertIn("could not decide", md.splitlines()[0])

    def test_junit_is_valid_and_escaped(self):
        p = subprocess.run(["xmllint", "--noout", "--schema", XSD, f"{self.d}/r.xml"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        x = self.out["r.xml"]
        self.assertIn('<failure type="inferior"', x)
        self.assertIn("<error ", x)
        self.assertNotIn("<script>", x)

    def test_ci_formats(self):
        cq = json.loads(self.out["cq.json"])
        self.assertEqual({i["severity"] for i in cq}, {"blocker", "critical", "minor"})
        self.assertEqual(len({i["fingerprint"] for i in cq}), len(cq))
        self.assertFalse(self.out["cq.json"].startswith("\ufeff"))
        self.assertTrue(self.out["metrics.txt"].endswith("# EOF\n"))
        for line in self.out["metrics.txt"].splitlines():
            if not line.startswith("#"):
                self.assertRegex(line, r'^[a-z_]+\{([a-z_]+="([^"\\\n]|\\.)*",?)*\} -?[0-9.e+-]+$')
        w = json.loads(self.out["wng.json"])
        self.assertEqual([i["severity"] for i in w["issues"]], ["ERROR", "HIGH", "NORMAL"])

    def test_html_is_csp_safe(self):
        html = open(f"{self.d}/html/index.html", encoding="utf-8").read()
        self.assertTrue(os.path.exists(f"{self.d}/html/style.css"))

        class Audit(HTMLParser):
            bad = []

            def handle_starttag(self, tag, attrs):
                if tag in ("script", "iframe", "object", "embed", "style"):
                    self.bad.append(tag)
                for k, v in attrs:
                    if k == "style" or k.startswith("on") or (v and "javascript:" in v):
                        self.bad.append(f"{tag}[{k}]")
                    if k in ("src", "href") and v and v != "style.css":
                        self.bad.append(f"{tag}[{k}={v}]")

        a = Audit()
        a.feed(html)
        self.assertEqual(a.bad, [])
        self.assertIn("<svg", html)
        self.assertIn("&lt;script&gt;", html)

    def test_github(self):
        summary, output = f"{self.d}/summary.md", f"{self.d}/output.txt"
        write(summary, "previous step\n")
        p = report(*DOCS, "--github", env={"GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": output})
        self.assertEqual(p.returncode, 2)
        s = open(summary, encoding="utf-8").read()
        self.assertTrue(s.startswith("previous step\n## 🛑"))
        out = open(output, encoding="utf-8").read()
        m = re.search(r"^report<<(\S+)\n(.*)\n\1\n", out, re.S | re.M)
        self.assertIsNotNone(m, out)
        self.assertIn("status=error\npassed=2\nfailed=1\n", out)
        ann = [l for l in p.stdout.splitlines() if l.startswith("::")]
        self.assertEqual([a.split(" ")[0] for a in ann], ["::error", "::error", "::warning"])
        # The data's newline is escaped, so it cannot start another workflow command.
        self.assertIn("%0A::error::injected", p.stdout)
        self.assertFalse(any(l.startswith("::error::injected") for l in p.stdout.splitlines()))

    def test_three_thousand_checks_stay_within_limits(self):
        doc = json.load(open(DOCS[0]))
        base = doc["checks"]
        doc["checks"] = []
        for i in range(3000):
            c = dict(base[i % 4])
            c["id"] = f"{c['id']}#{i}"
            doc["checks"].append(c)
        big = f"{self.d}/big.json"
        write(big, json.dumps(doc))
        summary, output = f"{self.d}/s.md", f"{self.d}/o.txt"
        p = report(big, "--markdown", f"{self.d}/big.md", "--junit", f"{self.d}/big.xml", "--github",
                   "--details-url", "https://ci.example/full", env={"GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": output})
        md = open(f"{self.d}/big.md", encoding="utf-8").read()
        self.assertLessEqual(len(md), 65536)
        self.assertIn("Report truncated", md)
        self.assertIn("(https://ci.example/full)", md)
        self.assertTrue(md.rstrip().endswith("<!-- mlgate-report -->"))
        self.assertLess(os.path.getsize(summary), 1 << 20)
        self.assertEqual(len([l for l in p.stdout.splitlines() if l.startswith("::error")]), 10)
        self.assertEqual(len([l for l in p.stdout.splitlines() if l.startswith("::warning")]), 10)
        v = subprocess.run(["xmllint", "--noout", "--schema", XSD, f"{self.d}/big.xml"], capture_output=True, text=True)
        self.assertEqual(v.returncode, 0, v.stderr[:500])

    def test_bad_documents_are_errors(self):
        for name, words in (("report_broken.json", "not valid JSON"), ("report_newer.json", "unsupported schema version"),
                            ("nope.json", "cannot open")):
            p = report(os.path.join(DATA, name), "--markdown", f"{self.d}/x.md")
            self.assertEqual(p.returncode, 2, name)
            self.assertIn(words, p.stderr)
            self.assertFalse(os.path.exists(f"{self.d}/x.md"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
