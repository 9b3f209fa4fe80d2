"""mlgate-eval's metrics against scikit-learn on generated data, to 1e-9 relative."""
import gzip
import os
import tempfile
import unittest
import warnings

import numpy as np
import pandas as pd
from sklearn import metrics as M

from oracle_common import ParityCase, run, run_json


def ece_reference(y, p):
    # The contract: 15 bins (k/15, (k+1)/15], 0 in the first; sum n_b/N |mean(y) - mean(p)|.
    edges = [k / 15 for k in range(16)]
    total = 0.0
    for k in range(15):
        lo, hi = edges[k], edges[k + 1]
        m = (p > lo) & (p <= hi) if k > 0 else (p <= hi)
        if m.sum():
            total += m.sum() / len(p) * abs(y[m].mean() - p[m].mean())
    return total


def binary_reference(y, s, pred):
    ok_prob = bool(((s >= 0) & (s <= 1)).all())
    two = len(np.unique(y)) == 2
    ref = {
        "accuracy": M.accuracy_score(y, pred),
        "balanced_accuracy": M.balanced_accuracy_score(y, pred),
        "precision": M.precision_score(y, pred, zero_division=0),
        "recall": M.recall_score(y, pred, zero_division=0),
        "specificity": M.recall_score(y, pred, pos_label=0, zero_division=0),
        "f1": M.f1_score(y, pred, zero_division=0),
        "mcc": M.matthews_corrcoef(y, pred),
        "roc_auc": M.roc_auc_score(y, s) if two else None,
        "average_precision": M.average_precision_score(y, s) if y.sum() else None,
        "log_loss": M.log_loss(y, s, eps=1e-15, labels=[0, 1]) if ok_prob else None,
        "brier": M.brier_score_loss(y, s) if ok_prob else None,
        "ece": ece_reference(y, s) if ok_prob else None,
        "positive_rate": pred.mean(),
        "prevalence": y.mean(),
        "jaccard": M.jaccard_score(y, pred, zero_division=0),
        "balanced_accuracy_adjusted": M.balanced_accuracy_score(y, pred, adjusted=True) if two else None,
        "hamming_loss": M.hamming_loss(y, pred),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr_pos, lr_neg = M.class_likelihood_ratios(y, pred, labels=[0, 1])
    ref["positive_likelihood_ratio"] = None if np.isnan(lr_pos) else lr_pos
    ref["negative_likelihood_ratio"] = None if np.isnan(lr_neg) else lr_neg
    return ref


class BinaryParity(ParityCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.rng = np.random.default_rng(20261123)

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def check(self, df, y, s, pred, *args, slices=None):
        f = self.path("p.csv")
        df.to_csv(f, index=False)
        doc, _ = run_json("mlgate-eval", "--data", f, *args, expect=0)
        overall = doc["metrics"]["overall"]
        for k, v in binary_reference(y, s, pred).items():
            self.assertClose(overall[k], v, k)
        if slices:
            for entry in doc["metrics"]["slices"]:
                (col, val), = entry["slice"].items()
                m = (df[col].astype(str) == val).to_numpy()
                self.assertEqual(entry["n"], int(m.sum()))
                for k, v in binary_reference(y[m], s[m], pred[m]).items():
                    self.assertClose(entry["metrics"][k], v, f"{col}={val} {k}")
        return doc

    def test_continuous_scores(self):
        n = 20000
        y = (self.rng.random(n) < 0.35).astype(int)
        s = 1 / (1 + np.exp(-(self.rng.normal(size=n) + 1.2 * y)))
        df = pd.DataFrame({"label": y, "score": s})
        doc = self.check(df, y, s, (s >= 0.5).astype(int))
        roc = doc["metrics"]["curves"]["roc"]
        self.assertLessEqual(len(roc), 200)
        self.assertEqual(roc[0], [0.0, 0.0])
        self.assertEqual(roc[-1], [1.0, 1.0])
        self.assertTrue(all(a[0] <= b[0] and a[1] <= b[1] for a, b in zip(roc, roc[1:])))

    def test_tied_scores_and_threshold(self):
        n = 15000
        y = (self.rng.random(n) < 0.4).astype(int)
        s = np.round(np.clip(self.rng.normal(0.4 + 0.2 * y, 0.2), 0, 1), 1)  # 11 distinct values
        df = pd.DataFrame({"label": y, "score": s})
        self.check(df, y, s, (s >= 0.3).astype(int), "--threshold", "0.3")

    def test_one_percent_positives_with_slices(self):
        n = 60000
        y = (self.rng.random(n) < 0.01).astype(int)
        s = np.clip(self.rng.beta(1, 8, n) + 0.3 * y * self.rng.random(n), 0, 1)
        region = self.rng.choice(["eu", "us", "apac", "latam"], n, p=[0.4, 0.4, 0.15, 0.05])
        channel = self.rng.choice(["web", "app"], n)
        df = pd.DataFrame({"label": y, "score": s, "region": region, "channel": channel})
        doc = self.check(df, y, s, (s >= 0.5).astype(int), "--slice-col", "region", "--slice-col", "channel",
                         slices=True)
        self.assertEqual(len(doc["metrics"]["slices"]), 6)

    def test_string_labels_with_positive_label_and_hard_predictions(self):
        n = 8000
        yb = self.rng.random(n) < 0.3
        s = np.clip(self.rng.normal(0.35 + 0.3 * yb, 0.2), 0, 1)
        pred = (self.rng.random(n) < 0.5) | (s > 0.6)
        df = pd.DataFrame({"churn": np.where(yb, "yes", "no"), "p": s, "decision": np.where(pred, "yes", "no")})
        self.check(df, yb.astype(int), s, pred.astype(int), "--label-col", "churn", "--score-col", "p",
                   "--pred-col", "decision", "--positive-label", "yes")

    def test_scores_that_are_not_probabilities(self):
        n = 5000
        y = (self.rng.random(n) < 0.5).astype(int)
        s = self.rng.normal(size=n) + y  # decision values
        df = pd.DataFrame({"label": y, "score": s})
        doc = self.check(df, y, s, (s >= 0).astype(int), "--threshold", "0")
        self.assertTrue(any("not probabilities" in w for w in doc["warnings"]))

    def test_one_class_gives_null_and_warning(self):
        n = 500
        y = np.zeros(n, dtype=int)
        s = self.rng.random(n)
        df = pd.DataFrame({"label": y, "score": s})
        doc = self.check(df, y, s, (s >= 0.5).astype(int))
        self.assertIsNone(doc["metrics"]["overall"]["roc_auc"])
        self.assertTrue(any("roc_auc" in w for w in doc["warnings"]))

    def test_formats_agree(self):
        n = 3000
        y = (self.rng.random(n) < 0.3).astype(int)
        s = self.rng.random(n)
        df = pd.DataFrame({"label": y, "score": s})
        docs = []
        df.to_csv(self.path("a.csv"), index=False)
        df.to_csv(self.path("a.tsv"), index=False, sep="\t")
        df.to_json(self.path("a.jsonl"), orient="records", lines=True, double_precision=15)
        with open(self.path("a.csv"), "rb") as f, gzip.open(self.path("a.csv.gz"), "wb") as g:
            g.write(f.read())
        for name in ("a.csv", "a.tsv", "a.csv.gz"):
            docs.append(run_json("mlgate-eval", "--data", self.path(name))[0]["metrics"]["overall"])
        for d in docs[1:]:
            self.assertEqual(d, docs[0])
        j = run_json("mlgate-eval", "--data", self.path("a.jsonl"))[0]["metrics"]["overall"]
        for k, v in docs[0].items():
            self.assertClose(j[k], v, "jsonl " + k, rel=1e-12)


def multiclass_more(yt, yp):
    return {
        "cohen_kappa_linear": M.cohen_kappa_score(yt, yp, weights="linear"),
        "cohen_kappa_quadratic": M.cohen_kappa_score(yt, yp, weights="quadratic"),
        "balanced_accuracy_adjusted": M.balanced_accuracy_score(yt, yp, adjusted=True),
        "jaccard": M.jaccard_score(yt, yp, average="macro", zero_division=0),
        "hamming_loss": M.hamming_loss(yt, yp),
    }


ON_REQUEST = ("msle", "rmsle", "d2_absolute_error", "mean_poisson_deviance", "mean_gamma_deviance")
# A policy that names one of them asks for them all.
ON_REQUEST_POLICY = "version: 1\ntask: regression\nmetrics:\n  d2_absolute_error: {min: -1.0e9}\n"


def regression_reference(y, p):
    logs = bool((y >= 0).all() and (p >= 0).all())
    return {
        "mae": M.mean_absolute_error(y, p),
        "mse": M.mean_squared_error(y, p),
        "rmse": M.mean_squared_error(y, p, squared=False),
        "r2": M.r2_score(y, p) if len(y) > 1 else None,
        "mape": M.mean_absolute_percentage_error(y, p),
        "median_ae": M.median_absolute_error(y, p),
        "max_error": M.max_error(y, p),
        "explained_variance": M.explained_variance_score(y, p),
        "msle": M.mean_squared_log_error(y, p) if logs else None,
        "rmsle": M.mean_squared_log_error(y, p, squared=False) if logs else None,
        "d2_absolute_error": M.d2_absolute_error_score(y, p) if len(y) > 1 else None,
        "mean_poisson_deviance": M.mean_poisson_deviance(y, p) if (y >= 0).all() and (p > 0).all() else None,
        "mean_gamma_deviance": M.mean_gamma_deviance(y, p) if (y > 0).all() and (p > 0).all() else None,
    }


class MulticlassParity(ParityCase):
    def test_probability_columns(self):
        rng = np.random.default_rng(5)
        n, classes = 12000, ["bird", "cat", "dog", "fish"]
        y = rng.integers(0, 4, n)
        logits = rng.normal(size=(n, 4)) + 1.5 * np.eye(4)[y]
        P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        P[:50] = np.round(P[:50], 1)  # some ties
        P = P / P.sum(axis=1, keepdims=True)
        df = pd.DataFrame({"label": np.array(classes)[y]})
        for i, c in enumerate(classes):
            df["p_" + c] = P[:, i]
        with tempfile.TemporaryDirectory() as d:
            f = os.path.join(d, "m.csv")
            df.to_csv(f, index=False, float_format="%.17g")
            doc, _ = run_json("mlgate-eval", "--data", f, "--proba-cols", "p_*")
        yt = np.array(classes)[y]
        yp = np.array(classes)[np.argmax(P, axis=1)]
        ref = {
            "accuracy": M.accuracy_score(yt, yp),
            "balanced_accuracy": M.balanced_accuracy_score(yt, yp),
            "precision_macro": M.precision_score(yt, yp, average="macro", zero_division=0),
            "recall_macro": M.recall_score(yt, yp, average="macro", zero_division=0),
            "f1_macro": M.f1_score(yt, yp, average="macro", zero_division=0),
            "f1_micro": M.f1_score(yt, yp, average="micro", zero_division=0),
            "f1_weighted": M.f1_score(yt, yp, average="weighted", zero_division=0),
            "mcc": M.matthews_corrcoef(yt, yp),
            "cohen_kappa": M.cohen_kappa_score(yt, yp),
            "log_loss": M.log_loss(yt, P, eps=1e-15, labels=classes),
            "roc_auc_ovr": M.roc_auc_score(yt, P, multi_class="ovr", average="macro", labels=classes),
            **multiclass_more(yt, yp),
        }
        self.assertEqual(doc["metrics"]["classes"], classes)
        for k, v in ref.items():
            self.assertClose(doc["metrics"]["overall"][k], v, k)
        # The confusion matrix (ties in the rounded rows go to the first class, as numpy's argmax).
        self.assertEqual(doc["metrics"]["confusion"], M.confusion_matrix(yt, yp, labels=classes).tolist())

    def test_predicted_classes_only_with_unpredicted_class(self):
        rng = np.random.default_rng(6)
        n = 3000
        y = rng.integers(0, 3, n)
        pred = np.where(rng.random(n) < 0.7, y, rng.integers(0, 2, n))  # class 2 predicted less
        pred[y == 2] = 0
        df = pd.DataFrame({"label": y, "pred": pred})
        with tempfile.TemporaryDirectory() as d:
            f = os.path.join(d, "m.csv")
            df.to_csv(f, index=False)
            doc, _ = run_json("mlgate-eval", "--data", f, "--task", "multiclass", "--pred-col", "pred")
        o = doc["metrics"]["overall"]
        self.assertClose(o["precision_macro"], M.precision_score(y, pred, average="macro", zero_division=0), "precision_macro")
        self.assertClose(o["f1_weighted"], M.f1_score(y, pred, average="weighted", zero_division=0), "f1_weighted")
        self.assertClose(o["cohen_kappa"], M.cohen_kappa_score(y, pred), "cohen_kappa")
        self.assertClose(o["mcc"], M.matthews_corrcoef(y, pred), "mcc")
        self.assertClose(o["balanced_accuracy"], M.balanced_accuracy_score(y, pred), "balanced_accuracy")
        for k, v in multiclass_more(y, pred).items():
            self.assertClose(o[k], v, k)
        # Ordinal weights count positions among the labels present: with class 1 never seen,
        # classes 0 and 2 are one step apart, as scikit-learn's unique_labels has them.
        y2, p2 = np.array([0, 2, 2, 0, 3, 3, 0, 2]), np.array([0, 2, 3, 2, 3, 0, 0, 3])
        with tempfile.TemporaryDirectory() as d:
            f = os.path.join(d, "k.csv")
            pd.DataFrame({"label": y2, "pred": p2}).to_csv(f, index=False)
            gap, _ = run_json("mlgate-eval", "--data", f, "--task", "multiclass", "--pred-col", "pred")
        for k, v in multiclass_more(y2, p2).items():
            self.assertClose(gap["metrics"]["overall"][k], v, "gap " + k)
        self.assertEqual(doc["metrics"]["confusion"], M.confusion_matrix(y, pred, labels=[0, 1, 2]).tolist())


class RegressionParity(ParityCase):
    def test_regression_metrics_with_slices(self):
        rng = np.random.default_rng(9)
        n = 10001
        y = rng.gamma(2.0, 50.0, n)
        y[:5] = 0.0  # mape's epsilon floor
        p = y + rng.normal(0, 10, n)
        seg = rng.choice(["a", "b"], n)
        doc = self.evaluate(y, p, seg, ON_REQUEST_POLICY)
        # Without a policy naming one, the metrics that cost a logarithm per row are left out.
        plain = self.evaluate(y, p, seg, None)
        for k in ON_REQUEST:
            self.assertNotIn(k, plain["metrics"]["overall"])
        self.assert_parity(doc, y, p, seg, "")

    def evaluate(self, y, p, seg, policy):
        df = pd.DataFrame({"y": y, "yhat": p, "seg": seg})
        with tempfile.TemporaryDirectory() as d:
            f = os.path.join(d, "r.csv")
            df.to_csv(f, index=False, float_format="%.17g")
            args = ["--data", f, "--task", "regression", "--label-col", "y", "--score-col", "yhat",
                    "--slice-col", "seg"]
            if policy:
                pol = os.path.join(d, "p.yaml")
                with open(pol, "w") as fh:
                    fh.write(policy)
                args += ["--policy", pol]
            doc, _ = run_json("mlgate-eval", *args)
        return doc

    def assert_parity(self, doc, y, p, seg, name):
        for k, v in regression_reference(y, p).items():
            self.assertClose(doc["metrics"]["overall"][k], v, f"{name} {k}")
        for entry in doc["metrics"]["slices"]:
            m = seg == entry["slice"]["seg"]
            for k, v in regression_reference(y[m], p[m]).items():
                self.assertClose(entry["metrics"][k], v, f"{name} {entry['slice']['seg']} {k}")

    def test_log_errors_deviances_and_d2_on_positive_targets(self):
        rng = np.random.default_rng(10)
        n = 6000
        y = np.round(rng.gamma(2.0, 20.0, n) + 0.5, 3)
        y[:40] = 7.25  # ties at the median's neighbourhood
        p = np.round(y * np.exp(rng.normal(0, 0.3, n)), 4)
        seg = rng.choice(["a", "b", "c"], n)
        seg[0] = "one"  # a slice of one row: d2 undefined
        seg[1:4] = "flat"  # a constant target: d2's denominator is 0
        y[1:4] = 3.0
        zeros = y.copy()
        zeros[4] = 0.0  # Poisson takes a zero label; gamma does not
        for label, name in ((y, "positive"), (zeros, "with a zero")):
            self.assert_parity(self.evaluate(label, p, seg, ON_REQUEST_POLICY), label, p, seg, name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
