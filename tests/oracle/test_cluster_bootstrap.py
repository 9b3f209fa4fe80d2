"""--cluster-col: mlgate-compare's and mlgate-fairness's bootstraps resample clusters. No library
computes the same paired cluster bootstrap, so its properties are tested: one row per cluster is
exactly the row bootstrap, clustered duplicates widen the interval as the effective sample
shrinks, and the result is deterministic for a seed whatever the threads."""
import os
import tempfile
import unittest

import numpy as np
import pandas as pd

from oracle_common import ParityCase, run_json, write


class ClusterBootstrap(ParityCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.rng = np.random.default_rng(51)

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def files(self, users, per_user):
        # Every user's rows are copies: a user is one observation, repeated.
        y = (self.rng.random(users) < 0.35).astype(int)
        base = self.rng.normal(size=users) + 1.0 * y
        s1 = np.round(1 / (1 + np.exp(-(base + self.rng.normal(0, 0.6, users)))), 4)
        s2 = np.round(1 / (1 + np.exp(-(base + self.rng.normal(0, 0.9, users)))), 4)
        rep = np.repeat(np.arange(users), per_user)
        ids = np.arange(len(rep))
        cp, bp = self.path("c.csv"), self.path("b.csv")
        pd.DataFrame({"id": ids, "user": rep, "label": y[rep], "score": s1[rep]}).to_csv(cp, index=False)
        pd.DataFrame({"id": ids, "label": y[rep], "score": s2[rep]}).to_csv(bp, index=False)
        return cp, bp

    def compare(self, cp, bp, cluster, metric="roc_auc", extra=""):
        pol = self.path("p.yaml")
        cols = "{id: id, cluster: user}" if cluster else "{id: id}"
        write(pol, f"version: 1\ntask: binary\ncolumns: {cols}\nmetrics:\n"
                   f"  {metric}: {{max_regression: 0.05, confidence: 0.95}}\n"
                   f"statistics: {{multiple_testing: none, bootstrap_samples: 500{extra}}}\n")
        doc, _ = run_json("mlgate-compare", "--candidate", cp, "--baseline", bp, "--policy", pol, expect=None)
        (c,) = [c for c in doc["checks"] if c["id"] == f"{metric}.regression"]
        return c

    def test_one_row_per_cluster_is_the_row_bootstrap(self):
        cp, bp = self.files(1500, 1)
        rows = self.compare(cp, bp, False, "average_precision")
        clusters = self.compare(cp, bp, True, "average_precision")
        self.assertEqual(clusters["ci"], rows["ci"])
        self.assertEqual(clusters["resampled"], "clusters")
        self.assertEqual(clusters["clusters"], 1500)

    def test_repeated_rows_widen_the_interval(self):
        cp, bp = self.files(400, 9)
        rows = self.compare(cp, bp, False, "average_precision")
        clusters = self.compare(cp, bp, True, "average_precision")
        wr = rows["ci"][1] - rows["ci"][0]
        wc = clusters["ci"][1] - clusters["ci"][0]
        # Nine copies of each observation: the honest interval is about three times as wide.
        self.assertGreater(wc / wr, 2.2)
        self.assertLess(wc / wr, 4.0)
        self.assertEqual(clusters["delta"], rows["delta"])

    def test_roc_auc_goes_to_the_cluster_bootstrap(self):
        cp, bp = self.files(300, 3)
        c = self.compare(cp, bp, True)
        self.assertEqual(c["method"], "bootstrap")
        self.assertIn("independent", c["method_reason"])
        forced = self.compare(cp, bp, True, extra=", method: delong")
        self.assertEqual(forced["status"], "error")
        again = self.compare(cp, bp, True)
        self.assertEqual(again["ci"], c["ci"])

    def test_fairness_bootstrap_resamples_clusters(self):
        users, per = 600, 5
        rep = np.repeat(np.arange(users), per)
        sex = self.rng.choice(["F", "M"], users)[rep]
        y = (self.rng.random(users) < 0.4).astype(int)[rep]
        score = np.round(self.rng.random(users), 3)[rep]
        data, base = self.path("d.csv"), self.path("base.csv")
        pd.DataFrame({"label": y, "score": score, "sex": sex, "user": rep}).to_csv(data, index=False)
        shifted = np.clip(score + 0.1 * (sex == "M"), 0, 1)
        pd.DataFrame({"label": y, "score": shifted, "sex": sex}).to_csv(base, index=False)
        widths = {}
        for cluster in (False, True):
            pol = self.path("f.yaml")
            write(pol, "version: 1\n" + ("columns: {cluster: user}\n" if cluster else "") +
                  "statistics: {bootstrap_samples: 400, seed: 3}\nfairness:\n  sensitive: [sex]\n"
                  "  metrics:\n    demographic_parity_difference: {max_regression: 0.01, confidence: 0.95}\n")
            doc, _ = run_json("mlgate-fairness", "--data", data, "--baseline", base, "--policy", pol, expect=None)
            (c,) = [c for c in doc["checks"] if c["id"] == "demographic_parity_difference.regression"]
            widths[cluster] = c["ci"][1] - c["ci"][0]
            if cluster:
                self.assertEqual((c["resampled"], c["clusters"]), ("clusters", users))
        self.assertGreater(widths[True] / widths[False], 1.6)


if __name__ == "__main__":
    unittest.main(verbosity=2)
