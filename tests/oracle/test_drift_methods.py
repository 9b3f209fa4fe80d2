"""mlgate-datatest's further drift methods (anderson, cramervonmises, energy, hellinger,
mannwhitney, ttest, fisher_exact, g_test) and Evidently's binning (bins: evidently) against scipy,
numpy and Evidently's definitions written out here, to 1e-9 relative."""
import os
import tempfile
import unittest
import warnings

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

from oracle_common import ParityCase, run_json, write


def decile_bins(r, u):
    e = np.unique(np.quantile(r, [k / 10 for k in range(1, 10)]))
    return (np.bincount(np.searchsorted(e, r, side="left"), minlength=len(e) + 1).astype(float),
            np.bincount(np.searchsorted(e, u, side="left"), minlength=len(e) + 1).astype(float))


def hellinger_counts(rc, cc):
    return float(np.sqrt(1 - np.clip(np.sum(np.sqrt(rc / rc.sum() * (cc / cc.sum()))), 0, 1)))


def evidently_binned(r, u, numeric, fill):
    """Evidently's get_binned_data (n_bins unused for numbers: Sturges over both samples)."""
    if numeric and len(np.unique(r)) > 20:
        edges = np.histogram_bin_edges(np.concatenate([r, u]), bins="sturges")
        rp = np.histogram(r, edges)[0] / len(r)
        cp = np.histogram(u, edges)[0] / len(u)
    else:
        keys = sorted(set(r) | set(u))
        rp = np.array([np.sum(r == k) / len(r) for k in keys])
        cp = np.array([np.sum(u == k) / len(u) for k in keys])
    if fill:
        for p in (rp, cp):
            m = p[p != 0].min()
            np.place(p, p == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return rp, cp


def evidently_psi(r, u, numeric):
    rp, cp = evidently_binned(r, u, numeric, True)
    return float(np.sum((rp - cp) * np.log(rp / cp)))


def evidently_hellinger(r, u, numeric):
    keys = np.array(sorted(set(r) | set(u)))
    if not numeric:
        rp = np.array([np.sum(r == k) / len(r) for k in keys])
        cp = np.array([np.sum(u == k) / len(u) for k in keys])
        return float(np.sqrt(1 - np.clip(np.sum(np.sqrt(rp * cp)), 0, 1)))
    edges = np.histogram_bin_edges(keys, bins="sturges")
    h1 = np.histogram(r, bins=edges, density=True)[0]
    h2 = np.histogram(u, bins=edges, density=True)[0]
    width = (keys.max() - keys.min()) / len(h1)
    return float(np.sqrt(1 - np.clip(np.sum(np.sqrt(h1 * h2) * width), 0, 1)))


class Methods(ParityCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def run_suite(self, ref, cur, suite):
        paths = []
        for name, df in (("ref", ref), ("cur", cur)):
            p = os.path.join(self.dir.name, name + ".csv")
            df.to_csv(p, index=False)
            paths.append(p)
        s = os.path.join(self.dir.name, "suite.yaml")
        write(s, "version: 1\nexpectations:\n" + suite)
        doc, _ = run_json("mlgate-datatest", "--data", paths[1], "--reference", paths[0], "--suite", s, expect=None)
        return {c["id"]: c for c in doc["checks"]}

    def numeric_cases(self):
        rng = np.random.default_rng(31)
        big_r = pd.DataFrame({"x": rng.normal(50, 10, 4000), "t": np.round(rng.gamma(2, 2, 4000), 1)})
        big_c = pd.DataFrame({"x": rng.normal(50.6, 10.5, 3000), "t": np.round(rng.gamma(2.1, 2, 3000), 1)})
        # Small samples: scipy's exact paths (Mann-Whitney up to 8 values without ties,
        # Cramér-von Mises up to 20), and ties in small samples (the normal approximation).
        small_r = pd.DataFrame({"x": rng.normal(0, 1, 7), "t": [1, 2, 2, 3, 3, 3, 4]})
        small_c = pd.DataFrame({"x": rng.normal(0.8, 1, 12), "t": [2, 3, 3, 4, 4, 5, 5, 6, 2, 3, 4, 4]})
        mid_r = pd.DataFrame({"x": rng.normal(0, 1, 19), "t": np.round(rng.normal(0, 1, 19), 1)})
        mid_c = pd.DataFrame({"x": rng.normal(0.5, 1.3, 17), "t": np.round(rng.normal(0.3, 1, 17), 1)})
        return [("big", big_r, big_c), ("small", small_r, small_c), ("mid", mid_r, mid_c)]

    def test_numeric_tests_against_scipy(self):
        methods = ["mannwhitney", "ttest", "anderson", "cramervonmises", "energy", "hellinger"]
        suite = "".join(f"  - {{expect: no_drift, columns: [x, t], method: {m}}}\n" for m in methods)
        for name, ref, cur in self.numeric_cases():
            checks = self.run_suite(ref, cur, suite)
            for i, m in enumerate(methods):
                for j, col in enumerate(["x", "t"]):
                    n = 2 * i + j
                    key = f"no_drift.{col}" + ("" if n < 2 else f"#{n // 2 + 1}")
                    c = checks[key]
                    what = f"{name} {col} {m}"
                    self.assertEqual(c["method"], m, what)
                    r, u = ref[col].to_numpy(float), cur[col].to_numpy(float)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        if m == "mannwhitney":
                            res = stats.mannwhitneyu(r, u, alternative="two-sided")
                        elif m == "ttest":
                            res = stats.ttest_ind(r, u, equal_var=False)
                        elif m == "anderson":
                            res = stats.anderson_ksamp([r, u])
                        elif m == "cramervonmises":
                            res = stats.cramervonmises_2samp(r, u)
                        else:
                            res = None
                    if m == "energy":
                        self.assertClose(c["statistic"], stats.energy_distance(r, u), what)
                        self.assertIsNone(c["p_value"], what)
                        self.assertEqual(c["threshold"], 0.1)
                    elif m == "hellinger":
                        self.assertClose(c["statistic"], hellinger_counts(*decile_bins(r, u)), what)
                    else:
                        self.assertClose(c["statistic"], res.statistic, what)
                        self.assertClose(c["p_value"], res.pvalue, what + " p")
                        self.assertEqual(c["threshold"], 0.05)
                        self.assertEqual(c["status"], "fail" if res.pvalue < 0.05 else "pass", what)

    def test_anderson_p_value_clipped_to_the_table(self):
        rng = np.random.default_rng(32)
        ref = pd.DataFrame({"x": rng.normal(0, 1, 500)})
        far = pd.DataFrame({"x": rng.normal(1, 1, 500)})
        same = pd.DataFrame({"x": ref["x"].to_numpy()[::-1]})
        for cur, want in ((far, 0.001), (same, 0.25)):
            c = self.run_suite(ref, cur, "  - {expect: no_drift, column: x, method: anderson}\n")["no_drift.x"]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = stats.anderson_ksamp([ref["x"].to_numpy(), cur["x"].to_numpy()])
            self.assertEqual(res.pvalue, want)
            self.assertEqual(c["p_value"], want)
            self.assertTrue(c["p_value_clipped"])
            self.assertClose(c["statistic"], res.statistic, "anderson statistic")

    def test_categorical_tests(self):
        rng = np.random.default_rng(33)
        ref = pd.DataFrame({"b": rng.choice(["yes", "no"], 3000, p=[0.3, 0.7]),
                            "k": rng.choice(list("abcde"), 3000, p=[0.3, 0.25, 0.2, 0.15, 0.1]),
                            "n": rng.integers(0, 4, 3000)})
        cur = pd.DataFrame({"b": rng.choice(["yes", "no"], 2000, p=[0.33, 0.67]),
                            "k": rng.choice(list("abcdf"), 2000, p=[0.28, 0.25, 0.2, 0.17, 0.1]),
                            "n": rng.integers(0, 4, 2000)})
        suite = ("  - {expect: no_drift, column: b, method: fisher_exact}\n"
                 "  - {expect: no_drift, columns: [k, n], method: g_test}\n"
                 "  - {expect: no_drift, column: k, method: fisher_exact}\n"
                 "  - {expect: no_drift, columns: [b, k, n], method: hellinger}\n")
        checks = self.run_suite(ref, cur, suite)
        r, u = ref["b"].to_numpy(), cur["b"].to_numpy()
        table = [[np.sum(u == "no"), np.sum(u == "yes")], [np.sum(r == "no"), np.sum(r == "yes")]]
        res = stats.fisher_exact(table)
        self.assertClose(checks["no_drift.b"]["p_value"], res.pvalue, "fisher p")
        for col in ("k", "n"):
            r, u = ref[col].to_numpy(), cur[col].to_numpy()
            cats = np.unique(r)
            obs = np.array([np.sum(u == v) for v in cats], float)
            exp = np.array([np.sum(r == v) for v in cats], float) / len(r) * obs.sum()
            res = stats.power_divergence(obs, exp, lambda_="log-likelihood")
            c = checks[f"no_drift.{col}" if col == "k" else "no_drift.n"]
            self.assertClose(c["statistic"], res.statistic, "g " + col)
            self.assertClose(c["p_value"], res.pvalue, "g p " + col)
        # "f" never appears in the reference: its own failure, as for chi2.
        self.assertEqual(checks["no_drift.k.unseen"]["status"], "fail")
        # fisher_exact on five categories is an error, not a pass.
        self.assertEqual(checks["no_drift.k#2"]["status"], "error")
        self.assertIn("two categories", checks["no_drift.k#2"]["message"])
        for col, key in (("b", "no_drift.b#2"), ("k", "no_drift.k#3"), ("n", "no_drift.n#2")):
            r, u = ref[col].to_numpy(), cur[col].to_numpy()
            keys = sorted(set(r) | set(u))
            rc = np.array([np.sum(r == k) for k in keys], float)
            cc = np.array([np.sum(u == k) for k in keys], float)
            self.assertClose(checks[key]["statistic"], hellinger_counts(rc, cc), "hellinger " + col)

    def test_fisher_exact_small_and_extreme_tables(self):
        for yes_r, no_r, yes_c, no_c in ((3, 1, 1, 3), (10, 0, 0, 10), (5, 5, 5, 5), (1, 40, 9, 30), (0, 7, 0, 4)):
            ref = pd.DataFrame({"b": ["yes"] * yes_r + ["no"] * no_r})
            cur = pd.DataFrame({"b": ["yes"] * yes_c + ["no"] * no_c})
            c = self.run_suite(ref, cur, "  - {expect: no_drift, column: b, method: fisher_exact}\n")["no_drift.b"]
            res = stats.fisher_exact([[no_c, yes_c], [no_r, yes_r]])
            self.assertClose(c["p_value"], res.pvalue, f"fisher {yes_r},{no_r},{yes_c},{no_c}")

    def test_evidently_bins(self):
        rng = np.random.default_rng(34)
        ref = pd.DataFrame({"x": rng.normal(10, 3, 5000), "few": rng.integers(0, 12, 5000),
                            "cat": rng.choice(list("abcd"), 5000, p=[0.4, 0.3, 0.2, 0.1])})
        cur = pd.DataFrame({"x": rng.normal(10.5, 3.2, 4000), "few": rng.integers(0, 14, 4000),
                            "cat": rng.choice(list("abce"), 4000, p=[0.4, 0.3, 0.25, 0.05])})
        cur.loc[0, "x"] = 40.0  # a value far out: Sturges' bins span both samples
        suite = "".join(f"  - {{expect: no_drift, columns: [x, few, cat], method: {m}, bins: evidently}}\n"
                        for m in ("psi", "jensenshannon", "hellinger"))
        checks = self.run_suite(ref, cur, suite)
        for i, m in enumerate(("psi", "jensenshannon", "hellinger")):
            for j, col in enumerate(("x", "few", "cat")):
                key = f"no_drift.{col}" + ("" if i == 0 else f"#{i + 1}")
                r, u = ref[col].to_numpy(), cur[col].to_numpy()
                numeric = col != "cat"
                if m == "psi":
                    want = evidently_psi(r, u, numeric)
                elif m == "jensenshannon":
                    want = float(jensenshannon(*evidently_binned(r, u, numeric, False), base=2))
                else:
                    want = evidently_hellinger(r, u, numeric)
                self.assertClose(checks[key]["statistic"], want, f"{m} {col}")
                self.assertEqual(checks[key]["binning"], "evidently")
        # Each check carries the bins it used: Sturges' edges for x, categories for cat.
        bins = checks["no_drift.x"]["bins"]
        edges = np.histogram_bin_edges(np.concatenate([ref["x"], cur["x"]]), bins="sturges")
        self.assertEqual(len(bins["edges"]), len(edges))
        for a, b in zip(bins["edges"], edges):
            self.assertClose(a, b, "edge")
        rp, cp = evidently_binned(ref["x"].to_numpy(), cur["x"].to_numpy(), True, False)
        for a, b in zip(bins["reference_shares"], rp):
            self.assertClose(a, b, "reference share")
        for a, b in zip(bins["current_shares"], cp):
            self.assertClose(a, b, "current share")
        self.assertEqual(checks["no_drift.cat"]["bins"]["categories"], ["a", "b", "c", "d", "e"])

    def test_suite_errors(self):
        ref = pd.DataFrame({"x": [1.0, 2.0, 3.0], "s": ["a", "b", "c"]})
        checks = self.run_suite(ref, ref, "  - {expect: no_drift, column: s, method: mannwhitney}\n")
        self.assertEqual(checks["no_drift.s"]["status"], "error")
        s = os.path.join(self.dir.name, "bad.yaml")
        write(s, "version: 1\nexpectations:\n  - {expect: no_drift, column: x, method: ks, bins: evidently}\n")
        from oracle_common import run
        p = run("mlgate-datatest", "--data", os.path.join(self.dir.name, "cur.csv"), "--reference",
                os.path.join(self.dir.name, "ref.csv"), "--suite", s, expect=2)
        self.assertIn("bins", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
