"""A corpus of hostile and broken inputs across every executable. None may crash, hang or exit 0
when it should not; each error names what went wrong."""
import gzip
import json
import os
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "oracle"))
from oracle_common import tool, write  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
D = os.path.join(HERE, "data")
EX = os.path.join(HERE, "..", "..", "examples")


class BadInputs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        d = cls.d = cls.dir.name
        good = "label,score,region\n" + "".join(f"{i % 2},{(i % 10) / 10},r{i % 3}\n" for i in range(200))
        write(f"{d}/good.csv", good)
        raw = gzip.compress(good.encode())
        open(f"{d}/truncated.csv.gz", "wb").write(raw[: len(raw) // 2])
        open(f"{d}/utf16.csv", "wb").write(good.encode("utf-16"))
        write(f"{d}/dup.csv", "label,score,label\n1,0.5,0\n")
        write(f"{d}/wide.csv", ",".join(["label", "score"] + [f"c{i}" for i in range(10000)]) + "\n" +
              "".join(",".join([str(i % 2), "0.5"] + ["1"] * 10000) + "\n" for i in range(20)))
        write(f"{d}/many.csv", "label,score\n" + "".join(f"{i % 2},0.{i % 10}\n" for i in range(200000)))
        write(f"{d}/header_only.csv", "label,score\n")
        write(f"{d}/empty.csv", "")
        write(f"{d}/nan.jsonl", '{"label": 1, "score": "NaN"}\n')
        with open(f"{d}/bigline.csv", "wb") as f:  # a 1 GB line
            f.write(b"label,score\n")
            block = b"a" * (1 << 24)
            for _ in range(64):
                f.write(block)
        laughs = "version: 1\nmetrics:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for i in "bcdefghij":
            laughs += f"  {i}: &{i} [*{chr(ord(i) - 1)}, *{chr(ord(i) - 1)}, *{chr(ord(i) - 1)}, *{chr(ord(i) - 1)}]\n"
        write(f"{d}/laughs.yaml", laughs)
        write(f"{d}/self_alias.yaml", "version: 1\nmetrics: &m\n  roc_auc: *m\n")
        write(f"{d}/policy.yaml", "version: 1\nmetrics:\n  roc_auc: {min: 0.1}\n")
        write(f"{d}/newer.json", json.dumps({"schema": "mlgate.result/v9", "checks": []}))
        write(f"{d}/flood.py", "import sys\nrows = sys.stdin.read().splitlines()[1:]\n"
              "sys.stderr.write(('x' * 999 + '\\n') * 50000)\nprint('\\n'.join('0.5' for _ in rows))\n")
        write(f"{d}/flood_fail.py", "import sys\nsys.stdin.read()\nsys.stderr.write('noise\\n' * 200000 + 'the real reason\\n')\nsys.exit(3)\n")
        write(f"{d}/features.csv", "x,label\n" + "".join(f"{i},{i % 2}\n" for i in range(100)))

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def run_tool(self, name, *args, want, words=(), timeout=120, preexec=None, env=None):
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.run([tool(name), *args], capture_output=True, timeout=timeout, preexec_fn=preexec, env=e)
        err = p.stderr.decode("utf-8", "replace")
        self.assertEqual(p.returncode, want, f"{name} {args}: exit {p.returncode}\n{err[-2000:]}")
        for w in words:
            self.assertIn(w, err)
        if want == 2:
            self.assertRegex(err, r"(?m)^mlgate-[a-z]+: error: ")
        return p

    def test_tables(self):
        d = self.d
        self.run_tool("mlgate-eval", "--data", f"{d}/truncated.csv.gz", want=2, words=["truncated gzip"])
        self.run_tool("mlgate-eval", "--data", f"{d}/utf16.csv", want=2, words=["UTF-16"])
        self.run_tool("mlgate-eval", "--data", f"{d}/dup.csv", want=2, words=['duplicate column name "label"'])
        self.run_tool("mlgate-datatest", "--data", f"{d}/dup.csv", "--suite", os.path.join(D, "suite_no_bound.yaml"),
                      want=2)
        self.run_tool("mlgate-eval", "--data", f"{d}/wide.csv", want=0)
        self.run_tool("mlgate-eval", "--data", f"{d}/header_only.csv", want=2, words=["no rows"])
        self.run_tool("mlgate-eval", "--data", f"{d}/empty.csv", want=2, words=["empty"])
        self.run_tool("mlgate-eval", "--data", f"{d}/nan.jsonl", want=2, words=["missing value"])
        self.run_tool("mlgate-eval", "--data", f"{d}/bigline.csv", want=2, words=["longer than 256 MiB"], timeout=120)
        self.run_tool("mlgate-fairness", "--data", f"{d}/good.csv", "--sensitive-col", "region", "--task", "multiclass",
                      want=2, words=["binary"])
        self.run_tool("mlgate-compare", "--candidate", f"{d}/good.csv", "--baseline", f"{d}/truncated.csv.gz",
                      "--policy", f"{d}/policy.yaml", want=2, words=["gzip"])

    def test_policies_and_documents(self):
        d = self.d
        self.run_tool("mlgate-eval", "--data", f"{d}/good.csv", "--policy", f"{d}/laughs.yaml", want=2,
                      words=["laughs.yaml"], timeout=20)
        self.run_tool("mlgate-eval", "--data", f"{d}/good.csv", "--policy", f"{d}/self_alias.yaml", want=2, timeout=20)
        self.run_tool("mlgate-report", f"{d}/newer.json", want=2, words=["unsupported schema version"])
        self.run_tool("mlgate-promote", "--model", "m", "--version", "1", "--stage", "s", "--evidence", f"{d}/newer.json",
                      "--registry", "file", want=2, words=["unsupported schema version"])

    def test_model_that_floods_stderr(self):
        d = self.d
        self.run_tool("mlgate-eval", "--features", f"{d}/features.csv", "--model-cmd", f"/usr/bin/python3 {d}/flood.py",
                      want=0, timeout=120)
        self.run_tool("mlgate-eval", "--features", f"{d}/features.csv", "--model-cmd",
                      f"/usr/bin/python3 {d}/flood_fail.py", want=2, words=["status 3", "the real reason"], timeout=120)

    def test_full_disk_and_memory_limits(self):
        d = self.d
        out = f"{d}/out.json"

        def tiny_files():
            import resource
            resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

        self.run_tool("mlgate-eval", "--data", f"{d}/good.csv", "-o", out, want=2, words=["cannot write"], preexec=tiny_files)
        self.assertFalse(os.path.exists(out))
        self.assertEqual([f for f in os.listdir(d) if ".tmp." in f], [])  # no half-written file left behind
        self.run_tool("mlgate-eval", "--data", f"{d}/many.csv", want=2, words=["more memory than"],
                      env={"MLGATE_MEMORY_LIMIT": "64K"})

    def test_invalid_utf8_still_gives_a_valid_document(self):
        d = self.d
        open(f"{d}/latin1.csv", "wb").write(b"label,score,region\n1,0.9,M\xfcnchen\n0,0.2,ok\n")
        p = self.run_tool("mlgate-eval", "--data", f"{d}/latin1.csv", "--slice-col", "region", want=0)
        doc = json.loads(p.stdout.decode("utf-8"))
        self.assertEqual(len(doc["metrics"]["slices"]), 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
