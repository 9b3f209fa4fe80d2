"""mlgate-eval with sample weights (--weight-col) against scikit-learn's sample_weight, to 1e-9
relative: every binary, multiclass and regression metric, overall and per slice."""
import unittest
import warnings

import numpy as np
import pandas as pd
from sklearn import metrics as M

from oracle_common import ParityCase, ToolCase, run, run_json, write


def weighted_ece(y, p, w):
    total = 0.0
    for k in range(15):
        lo, hi = k / 15, (k + 1) / 15
        m = (p > lo) & (p <= hi) if k > 0 else (p <= hi)
        if w[m].sum() > 0:
            total += w[m].sum() / w.sum() * abs(np.average(y[m], weights=w[m]) - np.average(p[m], weights=w[m]))
    return total


def binary_reference(y, s, w, pred):
    two = len(np.unique(y[w > 0])) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr_pos, lr_neg = M.class_likelihood_ratios(y, pred, labels=[0, 1], sample_weight=w)
    return {
        "accuracy": M.accuracy_score(y, pred, sample_weight=w),
        "balanced_accuracy": M.balanced_accuracy_score(y, pred, sample_weight=w),
        "precision": M.precision_score(y, pred, zero_division=0, sample_weight=w),
        "recall": M.recall_score(y, pred, zero_division=0, sample_weight=w),
        "specificity": M.recall_score(y, pred, pos_label=0, zero_division=0, sample_weight=w),
        "f1": M.f1_score(y, pred, zero_division=0, sample_weight=w),
        "fbeta": M.fbeta_score(y, pred, beta=2, zero_division=0, sample_weight=w),
        "mcc": M.matthews_corrcoef(y, pred, sample_weight=w),
        "roc_auc": M.roc_auc_score(y, s, sample_weight=w) if two else None,
        "roc_auc_max_fpr": M.roc_auc_score(y, s, sample_weight=w, max_fpr=0.2) if two else None,
        "average_precision": M.average_precision_score(y, s, sample_weight=w),
        "log_loss": M.log_loss(y, s, eps=1e-15, labels=[0, 1], sample_weight=w),
        "brier": M.brier_score_loss(y, s, sample_weight=w),
        "ece": weighted_ece(y, s, w),
        "positive_rate": np.average(pred, weights=w),
        "prevalence": np.average(y, weights=w),
        "jaccard": M.jaccard_score(y, pred, zero_division=0, sample_weight=w),
        "balanced_accuracy_adjusted": M.balanced_accuracy_score(y, pred, adjusted=True, sample_weight=w),
        "hamming_loss": M.hamming_loss(y, pred, sample_weight=w),
        "positive_likelihood_ratio": None if np.isnan(lr_pos) else lr_pos,
        "negative_likelihood_ratio": None if np.isnan(lr_neg) else lr_neg,
    }


class WeightCase(ToolCase):
    def setUp(self):
        super().setUp()
        self.rng = np.random.default_rng(41)

    def weights(self, n):
        w = np.round(self.rng.gamma(1.5, 1.0, n), 3)
        w[self.rng.random(n) < 0.05] = 0.0  # rows left out
        return w

    def each_scope(self, doc, df):
        yield "overall", np.ones(len(df), dtype=bool), doc["metrics"]["overall"]
        for entry in doc["metrics"]["slices"]:
            (col, val), = entry["slice"].items()
            yield f"{col}={val}", (df[col].astype(str) == val).to_numpy(), entry["metrics"]


class BinaryWeights(WeightCase):
    def test_every_metric_weighted(self):
        n = 15000
        y = (self.rng.random(n) < 0.3).astype(int)
        s = np.round(1 / (1 + np.exp(-(self.rng.normal(size=n) + 1.1 * y))), 3)  # ties
        w = self.weights(n)
        region = self.rng.choice(["eu", "us", "apac"], n, p=[0.5, 0.3, 0.2])
        df = pd.DataFrame({"label": y, "score": s, "w": w, "region": region})
        policy = ("version: 1\ntask: binary\ncolumns: {weight: w}\nmetrics:\n"
                  "  fbeta: {min: 0, beta: 2}\n  roc_auc_max_fpr: {min: 0, max_fpr: 0.2}\n"
                  "slices: {columns: [region]}\n")
        doc = self.eval_doc(df, policy)
        self.assertClose(doc["metrics"]["weight_total"], w.sum(), "weight_total")
        pred = (s >= 0.5).astype(int)
        for name, m, got in self.each_scope(doc, df):
            for k, v in binary_reference(y[m], s[m], w[m], pred[m]).items():
                self.assertClose(got[k], v, f"{name} {k}")
        self.assertEqual(doc["metrics"]["overall"]["roc_auc"] is not None, True)
        # Weights of 1 are the unweighted document.
        df["w"] = 1.0
        ones = self.eval_doc(df, policy)
        plain = self.eval_doc(df, policy.replace("columns: {weight: w}\n", ""))
        for k, v in plain["metrics"]["overall"].items():
            self.assertClose(ones["metrics"]["overall"][k], v, "ones " + k, rel=1e-12)

    def test_predictions_out_keeps_the_weights(self):
        df = pd.DataFrame({"label": [0, 1, 0, 1, 1], "score": [0.1, 0.9, 0.3, 0.7, 0.4],
                           "w": [1.5, 0.0, 2.0, 1.0, 3.25], "x": [1, 2, 3, 4, 5]})
        f, out = self.path("in.csv"), self.path("scored.csv")
        df.to_csv(f, index=False)
        run("mlgate-eval", "--data", f, "--weight-col", "w", "--predictions-out", out, "-o",
            self.path("o.json"), expect=0)
        back = pd.read_csv(out)
        self.assertEqual(back["w"].tolist(), df["w"].tolist())
        a, _ = run_json("mlgate-eval", "--data", f, "--weight-col", "w")
        b, _ = run_json("mlgate-eval", "--data", out, "--weight-col", "w")
        self.assertEqual(a["metrics"]["overall"], b["metrics"]["overall"])

    def test_a_model_command_never_sees_the_weights(self):
        df = pd.DataFrame({"label": [0, 1, 0, 1, 1, 0], "x": [0.1, 0.9, 0.3, 0.7, 0.4, 0.2],
                           "w": [1.0, 2.0, 0.5, 1.0, 3.0, 1.0]})
        f, model = self.path("features.csv"), self.path("model.py")
        df.to_csv(f, index=False)
        write(model, "import sys\nhead = sys.stdin.readline().strip().split(',')\n"
                     "assert 'w' not in head and 'label' not in head, head\n"
                     "print('score')\n"
                     "for line in sys.stdin:\n    print(line.strip().split(',')[head.index('x')])\n")
        doc, _ = run_json("mlgate-eval", "--features", f, "--model-cmd", f"/usr/bin/python3 {model}",
                          "--weight-col", "w")
        self.assertClose(doc["metrics"]["overall"]["roc_auc"],
                         M.roc_auc_score(df["label"], df["x"], sample_weight=df["w"]), "roc_auc")

    def test_bad_weights_are_errors_naming_the_row(self):
        df = pd.DataFrame({"label": [0, 1, 0, 1], "score": [0.1, 0.9, 0.3, 0.7], "w": [1.0, -2.0, 1.0, 1.0]})
        f = self.path("bad.csv")
        df.to_csv(f, index=False)
        p = run("mlgate-eval", "--data", f, "--weight-col", "w", expect=2)
        self.assertIn("data row 2", p.stderr)
        self.assertIn('column "w"', p.stderr)
        df["w"] = 0.0
        df.to_csv(f, index=False)
        p = run("mlgate-eval", "--data", f, "--weight-col", "w", expect=2)
        self.assertIn("every weight is 0", p.stderr)
        df["w"] = [1.0, None, 1.0, 1.0]
        df.to_csv(f, index=False)
        p = run("mlgate-eval", "--data", f, "--weight-col", "w", expect=2)
        self.assertIn("missing value", p.stderr)


class MulticlassWeights(WeightCase):
    def test_every_metric_weighted(self):
        n, classes = 9000, ["a", "b", "c", "d"]
        y = self.rng.choice(4, n, p=[0.4, 0.3, 0.2, 0.1])
        logits = self.rng.normal(size=(n, 4)) + 1.3 * np.eye(4)[y]
        P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        w = self.weights(n)
        seg = self.rng.choice(["x", "y"], n)
        df = pd.DataFrame({"label": np.array(classes)[y], "w": w, "seg": seg})
        for i, c in enumerate(classes):
            df["p_" + c] = P[:, i]
        policy = ("version: 1\ntask: multiclass\ncolumns: {weight: w}\nmetrics:\n"
                  "  top_k_accuracy: {min: 0, k: 2}\nslices: {columns: [seg]}\n")
        doc = self.eval_doc(df, policy, "--proba-cols", "p_*")
        yt = np.array(classes)[y]
        yp = np.array(classes)[np.argmax(P, axis=1)]
        for name, m, got in self.each_scope(doc, df):
            wm = w[m]
            ref = {
                "accuracy": M.accuracy_score(yt[m], yp[m], sample_weight=wm),
                "balanced_accuracy": M.balanced_accuracy_score(yt[m], yp[m], sample_weight=wm),
                "precision_macro": M.precision_score(yt[m], yp[m], average="macro", zero_division=0, sample_weight=wm),
                "recall_macro": M.recall_score(yt[m], yp[m], average="macro", zero_division=0, sample_weight=wm),
                "f1_macro": M.f1_score(yt[m], yp[m], average="macro", zero_division=0, sample_weight=wm),
                "f1_micro": M.f1_score(yt[m], yp[m], average="micro", zero_division=0, sample_weight=wm),
                "f1_weighted": M.f1_score(yt[m], yp[m], average="weighted", zero_division=0, sample_weight=wm),
                "mcc": M.matthews_corrcoef(yt[m], yp[m], sample_weight=wm),
                "cohen_kappa": M.cohen_kappa_score(yt[m], yp[m], sample_weight=wm),
                "cohen_kappa_linear": M.cohen_kappa_score(yt[m], yp[m], weights="linear", sample_weight=wm),
                "cohen_kappa_quadratic": M.cohen_kappa_score(yt[m], yp[m], weights="quadratic", sample_weight=wm),
                "jaccard": M.jaccard_score(yt[m], yp[m], average="macro", zero_division=0, sample_weight=wm),
                "hamming_loss": M.hamming_loss(yt[m], yp[m], sample_weight=wm),
                "log_loss": M.log_loss(yt[m], P[m], eps=1e-15, labels=classes, sample_weight=wm),
                "roc_auc_ovr": M.roc_auc_score(yt[m], P[m], multi_class="ovr", labels=classes, sample_weight=wm),
                "roc_auc_ovr_weighted": M.roc_auc_score(yt[m], P[m], multi_class="ovr", average="weighted",
                                                        labels=classes, sample_weight=wm),
                "top_k_accuracy": M.top_k_accuracy_score(yt[m], P[m], k=2, labels=classes, sample_weight=wm),
            }
            for k, v in ref.items():
                self.assertClose(got[k], v, f"{name} {k}")
        prec, rec, f1, support = M.precision_recall_fscore_support(yt, yp, labels=classes, zero_division=0,
                                                                   sample_weight=w)
        for i, c in enumerate(classes):
            got = doc["metrics"]["per_class"][c]
            for key, v in (("precision", prec[i]), ("recall", rec[i]), ("f1", f1[i]), ("support", w[y == i].sum()),
                           ("roc_auc", M.roc_auc_score(yt == c, P[:, i], sample_weight=w))):
                self.assertClose(got[key], v, f"{c} {key}")


class RegressionWeights(WeightCase):
    def test_every_metric_weighted(self):
        n = 8001
        y = np.round(self.rng.gamma(2.0, 10.0, n) + 0.1, 3)
        p = np.round(y * np.exp(self.rng.normal(0, 0.3, n)), 4)
        w = self.weights(n)
        seg = self.rng.choice(["a", "b", "c"], n)
        df = pd.DataFrame({"label": y, "score": p, "w": w, "seg": seg})
        policy = ("version: 1\ntask: regression\ncolumns: {weight: w}\nmetrics:\n"
                  "  msle: {max: 1.0e9}\n  mean_pinball_loss: {max: 1.0e9, alpha: 0.8}\n"
                  "  mean_tweedie_deviance: {max: 1.0e9, power: 1.5}\n"
                  "slices: {columns: [seg]}\n")
        doc = self.eval_doc(df, policy)
        for name, m, got in self.each_scope(doc, df):
            yt, yp, wm = y[m], p[m], w[m]
            ref = {
                "mae": M.mean_absolute_error(yt, yp, sample_weight=wm),
                "mse": M.mean_squared_error(yt, yp, sample_weight=wm),
                "rmse": M.mean_squared_error(yt, yp, sample_weight=wm, squared=False),
                "r2": M.r2_score(yt, yp, sample_weight=wm),
                "mape": M.mean_absolute_percentage_error(yt, yp, sample_weight=wm),
                "median_ae": M.median_absolute_error(yt, yp, sample_weight=wm),
                "max_error": M.max_error(yt[wm > 0], yp[wm > 0]),
                "explained_variance": M.explained_variance_score(yt, yp, sample_weight=wm),
                "msle": M.mean_squared_log_error(yt, yp, sample_weight=wm),
                "rmsle": M.mean_squared_log_error(yt, yp, sample_weight=wm, squared=False),
                "d2_absolute_error": M.d2_absolute_error_score(yt, yp, sample_weight=wm),
                "mean_poisson_deviance": M.mean_poisson_deviance(yt, yp, sample_weight=wm),
                "mean_gamma_deviance": M.mean_gamma_deviance(yt, yp, sample_weight=wm),
                "mean_pinball_loss": M.mean_pinball_loss(yt, yp, alpha=0.8, sample_weight=wm),
                "mean_tweedie_deviance": M.mean_tweedie_deviance(yt, yp, power=1.5, sample_weight=wm),
            }
            for k, v in ref.items():
                self.assertClose(got[k], v, f"{name} {k}")


class CompareWeights(WeightCase):
    def pair(self, n, task="binary"):
        ids = np.arange(n)
        w = self.weights(n)
        if task == "binary":
            y = (self.rng.random(n) < 0.3).astype(int)
            base = self.rng.normal(size=n) + 1.0 * y
            s1 = np.round(1 / (1 + np.exp(-(base + self.rng.normal(0, 0.5, n)))), 4)
            s2 = np.round(1 / (1 + np.exp(-(base + self.rng.normal(0, 0.8, n)))), 4)
        else:
            y = np.round(self.rng.gamma(2.0, 10.0, n), 3)
            s1 = np.round(y + self.rng.normal(0, 2, n), 3)
            s2 = np.round(y + self.rng.normal(0, 3, n), 3)
        cp, bp = self.path("c.csv"), self.path("b.csv")
        pd.DataFrame({"id": ids, "label": y, "score": s1, "w": w}).to_csv(cp, index=False)
        # The baseline needs no weight column: the candidate's weights apply to the pairs.
        pd.DataFrame({"id": ids, "label": y, "score": s2}).sample(frac=1, random_state=2).to_csv(bp, index=False)
        return y, s1, s2, w, cp, bp

    def compare(self, cp, bp, policy, *args):
        pol = self.path("p.yaml")
        write(pol, policy)
        doc, _ = run_json("mlgate-compare", "--candidate", cp, "--baseline", bp, "--policy", pol, *args, expect=None)
        return {c["id"]: c for c in doc["checks"]}, doc

    def test_binary_bootstrap_with_weights(self):
        y, s1, s2, w, cp, bp = self.pair(3000)
        policy = ("version: 1\ntask: binary\ncolumns: {id: id, weight: w}\nmetrics:\n"
                  "  roc_auc: {max_regression: 0.05, confidence: 0.95}\n"
                  "  log_loss: {max_regression: 0.05, confidence: 0.95}\n"
                  "  f1: {max_regression: 0.05}\n"
                  "statistics: {multiple_testing: none, bootstrap_samples: 400}\n")
        checks, doc = self.compare(cp, bp, policy)
        auc = checks["roc_auc.regression"]
        self.assertEqual(auc["method"], "bootstrap")
        self.assertTrue(auc["weighted"])
        self.assertIn("DeLong", auc["method_reason"])
        want = M.roc_auc_score(y, s1, sample_weight=w) - M.roc_auc_score(y, s2, sample_weight=w)
        self.assertClose(auc["delta"], want, "roc_auc delta")
        lo, hi = auc["ci"]
        self.assertLess(lo, want)
        self.assertGreater(hi, want)
        want = (M.log_loss(y, s1, sample_weight=w, eps=1e-15) - M.log_loss(y, s2, sample_weight=w, eps=1e-15))
        self.assertClose(checks["log_loss.regression"]["delta"], want, "log_loss delta")
        want = (M.f1_score(y, (s1 >= 0.5).astype(int), sample_weight=w)
                - M.f1_score(y, (s2 >= 0.5).astype(int), sample_weight=w))
        self.assertClose(checks["f1.regression"]["delta"], want, "f1 delta")
        self.assertNotIn("mcnemar", doc.get("tests", {}))
        # Deterministic for the seed, whatever the thread count.
        again, _ = self.compare(cp, bp, policy, "--threads", "1")
        self.assertEqual(again["roc_auc.regression"]["ci"], auc["ci"])
        # DeLong asked for by name: an error, not an unweighted answer.
        forced, _ = self.compare(cp, bp, policy.replace("bootstrap_samples: 400", "method: delong"))
        self.assertEqual(forced["roc_auc.regression"]["status"], "error")

    def test_unit_weights_bootstrap_like_no_weights(self):
        y, s1, s2, w, cp, bp = self.pair(2000)
        df = pd.read_csv(cp)
        df["w"] = 1.0
        df.to_csv(cp, index=False)
        policy = ("version: 1\ntask: binary\ncolumns: {id: id, weight: w}\nmetrics:\n"
                  "  average_precision: {max_regression: 0.05, confidence: 0.95}\n"
                  "statistics: {multiple_testing: none, bootstrap_samples: 300}\n")
        weighted, _ = self.compare(cp, bp, policy)
        plain, _ = self.compare(cp, bp, policy.replace(", weight: w", ""))
        a, b = weighted["average_precision.regression"], plain["average_precision.regression"]
        for x, y_ in zip(a["ci"], b["ci"]):
            self.assertClose(x, y_, "ci", rel=1e-12)

    def test_regression_bootstrap_with_weights(self):
        y, s1, s2, w, cp, bp = self.pair(2500, task="regression")
        policy = ("version: 1\ntask: regression\ncolumns: {id: id, weight: w}\nmetrics:\n"
                  "  mae: {max_regression: 1.0, confidence: 0.95}\n"
                  "  median_ae: {max_regression: 1.0, confidence: 0.95}\n"
                  "statistics: {multiple_testing: none, bootstrap_samples: 300}\n")
        checks, _ = self.compare(cp, bp, policy)
        want = M.mean_absolute_error(y, s1, sample_weight=w) - M.mean_absolute_error(y, s2, sample_weight=w)
        self.assertClose(checks["mae.regression"]["delta"], want, "mae delta")
        want = M.median_absolute_error(y, s1, sample_weight=w) - M.median_absolute_error(y, s2, sample_weight=w)
        self.assertClose(checks["median_ae.regression"]["delta"], want, "median_ae delta")
        for c in checks.values():
            self.assertNotEqual(c["status"], "error", c)
            lo, hi = c["ci"]
            self.assertLessEqual(lo, c["delta"])
            self.assertGreaterEqual(hi, c["delta"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
