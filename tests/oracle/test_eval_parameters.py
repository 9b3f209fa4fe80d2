"""The metrics that take a parameter (roc_auc_max_fpr, fbeta, top_k_accuracy, mean_pinball_loss,
mean_tweedie_deviance), the multiclass AUC averages and --score-direction lower, against
scikit-learn (and pROC for DeLong with direction ">"), to 1e-9 relative."""
import subprocess
import unittest

import numpy as np
import pandas as pd
from sklearn import metrics as M

from oracle_common import ToolCase, run, run_json, write


class Case(ToolCase):
    def slices_of(self, doc, df):
        """(name, mask) for the overall and each slice of the document."""
        out = [("overall", np.ones(len(df), dtype=bool), doc["metrics"]["overall"])]
        for entry in doc["metrics"]["slices"]:
            (col, val), = entry["slice"].items()
            out.append((f"{col}={val}", (df[col].astype(str) == val).to_numpy(), entry["metrics"]))
        return out


def binary_policy(max_fpr, beta):
    return f"""version: 1
task: binary
metrics:
  roc_auc_max_fpr: {{min: 0, max_fpr: {max_fpr}}}
  fbeta: {{min: 0, beta: {beta}}}
slices:
  columns: [region]
  metrics:
    roc_auc_max_fpr: {{min: 0, max_fpr: {max_fpr}}}
"""


class PartialAucAndFbeta(Case):
    def check(self, y, s, max_fpr, beta, threshold=0.5):
        rng = np.random.default_rng(7)
        region = rng.choice(["eu", "us", "apac"], len(y), p=[0.5, 0.3, 0.2])
        df = pd.DataFrame({"label": y, "score": s, "region": region})
        doc = self.eval_doc(df, binary_policy(max_fpr, beta), "--threshold", threshold)
        self.assertEqual(doc["metrics"]["parameters"],
                         {"roc_auc_max_fpr": {"max_fpr": max_fpr}, "fbeta": {"beta": beta}})
        pred = (s >= threshold).astype(int)
        for name, m, got in self.slices_of(doc, df):
            two = len(np.unique(y[m])) == 2
            want = M.roc_auc_score(y[m], s[m], max_fpr=max_fpr) if two else None
            self.assertClose(got["roc_auc_max_fpr"], want, f"{name} roc_auc_max_fpr")
            self.assertClose(got["fbeta"], M.fbeta_score(y[m], pred[m], beta=beta, zero_division=0),
                             f"{name} fbeta")
        return doc

    def test_continuous_scores(self):
        rng = np.random.default_rng(1)
        n = 20000
        y = (rng.random(n) < 0.3).astype(int)
        s = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.3 * y)))
        for max_fpr, beta in ((0.1, 2.0), (0.37, 0.5), (1.0, 1.0)):
            self.check(y, s, max_fpr, beta)

    def test_ties_crossing_the_cut(self):
        # Scores of one decimal: the cut falls inside a run of tied scores (a slanted step).
        rng = np.random.default_rng(2)
        n = 9000
        y = (rng.random(n) < 0.4).astype(int)
        s = np.round(np.clip(rng.normal(0.4 + 0.25 * y, 0.2), 0, 1), 1)
        for max_fpr in (0.05, 0.2, 0.5):
            self.check(y, s, max_fpr, 3.0, threshold=0.4)

    def test_many_rows_walked_in_pieces(self):
        # Past 2^18 rows the overall's walk is cut into pieces walked side by side; with scores
        # of three decimals it walks a histogram instead: both paths, both against sklearn.
        rng = np.random.default_rng(3)
        n = 300000
        y = (rng.random(n) < 0.05).astype(int)
        raw = rng.beta(2, 6, n) + 0.25 * y * rng.random(n)
        self.check(y, np.clip(raw, 0, 1), 0.02, 2.0)
        self.check(y, np.round(np.clip(raw, 0, 1), 3), 0.02, 2.0)

    def test_one_class_slice_is_null(self):
        y = np.array([0, 1, 0, 1, 0, 0, 1, 0])
        s = np.array([0.1, 0.8, 0.3, 0.6, 0.2, 0.4, 0.9, 0.7])
        df = pd.DataFrame({"label": y, "score": s, "region": ["a", "a", "a", "a", "b", "b", "b", "b"]})
        df.loc[df.region == "b", "label"] = 0
        doc = self.eval_doc(df, binary_policy(0.3, 1.0).replace("min: 0, max_fpr", "min: 0.0, max_fpr"),
                            expect=2)  # the slice's check is an error: the gate fails closed
        (b,) = [e for e in doc["metrics"]["slices"] if e["slice"] == {"region": "b"}]
        self.assertIsNone(b["metrics"]["roc_auc_max_fpr"])
        (c,) = [c for c in doc["checks"] if c["metric"] == "roc_auc_max_fpr" and c.get("slice") == {"region": "b"}]
        self.assertEqual(c["status"], "error")


class ScoreDirection(Case):
    def test_lower_scores_mean_positive(self):
        rng = np.random.default_rng(4)
        n = 12000
        y = (rng.random(n) < 0.35).astype(int)
        dist = np.round(np.abs(rng.normal(2.0 - 1.2 * y, 1.0)), 2)  # a distance: small = positive
        region = rng.choice(["eu", "us"], n)
        df = pd.DataFrame({"label": y, "score": dist, "region": region})
        policy = binary_policy(0.2, 1.0) + "score_direction: lower\n"
        doc = self.eval_doc(df, policy, "--threshold", 1.5)
        pred = (dist <= 1.5).astype(int)
        for name, m, got in self.slices_of(doc, df):
            self.assertClose(got["roc_auc"], M.roc_auc_score(y[m], -dist[m]), f"{name} roc_auc")
            self.assertClose(got["average_precision"], M.average_precision_score(y[m], -dist[m]),
                             f"{name} average_precision")
            self.assertClose(got["roc_auc_max_fpr"], M.roc_auc_score(y[m], -dist[m], max_fpr=0.2),
                             f"{name} roc_auc_max_fpr")
            self.assertClose(got["accuracy"], M.accuracy_score(y[m], pred[m]), f"{name} accuracy")
            self.assertClose(got["f1"], M.f1_score(y[m], pred[m]), f"{name} f1")
            self.assertIsNone(got["log_loss"], name)
        self.assertTrue(any("score-direction lower" in w for w in doc["warnings"]))
        self.assertEqual(doc["metrics"]["threshold"], 1.5)
        # The flag wins over the policy, and higher is the default.
        higher = self.eval_doc(df, policy, "--threshold", 1.5, "--score-direction", "higher")
        self.assertClose(higher["metrics"]["overall"]["roc_auc"], M.roc_auc_score(y, dist), "higher")
        # Predictions written out keep the table's scores.
        out = self.path("scored.csv")
        f = self.path("d.csv")
        run("mlgate-eval", "--data", f, "--score-direction", "lower", "--predictions-out", out,
            "-o", self.path("o.json"), expect=0)
        self.assertTrue(np.array_equal(pd.read_csv(out)["score"].to_numpy(), dist))

    def test_not_for_regression(self):
        df = pd.DataFrame({"label": [1.0, 2.0], "score": [1.5, 2.5]})
        f = self.path("r.csv")
        df.to_csv(f, index=False)
        p = run("mlgate-eval", "--data", f, "--task", "regression", "--score-direction", "lower", expect=2)
        self.assertIn("--score-direction", p.stderr)

    def test_delong_matches_proc_direction_greater(self):
        rng = np.random.default_rng(5)
        n = 2500
        y = (rng.random(n) < 0.3).astype(int)
        base = rng.normal(size=n) - 0.9 * y
        s1 = np.round(base + rng.normal(0, 0.6, n) - 0.2 * y, 3)
        s2 = np.round(base + rng.normal(0, 0.6, n), 3)
        ids = np.arange(n)
        cp, bp = self.path("c.csv"), self.path("b.csv")
        pd.DataFrame({"id": ids, "label": y, "score": s1}).to_csv(cp, index=False)
        pd.DataFrame({"id": ids, "label": y, "score": s2}).to_csv(bp, index=False)
        pol = self.path("p.yaml")
        write(pol, "version: 1\ntask: binary\ncolumns: {id: id}\nscore_direction: lower\n"
                   "metrics:\n  roc_auc: {max_regression: 0.05, confidence: 0.95}\n"
                   "statistics: {multiple_testing: none}\n")
        doc, _ = run_json("mlgate-compare", "--candidate", cp, "--baseline", bp, "--policy", pol, expect=None)
        (c,) = [c for c in doc["checks"] if c["id"] == "roc_auc.regression"]
        f = self.path("r.csv")
        pd.DataFrame({"y": y, "s1": s1, "s2": s2}).to_csv(f, index=False)
        script = f"""
suppressMessages(library(pROC))
d <- read.csv("{f}")
r1 <- roc(d$y, d$s1, levels = c(0, 1), direction = ">", quiet = TRUE)
r2 <- roc(d$y, d$s2, levels = c(0, 1), direction = ">", quiet = TRUE)
t <- roc.test(r1, r2, method = "delong", paired = TRUE)
cat(sprintf("%.17g", c(auc(r1), auc(r2), t$p.value)), sep = "\\n")
"""
        out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True).stdout.split()
        auc1, auc2, p = map(float, out)
        self.assertClose(c["delong"]["auc_candidate"], auc1, "auc1", rel=1e-9)
        self.assertClose(c["delong"]["auc_baseline"], auc2, "auc2", rel=1e-9)
        self.assertClose(c["delong"]["p_two_sided"], p, "p", rel=1e-6)


MULTICLASS_POLICY = """version: 1
task: multiclass
metrics:
  roc_auc_ovo: {min: 0}
  roc_auc_ovo_weighted: {min: 0}
  top_k_accuracy: {min: 0, k: K}
slices: {columns: [seg]}
"""


class MulticlassAverages(Case):
    def test_ovr_weighted_ovo_and_top_k(self):
        rng = np.random.default_rng(6)
        n, classes = 9000, ["a", "b", "c", "d", "e"]
        y = rng.choice(5, n, p=[0.4, 0.25, 0.15, 0.12, 0.08])
        logits = rng.normal(size=(n, 5)) + 1.2 * np.eye(5)[y]
        P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        P[:300] = np.round(P[:300], 1)  # ties, for the ranks and top-k
        P = P / P.sum(axis=1, keepdims=True)
        seg = rng.choice(["x", "y"], n)
        df = pd.DataFrame({"label": np.array(classes)[y], "seg": seg})
        for i, c in enumerate(classes):
            df["p_" + c] = P[:, i]
        yt = np.array(classes)[y]
        for k in (1, 2, 3, 5):
            doc = self.eval_doc(df, MULTICLASS_POLICY.replace("k: K", f"k: {k}"), "--proba-cols", "p_*")
            self.assertEqual(doc["metrics"]["parameters"], {"top_k_accuracy": {"k": k}})
            for name, m, got in self.slices_of(doc, df):
                want = {
                    "roc_auc_ovr_weighted": M.roc_auc_score(yt[m], P[m], multi_class="ovr", average="weighted",
                                                            labels=classes),
                    "roc_auc_ovo": M.roc_auc_score(yt[m], P[m], multi_class="ovo", labels=classes),
                    "roc_auc_ovo_weighted": M.roc_auc_score(yt[m], P[m], multi_class="ovo", average="weighted",
                                                            labels=classes),
                    "top_k_accuracy": M.top_k_accuracy_score(yt[m], P[m], k=k, labels=classes),
                }
                for key, v in want.items():
                    self.assertClose(got[key], v, f"k={k} {name} {key}")
        # Per class, overall: scikit-learn's average=None, and each class one-vs-rest.
        prec, rec, f1, support = M.precision_recall_fscore_support(yt, np.array(classes)[P.argmax(axis=1)],
                                                                   labels=classes, zero_division=0)
        for i, c in enumerate(classes):
            got = doc["metrics"]["per_class"][c]
            self.assertClose(got["precision"], prec[i], c + " precision")
            self.assertClose(got["recall"], rec[i], c + " recall")
            self.assertClose(got["f1"], f1[i], c + " f1")
            self.assertEqual(got["support"], support[i])
            self.assertClose(got["roc_auc"], M.roc_auc_score(yt == c, P[:, i]), c + " roc_auc")

    def test_top_k_ties_rank_the_later_class_first(self):
        # Every row ties all three classes: scikit-learn ranks the last class first.
        y = np.array([0, 1, 2, 2, 1, 0])
        P = np.full((6, 3), 1 / 3)
        df = pd.DataFrame({"label": y, "seg": "x", "p_0": P[:, 0], "p_1": P[:, 1], "p_2": P[:, 2]})
        for k in (1, 2):
            doc = self.eval_doc(df, MULTICLASS_POLICY.replace("k: K", f"k: {k}").replace(
                "  roc_auc_ovo: {min: 0}\n  roc_auc_ovo_weighted: {min: 0}\n", ""), "--proba-cols", "p_*")
            self.assertClose(doc["metrics"]["overall"]["top_k_accuracy"],
                             M.top_k_accuracy_score(y, P, k=k, labels=[0, 1, 2]), f"k={k}")


REGRESSION_POLICY = """version: 1
task: regression
metrics:
  mean_pinball_loss: {max: 1.0e9, alpha: ALPHA}
  mean_tweedie_deviance: {max: 1.0e9, power: POWER}
slices: {columns: [seg]}
"""


class PinballAndTweedie(Case):
    def test_against_sklearn(self):
        rng = np.random.default_rng(8)
        n = 8000
        y = np.round(rng.gamma(2.0, 10.0, n) + 0.1, 3)
        p = np.round(y * np.exp(rng.normal(0, 0.4, n)), 4)
        seg = rng.choice(["a", "b", "c"], n)
        df = pd.DataFrame({"label": y, "score": p, "seg": seg})
        for alpha, power in ((0.5, 0.0), (0.9, 1.0), (0.1, 1.5), (0.25, 2.0), (0.75, 3.0), (0.0, -0.5)):
            doc = self.eval_doc(df, REGRESSION_POLICY.replace("ALPHA", str(alpha)).replace("POWER", str(power)))
            for name, m, got in self.slices_of(doc, df):
                self.assertClose(got["mean_pinball_loss"], M.mean_pinball_loss(y[m], p[m], alpha=alpha),
                                 f"alpha={alpha} {name}")
                self.assertClose(got["mean_tweedie_deviance"], M.mean_tweedie_deviance(y[m], p[m], power=power),
                                 f"power={power} {name}")

    def test_outside_the_domain_is_null(self):
        # power 2 needs labels above 0; a zero label leaves the metric undefined (sklearn raises).
        y = np.array([0.0, 1.0, 2.0, 3.0])
        p = np.array([0.5, 1.0, 2.5, 2.0])
        df = pd.DataFrame({"label": y, "score": p, "seg": "a"})
        doc = self.eval_doc(df, REGRESSION_POLICY.replace("ALPHA", "0.5").replace("POWER", "2"), expect=2)
        self.assertIsNone(doc["metrics"]["overall"]["mean_tweedie_deviance"])
        with self.assertRaises(ValueError):
            M.mean_tweedie_deviance(y, p, power=2)


class CompareBootstrap(Case):
    def test_parameterized_metrics_on_the_bootstrap(self):
        rng = np.random.default_rng(9)
        n = 3000
        y = (rng.random(n) < 0.3).astype(int)
        base = rng.normal(size=n) + 1.0 * y
        s1 = 1 / (1 + np.exp(-(base + rng.normal(0, 0.5, n))))
        s2 = 1 / (1 + np.exp(-(base + rng.normal(0, 0.7, n))))
        ids = np.arange(n)
        cp, bp = self.path("c.csv"), self.path("b.csv")
        pd.DataFrame({"id": ids, "label": y, "score": s1}).to_csv(cp, index=False, float_format="%.17g")
        pd.DataFrame({"id": ids, "label": y, "score": s2}).to_csv(bp, index=False, float_format="%.17g")
        pol = self.path("p.yaml")
        write(pol, "version: 1\ntask: binary\ncolumns: {id: id}\nmetrics:\n"
                   "  roc_auc_max_fpr: {max_regression: 0.05, confidence: 0.95, max_fpr: 0.1}\n"
                   "  fbeta: {max_regression: 0.05, confidence: 0.95, beta: 2}\n"
                   "statistics: {multiple_testing: none, bootstrap_samples: 300}\n")
        doc, _ = run_json("mlgate-compare", "--candidate", cp, "--baseline", bp, "--policy", pol, expect=None)
        checks = {c["id"]: c for c in doc["checks"]}
        pauc = checks["roc_auc_max_fpr.regression"]
        want = M.roc_auc_score(y, s1, max_fpr=0.1) - M.roc_auc_score(y, s2, max_fpr=0.1)
        self.assertClose(pauc["delta"], want, "roc_auc_max_fpr delta")
        self.assertIn("bootstrap", pauc["method"])
        lo, hi = pauc["ci"]
        self.assertLess(lo, want)
        self.assertGreater(hi, want)
        fb = checks["fbeta.regression"]
        want = M.fbeta_score(y, (s1 >= 0.5).astype(int), beta=2) - M.fbeta_score(y, (s2 >= 0.5).astype(int), beta=2)
        self.assertClose(fb["delta"], want, "fbeta delta")


if __name__ == "__main__":
    unittest.main(verbosity=2)
