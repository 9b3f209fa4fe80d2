"""mlgate-compare's decisions on generated data: the verdicts, exit codes and messages a user
relies on."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "oracle"))
from oracle_common import tool, write  # noqa: E402

BASE_POLICY = """version: 1
task: binary
columns: {{id: id}}
metrics:
{metrics}
slices:
  columns: [region]
  min_size: 50
  metrics:
{slice_metrics}
statistics: {{seed: 1, bootstrap_samples: 1000, on_inconclusive: {inconclusive}}}
missing_baseline: {missing}
"""


def make(n, cand_shift, base_shift, seed, slice_penalty=0.0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.35).astype(int)
    region = rng.choice(["eu", "us", "apac"], n, p=[0.45, 0.4, 0.15])
    common = rng.normal(size=n)
    sign = 2 * y - 1
    cand = common + cand_shift * sign + rng.normal(0, 0.6, n)
    base = common + base_shift * sign + rng.normal(0, 0.6, n)
    cand = np.where(region == "apac", cand - slice_penalty * sign, cand)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    return y, region, sig(cand), sig(base)


class Decisions(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.d = self.dir.name

    def tearDown(self):
        self.dir.cleanup()

    def files(self, y, region, s1, s2):
        ids = [f"r{i}" for i in range(len(y))]
        c = os.path.join(self.d, "cand.csv")
        b = os.path.join(self.d, "base.csv")
        pd.DataFrame({"id": ids, "label": y, "score": s1, "region": region}).to_csv(c, index=False)
        pd.DataFrame({"id": ids, "label": y, "score": s2}).iloc[::-1].to_csv(b, index=False)
        return c, b

    def compare(self, cand, base, metrics="  roc_auc: {max_regression: 0.01, confidence: 0.95}",
                slice_metrics="    roc_auc: {max_regression: 0.02, confidence: 0.95}", inconclusive="fail",
                missing="fail", baseline_arg=True):
        pol = os.path.join(self.d, "policy.yaml")
        write(pol, BASE_POLICY.format(metrics=metrics, slice_metrics=slice_metrics, inconclusive=inconclusive,
                                      missing=missing))
        out = os.path.join(self.d, "out.json")
        args = [tool("mlgate-compare"), "--candidate", cand, "--policy", pol, "-o", out]
        if baseline_arg:
            args += ["--baseline", base]
        p = subprocess.run(args, capture_output=True, text=True)
        doc = None
        if os.path.exists(out):
            with open(out) as f:
                doc = json.load(f)
        if os.path.exists(out):
            os.unlink(out)
        return p, doc

    def by_id(self, doc):
        return {c["id"]: c for c in doc["checks"]}

    def test_clearly_better_candidate_passes(self):
        c, b = self.files(*make(4000, 1.2, 0.6, 1))
        p, doc = self.compare(c, b)
        self.assertEqual(p.returncode, 0, p.stderr)
        chk = self.by_id(doc)["roc_auc.regression"]
        self.assertEqual((chk["status"], chk["verdict"], chk["method"]), ("pass", "non_inferior", "delong"))
        self.assertGreater(chk["delta"], 0)
        self.assertLess(chk["ci"][0], chk["delta"])
        self.assertIn("NON_INFERIOR", p.stderr)

    def test_clearly_worse_candidate_fails_inferior(self):
        c, b = self.files(*make(4000, 0.5, 1.1, 2))
        p, doc = self.compare(c, b)
        self.assertEqual(p.returncode, 1, p.stderr)
        chk = self.by_id(doc)["roc_auc.regression"]
        self.assertEqual((chk["status"], chk["verdict"]), ("fail", "inferior"))
        self.assertLess(chk["ci"][1], chk["threshold"])
        self.assertIn("worse than baseline", chk["message"])
        self.assertEqual(doc["status"], "fail")

    def test_tiny_difference_on_300_rows_is_inconclusive(self):
        c, b = self.files(*make(300, 0.8, 0.8, 3))
        metrics = "  roc_auc: {max_regression: 0.005, confidence: 0.95}"
        p, doc = self.compare(c, b, metrics=metrics, slice_metrics="    accuracy: {min: 0}")
        self.assertEqual(p.returncode, 1, p.stderr)
        chk = self.by_id(doc)["roc_auc.regression"]
        self.assertEqual((chk["status"], chk["verdict"]), ("fail", "inconclusive"))
        self.assertLess(chk["ci"][0], chk["threshold"])
        self.assertGreater(chk["ci"][1], chk["threshold"])
        p, doc = self.compare(c, b, metrics=metrics, slice_metrics="    accuracy: {min: 0}", inconclusive="warn")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.by_id(doc)["roc_auc.regression"]["status"], "warn")

    def test_regression_hidden_in_one_slice_fails(self):
        c, b = self.files(*make(6000, 1.0, 0.8, 4, slice_penalty=0.9))
        p, doc = self.compare(c, b)
        self.assertEqual(p.returncode, 1, p.stderr)
        checks = self.by_id(doc)
        self.assertEqual(checks["roc_auc.regression"]["status"], "pass")
        self.assertEqual(checks["roc_auc.regression[region=apac]"]["verdict"], "inferior")
        self.assertEqual(checks["roc_auc.regression[region=eu]"]["status"], "pass")

    def test_lower_is_better_metrics_and_relative_bounds(self):
        c, b = self.files(*make(4000, 0.5, 1.1, 5))
        metrics = "  log_loss: {max_regression: 0.01, confidence: 0.95}\n  f1: {max_relative_regression: 0.01}"
        p, doc = self.compare(c, b, metrics=metrics, slice_metrics="    accuracy: {min: 0}")
        self.assertEqual(p.returncode, 1, p.stderr)
        ll = self.by_id(doc)["log_loss.regression"]
        self.assertEqual((ll["verdict"], ll["method"]), ("inferior", "bootstrap"))
        self.assertGreater(ll["delta"], 0.01)        # candidate's loss is higher: worse
        self.assertEqual(ll["threshold"], 0.01)     # the bound on delta is +0.01 for a loss
        self.assertGreater(ll["ci"][0], 0.01)
        f1 = self.by_id(doc)["f1.relative_regression"]
        self.assertAlmostEqual(f1["threshold"], -0.01 * abs(f1["baseline"]), places=12)
        self.assertEqual(f1["status"], "fail")

    def test_holm_adjusts_levels(self):
        c, b = self.files(*make(4000, 1.2, 0.6, 6))
        p, doc = self.compare(c, b)
        confident = [c for c in doc["checks"] if c["confidence"]]
        self.assertGreater(len(confident), 1)
        adjusted = sorted(c["confidence_adjusted"] for c in confident)
        k = len(confident)
        self.assertAlmostEqual(adjusted[0], 1 - 0.05 / 1, places=12)
        self.assertAlmostEqual(adjusted[-1], 1 - 0.05 / k, places=12)

    def test_metrics_only_baseline_cannot_back_a_confidence_check(self):
        y, region, s1, s2 = make(2000, 1.0, 0.8, 7)
        c, b = self.files(y, region, s1, s2)
        base_doc = os.path.join(self.d, "baseline.eval.json")
        subprocess.run([tool("mlgate-eval"), "--data", b, "-o", base_doc], check=True, capture_output=True)
        p, doc = self.compare(c, base_doc)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("needs row-level baseline predictions", self.by_id(doc)["roc_auc.regression"]["message"])
        self.assertIn("mlgate-compare: error:", p.stderr)
        p, doc = self.compare(c, base_doc, metrics="  roc_auc: {max_regression: 0.01}", slice_metrics="    accuracy: {min: 0}")
        self.assertEqual(p.returncode, 0, p.stderr)
        chk = self.by_id(doc)["roc_auc.regression"]
        self.assertIsNone(chk["ci"])
        self.assertAlmostEqual(chk["baseline"], doc["metrics"]["baseline"]["overall"]["roc_auc"], places=15)

    def test_missing_baseline(self):
        c, b = self.files(*make(500, 1.0, 0.8, 8))
        p, doc = self.compare(c, b, baseline_arg=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("no baseline", self.by_id(doc)["roc_auc.regression"]["message"])
        p, doc = self.compare(c, os.path.join(self.d, "absent.csv"), missing="warn")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.by_id(doc)["roc_auc.regression"]["status"], "warn")


if __name__ == "__main__":
    unittest.main(verbosity=2)
