"""mlgate-fairness against the fairlearn/AIF360 definitions computed with pandas groupby on
generated data: three attributes, intersectional groups, a tiny group, a group with no
positives; both aggregations; 1e-9."""
import os
import subprocess
import tempfile
import unittest

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from oracle_common import ParityCase, run_json, tool, write


def rates(d):
    """fairlearn's per-group rates; with a column w, weighted as its sample_params do."""
    y, p = d["label"].to_numpy(), d["pred"].to_numpy()
    w = d["w"].to_numpy() if "w" in d.columns else np.ones(len(y))
    P, N, PP = (w * y).sum(), (w * (1 - y)).sum(), (w * p).sum()
    tp, fp = (w * (y & p)).sum(), (w * ((1 - y) & p)).sum()
    div = lambda a, b: a / b if b else None  # noqa: E731
    two = (w * y).sum() > 0 and (w * (1 - y)).sum() > 0
    return {"selection_rate": div(PP, w.sum()), "tpr": div(tp, P), "fpr": div(fp, N), "fnr": div(P - tp, P),
            "tnr": div(N - fp, N), "precision": div(tp, PP), "accuracy": div(tp + N - fp, w.sum()),
            "roc_auc": roc_auc_score(y, d["score"], sample_weight=w) if two else None}


def make_data(seed=3):
    rng = np.random.default_rng(seed)
    n = 6000
    df = pd.DataFrame({
        "sex": rng.choice(["F", "M"], n),
        "race": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        "age": rng.choice(["young", "old"], n),
    })
    df.loc[:14, ["sex", "race", "age"]] = ["X", "z", "young"]  # a tiny group (15 rows)
    y = (rng.random(n) < 0.3 + 0.1 * (df["sex"] == "M")).astype(int)
    df.loc[15:60, ["sex", "race", "age"]] = ["F", "q", "old"]   # a group with no positives
    y[15:61] = 0
    df["label"] = y
    df["score"] = np.clip(rng.normal(0.35 + 0.3 * y + 0.05 * (df["race"] == "a"), 0.2), 0, 1)
    df["pred"] = (df["score"] >= 0.5).astype(int)
    return df


class FairnessParity(ParityCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.df = make_data()
        self.data = os.path.join(self.dir.name, "preds.csv")
        self.df.drop(columns=["pred"]).to_csv(self.data, index=False, float_format="%.17g")

    def tearDown(self):
        self.dir.cleanup()

    def run_fair(self, method, cols, min_size, reference="{sex: M}", metrics="demographic_parity_ratio: {min: 0}"):
        pol = os.path.join(self.dir.name, "p.yaml")
        write(pol, f"version: 1\nfairness:\n  min_group_size: {min_size}\n  method: {method}\n"
                   f"  reference_group: {reference}\n  metrics:\n    {metrics}\n")
        args = ["--data", self.data, "--policy", pol]
        for c in cols:
            args += ["--sensitive-col", c]
        doc, _ = run_json("mlgate-fairness", *args, expect=None)
        return doc

    def expected(self, cols, min_size, method, ref_col="sex", ref_val="M"):
        groups = {k: rates(d) for k, d in self.df.groupby(cols)}
        sizes = self.df.groupby(cols).size()
        gated = {k: sizes[k] >= min_size for k in groups}
        overall = rates(self.df)
        use = [k for k in groups if gated[k]]

        def agg(metric, ratio):
            vals = [groups[k][metric] for k in use]
            if any(v is None for v in vals):
                return None
            if method == "between_groups":
                return min(vals) / max(vals) if ratio else max(vals) - min(vals)
            o = overall[metric]
            if ratio:
                return min(min(v / o, o / v) if v else 0.0 for v in vals)
            return max(abs(v - o) for v in vals)

        out = {
            "demographic_parity_difference": agg("selection_rate", False),
            "demographic_parity_ratio": agg("selection_rate", True),
            "equal_opportunity_difference": agg("tpr", False),
            "equal_opportunity_ratio": agg("tpr", True),
            "predictive_parity_difference": agg("precision", False),
            "accuracy_difference": agg("accuracy", False),
        }
        t, f = agg("tpr", False), agg("fpr", False)
        out["equalized_odds_difference"] = None if t is None or f is None else max(t, f)
        t, f = agg("tpr", True), agg("fpr", True)
        out["equalized_odds_ratio"] = None if t is None or f is None else min(t, f)
        ref = rates(self.df[self.df[ref_col] == ref_val])
        others = [k for k in use if (k if isinstance(k, tuple) else (k,))[list(cols).index(ref_col)] != ref_val]
        if all(groups[k]["tpr"] is not None and groups[k]["fpr"] is not None for k in others):
            out["disparate_impact"] = min(groups[k]["selection_rate"] / ref["selection_rate"] for k in others)
            spd = [groups[k]["selection_rate"] - ref["selection_rate"] for k in others]
            out["statistical_parity_difference"] = max(spd, key=abs)
            aod = [((groups[k]["fpr"] - ref["fpr"]) + (groups[k]["tpr"] - ref["tpr"])) / 2 for k in others]
            out["average_odds_difference"] = max(aod, key=abs)
        return groups, sizes, gated, out

    def compare(self, cols, min_size, method, ref_col="sex", ref_val="M"):
        doc = self.run_fair(method, cols, min_size, reference=f"{{{ref_col}: {ref_val}}}")
        groups, sizes, gated, want = self.expected(cols, min_size, method, ref_col, ref_val)
        self.assertEqual(len(doc["groups"]), len(groups))
        for g in doc["groups"]:
            key = tuple(g["group"][c] for c in cols)
            key = key if len(cols) > 1 else key[0]
            self.assertEqual(g["n"], sizes[key])
            self.assertEqual(g["gated"], bool(gated[key]))
            for m, v in groups[key].items():
                self.assertClose(g["metrics"][m], v, f"{key} {m}")
        for name, v in want.items():
            self.assertClose(doc["disparities"][name], v, f"{method} {cols} {name}")
        return doc

    def test_one_attribute_both_aggregations(self):
        for method in ("between_groups", "to_overall"):
            self.compare(["race"], 30, method, "race", "a")

    def test_intersectional_groups_with_tiny_and_positive_free_groups(self):
        # (F, q, old) has no positives: TPR is undefined, so are the disparities that need it.
        doc = self.compare(["sex", "race", "age"], 30, "between_groups")
        self.assertIsNone(doc["disparities"]["equal_opportunity_difference"])
        self.assertIsNotNone(doc["disparities"]["demographic_parity_difference"])
        tiny = [g for g in doc["groups"] if g["group"]["sex"] == "X"][0]
        self.assertFalse(tiny["gated"])
        # Raising min_group_size past that group leaves it out, and TPR disparities come back.
        doc = self.compare(["sex", "race", "age"], 50, "to_overall")
        self.assertIsNotNone(doc["disparities"]["equal_opportunity_difference"])

    def test_scores_with_few_decimals(self):
        # Scores as CSV files usually hold them (3 places, many ties): the integer-key path.
        self.df["score"] = self.df["score"].round(3)
        self.df["pred"] = (self.df["score"] >= 0.5).astype(int)
        self.df.drop(columns=["pred"]).to_csv(self.data, index=False, float_format="%.3f")
        for method in ("between_groups", "to_overall"):
            doc = self.compare(["sex", "race"], 30, method)
            self.assertClose(doc["metrics"]["overall"]["roc_auc"],
                             roc_auc_score(self.df["label"], self.df["score"],
                                           sample_weight=self.df["w"] if "w" in self.df else None),
                             "overall roc_auc")

    def test_checks_exit_codes_and_errors(self):
        doc = self.run_fair("between_groups", ["sex", "race", "age"], 30,
                            metrics="equal_opportunity_difference: {max: 0.5}")
        (c,) = doc["checks"]
        self.assertEqual(c["status"], "error")
        self.assertIn("no positives", c["message"])
        pol = os.path.join(self.dir.name, "strict.yaml")
        write(pol, "version: 1\nfairness:\n  sensitive: [race]\n  metrics:\n    demographic_parity_ratio: {min: 0.99}\n")
        p = subprocess.run([tool("mlgate-fairness"), "--data", self.data, "--policy", pol], capture_output=True, text=True)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("worst:", p.stderr)
        p = subprocess.run([tool("mlgate-fairness"), "--data", self.data, "--sensitive-col", "gender", "--policy", pol],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn('missing column "gender"', p.stderr)

    def test_regression_against_baseline_with_bootstrap(self):
        base = os.path.join(self.dir.name, "base.csv")
        b = self.df.drop(columns=["pred"]).copy()
        b["score"] = np.clip(b["score"] + 0.15 * (b["sex"] == "M"), 0, 1)  # a more unequal model
        b.to_csv(base, index=False, float_format="%.17g")
        pol = os.path.join(self.dir.name, "reg.yaml")
        write(pol, "version: 1\nstatistics: {bootstrap_samples: 500, seed: 3}\nfairness:\n  sensitive: [sex]\n"
                   "  metrics:\n    demographic_parity_difference: {max_regression: 0.01, confidence: 0.95}\n")
        # The candidate (data) is fairer than the baseline: no regression.
        doc, p = run_json("mlgate-fairness", "--data", self.data, "--baseline", base, "--policy", pol, expect=None)
        (c,) = [c for c in doc["checks"] if c["id"] == "demographic_parity_difference.regression"]
        self.assertEqual((c["status"], c["verdict"]), ("pass", "non_inferior"), c)
        # Swapped, the disparity grows: inferior.
        doc, p = run_json("mlgate-fairness", "--data", base, "--baseline", self.data, "--policy", pol, expect=1)
        (c,) = [c for c in doc["checks"] if c["id"] == "demographic_parity_difference.regression"]
        self.assertEqual(c["verdict"], "inferior")
        self.assertGreater(c["ci"][0], 0.01)


class WeightedFairnessParity(FairnessParity):
    """The same definitions with sample weights (--weight-col): every rate a ratio of weight sums."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.df = make_data()
        rng = np.random.default_rng(8)
        self.df["w"] = np.round(rng.gamma(1.2, 1.0, len(self.df)), 3)
        self.df.loc[rng.random(len(self.df)) < 0.03, "w"] = 0.0
        self.data = os.path.join(self.dir.name, "preds.csv")
        self.df.drop(columns=["pred"]).to_csv(self.data, index=False, float_format="%.17g")

    def run_fair(self, method, cols, min_size, reference="{sex: M}", metrics="demographic_parity_ratio: {min: 0}"):
        pol = os.path.join(self.dir.name, "p.yaml")
        write(pol, f"version: 1\ncolumns: {{weight: w}}\nfairness:\n  min_group_size: {min_size}\n"
                   f"  method: {method}\n  reference_group: {reference}\n  metrics:\n    {metrics}\n")
        args = ["--data", self.data, "--policy", pol]
        for c in cols:
            args += ["--sensitive-col", c]
        doc, _ = run_json("mlgate-fairness", *args, expect=None)
        return doc

    def test_regression_against_baseline_with_bootstrap(self):
        # The baseline file needs no weights: the data's apply to the pairs.
        base = os.path.join(self.dir.name, "base.csv")
        b = self.df.drop(columns=["pred", "w"]).copy()
        b["score"] = np.clip(b["score"] + 0.15 * (b["sex"] == "M"), 0, 1)
        b.to_csv(base, index=False, float_format="%.17g")
        pol = os.path.join(self.dir.name, "reg.yaml")
        write(pol, "version: 1\ncolumns: {weight: w}\nstatistics: {bootstrap_samples: 300, seed: 3}\n"
                   "fairness:\n  sensitive: [sex]\n"
                   "  metrics:\n    demographic_parity_difference: {max_regression: 0.01, confidence: 0.95}\n")
        doc, _ = run_json("mlgate-fairness", "--data", self.data, "--baseline", base, "--policy", pol, expect=None)
        (c,) = [c for c in doc["checks"] if c["id"] == "demographic_parity_difference.regression"]
        self.assertEqual(c["verdict"], "non_inferior")
        bd = pd.read_csv(base)
        bd["pred"] = (bd["score"] >= 0.5).astype(int)
        bd["w"] = self.df["w"]
        sr = lambda d: rates(d)["selection_rate"]  # noqa: E731
        want_c = abs(sr(self.df[self.df.sex == "F"]) - sr(self.df[self.df.sex == "M"]))
        want_b = abs(sr(bd[bd.sex == "F"]) - sr(bd[bd.sex == "M"]))
        self.assertClose(c["delta"], want_c - want_b, "weighted delta")


if __name__ == "__main__":
    unittest.main(verbosity=2)
