"""mlgate-datatest's expectations as a user meets them: mostly at its boundary, nulls left out,
unseen categories, mixed-type columns, leakage, exit codes and inferred suites."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "oracle"))
from oracle_common import tool, write  # noqa: E402

# 20 rows: 2 nulls in score; "kind" mixes numbers and text; "code" has one unseen category.
DATA = "id,score,kind,code,email\n" + "".join(
    f"{i},{'' if i in (3, 7) else i * 10},{'x' if i in (4, 5) else i},{'Z' if i == 9 else 'ABC'[i % 3]},"
    f"{'bad' if i == 2 else f'u{i}@ex.com'}\n" for i in range(1, 21))
REF = "id,score,kind,code,email\n" + "".join(
    f"{100 + i},{i * 10},{i},{'ABC'[i % 3]},r{i}@ex.com\n" for i in range(1, 21)) + "5,50,5,A,x@ex.com\n"


class Expectations(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.dir.name, "data.csv")
        self.ref = os.path.join(self.dir.name, "ref.csv")
        write(self.data, DATA)
        write(self.ref, REF)

    def tearDown(self):
        self.dir.cleanup()

    def run_suite(self, expectations, reference=True):
        suite = os.path.join(self.dir.name, "suite.yaml")
        write(suite, "version: 1\nexpectations:\n" + "".join(f"  - {e}\n" for e in expectations))
        out = os.path.join(self.dir.name, "out.json")
        args = [tool("mlgate-datatest"), "--data", self.data, "--suite", suite, "-o", out]
        if reference:
            args += ["--reference", self.ref]
        p = subprocess.run(args, capture_output=True, text=True)
        doc = None
        if os.path.exists(out):
            with open(out) as f:
                doc = json.load(f)
            os.unlink(out)
        return p, doc

    def check(self, expectation, **kw):
        p, doc = self.run_suite([expectation], **kw)
        self.assertIsNotNone(doc, p.stderr)
        return p, doc["checks"][0]

    def test_mostly_boundary_and_nulls_not_counted(self):
        # score: 18 non-null values 10..200 except rows 3 and 7; between 0 and 150 holds for 13 of 18.
        p, c = self.check("{expect: between, column: score, min: 0, max: 150, mostly: 0.7222222222222222}")
        self.assertEqual((c["status"], c["unexpected_count"]), ("pass", 5), c)
        self.assertAlmostEqual(c["unexpected_share"], 5 / 18, places=15)
        self.assertEqual(len(c["unexpected_examples"]), 5)
        p, c = self.check("{expect: between, column: score, min: 0, max: 150, mostly: 0.7223}")
        self.assertEqual(c["status"], "fail")
        self.assertEqual(p.returncode, 1)

    def test_not_null_counts_rows(self):
        p, c = self.check("{expect: not_null, column: score, mostly: 0.9}")
        self.assertEqual((c["status"], c["unexpected_count"]), ("pass", 2))
        self.assertEqual(c["unexpected_examples"], [3, 7])
        p, c = self.check("{expect: not_null, column: score}")
        self.assertEqual(c["status"], "fail")

    def test_mixed_types(self):
        p, c = self.check("{expect: column_type, column: kind, type: integer}")
        self.assertEqual((c["status"], c["observed_type"], c["unexpected_count"]), ("fail", "mixed", 2))
        self.assertEqual(c["unexpected_examples"], ["x", "x"])
        p, c = self.check("{expect: column_type, column: kind, type: integer, mostly: 0.9}")
        self.assertEqual(c["status"], "pass")
        p, c = self.check("{expect: mean_between, column: kind, min: 0, max: 100}")
        self.assertEqual(c["status"], "error")
        self.assertEqual(p.returncode, 2)
        self.assertIn("holds text values", c["message"])

    def test_shortcuts_give_what_the_row_scans_give(self):
        # Numbers-only and text-only columns skip the row scans; the counts must not change.
        p, c = self.check("{expect: column_type, column: score, type: number}")
        self.assertEqual((c["status"], c["unexpected_count"], c["observed_type"]), ("pass", 0, "integer"))
        p, c = self.check("{expect: column_type, column: code, type: string}")
        self.assertEqual((c["status"], c["unexpected_count"]), ("pass", 0))
        p, c = self.check("{expect: column_type, column: score, type: string}")
        self.assertEqual((c["status"], c["unexpected_count"]), ("fail", 18))
        self.assertEqual(c["unexpected_examples"][:3], [10, 20, 40])
        p, c = self.check("{expect: between, column: score, min: 30}")
        self.assertEqual((c["status"], c["unexpected_count"], c["unexpected_examples"]), ("fail", 2, [10, 20]))
        p, c = self.check("{expect: not_null, column: code}")
        self.assertEqual((c["status"], c["unexpected_count"], c["unexpected_examples"]), ("pass", 0, []))
        p, c = self.check("{expect: unique, column: score}")
        self.assertEqual((c["status"], c["unexpected_count"]), ("pass", 0))

    def test_text_checks_from_code_counts_match_a_row_by_row_count(self):
        # Text-only columns are tallied from one count per distinct text; the counts, the shares
        # and the first 20 examples in row order must be what a row-by-row pass gives.
        import random
        rng = random.Random(3)
        words = ["ok", "fine", "good", "Bad", "x-1", "ünï", "a,b", ""]
        rows = [rng.choice(words) for _ in range(3000)]
        rows[5] = "only-once"
        with open(self.data, "w") as f:
            f.write("t\n" + "".join(f'"{w}"\n' if "," in w else f"{w}\n" for w in rows))
        with open(self.ref, "w") as f:
            f.write("t\n" + "".join(f"{w}\n" for w in ["ok", "fine", "good", "Bad"] * 50))
        present = [w for w in rows if w != ""]

        def expect(c, bad):
            miss = [w for w in present if bad(w)]
            self.assertEqual(c["unexpected_count"], len(miss), c)
            self.assertAlmostEqual(c["unexpected_share"], len(miss) / len(present), places=15)
            self.assertEqual(c["unexpected_examples"], miss[:20])

        allowed = {"ok", "fine", "good"}
        p, c = self.check("{expect: in_set, column: t, values: [ok, fine, good], mostly: 0.5}")
        expect(c, lambda w: w not in allowed)
        p, c = self.check("{expect: match_regex, column: t, regex: '^[a-z]+$'}")
        expect(c, lambda w: not w.isascii() or not w.isalpha() or not w.islower())
        p, c = self.check("{expect: unique, column: t}")
        self.assertEqual(c["unexpected_count"], len(present) - 1)  # all but "only-once"
        p, doc = self.run_suite(["{expect: no_drift, column: t, method: chi2}"])
        unseen = {c["id"]: c for c in doc["checks"]}["no_drift.t.unseen"]
        self.assertEqual(sorted(unseen["unexpected_examples"]), sorted({"x-1", "ünï", "a,b", "only-once"}))

    def test_unseen_category_is_its_own_failure(self):
        p, doc = self.run_suite(["{expect: no_drift, column: code, method: chi2}"])
        by = {c["id"]: c for c in doc["checks"]}
        self.assertEqual(by["no_drift.code.unseen"]["status"], "fail")
        self.assertEqual(by["no_drift.code.unseen"]["unexpected_examples"], ["Z"])
        self.assertEqual(by["no_drift.code"]["method"], "chi2")
        self.assertEqual(p.returncode, 1)

    def test_set_regex_unique_overlap_and_table_checks(self):
        p, c = self.check("{expect: in_set, column: code, values: [A, B, C], mostly: 0.9}")
        self.assertEqual((c["status"], c["unexpected_count"]), ("pass", 1))
        p, c = self.check("{expect: in_set, column: score, values: [10, 20.0, 30]}")
        self.assertEqual(c["unexpected_count"], 16)  # 10 and 20 (written 20.0) match; 30 is on a null row
        p, c = self.check("{expect: match_regex, column: email, regex: '^[^@]+@[^@]+$'}")
        self.assertEqual((c["status"], c["unexpected_examples"]), ("fail", ["bad"]))
        p, c = self.check("{expect: unique, column: code}")
        self.assertEqual(c["status"], "fail")
        p, c = self.check("{expect: unique, column: id}")
        self.assertEqual(c["status"], "pass")
        p, c = self.check("{expect: no_overlap_with_reference, columns: [id]}")
        self.assertEqual((c["status"], c["unexpected_examples"]), ("fail", [{"id": 5}]))
        p, c = self.check("{expect: row_count_between, min: 21}")
        self.assertEqual(c["status"], "fail")
        p, c = self.check("{expect: columns_exist, columns: [id, nope]}")
        self.assertEqual((c["status"], c["unexpected_examples"]), ("fail", ["nope"]))

    def test_severity_warn_and_errors(self):
        p, c = self.check("{expect: unique, column: code, severity: warn}")
        self.assertEqual((c["status"], p.returncode), ("warn", 0))
        p, c = self.check("{expect: not_null, column: scroe}")
        self.assertEqual((c["status"], p.returncode), ("error", 2))
        self.assertIn('did you mean "score"', c["message"])
        p, c = self.check("{expect: no_drift, column: score}", reference=False)
        self.assertEqual((c["status"], p.returncode), ("error", 2))

    def test_inferred_suite_passes_on_its_reference(self):
        suite = os.path.join(self.dir.name, "inferred.yaml")
        subprocess.run([tool("mlgate-datatest"), "--reference", self.ref, "--infer-suite", suite], check=True,
                       capture_output=True)
        p = subprocess.run([tool("mlgate-datatest"), "--data", self.ref, "--reference", self.ref, "--suite", suite],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        kinds = {c["id"].split(".")[0] for c in doc["checks"]}
        self.assertTrue({"column_type", "not_null", "between", "in_set", "no_drift"} <= kinds, kinds)


if __name__ == "__main__":
    unittest.main(verbosity=2)
