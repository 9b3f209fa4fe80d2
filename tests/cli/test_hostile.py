"""The defects found by attacking mlgate (issue 13), each pinned: hostile strings in every log
line, decisions that must not pass, crashes and hangs, and the smaller promises. Each case here
failed on the code before its fix."""
import glob
import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "oracle"))
from oracle_common import tool, write  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "data")
PY = "/usr/bin/python3"

# Strings a hostile data set carries into slice values, group values and column names.
HOSTILE = ["eu\n::error::pwned", "x\r\n::add-mask::secret", "\x1b[31mred\x1b[0m", "##vso[task.setvariable variable=x]1",
           "\x1b[0Ksection_start:1:evil\r\x1b[0K", "bel\x07nul", "bidi\u202eevil", "line\u2028sep", "\xff\xfe"]


def hostile_csv(path, label_col="label"):
    rows = [f"id,{label_col},score,region"]
    rng = random.Random(3)
    for i in range(400):
        region = HOSTILE[i % len(HOSTILE)]
        rows.append(f'{i},{i % 2},{rng.random():.3f},"{region}"')
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("\n".join(rows) + "\n")


class Hostile(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.d, name)

    def run_tool(self, name, *args, want=None, env=None, timeout=120, cwd=None):
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.run([tool(name), *map(str, args)], capture_output=True, timeout=timeout, env=e,
                           cwd=cwd or self.d)
        if want is not None:
            self.assertEqual(p.returncode, want, f"{name} {args}: exit {p.returncode}\n"
                             + p.stderr.decode("utf-8", "replace")[-3000:])
        return p

    def assertInertLog(self, raw):
        """No control byte but newline, valid UTF-8, no line that is a CI command, bounded lines."""
        text = raw.decode("utf-8")  # raises on invalid UTF-8
        for line in text.split("\n"):
            self.assertIsNone(re.search(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u2028\u2029\u202a-\u202e]", line), repr(line))
            self.assertFalse(line.lstrip().startswith("::"), repr(line))
            self.assertNotIn("##vso[", line)
            self.assertLess(len(line), 5000)

    # 2. Data injects CI commands through stderr ---------------------------------------------

    def test_data_cannot_command_the_ci_log(self):
        data = self.path("h.csv")
        hostile_csv(data)
        policy = self.path("p.yaml")
        write(policy, "version: 1\nslices: {columns: [region], min_size: 1, metrics: {accuracy: {min: 0.99}}}\n"
                      "metrics: {accuracy: {min: 0.99}}\n"
                      "fairness: {min_group_size: 1, metrics: {demographic_parity_difference: {max: 0.0}}}\n")
        p = self.run_tool("mlgate-eval", "--data", data, "--slice-col", "region", "--policy", policy, "-o", "e.json")
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"accuracy.min[region=eu\\n:", p.stderr)  # the value is shown, escaped
        self.assertInertLog(p.stderr)
        cmp_policy = self.path("c.yaml")
        write(cmp_policy, "version: 1\nslices: {columns: [region], min_size: 1}\n"
                          "metrics: {roc_auc: {max_regression: 0.0}}\n")
        p = self.run_tool("mlgate-compare", "--candidate", data, "--baseline", data, "--policy", cmp_policy, "-o", "c.json")
        self.assertIn(p.returncode, (0, 1))
        self.assertInertLog(p.stderr)
        p = self.run_tool("mlgate-fairness", "--data", data, "--sensitive-col", "region", "--policy", policy, "-o", "f.json")
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"worst: region=", p.stderr)
        self.assertInertLog(p.stderr)
        # Column names from the data in datatest's lines, and a huge one cut.
        cols = ["a\n::error::x", "\x1b]8;;http://evil\x07link", "##vso[task.complete result=Succeeded]", "n" * 3_000_000]
        tab = self.path("cols.csv")
        with open(tab, "w") as f:
            f.write(",".join('"' + c + '"' for c in cols) + "\n" + ",".join("1" for _ in cols) + "\n")
        suite = self.path("s.json")
        write(suite, json.dumps({"version": 1, "expectations": [
            {"expect": "not_null", "columns": cols},
            {"expect": "columns_exist", "columns": [c + "!" for c in cols]},
            {"expect": "between", "column": cols[0], "min": 5, "max": 6}]}))
        p = self.run_tool("mlgate-datatest", "--data", tab, "--suite", suite, "-o", "d.json")
        self.assertEqual(p.returncode, 1)
        self.assertInertLog(p.stderr)
        self.assertLess(len(p.stderr), 100_000)
        # An error line that quotes data is escaped and cut too.
        p = self.run_tool("mlgate-eval", "--data", tab, want=2)
        self.assertInertLog(p.stderr)
        self.assertLess(len(p.stderr), 10_000)

    def test_github_annotation_titles_are_inert(self):
        doc = {"schema": "mlgate.result/v1", "tool": {"name": "mlgate-eval", "version": "0.1.0"}, "status": "fail",
               "checks": [{"id": "a\x1b[31m\x07\x00b\n::error::x", "status": "fail", "message": "m\x1b\x07"}]}
        path = self.path("doc.json")
        write(path, json.dumps(doc))
        p = self.run_tool("mlgate-report", path, "--github", env={"GITHUB_STEP_SUMMARY": self.path("sum.md"),
                                                                  "GITHUB_OUTPUT": self.path("out.txt")})
        self.assertEqual(p.returncode, 1)
        lines = p.stdout.decode().splitlines()
        self.assertTrue(lines and all(l.startswith(("::error", "::warning")) for l in lines), lines)
        self.assertIsNone(re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", p.stdout))

    # 5, 6. Drift that must not pass ------------------------------------------------------------

    def datatest(self, ref, cur, method="chi2", want=None):
        write(self.path("r.csv"), "x\n" + "\n".join(map(str, ref)) + "\n")
        write(self.path("c.csv"), "x\n" + "\n".join(map(str, cur)) + "\n")
        write(self.path("s.yaml"), f"version: 1\nexpectations:\n  - {{expect: no_drift, columns: [x], method: {method}}}\n")
        p = self.run_tool("mlgate-datatest", "--data", "c.csv", "--reference", "r.csv", "--suite", "s.yaml",
                          "-o", "o.json", want=want)
        return {c["id"]: c for c in json.load(open(self.path("o.json")))["checks"]}

    def test_drift_with_no_overlap_is_drift(self):
        checks = self.datatest([1, 2, 3], [7, 8, 9], want=1)
        c = checks["no_drift.x"]
        self.assertEqual((c["status"], c["p_value"]), ("fail", 0.0))
        self.assertTrue(c["drift"])

    def test_unseen_numbers_are_not_dropped(self):
        # Evidently reports drift (p = 0) for reference [1,2,3] vs current [5,8,3]: the unseen values count.
        checks = self.datatest([1, 2, 3], [5, 8, 3], want=1)
        u = checks["no_drift.x.unseen"]
        self.assertEqual((u["status"], u["unexpected_count"]), ("fail", 2))
        self.assertEqual(sorted(u["unexpected_examples"]), ["5", "8"])

    # 9, 10, 11. Policies ----------------------------------------------------------------------

    def test_policy_ambiguities_are_errors(self):
        good = os.path.join(DATA, "good.csv")
        write(self.path("dup.json"), '{"version":1,"metrics":{"roc_auc":{"min":0.99},"roc_auc":{"min":0.1}}}')
        p = self.run_tool("mlgate-eval", "--data", good, "--policy", "dup.json", want=2)
        self.assertIn(b'/metrics/roc_auc: duplicate key "roc_auc"', p.stderr)
        write(self.path("dup_suite.json"), '{"version":1,"expectations":[{"expect":"not_null","column":"a","column":"b"}]}')
        p = self.run_tool("mlgate-datatest", "--data", good, "--suite", "dup_suite.json", want=2)
        self.assertIn(b"duplicate key", p.stderr)
        write(self.path("two.yaml"), "version: 1\nmetrics: {roc_auc: {min: 0.1}}\n---\nversion: 1\nmetrics: {roc_auc: {min: 0.99}}\n")
        p = self.run_tool("mlgate-eval", "--data", good, "--policy", "two.yaml", want=2)
        self.assertIn(b"two.yaml:4: a second YAML document", p.stderr)
        # Malformed YAML on which yaml-cpp's LoadAll loops for ever (found by the fuzzer).
        for text in ("!ua,", ",v1"):
            write(self.path("loop.yaml"), text)
            self.run_tool("mlgate-eval", "--data", good, "--policy", "loop.yaml", want=2, timeout=30)
        write(self.path("delong.yaml"), "version: 1\ncolumns: {id: id}\nstatistics: {method: delong, bootstrap_samples: 200}\n"
                                        "metrics: {log_loss: {max_regression: 5, confidence: 0.9}}\n")
        p = self.run_tool("mlgate-compare", "--candidate", os.path.join(DATA, "pair_cand.csv"), "--baseline",
                          os.path.join(DATA, "pair_base.csv"), "--policy", "delong.yaml", "-o", "c.json")
        self.assertIn(b"DeLong's test applies to roc_auc only: log_loss.regression is decided on the paired bootstrap", p.stderr)
        doc = json.load(open(self.path("c.json")))
        self.assertEqual(doc["checks"][0]["method"], "bootstrap")
        self.assertTrue(any("log_loss.regression" in w for w in doc["warnings"]))

    def test_fairness_warn_severity_with_confidence(self):
        rng = random.Random(5)
        rows = ["id,label,score,sex"]
        base = ["id,label,score,sex"]
        for i in range(600):
            sex = "F" if i % 2 else "M"
            y = rng.random() < 0.5
            rows.append(f"{i},{int(y)},{(0.9 if sex == 'F' else 0.1):.2f},{sex}")
            base.append(f"{i},{int(y)},{rng.random():.2f},{sex}")
        write(self.path("cand.csv"), "\n".join(rows) + "\n")
        write(self.path("base.csv"), "\n".join(base) + "\n")
        policy = ("version: 1\nstatistics: {bootstrap_samples: 200}\nfairness:\n  metrics:\n"
                  "    demographic_parity_difference: {max_regression: 0.01, severity: warn%s}\n")
        for extra in ("", ", confidence: 0.95"):
            write(self.path("p.yaml"), policy % extra)
            p = self.run_tool("mlgate-fairness", "--data", "cand.csv", "--baseline", "base.csv", "--sensitive-col", "sex",
                              "--policy", "p.yaml", "-o", "f.json", want=0)
            c = [c for c in json.load(open(self.path("f.json")))["checks"] if c["id"].endswith(".regression")][0]
            self.assertEqual(c["status"], "warn", (extra, c))

    def test_delong_of_identical_curves(self):
        write(self.path("p.yaml"), "version: 1\nmetrics: {roc_auc: {max_regression: 0.01, confidence: 0.95}}\n")
        cand = os.path.join(DATA, "pair_cand.csv")
        self.run_tool("mlgate-compare", "--candidate", cand, "--baseline", cand, "--policy", "p.yaml", "-o", "c.json")
        dl = json.load(open(self.path("c.json")))["checks"][0]["delong"]
        self.assertEqual((dl["z"], dl["p_two_sided"]), (0.0, 1.0))

    # 12. One column, two roles ----------------------------------------------------------------

    def test_one_column_in_two_roles(self):
        good, fair = os.path.join(DATA, "good.csv"), os.path.join(DATA, "fair.csv")
        write(self.path("id.yaml"), "version: 1\ncolumns: {id: id}\nmetrics: {roc_auc: {max_regression: 0.5}}\n")
        write(self.path("sl.yaml"), "version: 1\nslices: {columns: [label], min_size: 1, metrics: {roc_auc: {min: 0.1}}}\n")
        cases = [
            (["mlgate-eval", "--data", good, "--slice-col", "label"], 0),
            (["mlgate-eval", "--data", good, "--policy", "sl.yaml"], 2),  # roc_auc undefined per label slice
            (["mlgate-eval", "--data", good, "--slice-col", "region", "--slice-col", "region"], 0),
            (["mlgate-fairness", "--data", fair, "--sensitive-col", "label"], 0),
            (["mlgate-fairness", "--data", fair, "--sensitive-col", "sex", "--sensitive-col", "sex"], 2),
            (["mlgate-fairness", "--data", fair, "--sensitive-col", "id"], 0),
            (["mlgate-compare", "--candidate", os.path.join(DATA, "pair_cand.csv"), "--baseline",
              os.path.join(DATA, "pair_base.csv"), "--policy", "id.yaml", "--slice-col", "id"], 0),
            (["mlgate-eval", "--data", good, "--task", "regression", "--slice-col", "label"], 2),
        ]
        for args, want in cases:
            p = self.run_tool(*args, "-o", "out.json", want=want)
            if want == 0:
                doc = json.load(open(self.path("out.json")))
                ids = [c["id"] for c in doc["checks"]]
                self.assertEqual(len(ids), len(set(ids)), args)
        # The label as a slice gives each label's rows, not an empty slice.
        self.run_tool("mlgate-eval", "--data", good, "--slice-col", "label", "-o", "out.json", want=0)
        slices = json.load(open(self.path("out.json")))["metrics"]["slices"]
        self.assertEqual(sorted(s["n"] for s in slices), [4, 4])
        p = self.run_tool("mlgate-eval", "--data", good, "--task", "regression", "--slice-col", "label", want=2)
        self.assertIn(b"named for two roles that read it differently", p.stderr)

    # 13, 14. Documents ------------------------------------------------------------------------

    def test_deep_json_is_a_clear_error(self):
        deep = '{"a":' * 10000 + "1" + "}" * 10000
        write(self.path("deep.json"), deep)
        good = os.path.join(DATA, "good.csv")
        for args in (["mlgate-eval", "--data", good, "--policy", "deep.json"],
                     ["mlgate-compare", "--candidate", good, "--baseline", good, "--policy", "deep.json"],
                     ["mlgate-fairness", "--data", os.path.join(DATA, "fair.csv"), "--sensitive-col", "sex", "--policy", "deep.json"],
                     ["mlgate-datatest", "--data", good, "--suite", "deep.json"],
                     ["mlgate-report", "deep.json"]):
            p = self.run_tool(*args, want=2)
            self.assertIn(b"deep.json:1:641: JSON nested deeper than 128 levels", p.stderr)
        doc = {"schema": "mlgate.result/v1", "tool": {"name": "mlgate-eval", "version": "0.1.0"}, "status": "pass",
               "summary": {"checks": 1, "passed": 1, "failed": 0, "warned": 0, "errors": 0},
               "checks": [{"id": "x", "status": "pass"}]}
        text = json.dumps(doc)[:-1] + ', "inputs": {"deep": ' + "[" * 100000 + "]" * 100000 + "}}"
        write(self.path("deepdoc.json"), text)
        p = self.run_tool("mlgate-report", "deepdoc.json", want=2, timeout=60)
        self.assertIn(b"nested deeper", p.stderr)
        p = self.run_tool("mlgate-promote", "--model", "m", "--version", "1", "--stage", "s", "--evidence",
                          "deepdoc.json", "--registry", "file", want=2, timeout=60)
        self.assertIn(b"nested deeper", p.stderr)
        write(self.path("mlgate-registry.json"), '{"models":' + "[" * 100000 + "]" * 100000 + "}")
        write(self.path("ok.json"), json.dumps(doc))
        p = self.run_tool("mlgate-promote", "--model", "m", "--version", "1", "--stage", "s", "--evidence",
                          "ok.json", "--registry", "file", want=2, timeout=60)
        self.assertIn(b"registry is not valid JSON", p.stderr)

    def test_documents_with_missing_or_mistyped_fields(self):
        base = {"schema": "mlgate.result/v1", "checks": []}
        outs = ["--markdown", "r.md", "--html", "h", "--junit", "j.xml", "--gitlab-codequality", "cq.json",
                "--gitlab-metrics", "m.txt", "--warnings-ng", "w.json", "-o", "all.json"]
        # Fields that may be absent: a report still comes out.
        fine = [dict(base, drift={}),
                dict(base, metrics={"overall": {"roc_auc": 0.9}, "slices": [{"slice": {"r": "a"}, "metrics": {"accuracy": 1}},
                                                                             {"slice": {"r": "b"}, "metrics": {}}]}),
                dict(base, groups=[{"group": {"s": "F"}, "metrics": {"tpr": 1}},
                                   {"group": {"s": "M"}, "gated": False, "metrics": {"selection_rate": 0.5}}])]
        for i, doc in enumerate(fine):
            write(self.path(f"fine{i}.json"), json.dumps(doc))
            p = self.run_tool("mlgate-report", f"fine{i}.json", *outs, want=0)
        # Wrongly typed fields: one located error each, never an internal error.
        bad = [(dict(base, drift=[]), "/drift"),
               (dict(base, drift={"share": "x"}), "/drift/share"),
               (dict(base, metrics={"overall": []}), "/metrics/overall"),
               (dict(base, metrics={"overall": {"roc_auc": "high"}}), "/metrics/overall/roc_auc"),
               (dict(base, metrics={"overall": {}, "slices": {}}), "/metrics/slices"),
               (dict(base, metrics={"overall": {}, "curves": {"roc": [[0, "a"]]}}), "/metrics/curves/roc/0/1"),
               (dict(base, groups={}), "/groups"),
               (dict(base, groups=[{"metrics": {"selection_rate": "a"}}]), "/groups/0/metrics/selection_rate"),
               (dict(base, disparities={"x": []}), "/disparities/x"),
               (dict(base, warnings=[1]), "/warnings/0"),
               (dict(base, metrics={"candidate": {"overall": 3}}), "/metrics/candidate/overall")]
        for i, (doc, ptr) in enumerate(bad):
            write(self.path(f"bad{i}.json"), json.dumps(doc))
            p = self.run_tool("mlgate-report", f"bad{i}.json", *outs, want=2)
            err = p.stderr.decode()
            self.assertIn(f"bad{i}.json: {ptr}: ", err)
            self.assertNotIn("internal error", err)

    # 15, 16, 17. Model commands -----------------------------------------------------------------

    def test_model_daemon_and_timeouts(self):
        features = os.path.join(DATA, "features.csv")
        marker = f"mlgate-daemon-{os.getpid()}"
        write(self.path("daemon.sh"), f"""#!/bin/sh
(exec -a {marker} sleep 300) &
setsid sh -c 'exec -a {marker} sleep 300' &
n=0; while IFS= read -r l; do n=$((n+1)); done
i=1; while [ $i -lt $n ]; do echo 0.5; i=$((i+1)); done
""")
        try:
            # The model is done; the daemons holding its stdout are not waited for (a hang fails here
            # by the subprocess timeout), and nothing it started is left running.
            p = self.run_tool("mlgate-eval", "--features", features, "--model-cmd", "/bin/sh daemon.sh",
                              "--model-timeout", "2", "-o", "e.json", want=0, timeout=60)
            left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
            self.assertEqual(left, [], "the model's daemons were left running")
            write(self.path("hang.sh"), f"(exec -a {marker} sleep 300) &\nexec sleep 300\n")
            p = self.run_tool("mlgate-eval", "--features", features, "--model-cmd", "/bin/sh hang.sh",
                              "--model-timeout", "1", want=2, timeout=60)
            self.assertIn(b"ran past its timeout of 1 s", p.stderr)
            for bad in ("inf", "1e300", "nan", "0", "-1"):
                p = self.run_tool("mlgate-eval", "--features", features, "--model-cmd", "/bin/sh daemon.sh",
                                  "--model-timeout", bad, want=2, timeout=60)
                self.assertIn(b"--model-timeout: the model timeout must be more than 0", p.stderr)
        finally:
            subprocess.run(["pkill", "-f", marker])

    def test_model_output_is_bounded(self):
        features = os.path.join(DATA, "features.csv")
        write(self.path("endless.py"), "import sys\nsys.stdin.read()\nwhile True:\n    sys.stdout.write('0.5\\n' * 1000)\n")
        p = self.run_tool("mlgate-eval", "--features", features, "--model-cmd", f"{PY} endless.py", want=2, timeout=60)
        self.assertIn(b"model output: the model printed more lines than its input rows can need (line 71 of its output, for 6 feature rows)", p.stderr)
        write(self.path("wide.py"), "import sys\nsys.stdin.read()\nwhile True:\n    sys.stdout.write('5' * 65536)\n")
        p = self.run_tool("mlgate-eval", "--features", features, "--model-cmd", f"{PY} wide.py", want=2, timeout=60,
                          env={"MLGATE_MEMORY_LIMIT": "1M"})
        self.assertRegex(p.stderr, rb"model output: the model printed more than 524288 bytes \(line 1 of its output\)")

    def test_crlf_model_output(self):
        write(self.path("crlf.py"), "import sys\nrows = sys.stdin.read().splitlines()[1:]\n"
                                    "sys.stdout.write(''.join('0.%d\\r\\n' % (i % 10) for i in range(len(rows))))\n")
        p = self.run_tool("mlgate-eval", "--features", os.path.join(DATA, "features.csv"), "--model-cmd",
                          f"{PY} crlf.py", "-o", "e.json", want=0)
        self.assertEqual(json.load(open(self.path("e.json")))["metrics"]["n"], 6)
        write(self.path("crlf_csv.py"), "import sys\nrows = sys.stdin.read().splitlines()[1:]\n"
                                        "sys.stdout.write('score\\r\\n' + ''.join('0.5\\r\\n' for _ in rows))\n")
        self.run_tool("mlgate-eval", "--features", os.path.join(DATA, "features.csv"), "--model-cmd",
                      f"{PY} crlf_csv.py", "-o", "e.json", want=0)

    # 17. Smaller promises ------------------------------------------------------------------------

    def test_interrupted_runs_leave_nothing_behind(self):
        write(self.path("slow.py"), "import sys, time\nsys.stdin.read()\ntime.sleep(300)\n")
        for sig in (signal.SIGTERM, signal.SIGINT):
            p = subprocess.Popen([tool("mlgate-eval"), "--features", os.path.join(DATA, "features.csv"),
                                  "--model-cmd", f"{PY} slow.py", "-o", "out.json"], cwd=self.d,
                                 stderr=subprocess.PIPE)
            time.sleep(1.0)
            p.send_signal(sig)
            _, err = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 2)
            self.assertIn(b"error: interrupted by SIG", err)
        self.assertEqual(glob.glob(self.path("*.tmp.*")), [])
        left = subprocess.run(["pgrep", "-f", self.path("slow.py")], capture_output=True, text=True).stdout
        self.assertEqual(left, "")
        # A big document being written when SIGTERM arrives leaves no temporary file either.
        rows = ["label,score,region"] + [f"{i % 2},{(i % 997) / 997:.3f},r{i % 20000}" for i in range(200_000)]
        write(self.path("big.csv"), "\n".join(rows) + "\n")
        for delay in (0.3, 0.6, 0.9):
            p = subprocess.Popen([tool("mlgate-eval"), "--data", "big.csv", "--slice-col", "region", "-o", "big.json"],
                                 cwd=self.d, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=60)
            self.assertIn(p.returncode, (0, 2))
            self.assertEqual(glob.glob(self.path("big.json.tmp.*")), [])

    def test_outputs_keep_their_mode(self):
        good = os.path.join(DATA, "good.csv")
        out = self.path("e.json")
        write(out, "{}")
        os.chmod(out, 0o600)
        self.run_tool("mlgate-eval", "--data", good, "-o", out, want=0)
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o600)
        for mask, mode in ((0o077, 0o600), (0o002, 0o664), (0o022, 0o644)):
            old = os.umask(mask)
            try:
                self.run_tool("mlgate-eval", "--data", good, "-o", f"new{mask}.json", want=0)
            finally:
                os.umask(old)
            self.assertEqual(stat.S_IMODE(os.stat(self.path(f"new{mask}.json")).st_mode), mode)

    def test_warnings_are_capped(self):
        rows = ["label,score,region"] + [f"1,0.{i % 9 + 1},r{i}" for i in range(3000)]
        write(self.path("many.csv"), "\n".join(rows) + "\n")
        p = self.run_tool("mlgate-eval", "--data", "many.csv", "--slice-col", "region", "-o", "e.json", want=0)
        warnings = [l for l in p.stderr.decode().splitlines() if l.startswith("warning:")]
        self.assertEqual(len(warnings), 20)
        self.assertRegex(p.stderr.decode(), r"\.\.\. and \d+ more warnings")
        doc = json.load(open(self.path("e.json")))
        self.assertEqual(len(doc["warnings"]), 1001)
        self.assertRegex(doc["warnings"][-1], r"^\d+ more warnings not listed$")

    def test_jsonl_with_trailing_garbage(self):
        write(self.path("t.jsonl"), '{"label":1,"score":0.5}\n{"label":0,"score":0.2} garbage\n')
        p = self.run_tool("mlgate-eval", "--data", "t.jsonl", want=2)
        self.assertIn(b't.jsonl:2: unexpected "garbage" after the JSON object', p.stderr)
        write(self.path("t2.jsonl"), '{"label":1,"score":0.5}{"label":0,"score":0.2}\n')
        p = self.run_tool("mlgate-eval", "--data", "t2.jsonl", want=2)
        self.assertIn(b"t2.jsonl:1: unexpected", p.stderr)

    def test_records_past_256_mib(self):
        big = 257 << 20
        with open(self.path("header.csv"), "wb") as f:
            f.write(b"label,score," + b"h" * big)
        p = self.run_tool("mlgate-eval", "--data", "header.csv", want=2, timeout=300)
        self.assertIn(b"a header longer than 256 MiB", p.stderr)
        with open(self.path("quoted.csv"), "wb") as f:
            f.write(b'label,score,note\n1,0.5,"' + b"q" * big + b'"\n0,0.2,x\n')
        p = self.run_tool("mlgate-eval", "--data", "quoted.csv", want=2, timeout=300)
        self.assertIn(b"a record longer than 256 MiB", p.stderr)
        os.unlink(self.path("header.csv"))
        os.unlink(self.path("quoted.csv"))

    # 18. Binary input ----------------------------------------------------------------------------

    def test_binary_input_is_refused(self):
        cases = {"x.csv": (b"PK\x03\x04\x14\x00" + bytes(100), "a zip archive (or an .xlsx workbook)"),
                 "y.csv": (b"ARROW1\x00\x00" + bytes(64), "an Arrow IPC file"),
                 "z.csv": (b"label,score\n1,0.5\x00\x00\n", "binary data (NUL bytes)")}
        for name, (content, kind) in cases.items():
            with open(self.path(name), "wb") as f:
                f.write(content)
            p = self.run_tool("mlgate-eval", "--data", name, want=2)
            self.assertIn(f"{name}: this looks like {kind}, not a table".encode(), p.stderr)
        # Parquet is read as Parquet now (issue 18): a damaged one is an error naming it, and no
        # suite is written "from 0 rows".
        with open(self.path("x.parquet"), "wb") as f:
            f.write(b"PAR1\x15\x04\x15\x00" + bytes(range(256)))
        p = self.run_tool("mlgate-eval", "--data", "x.parquet", want=2)
        self.assertIn(b"x.parquet: the file is truncated (no PAR1 at its end)", p.stderr)
        p = self.run_tool("mlgate-datatest", "--reference", "x.parquet", "--infer-suite", "suite.yaml", want=2)
        self.assertFalse(os.path.exists(self.path("suite.yaml")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
