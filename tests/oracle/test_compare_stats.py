"""mlgate-compare's statistics against pROC (DeLong), statsmodels (McNemar) and the normal
approximation (bootstrap), plus determinism across runs and thread counts."""
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np
import pandas as pd
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from oracle_common import ParityCase, run_json, write

POLICY_AUC = """version: 1
task: binary
columns: {id: id}
metrics:
  roc_auc: {max_regression: 0.05, confidence: 0.95}
statistics: {multiple_testing: none}
"""


def write_pair(d, y, s1, s2, extra=None):
    ids = np.arange(len(y))
    c = pd.DataFrame({"id": ids, "label": y, "score": s1})
    b = pd.DataFrame({"id": ids, "label": y, "score": s2})
    if extra:
        for k, v in extra.items():
            c[k] = v
            b[k] = v
    cp, bp = os.path.join(d, "cand.csv"), os.path.join(d, "base.csv")
    c.to_csv(cp, index=False, float_format="%.17g")
    # Shuffled: pairing by id must undo it.
    b.sample(frac=1, random_state=3).to_csv(bp, index=False, float_format="%.17g")
    return cp, bp


def proc(y, s1, s2, d):
    f = os.path.join(d, "r.csv")
    pd.DataFrame({"y": y, "s1": s1, "s2": s2}).to_csv(f, index=False, float_format="%.17g")
    script = f"""
suppressMessages(library(pROC))
d <- read.csv("{f}")
r1 <- roc(d$y, d$s1, levels = c(0, 1), direction = "<", quiet = TRUE)
r2 <- roc(d$y, d$s2, levels = c(0, 1), direction = "<", quiet = TRUE)
t <- roc.test(r1, r2, method = "delong", paired = TRUE)
cat(sprintf("%.17g", c(auc(r1), auc(r2), var(r1, method = "delong"), var(r2, method = "delong"),
            cov(r1, r2, method = "delong"), t$statistic, t$p.value)), sep = "\\n")
"""
    out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True).stdout.split()
    return dict(zip(["auc1", "auc2", "var1", "var2", "cov", "z", "p"], map(float, out)))


class DeLongParity(ParityCase):
    def check_pair(self, y, s1, s2):
        with tempfile.TemporaryDirectory() as d:
            cp, bp = write_pair(d, y, s1, s2)
            pol = os.path.join(d, "p.yaml")
            write(pol, POLICY_AUC)
            doc, _ = run_json("mlgate-compare", "--candidate", cp, "--baseline", bp, "--policy", pol, expect=None)
            ref = proc(y, s1, s2, d)
        (c,) = [c for c in doc["checks"] if c["id"] == "roc_auc.regression"]
        dl = c["delong"]
        for ours, theirs in [("auc_candidate", "auc1"), ("auc_baseline", "auc2"), ("var_candidate", "var1"),
                             ("var_baseline", "var2"), ("covariance", "cov"), ("z", "z"), ("p_two_sided", "p")]:
            self.assertClose(dl[ours], ref[theirs], ours, rel=1e-6)
        return doc

    def test_continuous(self):
        rng = np.random.default_rng(11)
        n = 3000
        y = (rng.random(n) < 0.3).astype(int)
        base = rng.normal(size=n) + 0.8 * y
        s1 = base + rng.normal(0, 0.5, n) + 0.2 * y
        s2 = base + rng.normal(0, 0.5, n)
        self.check_pair(y, s1, s2)

    def test_ties(self):
        rng = np.random.default_rng(12)
        n = 2000
        y = (rng.random(n) < 0.4).astype(int)
        s1 = np.round(rng.random(n) * 0.6 + 0.3 * y, 1)
        s2 = np.round(s1 + rng.normal(0, 0.1, n), 1)
        self.check_pair(y, s1, s2)


class McNemarParity(ParityCase):
    def test_statsmodels(self):
        rng = np.random.default_rng(13)
        n = 3000
        y = (rng.random(n) < 0.5).astype(int)
        s1 = np.clip(0.5 + 0.3 * (2 * y - 1) + rng.normal(0, 0.3, n), 0, 1)
        s2 = np.clip(0.5 + 0.25 * (2 * y - 1) + rng.normal(0, 0.3, n), 0, 1)
        with tempfile.TemporaryDirectory() as d:
            cp, bp = write_pair(d, y, s1, s2)
            pol = os.path.join(d, "p.yaml")
            write(pol, "version: 1\ncolumns: {id: id}\nmetrics:\n  accuracy: {max_regression: 0.02}\n")
            doc, _ = run_json("mlgate-compare", "--candidate", cp, "--baseline", bp, "--policy", pol, expect=None)
        c1 = (s1 >= 0.5) == y
        c2 = (s2 >= 0.5) == y
        table = [[np.sum(c1 & c2), np.sum(c1 & ~c2)], [np.sum(~c1 & c2), np.sum(~c1 & ~c2)]]
        m = doc["metrics"]["tests"]["mcnemar"]
        self.assertEqual(m["candidate_only_correct"], table[0][1])
        self.assertEqual(m["baseline_only_correct"], table[1][0])
        self.assertClose(m["p_exact"], sm_mcnemar(table, exact=True).pvalue, "p_exact", rel=1e-9)
        asym = sm_mcnemar(table, exact=False, correction=True)
        self.assertClose(m["statistic"], asym.statistic, "statistic")
        self.assertClose(m["p_asymptotic"], asym.pvalue, "p_asymptotic", rel=1e-9)
        (acc,) = [c for c in doc["checks"] if c["metric"] == "accuracy"]
        self.assertEqual(acc["mcnemar"], m)


class BootstrapBehaviour(ParityCase):
    POLICY = """version: 1
task: binary
columns: {id: id}
metrics:
  accuracy: {max_regression: 0.05, confidence: 0.95}
  log_loss: {max_regression: 0.05, confidence: 0.95}
statistics: {bootstrap_samples: 4000, seed: 7, multiple_testing: none}
"""

    def setUp(self):
        rng = np.random.default_rng(14)
        n = 3000
        self.y = (rng.random(n) < 0.4).astype(int)
        z = rng.normal(size=n)
        self.s1 = 1 / (1 + np.exp(-(1.2 * (2 * self.y - 1) + z + rng.normal(0, 0.7, n))))
        self.s2 = 1 / (1 + np.exp(-(1.1 * (2 * self.y - 1) + z + rng.normal(0, 0.7, n))))
        self.dir = tempfile.TemporaryDirectory()
        self.cp, self.bp = write_pair(self.dir.name, self.y, self.s1, self.s2)
        self.pol = os.path.join(self.dir.name, "p.yaml")
        write(self.pol, self.POLICY)

    def tearDown(self):
        self.dir.cleanup()

    def run_compare(self, *extra):
        doc, _ = run_json("mlgate-compare", "--candidate", self.cp, "--baseline", self.bp, "--policy", self.pol,
                          *extra, expect=None)
        return {c["metric"]: c for c in doc["checks"]}

    def test_bounds_near_normal_approximation(self):
        checks = self.run_compare()
        y, n = self.y, len(self.y)
        eps = 1e-15
        per_row = {
            "accuracy": ((self.s1 >= 0.5) == y).astype(float) - ((self.s2 >= 0.5) == y).astype(float),
            "log_loss": (-(y * np.log(np.clip(self.s1, eps, 1 - eps)) + (1 - y) * np.log(1 - np.clip(self.s1, eps, 1 - eps))))
            - (-(y * np.log(np.clip(self.s2, eps, 1 - eps)) + (1 - y) * np.log(1 - np.clip(self.s2, eps, 1 - eps)))),
        }
        z = 1.6448536269514722
        for metric, d in per_row.items():
            se = d.std(ddof=1) / np.sqrt(n)
            lo, hi = d.mean() - z * se, d.mean() + z * se
            c = checks[metric]
            self.assertClose(c["delta"], d.mean(), metric + " delta", rel=1e-9)
            self.assertLess(abs(c["ci"][0] - lo), se / 4, f"{metric} lower bound {c['ci'][0]} vs normal {lo}")
            self.assertLess(abs(c["ci"][1] - hi), se / 4, f"{metric} upper bound {c['ci'][1]} vs normal {hi}")

    def test_deterministic_across_runs_and_threads(self):
        a = self.run_compare("--threads", "1")
        b = self.run_compare("--threads", "2")
        c = self.run_compare("--threads", "3")
        for m in ("accuracy", "log_loss"):
            self.assertEqual(a[m]["ci"], b[m]["ci"])
            self.assertEqual(a[m]["ci"], c[m]["ci"])
            self.assertEqual(a[m]["p_value"], b[m]["p_value"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
