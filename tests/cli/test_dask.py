"""integrations/dask: mlgate-eval over a data set's parts on a real Dask cluster (a LocalCluster
of worker processes on 127.0.0.1), merged by mlgate-merge: the document equals one mlgate-eval
run over the whole data set. A part that cannot be read is exit 2 naming it."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "oracle"))
from oracle_common import tool, write  # noqa: E402

DASK = os.path.join(HERE, "..", "..", "integrations", "dask")

POLICY = """version: 1
task: binary
columns: {label: churned, score: p}
metrics:
  roc_auc: {min: 0.6}
  brier: {max: 0.3}
slices:
  columns: [plan]
  metrics:
    roc_auc: {min: 0.55}
"""


class DaskCluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from distributed import LocalCluster
        cls.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.env = dict(os.environ, PATH=os.path.dirname(tool("mlgate-eval")) + os.pathsep + os.environ["PATH"],
                        PYTHONPATH=DASK)

    def tearDown(self):
        self.dir.cleanup()

    def path(self, *names):
        return os.path.join(self.dir.name, *names)

    def data_set(self, n=40000, parts=5):
        rng = np.random.default_rng(9)
        y = (rng.random(n) < 0.3).astype(int)
        p = np.clip(rng.normal(0.35 + 0.25 * y, 0.2), 0, 1).round(5)
        plan = rng.choice(["basic", "pro", "team"], n)
        df = pd.DataFrame({"churned": y, "p": p, "plan": plan})
        os.makedirs(self.path("parts"))
        edges = np.linspace(0, n, parts + 1).astype(int)
        for k in range(parts):
            df.iloc[edges[k]:edges[k + 1]].to_csv(self.path("parts", f"part-{k:03d}.csv"), index=False)
        write(self.path("parts", "_SUCCESS"), "")
        write(self.path("policy.yaml"), POLICY)
        return df

    def dask(self, command, *args):
        # The cluster's workers were started without mlgate on their PATH: name it.
        return subprocess.run([sys.executable, "-m", "mlgate_dask", command, "--mlgate-eval", tool("mlgate-eval"),
                               *args], capture_output=True, text=True, env=self.env, timeout=300)

    def test_the_cluster_gives_the_single_run_document(self):
        self.data_set()
        single = self.path("single.json")
        p = subprocess.run([tool("mlgate-eval"), "--data", self.path("parts"), "--policy", self.path("policy.yaml"),
                            "-o", single], capture_output=True, text=True)
        merged = self.path("merged.json")
        q = self.dask("eval", "--data", self.path("parts", "part-*.csv"), "--scheduler",
                      self.cluster.scheduler_address, "--policy", self.path("policy.yaml"), "-o", merged)
        self.assertEqual(q.returncode, p.returncode, q.stderr)
        with open(single) as f:
            a = json.load(f)
        with open(merged) as f:
            b = json.load(f)
        a["metrics"].pop("curves"), b["metrics"].pop("curves")
        self.assertEqual(a["metrics"], b["metrics"])
        self.assertEqual([(c["id"], c["status"]) for c in a["checks"]],
                         [(c["id"], c["status"]) for c in b["checks"]])
        self.assertEqual(len(b["inputs"]["data"]["parts"]), 5)
        # The folder form reads the same parts (not _SUCCESS).
        q = self.dask("eval", "--data", self.path("parts"), "--scheduler", self.cluster.scheduler_address,
                      "--policy", self.path("policy.yaml"), "-o", merged)
        self.assertEqual(q.returncode, p.returncode, q.stderr)
        with open(merged) as f:
            c = json.load(f)
        c["metrics"].pop("curves")
        self.assertEqual(a["metrics"], c["metrics"])

    def test_extra_flags_go_to_mlgate_eval(self):
        self.data_set(n=6000, parts=3)
        single = self.path("single.json")
        subprocess.run([tool("mlgate-eval"), "--data", self.path("parts"), "--label-col", "churned",
                        "--score-col", "p", "--threshold", "0.4", "-o", single], capture_output=True, check=True)
        merged = self.path("merged.json")
        q = self.dask("eval", "--data", self.path("parts"), "--scheduler", self.cluster.scheduler_address,
                      "--label-col", "churned", "--score-col", "p", "--threshold", "0.4", "-o", merged)
        self.assertEqual(q.returncode, 0, q.stderr)
        with open(single) as f:
            a = json.load(f)["metrics"]
        with open(merged) as f:
            b = json.load(f)["metrics"]
        a.pop("curves"), b.pop("curves")
        self.assertEqual(a, b)
        self.assertEqual(b["threshold"], 0.4)

    def test_a_bad_part_is_exit_2_naming_it(self):
        self.data_set(n=3000, parts=3)
        with open(self.path("parts", "part-001.csv"), "a") as f:
            f.write("1,not-a-number,pro\n")
        q = self.dask("eval", "--data", self.path("parts"), "--scheduler", self.cluster.scheduler_address,
                      "--policy", self.path("policy.yaml"), "-o", self.path("x.json"))
        self.assertEqual(q.returncode, 2, q.stderr)
        self.assertIn("part-001.csv", q.stderr)
        self.assertFalse(os.path.exists(self.path("x.json")))
        q = self.dask("eval", "--data", self.path("nothing-*.csv"), "--scheduler", self.cluster.scheduler_address)
        self.assertEqual(q.returncode, 2)
        self.assertIn("no part files", q.stderr)

    def test_local_cluster_of_its_own(self):
        self.data_set(n=4000, parts=2)
        q = self.dask("eval", "--data", self.path("parts"), "--local", "2", "--policy", self.path("policy.yaml"),
                      "-o", self.path("m.json"))
        self.assertIn(q.returncode, (0, 1), q.stderr)
        with open(self.path("m.json")) as f:
            self.assertEqual(json.load(f)["metrics"]["n"], 4000)


if __name__ == "__main__":
    unittest.main()
