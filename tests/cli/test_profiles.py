"""mlgate-datatest --profile-out and --reference PROFILE: a reference profile gives the same checks
as the reference table (every drift method, unseen categories, mixed and missing values), overlap
from its key hashes; damaged or hostile profiles are exit 2 naming the file."""
import hashlib
import json
import os
import sys
import unittest
import zlib

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "oracle"))
from oracle_common import ToolCase, run, write  # noqa: E402

SUITE = """version: 1
expectations:
  - {expect: row_count_between, min: 10}
  - {expect: columns_exist, columns: [x, y, z, cat, mixed, id]}
  - {expect: mean_between, columns: [x], min: -10, max: 10}
  - {expect: no_drift, columns: "*", method: auto}
  - {expect: no_drift, columns: [x, y], method: ks}
  - {expect: no_drift, columns: [x], method: psi}
  - {expect: no_drift, columns: [y], method: wasserstein}
  - {expect: no_drift, columns: [x], method: anderson}
  - {expect: no_drift, columns: [y], method: cramervonmises}
  - {expect: no_drift, columns: [z], method: jensenshannon, bins: evidently}
  - {expect: no_drift, columns: [x], method: mannwhitney}
  - {expect: no_drift, columns: [y], method: energy}
  - {expect: no_drift, columns: [cat], method: chi2}
  - {expect: no_drift, columns: [cat], method: g_test}
  - {expect: no_drift, columns: [mixed], method: psi}
  - {expect: no_overlap_with_reference, columns: [id]}
  - {expect: no_overlap_with_reference, columns: [cat, z]}
"""


class Profiles(ToolCase):
    def setUp(self):
        super().setUp()
        self.rng = np.random.default_rng(23)

    def table(self, n, shift, first_id):
        r = self.rng
        df = pd.DataFrame({
            "x": (r.normal(shift, 1, n)).round(3),
            "y": r.exponential(1 + shift, n),  # full-precision doubles
            "z": r.integers(0, 30, n),
            "cat": r.choice(["a", "b", "c", "d" if shift else "a"], n),
            "mixed": np.where(r.random(n) < 0.2, "n/a", r.integers(0, 5, n).astype(str)),
            "id": np.arange(first_id, first_id + n),
        })
        df.loc[r.random(n) < 0.03, "x"] = np.nan
        df.loc[r.random(n) < 0.02, "cat"] = None
        return df

    def files(self):
        ref, cur = self.path("ref.csv"), self.path("cur.csv")
        self.table(20000, 0.0, 0).to_csv(ref, index=False, float_format="%.17g")
        self.table(15000, 0.1, 19000).to_csv(cur, index=False, float_format="%.17g")  # 1000 ids shared
        write(self.path("suite.yaml"), SUITE)
        return ref, cur

    def doc(self, cur, ref, expect=None):
        out = self.path("out.json")
        p = run("mlgate-datatest", "--data", cur, "--reference", ref, "--suite", self.path("suite.yaml"),
                "-o", out, expect=expect)
        with open(out) as f:
            return json.load(f), p.returncode

    def test_a_profile_gives_the_tables_checks(self):
        ref, cur = self.files()
        prof = self.path("ref.profile")
        p = run("mlgate-datatest", "--reference", ref, "--suite", self.path("suite.yaml"), "--profile-out", prof,
                expect=0)
        self.assertIn("wrote the profile", p.stderr)
        raw, rc1 = self.doc(cur, ref)
        fromp, rc2 = self.doc(cur, prof)
        self.assertEqual(rc1, rc2)
        a = {c["id"]: c for c in raw["checks"]}
        b = {c["id"]: c for c in fromp["checks"]}
        self.assertEqual(sorted(a), sorted(b))
        for k in a:
            got = dict(b[k])
            hashes = got.pop("key_hashes", None)
            self.assertEqual(a[k], got, k)
            if k.startswith("no_overlap_with_reference"):
                self.assertIsNotNone(hashes)
        self.assertEqual(a["no_overlap_with_reference.id"]["unexpected_count"], 1000)
        self.assertEqual(raw["metrics"], fromp["metrics"])
        self.assertEqual(fromp["inputs"]["reference"]["sha256"], raw["inputs"]["reference"]["sha256"])
        self.assertEqual(fromp["inputs"]["reference"]["profile"]["path"], prof)
        self.assertLess(os.path.getsize(prof), os.path.getsize(ref))

    def test_profile_and_checks_in_one_run(self):
        ref, cur = self.files()
        prof = self.path("ref.profile")
        out = self.path("one.json")
        run("mlgate-datatest", "--data", cur, "--reference", ref, "--suite", self.path("suite.yaml"),
            "--profile-out", prof, "-o", out)
        self.assertTrue(os.path.exists(prof))
        with open(out) as f:
            self.assertEqual(json.load(f)["inputs"]["reference"]["path"], ref)

    def test_what_a_profile_cannot_answer(self):
        ref, cur = self.files()
        prof = self.path("small.profile")
        write(self.path("small.yaml"), "version: 1\nexpectations:\n  - {expect: no_drift, columns: [x]}\n")
        run("mlgate-datatest", "--reference", ref, "--suite", self.path("small.yaml"), "--profile-out", prof,
            expect=0)
        # The suite reads columns the profile did not keep: exit 2 naming the profile.
        p = run("mlgate-datatest", "--data", cur, "--reference", prof, "--suite", self.path("suite.yaml"), expect=2)
        self.assertIn("small.profile", p.stderr)
        # A suite whose overlap key the profile has no hashes for: that check errs.
        write(self.path("ov.yaml"), "version: 1\nexpectations:\n  - {expect: no_drift, columns: [x]}\n"
                                    "  - {expect: no_overlap_with_reference, columns: [x]}\n")
        doc, rc = self.doc_with(cur, prof, "ov.yaml")
        self.assertEqual(rc, 2)
        (c,) = [c for c in doc["checks"] if c["id"].startswith("no_overlap")]
        self.assertEqual(c["status"], "error")
        self.assertIn("keeps no keys", c["message"])
        p = run("mlgate-datatest", "--reference", prof, "--infer-suite", self.path("s.yaml"), expect=2)
        self.assertIn("profile", p.stderr)
        p = run("mlgate-datatest", "--reference", prof, "--suite", self.path("suite.yaml"), "--profile-out",
                self.path("again.profile"), expect=2)
        self.assertIn("already a profile", p.stderr)
        run("mlgate-datatest", "--suite", self.path("suite.yaml"), "--profile-out", self.path("x"), expect=2)

    def doc_with(self, cur, ref, suite):
        out = self.path("w.json")
        p = run("mlgate-datatest", "--data", cur, "--reference", ref, "--suite", self.path(suite), "-o", out)
        with open(out) as f:
            return json.load(f), p.returncode

    def test_damaged_and_hostile_profiles(self):
        ref, cur = self.files()
        good = self.path("good.profile")
        run("mlgate-datatest", "--reference", ref, "--suite", self.path("suite.yaml"), "--profile-out", good,
            expect=0)
        with open(good, "rb") as f:
            raw = f.read()
        first = raw.index(b"\n")
        second = raw.index(b"\n", first + 1)
        header = json.loads(raw[first + 1:second])
        body = zlib.decompress(raw[second + 1:])

        def seal(h, b):
            h = dict(h)
            h["body"] = {"size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
            return b"mlgate-profile 1\n" + json.dumps(h).encode() + b"\n" + zlib.compress(b)

        more_rows = dict(header)
        more_rows["reference"] = dict(header["reference"], rows=header["reference"]["rows"] + 1)
        cases = {
            "truncated.profile": (raw[:-30], "decompress"),
            "digest.profile": (raw[:second + 1] + zlib.compress(body[:-1] + bytes([body[-1] ^ 1])), "sha256"),
            "rows.profile": (seal(more_rows, body), "add up"),
            "short.profile": (seal(header, body[:len(body) // 2]), "profile's body"),
            "long.profile": (seal(header, body + b"\x00"), "bytes follow"),
            "version.profile": (seal(dict(header, version="0.0.1"), body), "from mlgate"),
            "huge.profile": (raw[:first + 1] + raw[first + 1:second].replace(b'"size":', b'"size":999999999999')
                             + raw[second:], "larger than"),
        }
        for name, (content, needle) in cases.items():
            f = self.path(name)
            with open(f, "wb") as fh:
                fh.write(content)
            p = run("mlgate-datatest", "--data", cur, "--reference", f, "--suite", self.path("suite.yaml"),
                    "-o", self.path("x.json"), expect=2)
            self.assertIn(needle, p.stderr, name)
            self.assertIn(name, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, (name, p.stderr))
            self.assertFalse(os.path.exists(self.path("x.json")))


if __name__ == "__main__":
    unittest.main()
