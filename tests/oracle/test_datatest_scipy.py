"""mlgate-datatest's statistics against scipy and numpy on generated data, to 1e-9 relative."""
import os
import tempfile
import unittest

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

from oracle_common import ParityCase, run, run_json, write


def edges(ref):
    e = np.unique(np.quantile(ref, [k / 10 for k in range(1, 10)]))
    return e


def bins(x, e):
    # Bins (e[i-1], e[i]]: the number of edges strictly below the value.
    return np.bincount(np.searchsorted(e, x, side="left"), minlength=len(e) + 1).astype(float)


def psi_ref(r, c):
    r = np.maximum(r / r.sum(), 1e-4)
    c = np.maximum(c / c.sum(), 1e-4)
    return float(np.sum((c - r) * np.log(c / r)))


class DriftParity(ParityCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        rng = np.random.default_rng(21)

        def frame(n, shift):
            return pd.DataFrame({
                "x": rng.normal(50 + shift, 10, n),
                "ties": np.round(rng.gamma(2 + shift / 10, 2, n), 1),
                "few": rng.integers(0, 4 + (shift > 0), n),
                "cat": rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1] if shift == 0 else [0.3, 0.3, 0.25, 0.15]),
            })

        self.small_ref, self.small_cur = frame(800, 0), frame(600, 3)
        self.big_ref, self.big_cur = frame(5000, 0), frame(7000, 2)
        self.big_cur.loc[:50, "x"] = np.nan  # nulls are left out of drift
        self.paths = {}
        for name, df in [("sr", self.small_ref), ("sc", self.small_cur), ("br", self.big_ref), ("bc", self.big_cur)]:
            p = os.path.join(self.dir.name, name + ".csv")
            df.to_csv(p, index=False)  # shortest round-trip text: short decimals stay short
            self.paths[name] = p

    def tearDown(self):
        self.dir.cleanup()

    def run_suite(self, suite, cur, ref):
        p = os.path.join(self.dir.name, "suite.yaml")
        write(p, suite)
        doc, _ = run_json("mlgate-datatest", "--data", self.paths[cur], "--reference", self.paths[ref], "--suite", p,
                          expect=None)
        return {c["id"]: c for c in doc["checks"]}, doc

    def test_every_method_against_scipy(self):
        suite = "version: 1\nexpectations:\n" + "".join(
            f"  - {{expect: no_drift, columns: [x, ties, few], method: {m}}}\n" for m in ["ks", "wasserstein", "psi", "jensenshannon", "chi2"])
        suite += "  - {expect: no_drift, columns: [cat], method: psi}\n  - {expect: no_drift, columns: [cat], method: jensenshannon}\n"
        suite += "  - {expect: no_drift, columns: [cat], method: chi2}\n"
        checks, _ = self.run_suite(suite, "bc", "br")
        ids = list(checks)
        ref, cur = self.big_ref, self.big_cur
        n = 0
        for method in ["ks", "wasserstein", "psi", "jensenshannon", "chi2"]:
            for col in ["x", "ties", "few"]:
                key = f"no_drift.{col}" + ("" if n < 3 else f"#{n // 3 + 1}")
                n += 1
                c = checks[key]
                self.assertEqual(c["method"], method, key)
                r = ref[col].dropna().to_numpy()
                u = cur[col].dropna().to_numpy()
                if method == "ks":
                    res = stats.ks_2samp(r, u, method="asymp")
                    self.assertClose(c["statistic"], res.statistic, key)
                    self.assertClose(c["p_value"], res.pvalue, key + " p")
                elif method == "wasserstein":
                    self.assertClose(c["statistic"], stats.wasserstein_distance(r, u) / max(np.std(r), 0.001), key)
                elif method in ("psi", "jensenshannon"):
                    e = edges(r)
                    rc, cc = bins(r, e), bins(u, e)
                    want = psi_ref(rc, cc) if method == "psi" else jensenshannon(rc, cc, base=2)
                    self.assertClose(c["statistic"], want, key)
                else:
                    cats = np.unique(r)
                    obs = np.array([np.sum(u == v) for v in cats], float)
                    exp = np.array([np.sum(r == v) for v in cats], float) / len(r) * obs.sum()
                    if obs.sum() == 0:
                        # No current value in the reference: scipy's 0/0 is nan; it is drift.
                        self.assertEqual((c["status"], c["p_value"], c["statistic"]), ("fail", 0.0, None), key)
                        continue
                    res = stats.chisquare(obs, exp)
                    self.assertClose(c["statistic"], res.statistic, key)
                    self.assertClose(c["p_value"], res.pvalue, key + " p")
        # Categories: union of categories for psi/js; reference categories for chi2.
        r, u = ref["cat"].to_numpy(), cur["cat"].to_numpy()
        cats = sorted(set(r) | set(u))
        rc = np.array([np.sum(r == v) for v in cats], float)
        cc = np.array([np.sum(u == v) for v in cats], float)
        self.assertClose(checks["no_drift.cat"]["statistic"], psi_ref(rc, cc), "cat psi")
        self.assertClose(checks["no_drift.cat#2"]["statistic"], jensenshannon(rc, cc, base=2), "cat js")
        res = stats.chisquare(cc, rc / rc.sum() * cc.sum())
        self.assertClose(checks["no_drift.cat#3"]["p_value"], res.pvalue, "cat chi2 p")

    def test_auto_chooses_as_evidently_does(self):
        suite = "version: 1\nexpectations:\n  - {expect: no_drift, columns: [x, few, cat], method: auto}\n"
        small, _ = self.run_suite(suite, "sc", "sr")
        big, doc = self.run_suite(suite, "bc", "br")
        self.assertEqual([small[f"no_drift.{c}"]["method"] for c in ("x", "few", "cat")], ["ks", "chi2", "chi2"])
        self.assertEqual([big[f"no_drift.{c}"]["method"] for c in ("x", "few", "cat")], ["wasserstein", "jensenshannon", "jensenshannon"])
        self.assertEqual(small["no_drift.x"]["threshold"], 0.05)
        self.assertEqual(big["no_drift.x"]["threshold"], 0.1)
        res = stats.ks_2samp(self.small_ref["x"], self.small_cur["x"], method="asymp")
        self.assertClose(small["no_drift.x"]["p_value"], res.pvalue, "small ks p")
        self.assertEqual(small["no_drift.x"]["status"], "fail" if res.pvalue < 0.05 else "pass")
        self.assertEqual(doc["drift"]["columns"], 3)

    def test_numeric_expectations_against_numpy(self):
        suite = """version: 1
expectations:
  - {expect: mean_between, column: x, min: 0, max: 100}
  - {expect: stdev_between, column: x, min: 0, max: 100}
  - {expect: quantile_between, column: ties, quantile: 0.37, min: 0, max: 100}
  - {expect: quantile_between, column: x, quantile: 0.5, min: 0, max: 100}
"""
        checks, _ = self.run_suite(suite, "bc", "br")
        x = self.big_cur["x"].dropna().to_numpy()
        self.assertClose(checks["mean_between.x"]["value"], float(np.mean(x)), "mean")
        self.assertClose(checks["stdev_between.x"]["value"], float(np.std(x, ddof=1)), "stdev")
        self.assertClose(checks["quantile_between.ties"]["value"], float(np.quantile(self.big_cur["ties"], 0.37)), "q37")
        self.assertClose(checks["quantile_between.x"]["value"], float(np.quantile(x, 0.5)), "median")

    def test_quantile_interpolation_methods_against_numpy(self):
        # numpy's methods of these names (pandas' interpolation, which Great Expectations passes
        # on; its default is nearest, mlgate's linear). Even and odd counts, ties, exact halves.
        methods = ("linear", "lower", "higher", "midpoint", "nearest")
        qs = (0.0, 0.1, 0.25, 0.37, 0.5, 0.625, 0.9, 1.0)
        suite = "version: 1\nexpectations:\n" + "".join(
            f"  - {{expect: quantile_between, column: {c}, quantile: {q}, interpolation: {m}, min: -1e9}}\n"
            for c in ("x", "ties", "few") for m in methods for q in qs)
        for cur in ("bc", "sc"):
            checks, _ = self.run_suite(suite, cur, "br")
            df = self.big_cur if cur == "bc" else self.small_cur
            k = 0
            for c in ("x", "ties", "few"):
                v = df[c].dropna().to_numpy()
                for m in methods:
                    for q in qs:
                        cid = f"quantile_between.{c}" + (f"#{k % (len(methods) * len(qs)) + 1}" if k % (len(methods) * len(qs)) else "")
                        got = checks[cid]
                        self.assertEqual(got["interpolation"], m)
                        self.assertClose(got["value"], float(np.quantile(v, q, method=m)), f"{cur} {c} {m} q{q}")
                        k += 1

    def test_strict_bounds_as_great_expectations(self):
        # strict_min / strict_max: the bound itself fails (GX's expect_column_values_to_be_between
        # and the aggregate expectations); without them it passes.
        df = pd.DataFrame({"v": [1.0, 2.0, 2.5, 3.0, 3.0], "w": [0.1, 0.2, 0.3, 0.4, 0.5]})
        p = os.path.join(self.dir.name, "strict.csv")
        df.to_csv(p, index=False)
        self.paths["strict"] = p
        mean, sd, med = float(df.v.mean()), float(df.v.std(ddof=1)), float(np.quantile(df.v, 0.5))
        suite = f"""version: 1
expectations:
  - {{expect: between, column: v, min: 1, max: 3}}
  - {{expect: between, column: v, min: 1, max: 3, strict_min: true}}
  - {{expect: between, column: v, min: 1, max: 3, strict_max: true}}
  - {{expect: between, column: v, min: 1, max: 3, strict_min: true, strict_max: true, mostly: 0.4}}
  - {{expect: mean_between, column: v, min: {mean!r}, strict_min: true}}
  - {{expect: mean_between, column: v, min: {mean!r}}}
  - {{expect: stdev_between, column: v, max: {sd!r}, strict_max: true}}
  - {{expect: quantile_between, column: v, quantile: 0.5, min: {med!r}, max: {med!r}}}
  - {{expect: quantile_between, column: v, quantile: 0.5, max: {med!r}, strict_max: true}}
  - {{expect: row_count_between, min: 5, max: 5}}
  - {{expect: row_count_between, min: 5, strict_min: true}}
"""
        checks, doc = self.run_suite(suite, "strict", "strict")
        status = [c["status"] for c in doc["checks"]]
        self.assertEqual(status, ["pass", "fail", "fail", "pass", "fail", "pass", "fail", "pass", "fail",
                                  "pass", "fail"])
        self.assertEqual([checks[f"between.v{s}"]["unexpected_count"] for s in ("", "#2", "#3", "#4")],
                         [0, 1, 2, 3])
        self.assertIn("greater than 1 and less than 3", checks["between.v#4"]["message"])
        # A strict bound needs its bound, and an empty interval is refused.
        for bad, msg in (("{expect: between, column: v, max: 3, strict_min: true}", "strict_min: needs min"),
                         ("{expect: between, column: v, min: 3, max: 3, strict_max: true}", "leaves nothing"),
                         ("{expect: quantile_between, column: v, quantile: 0.5, min: 0, interpolation: near}",
                          "interpolation")):
            write(os.path.join(self.dir.name, "bad.yaml"), "version: 1\nexpectations:\n  - " + bad + "\n")
            p = run("mlgate-datatest", "--data", self.paths["strict"], "--suite", os.path.join(self.dir.name, "bad.yaml"))
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn(msg, p.stderr)

    def test_every_sort_path_in_one_run(self):
        # Columns sorted one after another with shared buffers: a counting sort (1 place, small
        # range), 32-bit radix keys (4 places, a 27-bit range), doubles (no short decimals); the
        # same with gaps (keys computed while skipping missing values) and with negatives. The
        # mean and standard deviation of decimal columns come from exact integer sums of keys.
        rng = np.random.default_rng(5)
        n = 20000
        cols = ("a_count", "b_radix", "c_double", "d_count_gaps", "e_radix_gaps", "f_negative")
        frames = []
        for shift in (0, 1):
            df = pd.DataFrame({
                "a_count": np.round(rng.gamma(3 + shift, 2, n), 1),
                "b_radix": np.round(rng.uniform(0, 10000 + 100 * shift, n), 4),
                "c_double": rng.normal(shift, 1, n),
                "d_count_gaps": np.round(rng.normal(20 + shift, 4, n), 2),
                "e_radix_gaps": np.round(rng.uniform(-5000, 5000 + shift, n), 3),
                "f_negative": np.round(rng.normal(-1e4 - shift, 3, n), 2),
            })
            df.loc[rng.random(n) < 0.05, "d_count_gaps"] = np.nan
            df.loc[rng.random(n) < 0.05, "e_radix_gaps"] = np.nan
            frames.append(df)
        paths = []
        for i, df in enumerate(frames):
            p = os.path.join(self.dir.name, f"sorts{i}.csv")
            df.to_csv(p, index=False)  # shortest round-trip text: short decimals stay short
            paths.append(p)
        self.paths["s0"], self.paths["s1"] = paths
        suite = "version: 1\nexpectations:\n" + "".join(
            f"  - {{expect: quantile_between, column: {c}, quantile: {q}, min: -1e9, max: 1e9}}\n"
            for c in cols for q in (0.1, 0.5, 0.93)) + "".join(
            f"  - {{expect: {k}, column: {c}, min: -1e9, max: 1e9}}\n"
            for c in cols for k in ("mean_between", "stdev_between")) + \
            f"  - {{expect: no_drift, columns: [{', '.join(cols)}], method: wasserstein}}\n"
        checks, _ = self.run_suite(suite, "s1", "s0")
        cur = pd.read_csv(paths[1])
        ref = pd.read_csv(paths[0])
        for c in cols:
            x = cur[c].dropna().to_numpy()
            r = ref[c].dropna().to_numpy()
            for q in (0.1, 0.5, 0.93):
                self.assertClose(checks[f"quantile_between.{c}"]["value"] if q == 0.1 else
                                 checks[f"quantile_between.{c}#{[0.1, 0.5, 0.93].index(q) + 1}"]["value"],
                                 float(np.quantile(x, q)), f"{c} q{q}")
            self.assertClose(checks[f"mean_between.{c}"]["value"], float(np.mean(x)), f"{c} mean")
            self.assertClose(checks[f"stdev_between.{c}"]["value"], float(np.std(x, ddof=1)),
                             f"{c} stdev")
            want = stats.wasserstein_distance(r, x) / max(float(np.std(r)), 0.001)
            self.assertClose(checks[f"no_drift.{c}"]["value"], want, f"{c} wasserstein")

class WeightedExpectations(ParityCase):
    """mean_between, stdev_between and quantile_between with weighted: true against statsmodels'
    DescrStatsW (frequency weights; the standard deviation with ddof 1)."""

    def test_against_statsmodels(self):
        from statsmodels.stats.weightstats import DescrStatsW
        rng = np.random.default_rng(61)
        n = 5000
        df = pd.DataFrame({"x": np.round(rng.gamma(2, 10, n), 1), "w": np.round(rng.gamma(1, 2, n), 2)})
        df.loc[rng.random(n) < 0.05, "w"] = 0.0
        df.loc[:30, "x"] = np.nan  # nulls are left out
        df.loc[40:45, "w"] = [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "d.csv")
            df.to_csv(data, index=False)
            qs = [0.0, 0.1, 0.25, 0.5, 0.9, 1.0]
            suite = "version: 1\nweight: w\nexpectations:\n"
            suite += "  - {expect: mean_between, column: x, min: 0, weighted: true}\n"
            suite += "  - {expect: stdev_between, column: x, min: 0, weighted: true}\n"
            suite += "".join(f"  - {{expect: quantile_between, column: x, quantile: {q}, min: -1, weighted: true}}\n"
                             for q in qs)
            suite += "  - {expect: mean_between, column: x, min: 0}\n"
            sp = os.path.join(d, "s.yaml")
            write(sp, suite)
            doc, _ = run_json("mlgate-datatest", "--data", data, "--suite", sp, expect=None)
            checks = {c["id"]: c for c in doc["checks"]}
            m = df["x"].notna()
            ds = DescrStatsW(df["x"][m].to_numpy(), weights=df["w"][m].to_numpy(), ddof=1)
            self.assertClose(checks["mean_between.x"]["value"], ds.mean, "mean")
            self.assertClose(checks["stdev_between.x"]["value"], ds.std, "std")
            want = ds.quantile(qs, return_pandas=False)
            for i, q in enumerate(qs):
                key = "quantile_between.x" + ("" if i == 0 else f"#{i + 1}")
                self.assertClose(checks[key]["value"], want[i], f"quantile {q}")
                self.assertTrue(checks[key]["weighted"])
            self.assertClose(checks["mean_between.x#2"]["value"], df["x"].mean(), "unweighted mean")
            # A weight that is not a number >= 0 is an error naming its row.
            df.loc[100, "w"] = -1.0
            df.to_csv(data, index=False)
            doc, _ = run_json("mlgate-datatest", "--data", data, "--suite", sp, expect=2)
            c = {c["id"]: c for c in doc["checks"]}["mean_between.x"]
            self.assertEqual(c["status"], "error")
            self.assertIn("data row 101", c["message"])
            # The flag names the column when the suite does not.
            write(sp, suite.replace("weight: w\n", ""))
            df.loc[100, "w"] = 1.0
            df.to_csv(data, index=False)
            doc, _ = run_json("mlgate-datatest", "--data", data, "--suite", sp, "--weight-col", "w", expect=None)
            self.assertTrue({c["id"]: c for c in doc["checks"]}["mean_between.x"]["weighted"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
