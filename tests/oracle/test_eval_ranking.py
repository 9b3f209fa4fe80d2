"""task: ranking. ndcg_at_k against scikit-learn's ndcg_score (per query, and on a matrix of
equal-sized queries with sample_weight); map_at_k, mrr, precision_at_k, recall_at_k and
hit_rate_at_k against their definitions on every order of the tied scores, averaged (the tie
rule mlgate documents); per slice, with query weights; mlgate-compare's bootstrap over queries;
the errors a ranking's input can make."""
import itertools
import math
import sys
import unittest

import numpy as np
import pandas as pd
from sklearn.metrics import ndcg_score

from oracle_common import ToolCase, run, run_json, write

NAMES = ["ndcg_at_k", "map_at_k", "mrr", "precision_at_k", "recall_at_k", "hit_rate_at_k"]


def strict_values(rel, ks):
    """The metrics of one strict order of relevances (no ties), by their definitions."""
    rel = np.asarray(rel, dtype=float)
    hit = rel > 0
    R = int(hit.sum())
    out = {}
    kp = ks["precision_at_k"]
    out["precision_at_k"] = hit[:kp].sum() / kp
    if R == 0:
        out.update(map_at_k=None, mrr=None, recall_at_k=None, hit_rate_at_k=None)
        return out
    out["recall_at_k"] = hit[:ks["recall_at_k"]].sum() / R
    out["hit_rate_at_k"] = float(hit[:ks["hit_rate_at_k"]].any())
    out["mrr"] = 1.0 / (int(np.argmax(hit)) + 1)
    km = ks["map_at_k"]
    ap, seen = 0.0, 0
    for i in range(min(km, len(rel))):
        if hit[i]:
            seen += 1
            ap += seen / (i + 1)
    out["map_at_k"] = ap / min(R, km)
    return out


def dcg(rel, k):
    return sum(r / math.log2(i + 2) for i, r in enumerate(rel[:k]))


def expected_values(score, rel, ks):
    """Every metric averaged over every order of the tied scores (enumerated)."""
    order = np.argsort(-np.asarray(score), kind="stable")
    s, y = np.asarray(score)[order], np.asarray(rel, dtype=float)[order]
    groups, a = [], 0
    while a < len(s):
        b = a + 1
        while b < len(s) and s[b] == s[a]:
            b += 1
        groups.append(list(y[a:b]))
        a = b
    sums, counts = {}, 0
    ideal = dcg(sorted(y, reverse=True), ks["ndcg_at_k"])
    for combo in itertools.product(*[itertools.permutations(g) for g in groups]):
        flat = [v for g in combo for v in g]
        vals = strict_values(flat, ks)
        vals["ndcg_at_k"] = dcg(flat, ks["ndcg_at_k"]) / ideal if ideal > 0 else 0.0
        for n, v in vals.items():
            if v is not None:
                sums[n] = sums.get(n, 0.0) + v
        counts += 1
    return {n: (sums[n] / counts if n in sums else None) for n in NAMES}


def sk_ndcg(score, rel, k):
    """scikit-learn's ndcg_score for one query (it refuses a single item: the same formula)."""
    if len(rel) == 1:
        return 1.0 if rel[0] > 0 else 0.0
    return ndcg_score([rel], [score], k=k)


class Case(ToolCase):
    def check_average(self, df, got, per_query, what, weights=None):
        """got (a document's metric set) against the (weighted) mean of per-query values."""
        for n in NAMES:
            vals = [(v[n], weights.get(q, 1.0) if weights else 1.0) for q, v in per_query.items()
                    if v[n] is not None]
            want = (sum(v * w for v, w in vals) / sum(w for _, w in vals)
                    if vals and sum(w for _, w in vals) > 0 else None)
            self.assertClose(got[n], want, f"{what} {n}")


def policy(ks, extra=""):
    lines = "".join(f"  {n}: {{min: 0, k: {ks[n]}}}\n" for n in NAMES if n != "mrr")
    return (f"version: 1\ntask: ranking\ncolumns: {{query: qid, label: rel}}\nmetrics:\n{lines}"
            f"  mrr: {{min: 0}}\n{extra}")


def small_queries(rng, n_queries, max_items=7):
    rows = []
    for q in range(n_queries):
        m = int(rng.integers(1, max_items + 1))
        for _ in range(m):
            rel = int(rng.integers(1, 4)) if rng.random() < 0.35 else 0
            rows.append((f"q{q}", rel, float(rng.integers(0, 4)) / 4, "a" if q % 3 else "b"))
    return pd.DataFrame(rows, columns=["qid", "rel", "score", "seg"])


class TiesByEnumeration(Case):
    """Small queries with many tied scores: every order of every tie enumerated."""

    def run_ks(self, ks):
        rng = np.random.default_rng(11)
        df = small_queries(rng, 300)
        doc = self.eval_doc(df, policy(ks, "slices:\n  columns: [seg]\n"))
        m = doc["metrics"]
        self.assertEqual(m["task"], "ranking")
        self.assertEqual(m["queries"], 300)
        self.assertEqual(m["parameters"]["ndcg_at_k"], {"k": ks["ndcg_at_k"]})
        self.assertEqual(m["parameters"]["map_at_k"], {"k": ks["map_at_k"]})
        self.assertNotIn("mrr", m["parameters"])
        per_query = {}
        for q, g in df.groupby("qid", sort=False):
            per_query[q] = expected_values(g["score"].to_numpy(), g["rel"].to_numpy(), ks)
            # Enumeration agrees with scikit-learn's tie averaging for ndcg.
            self.assertClose(per_query[q]["ndcg_at_k"],
                             sk_ndcg(g["score"].to_numpy(), g["rel"].to_numpy(), ks["ndcg_at_k"]),
                             f"query {q} ndcg enumeration vs scikit-learn")
        self.check_average(df, m["overall"], per_query, "overall")
        self.assertEqual(m["queries_with_relevant"],
                         sum(1 for v in per_query.values() if v["mrr"] is not None))
        for entry in m["slices"]:
            seg = entry["slice"]["seg"]
            qs = set(df.loc[df["seg"] == seg, "qid"])
            self.assertEqual(entry["queries"], len(qs))
            self.check_average(df, entry["metrics"], {q: per_query[q] for q in qs}, f"seg={seg}")

    def test_default_k(self):
        self.run_ks({n: 10 for n in NAMES})

    def test_cutoffs_inside_ties(self):
        self.run_ks({"ndcg_at_k": 3, "map_at_k": 2, "mrr": 10, "precision_at_k": 3,
                     "recall_at_k": 1, "hit_rate_at_k": 2})

    def test_rows_in_any_order(self):
        # Ties are averaged: shuffling the rows changes nothing, to the bit.
        rng = np.random.default_rng(5)
        df = small_queries(rng, 200)
        ks = {n: 3 for n in NAMES}
        a = self.eval_doc(df, policy(ks))["metrics"]["overall"]
        b = self.eval_doc(df.sample(frac=1, random_state=3), policy(ks))["metrics"]["overall"]
        self.assertEqual(a, b)


class LargeQueries(Case):
    """Longer lists and graded relevance: ndcg against scikit-learn, the rest against their
    definitions (ties enumerated where they occur, kept small)."""

    def test_against_scikit_learn(self):
        rng = np.random.default_rng(21)
        rows = []
        for q in range(150):
            m = int(rng.integers(20, 120))
            rel = rng.choice([0, 0, 0, 1, 2, 3, 4], m)
            score = np.round(rel * 0.3 + rng.normal(size=m), 3)  # a few ties
            rows += [(f"u{q}", r, s) for r, s in zip(rel, score)]
        df = pd.DataFrame(rows, columns=["qid", "rel", "score"])
        for k in (1, 5, 10, 50):
            ks = {n: k for n in NAMES}
            m = self.eval_doc(df, policy(ks))["metrics"]["overall"]
            nd = [ndcg_score([g["rel"]], [g["score"]], k=k) for _, g in df.groupby("qid")]
            self.assertClose(m["ndcg_at_k"], float(np.mean(nd)), f"ndcg k={k}")
            per_query = {}
            for q, g in df.groupby("qid"):
                vals = tie_free_or_enumerated(g["score"].to_numpy(), g["rel"].to_numpy(), ks)
                per_query[q] = vals
            got = dict(m)
            got["ndcg_at_k"] = None
            for n in NAMES[1:]:
                vals = [v[n] for v in per_query.values() if v[n] is not None]
                self.assertClose(got[n], float(np.mean(vals)), f"{n} k={k}")

    def test_equal_sized_queries_with_sample_weight(self):
        # scikit-learn's own averaging: a matrix of queries and its sample_weight.
        rng = np.random.default_rng(8)
        Q, m = 400, 12
        rel = rng.choice([0, 0, 1, 2, 3], (Q, m))
        score = np.round(rng.normal(size=(Q, m)) + 0.4 * rel, 1)
        w = rng.choice([0.0, 0.5, 1.0, 2.5], Q)
        df = pd.DataFrame({"qid": np.repeat(np.arange(Q), m), "rel": rel.ravel(),
                           "score": score.ravel(), "w": np.repeat(w, m)})
        for k in (3, 12):
            ks = {n: k for n in NAMES}
            doc = self.eval_doc(df, policy(ks), "--weight-col", "w")
            self.assertClose(doc["metrics"]["overall"]["ndcg_at_k"],
                             ndcg_score(rel, score, k=k, sample_weight=w), f"weighted ndcg k={k}")
            self.assertClose(doc["metrics"]["weight_total"], float(np.repeat(w, m).sum()), "total")
            per_query = {q: tie_free_or_enumerated(score[q], rel[q], ks) for q in range(Q)}
            for n in NAMES[1:]:
                vals = [(v[n], w[q]) for q, v in per_query.items() if v[n] is not None]
                want = sum(a * b for a, b in vals) / sum(b for _, b in vals)
                self.assertClose(doc["metrics"]["overall"][n], want, f"weighted {n} k={k}")


def tie_free_or_enumerated(score, rel, ks):
    """Per-query reference: enumeration when the ties are small, else fail loudly."""
    _, counts = np.unique(score, return_counts=True)
    if math.prod(math.factorial(int(c)) for c in counts) > 50000:
        raise AssertionError("too many tie orders to enumerate; change the generator")
    return expected_values(score, rel, ks)


class Errors(Case):
    def data(self, text):
        f = self.path("d.csv")
        write(f, text)
        return f

    def test_needs_a_query_column(self):
        f = self.data("qid,label,score\na,1,0.5\n")
        p = run("mlgate-eval", "--data", f, "--task", "ranking", expect=2)
        self.assertIn("--query-col", p.stderr)

    def test_query_column_only_for_ranking(self):
        f = self.data("qid,label,score\na,1,0.5\n")
        p = run("mlgate-eval", "--data", f, "--query-col", "qid", expect=2)
        self.assertIn("ranking", p.stderr)

    def test_negative_relevance_names_the_row(self):
        f = self.data("qid,label,score\na,1,0.5\na,-1,0.2\n")
        p = run("mlgate-eval", "--data", f, "--task", "ranking", "--query-col", "qid", expect=2)
        self.assertIn("data row 2", p.stderr)
        self.assertIn("label", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_weights_are_per_query(self):
        f = self.data("qid,label,score,w\na,1,0.5,1\na,0,0.2,2\n")
        p = run("mlgate-eval", "--data", f, "--task", "ranking", "--query-col", "qid",
                "--weight-col", "w", expect=2)
        self.assertIn("same weight", p.stderr)
        self.assertIn("data row 2", p.stderr)

    def test_missing_query(self):
        f = self.data("qid,label,score\na,1,0.5\n,0,0.2\n")
        p = run("mlgate-eval", "--data", f, "--task", "ranking", "--query-col", "qid", expect=2)
        self.assertIn("missing query", p.stderr)
        self.assertIn(":3", p.stderr)

    def test_fairness_refuses_ranking(self):
        f = self.data("qid,label,score,sex\na,1,0.5,F\n")
        run("mlgate-fairness", "--data", f, "--task", "ranking", "--sensitive-col", "sex", expect=2)

    def test_bad_k(self):
        f = self.data("qid,rel,score\na,1,0.5\n")
        pol = self.path("p.yaml")
        write(pol, "version: 1\ntask: ranking\ncolumns: {query: qid, label: rel}\n"
                   "metrics:\n  ndcg_at_k: {min: 0, k: 0}\n")
        p = run("mlgate-eval", "--data", f, "--policy", pol, expect=2)
        self.assertIn("k", p.stderr)
        write(pol, "version: 1\ntask: ranking\ncolumns: {query: qid, label: rel}\n"
                   "metrics:\n  mrr: {min: 0, k: 5}\n")
        run("mlgate-eval", "--data", f, "--policy", pol, expect=2)

    def test_undefined_metrics_are_error_checks(self):
        # No query has a relevant item: map_at_k cannot be computed, its check errs (exit 2).
        f = self.data("qid,rel,score\na,0,0.5\na,0,0.2\nb,0,0.1\n")
        pol = self.path("p.yaml")
        write(pol, "version: 1\ntask: ranking\ncolumns: {query: qid, label: rel}\n"
                   "metrics:\n  map_at_k: {min: 0.1}\n  ndcg_at_k: {max: 1}\n")
        doc, p = run_json("mlgate-eval", "--data", f, "--policy", pol, expect=2)
        by_id = {c["id"]: c for c in doc["checks"]}
        self.assertEqual(by_id["map_at_k.min"]["status"], "error")
        self.assertIn("relevant", by_id["map_at_k.min"]["message"])
        self.assertEqual(by_id["ndcg_at_k.max"]["status"], "pass")
        self.assertEqual(doc["metrics"]["overall"]["ndcg_at_k"], 0)


class ModelCommand(Case):
    def test_a_model_scores_the_items(self):
        # The model gets every column but the label, query included; its scores are ranked.
        rng = np.random.default_rng(3)
        df = small_queries(rng, 80)
        feats = self.path("f.csv")
        df.assign(x=df["rel"] + rng.normal(0, 0.5, len(df))).drop(columns=["score"]).to_csv(
            feats, index=False)
        model = self.path("model.py")
        write(model, "import csv, sys\nr = csv.DictReader(sys.stdin)\n"
                     "assert 'rel' not in r.fieldnames and 'qid' in r.fieldnames\n"
                     "print('score')\nfor row in r: print(float(row['x']))\n")
        pol = self.path("p.yaml")
        ks = {n: 5 for n in NAMES}
        write(pol, policy(ks))
        out = self.path("scored.csv")
        doc, _ = run_json("mlgate-eval", "--features", feats, "--model-cmd",
                          f"{sys.executable} {model}", "--policy", pol, "--predictions-out", out)
        scored = pd.read_csv(out)
        self.assertEqual(list(scored.columns)[:3], ["rel", "qid", "score"])
        # Scoring the written predictions gives the same document metrics.
        again, _ = run_json("mlgate-eval", "--data", out, "--policy", pol)
        self.assertEqual(doc["metrics"]["overall"], again["metrics"]["overall"])


class CompareResamplesQueries(Case):
    def files(self, Q, m, noise_c, noise_b, seed=4):
        rng = np.random.default_rng(seed)
        rel = rng.choice([0, 0, 0, 1, 2], (Q, m))
        base = rel + rng.normal(0, 1.0, (Q, m))
        sc = np.round(base + rng.normal(0, noise_c, (Q, m)), 6)
        sb = np.round(base + rng.normal(0, noise_b, (Q, m)), 6)
        q = np.repeat(np.arange(Q), m)
        ids = np.arange(Q * m)
        cp, bp = self.path("c.csv"), self.path("b.csv")
        pd.DataFrame({"id": ids, "qid": q, "rel": rel.ravel(), "score": sc.ravel()}).to_csv(cp, index=False)
        pd.DataFrame({"id": ids, "qid": q, "rel": rel.ravel(), "score": sb.ravel()}).to_csv(bp, index=False)
        return cp, bp, rel, sc, sb

    def compare(self, cp, bp, bound, B=2000, expect=None):
        pol = self.path("p.yaml")
        write(pol, "version: 1\ntask: ranking\ncolumns: {query: qid, label: rel, id: id}\n"
                   f"metrics:\n  ndcg_at_k: {{max_regression: {bound}, confidence: 0.95, k: 5}}\n"
                   f"statistics: {{multiple_testing: none, bootstrap_samples: {B}}}\n")
        doc, _ = run_json("mlgate-compare", "--candidate", cp, "--baseline", bp, "--policy", pol,
                          expect=expect)
        (c,) = [c for c in doc["checks"] if c["id"] == "ndcg_at_k.regression"]
        return doc, c

    def test_interval_is_the_query_level_one(self):
        Q, m = 300, 10
        cp, bp, rel, sc, sb = self.files(Q, m, 0.3, 0.9)
        doc, c = self.compare(cp, bp, 0.01)
        self.assertEqual(c["method"], "bootstrap")
        self.assertEqual(c["resampled"], "queries")
        self.assertEqual(c["queries"], Q)
        d = np.array([ndcg_score([rel[q]], [sc[q]], k=5) - ndcg_score([rel[q]], [sb[q]], k=5)
                      for q in range(Q)])
        self.assertClose(c["delta"], float(d.mean()), "delta")
        # The bootstrap's spread is the mean's over queries: sd / sqrt(Q), within Monte Carlo
        # error. The interval is the two one-sided 95% bounds: +-1.645 sd.
        lo, hi = c["ci"]
        half = (hi - lo) / 2
        want = 1.644854 * d.std(ddof=0) / math.sqrt(Q)
        self.assertLess(abs(half - want) / want, 0.12, (half, want))
        self.assertEqual(c["status"], "pass")

    def test_identical_models_do_not_differ(self):
        cp, _, *_ = self.files(100, 6, 0.3, 0.3)
        doc, c = self.compare(cp, cp, 0.0, B=200)
        self.assertEqual(c["delta"], 0)
        self.assertEqual(c["ci"], [0, 0])

    def test_a_worse_candidate_fails(self):
        cp, bp, *_ = self.files(300, 10, 2.0, 0.2)
        doc, c = self.compare(cp, bp, 0.01, expect=1)
        self.assertEqual(c["status"], "fail")

    def test_clusters_must_hold_whole_queries(self):
        cp, bp, *_ = self.files(40, 4, 0.3, 0.3)
        c = pd.read_csv(cp)
        c["user"] = c["qid"] // 4
        c.to_csv(cp, index=False)
        pol = self.path("p.yaml")
        write(pol, "version: 1\ntask: ranking\ncolumns: {query: qid, label: rel, id: id, cluster: user}\n"
                   "metrics:\n  mrr: {max_regression: 0.1, confidence: 0.9}\n"
                   "statistics: {bootstrap_samples: 200}\n")
        doc, _ = run_json("mlgate-compare", "--candidate", cp, "--baseline", bp, "--policy", pol,
                          expect=None)
        (chk,) = [x for x in doc["checks"] if x["id"] == "mrr.regression"]
        self.assertEqual(chk["resampled"], "clusters")
        self.assertEqual(chk["clusters"], 10)
        c.loc[0, "user"] = 77  # query 0 now spans two users
        c.to_csv(cp, index=False)
        p = run("mlgate-compare", "--candidate", cp, "--baseline", bp, "--policy", pol, expect=2)
        self.assertIn("two clusters", p.stderr)
        self.assertIn("data row 2 ", p.stderr)  # the query's second row, another user

    def test_query_mismatch_is_refused(self):
        cp, bp, *_ = self.files(20, 4, 0.3, 0.3)
        b = pd.read_csv(bp)
        b.loc[0, "qid"] = 999
        b.to_csv(bp, index=False)
        pol = self.path("p.yaml")
        write(pol, "version: 1\ntask: ranking\ncolumns: {query: qid, label: rel, id: id}\n"
                   "metrics:\n  mrr: {max_regression: 0.1}\n")
        p = run("mlgate-compare", "--candidate", cp, "--baseline", bp, "--policy", pol, expect=2)
        self.assertIn("query", p.stderr)


if __name__ == "__main__":
    unittest.main()
