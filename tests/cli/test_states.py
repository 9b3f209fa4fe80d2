"""mlgate-eval --state-out and mlgate-merge: the states of a data set's parts merge into the
document one run over all the rows gives, bit for bit (every metric, overall and per slice, the
checks and the exit code), whatever the split and the order of the parts; states that cannot
merge, and damaged or hostile state files, are exit 2 naming the file."""
import json
import os
import subprocess
import sys
import unittest
import zlib

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "oracle"))
from oracle_common import ToolCase, run, write  # noqa: E402

POLICY = """version: 1
task: binary
metrics:
  roc_auc: {min: 0.6}
  log_loss: {max: 0.3}
  roc_auc_max_fpr: {min: 0.5, max_fpr: 0.2}
  fbeta: {min: 0.1, beta: 2}
slices:
  columns: [region]
  min_size: 50
  metrics:
    average_precision: {min: 0.2}
"""


class States(ToolCase):
    def setUp(self):
        super().setUp()
        self.rng = np.random.default_rng(17)

    def data(self, n, decimals=4):
        y = (self.rng.random(n) < 0.25).astype(int)
        s = np.clip(self.rng.normal(0.3 + 0.3 * y, 0.2), 0, 1)
        if decimals is not None:
            s = s.round(decimals)
        region = self.rng.choice(["eu", "us", "apac", "latam"], n, p=[0.4, 0.3, 0.2, 0.1])
        region = np.where(self.rng.random(n) < 0.02, "", region)  # missing values
        return pd.DataFrame({"label": y, "score": s, "region": region, "pred": (s > 0.45).astype(int)})

    def parts(self, df, cuts, name="part"):
        paths = []
        edges = [0, *cuts, len(df)]
        for k in range(len(edges) - 1):
            p = self.path(f"{name}{k}.csv")
            df.iloc[edges[k]:edges[k + 1]].to_csv(p, index=False, float_format="%.17g")
            paths.append(p)
        return paths

    def eval_doc(self, data, *args, expect=None):
        out = self.path("single.json")
        p = run("mlgate-eval", "--data", data, *args, "-o", out)
        if expect is not None:
            self.assertEqual(p.returncode, expect, p.stderr)
        with open(out) as f:
            return json.load(f), p.returncode

    def merged_doc(self, parts, eval_args, merge_args=(), order=None):
        states = []
        for k, part in enumerate(parts):
            st = self.path(f"s{k}.state")
            p = run("mlgate-eval", "--data", part, *eval_args, "--state-out", st, "-o", os.devnull)
            # A part's own checks may fail or err (a part of one row has no AUC); its state holds.
            self.assertTrue(os.path.exists(st), p.stderr)
            states.append(st)
        if order:
            states = [states[i] for i in order]
        out = self.path("merged.json")
        p = run("mlgate-merge", *states, *merge_args, "-o", out)
        with open(out) as f:
            return json.load(f), p.returncode, p

    def assertSameDocument(self, single, merged, same_slice_order=True):
        a, b = dict(single["metrics"]), dict(merged["metrics"])
        # The curves are thinned for drawing: a long walk may keep other points.
        a.pop("curves", None), b.pop("curves", None)
        if not same_slice_order:
            key = lambda s: json.dumps(s["slice"])  # noqa: E731
            a["slices"] = sorted(a["slices"], key=key)
            b["slices"] = sorted(b["slices"], key=key)
        self.assertEqual(a, b)  # bit for bit: JSON numbers print every double exactly
        strip = lambda d: [(c["id"], c["status"], c.get("value")) for c in d["checks"]]  # noqa: E731
        self.assertEqual(strip(single) if same_slice_order else sorted(strip(single)),
                         strip(merged) if same_slice_order else sorted(strip(merged)))
        self.assertEqual(single["summary"], merged["summary"])

    def test_any_split_gives_the_same_document(self):
        df = self.data(60000)
        all_csv = self.path("all.csv")
        df.to_csv(all_csv, index=False, float_format="%.17g")
        pol = self.path("p.yaml")
        write(pol, POLICY)
        single, rc = self.eval_doc(all_csv, "--policy", pol)
        for cuts in ([30000], [1, 2, 59000], [7000, 7100, 22000, 41000, 41001]):
            merged, mrc, p = self.merged_doc(self.parts(df, cuts), ["--policy", pol], ["--policy", pol])
            self.assertEqual(mrc, rc, p.stderr)
            self.assertSameDocument(single, merged)
            self.assertEqual(merged["metrics"]["n"], 60000)
            self.assertEqual(merged["inputs"]["data"]["rows"], 60000)
            self.assertEqual(len(merged["inputs"]["data"]["parts"]), len(cuts) + 1)
        # Parts merged in another order: the same numbers (slices then come in another order).
        merged, _, _ = self.merged_doc(self.parts(df, [20000, 40000]), ["--policy", pol],
                                       ["--policy", pol], order=[2, 0, 1])
        self.assertSameDocument(single, merged, same_slice_order=False)

    def test_full_precision_scores_hard_predictions_and_lower_direction(self):
        df = self.data(20000, decimals=None)
        df.loc[:10, "score"] = -0.0  # -0 and 0 are one score
        all_csv = self.path("all.csv")
        df.to_csv(all_csv, index=False, float_format="%.17g")
        for args in (["--slice-col", "region"], ["--pred-col", "pred"],
                     ["--score-direction", "lower", "--threshold", "0.4"]):
            single, rc = self.eval_doc(all_csv, *args)
            merged, mrc, p = self.merged_doc(self.parts(df, [5000, 13000]), args)
            self.assertEqual(mrc, rc, p.stderr)
            self.assertSameDocument(single, merged)

    def test_scores_outside_the_unit_interval_in_one_part(self):
        df = self.data(3000)
        df.loc[2500, "score"] = 1.5
        all_csv = self.path("all.csv")
        df.to_csv(all_csv, index=False)
        single, _ = self.eval_doc(all_csv)
        merged, _, _ = self.merged_doc(self.parts(df, [1000]), [])
        self.assertIsNone(merged["metrics"]["overall"]["log_loss"])
        self.assertSameDocument(single, merged)

    def test_the_merged_document_is_evidence_like_any_eval_document(self):
        df = self.data(4000)
        merged, _, _ = self.merged_doc(self.parts(df, [2000]), ["--slice-col", "region"])
        self.assertEqual(merged["tool"]["name"], "mlgate-eval")
        p = run("mlgate-report", self.path("merged.json"), "--markdown", self.path("r.md"))
        self.assertEqual(p.returncode, 0, p.stderr)

    def states(self, df, *args):
        a, b = self.path("a.state"), self.path("b.state")
        parts = self.parts(df, [len(df) // 2])
        run("mlgate-eval", "--data", parts[0], "--state-out", a, "-o", os.devnull, expect=0)
        run("mlgate-eval", "--data", parts[1], *args, "--state-out", b, "-o", os.devnull, expect=0)
        return a, b

    def merge_fails(self, *states, needle, extra=()):
        p = run("mlgate-merge", *states, *extra, "-o", self.path("x.json"), expect=2)
        self.assertIn(needle, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertFalse(os.path.exists(self.path("x.json")))
        return p

    def test_states_that_cannot_merge(self):
        df = self.data(2000)
        a, b = self.states(df, "--threshold", "0.3")
        p = self.merge_fails(a, b, needle="threshold")
        self.assertIn("b.state", p.stderr)
        a, b = self.states(df, "--slice-col", "region")
        self.merge_fails(a, b, needle="slice_columns")
        pol = self.path("p.yaml")
        write(pol, "version: 1\nmetrics: {roc_auc: {min: 0.5}}\n")
        a, b = self.states(df, "--policy", pol)
        self.merge_fails(a, b, needle="policy_sha256")
        # States written under a policy gate only with it: merging them without is an error.
        run("mlgate-eval", "--data", self.parts(df, [])[0], "--policy", pol, "--state-out", a, "-o",
            os.devnull)
        self.merge_fails(a, needle="--policy")
        other = self.path("other.yaml")
        write(other, "version: 1\nmetrics: {roc_auc: {min: 0.4}}\n")
        self.merge_fails(a, needle="another policy", extra=("--policy", other))

    def test_what_has_no_state_yet_is_refused(self):
        df = self.data(500)
        f = self.path("d.csv")
        df.assign(w=1.0).to_csv(f, index=False)
        p = run("mlgate-eval", "--data", f, "--weight-col", "w", "--state-out", self.path("s"), expect=2)
        self.assertIn("--state-out", p.stderr)
        p = run("mlgate-eval", "--data", f, "--task", "regression", "--state-out", self.path("s"), expect=2)
        self.assertIn("binary", p.stderr)
        self.assertFalse(os.path.exists(self.path("s")))

    def test_damaged_and_hostile_states(self):
        df = self.data(1000)
        good = self.path("good.state")
        run("mlgate-eval", "--data", self.parts(df, [])[0], "--slice-col", "region", "--state-out", good,
            "-o", os.devnull, expect=0)
        with open(good, "rb") as fh:
            raw = fh.read()
        first = raw.index(b"\n")
        second = raw.index(b"\n", first + 1)
        header = json.loads(raw[first + 1:second])
        body = zlib.decompress(raw[second + 1:])

        def seal(h, b, compress=True):
            h = dict(h)
            h["body"] = {"size": len(b), "sha256": __import__("hashlib").sha256(b).hexdigest()}
            return b"mlgate-state 1\n" + json.dumps(h).encode() + b"\n" + (zlib.compress(b) if compress else b)

        cases = {
            "not.state": (b"label,score\n1,0.5\n", "not an mlgate state"),
            "truncated.state": (raw[:-20], "does not decompress"),
            "flipped.state": (raw[:first + 1] + raw[first + 1:second].replace(b'"rows":1000', b'"rows":1001')
                              + raw[second:], "counts other rows"),
            "digest.state": (raw[:second + 1] + zlib.compress(body[:-1] + bytes([body[-1] ^ 1])), "sha256"),
            "huge.state": (raw[:first + 1] + raw[first + 1:second].replace(b'"size":', b'"size":99999999999')
                           + raw[second:], "larger than 4 GiB"),
            "short-body.state": (seal(header, body[:-3]), "of the state's body"),
            "long-body.state": (seal(header, body + b"\0"), "bytes follow"),
            "deep.state": (b"mlgate-state 1\n" + b"[" * 100000 + b"\n", "deep"),
            "not-ascending.state": (seal(header, body.replace(body[-60:], body[-60:][::-1])), "state"),
        }
        for name, (content, needle) in cases.items():
            f = self.path(name)
            with open(f, "wb") as fh:
                fh.write(content)
            p = run("mlgate-merge", f, "-o", self.path("x.json"), expect=2)
            self.assertIn(needle, p.stderr, name)
            self.assertIn(name, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, (name, p.stderr))
        twice = dict(header)
        twice["slices"] = header["slices"][:1] * 2 + header["slices"][2:]
        for name, h, needle in (("version.state", dict(header, version="0.0.1"), "from mlgate"),
                                ("threshold.state", dict(header, threshold="0.5"), "threshold"),
                                ("twice.state", twice, "twice")):
            f = self.path(name)
            with open(f, "wb") as fh:
                fh.write(seal(h, body))
            p = run("mlgate-merge", f, expect=2)
            self.assertIn(needle, p.stderr, name)
        # A header that is JSON but says it is another tool's.
        h = dict(header)
        h["tool"] = "mlgate-fairness"
        f = self.path("tool.state")
        with open(f, "wb") as fh:
            fh.write(seal(h, body))
        run("mlgate-merge", f, expect=2)


if __name__ == "__main__":
    unittest.main()
