"""mlgate-eval --predictions-out: one scoring run feeds mlgate-compare and mlgate-fairness. The
rows as scored read back to exactly the same metrics (binary through a model command with
slices, multiclass probabilities, regression), and a run that fails writes nothing."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "oracle"))
from oracle_common import BIN, write  # noqa: E402

EX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")


def eval_(*args):
    p = subprocess.run([os.path.join(os.environ.get("MLGATE_BIN_DIR", BIN), "mlgate-eval"), *args],
                       capture_output=True, text=True)
    return p


class PredictionsOut(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.d = self.dir.name

    def tearDown(self):
        self.dir.cleanup()

    def metrics(self, path):
        with open(path) as f:
            return json.load(f)["metrics"]

    def test_model_command_rows_read_back_to_the_same_metrics(self):
        out, scored = f"{self.d}/m.json", f"{self.d}/scored.csv"
        p = eval_("--features", os.path.join(EX, "data/holdout.csv"), "--label-col", "churned", "--model-cmd",
                  f"/usr/bin/python3 {os.path.join(EX, 'model/churn_model.py')}", "--slice-col", "plan",
                  "--predictions-out", scored, "-o", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(scored) as f:
            head = f.readline().strip()
        self.assertEqual(head, "churned,score,plan")  # under the run's column names
        p = eval_("--data", scored, "--label-col", "churned", "--slice-col", "plan", "-o", f"{self.d}/again.json")
        self.assertEqual(p.returncode, 0, p.stderr)
        a, b = self.metrics(out), self.metrics(f"{self.d}/again.json")
        self.assertEqual(a["overall"], b["overall"])
        self.assertEqual(a["slices"], b["slices"])
        self.assertEqual(a["curves"], b["curves"])
        # The same file is a candidate for mlgate-compare as it is (paired by row order).
        write(f"{self.d}/p.yaml", "version: 1\nmetrics: {roc_auc: {max_regression: 0.01}}\n")
        c = subprocess.run([os.path.join(os.environ.get("MLGATE_BIN_DIR", BIN), "mlgate-compare"), "--candidate", scored,
                            "--baseline", scored, "--policy", f"{self.d}/p.yaml", "--label-col", "churned",
                            "-o", f"{self.d}/c.json"],
                           capture_output=True, text=True)
        self.assertEqual(c.returncode, 0, c.stderr)

    def test_the_policys_columns_and_ids_pair_with_the_production_baseline(self):
        # The demo's policy names the label churned and the id customer_id: the scored rows
        # carry both, so mlgate-compare pairs them with production's predictions by id, and a
        # positive label other than 1 is written as itself.
        scored = f"{self.d}/scored.csv"
        p = eval_("--features", os.path.join(EX, "data/holdout.csv"), "--model-cmd",
                  f"/usr/bin/python3 {os.path.join(EX, 'model/churn_model.py')}", "--policy",
                  os.path.join(EX, "policy.yaml"), "--predictions-out", scored, "-o", f"{self.d}/e.json")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(scored) as f:
            self.assertEqual(f.readline().strip(), "customer_id,churned,score,region,sex")  # slices, sensitive
            self.assertTrue(f.readline().startswith("C200000,0,"))
        c = subprocess.run([os.path.join(os.environ.get("MLGATE_BIN_DIR", BIN), "mlgate-compare"), "--candidate",
                            scored, "--baseline", os.path.join(EX, "data/baseline.csv"), "--policy",
                            os.path.join(EX, "policy.yaml"), "-o", f"{self.d}/c.json"], capture_output=True, text=True)
        self.assertIn(c.returncode, (0, 1), c.stderr)
        with open(f"{self.d}/c.json") as f:
            self.assertEqual(json.load(f)["metrics"]["pairing"], {"by": "id", "rows": 4000})
        # ...and mlgate-fairness finds the policy's sensitive column in it.
        fa = subprocess.run([os.path.join(os.environ.get("MLGATE_BIN_DIR", BIN), "mlgate-fairness"), "--data",
                             scored, "--policy", os.path.join(EX, "policy.yaml"), "-o", f"{self.d}/f.json"],
                            capture_output=True, text=True)
        self.assertIn(fa.returncode, (0, 1), fa.stderr)
        with open(f"{self.d}/f.json") as f:
            groups = json.load(f)["groups"]
        self.assertEqual(sorted(g["group"]["sex"] for g in groups), ["F", "M"])
        write(f"{self.d}/yn.csv", "label,score\nyes,0.9\nno,0.2\nyes,0.4\nno,0.7\n")
        p = eval_("--data", f"{self.d}/yn.csv", "--positive-label", "yes", "--predictions-out", f"{self.d}/yn_out.csv",
                  "-o", f"{self.d}/yn.json")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(f"{self.d}/yn_out.csv") as f:
            self.assertEqual(f.read(), "label,score\nyes,0.9\n0,0.2\nyes,0.4\n0,0.7\n")
        p = eval_("--data", f"{self.d}/yn_out.csv", "--positive-label", "yes", "-o", f"{self.d}/yn2.json")
        self.assertEqual(self.metrics(f"{self.d}/yn.json")["overall"], self.metrics(f"{self.d}/yn2.json")["overall"])

    def test_multiclass_and_regression_round_trip(self):
        write(f"{self.d}/mc.csv", "label,p_a,p_b,p_c\na,0.7,0.2,0.1\nb,0.1,0.6,0.3\nc,0.3,0.3,0.4\na,0.2,0.5,0.3\n"
              "c,0.1,0.1,0.8\nb,0.33,0.33,0.34\n")
        write(f"{self.d}/rg.csv", "label,score\n1.5,1.25\n-2,-1.75\n3.125,3\n10,9.5\n")
        for src, extra in (("mc.csv", ["--proba-cols", "p_*"]), ("rg.csv", ["--task", "regression"])):
            p = eval_("--data", f"{self.d}/{src}", *extra, "--predictions-out", f"{self.d}/o.csv", "-o", f"{self.d}/a.json")
            self.assertEqual(p.returncode, 0, p.stderr)
            p = eval_("--data", f"{self.d}/o.csv", *extra, "-o", f"{self.d}/b.json")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(self.metrics(f"{self.d}/a.json")["overall"], self.metrics(f"{self.d}/b.json")["overall"], src)

    def test_a_failed_run_writes_nothing(self):
        scored = f"{self.d}/scored.csv"
        write(f"{self.d}/bad.csv", "label,score\n1,0.5\n0,abc\n")
        p = eval_("--data", f"{self.d}/bad.csv", "--predictions-out", scored)
        self.assertEqual(p.returncode, 2)
        self.assertFalse(os.path.exists(scored))
        p = eval_("--data", os.path.join(EX, "data/candidate.csv"), "--predictions-out", f"{self.d}/no/such/dir/x.csv")
        self.assertEqual(p.returncode, 2)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
