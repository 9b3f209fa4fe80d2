"""Shared helpers for the parity tests: run an mlgate executable, compare to 1e-9 relative."""
import json
import math
import os
import subprocess
import tempfile
import unittest

BIN = os.environ.get("MLGATE_BIN_DIR", os.path.join(os.path.dirname(__file__), "../../build/release/src/tools"))
REL = 1e-9


def tool(name):
    for candidate in (os.path.join(BIN, name), os.path.join(BIN, name.replace("mlgate-", ""), name)):
        if os.path.exists(candidate):
            return os.path.abspath(candidate)
    raise FileNotFoundError(f"{name} not found under {BIN}")


def run(name, *args, expect=None):
    p = subprocess.run([tool(name), *map(str, args)], capture_output=True, text=True)
    if expect is not None and p.returncode != expect:
        raise AssertionError(f"{name} exited {p.returncode}, expected {expect}\nstderr: {p.stderr}")
    return p


def run_json(name, *args, expect=0):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.json")
        p = run(name, *args, "-o", out, expect=expect)
        with open(out) as f:
            return json.load(f), p


class ParityCase(unittest.TestCase):
    def assertClose(self, got, want, what, rel=REL):
        if want is None or (isinstance(want, float) and math.isnan(want)):
            self.assertIsNone(got, f"{what}: expected null, got {got}")
            return
        self.assertIsNotNone(got, f"{what}: got null, expected {want}")
        tol = rel * max(abs(want), 1e-300)
        if abs(want) < 1e-12:
            tol = 1e-15
        self.assertLessEqual(abs(got - want), tol, f"{what}: mlgate {got!r} vs reference {want!r}")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


class ToolCase(ParityCase):
    """A parity case with a temporary folder and a run of mlgate-eval on a data frame."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def eval_doc(self, df, policy, *args, expect=0):
        f = self.path("d.csv")
        df.to_csv(f, index=False, float_format="%.17g")
        pol = self.path("p.yaml")
        write(pol, policy)
        doc, _ = run_json("mlgate-eval", "--data", f, "--policy", pol, *args, expect=expect)
        return doc
