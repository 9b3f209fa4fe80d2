"""The command line as a new user meets it: help in groups with examples, exit codes and the
environment; values checked at parse time; did-you-mean for flags, values and commands; the
flags every tool shares (--threads, --quiet, --verbose); comma lists; the one `mlgate` command;
progress on stderr (never stdout) in a log and on a terminal; container-aware limits through
fake cgroup trees and, where the machine lets root make one, a real memory-limited cgroup."""
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))
from oracle_common import BIN  # noqa: E402

DATA = os.path.join(HERE, "data")
EXAMPLES = os.path.join(ROOT, "examples", "data")
TOOLS = ["eval", "compare", "fairness", "datatest", "report", "comment", "promote"]
GROUPS = ["Input:", "Columns:", "Model:", "Gate:", "Output:", "Options:", "Performance:", "Other:"]


def exe(name):
    return os.path.join(os.environ.get("MLGATE_BIN_DIR", BIN), name)


def run(name, *args, env=None, **kw):
    e = dict(os.environ)
    e.pop("MLGATE_PROGRESS", None)
    e.update(env or {})
    return subprocess.run([exe(name), *map(str, args)], capture_output=True, text=True, env=e,
                          timeout=300, **kw)


class Cli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def error(self, p, pattern):
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertRegex(p.stderr, pattern)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    # ---- help ----------------------------------------------------------------------------

    def test_help_of_every_tool(self):
        for t in TOOLS:
            with self.subTest(tool=t):
                p = run(f"mlgate-{t}", "--help")
                self.assertEqual(p.returncode, 0, p.stderr)
                h = p.stdout
                self.assertIn(f"Usage: mlgate-{t} [OPTIONS]", h)  # its own name, not a path
                # Groups in reading order; help and version last.
                at = [h.find("\n" + g + "\n") for g in GROUPS if "\n" + g + "\n" in h]
                self.assertEqual(at, sorted(at))
                self.assertIn("\nOther:\n  -h,--help", h)
                for flag in ("--threads", "-q,--quiet", "-v,--verbose", "--version"):
                    self.assertIn(flag, h)
                for section in ("Examples:", "Exit codes:", "Environment:"):
                    self.assertIn("\n" + section + "\n", h)
                for var in ("MLGATE_THREADS", "MLGATE_MEMORY_LIMIT", "MLGATE_PROGRESS",
                            "MLGATE_TIMING"):
                    self.assertIn(var, h)
                self.assertRegex(h, rf"\n  mlgate-{t} ")  # an example of itself
        # Allowed values are listed.
        h = run("mlgate-eval", "--help").stdout
        self.assertIn("--format TEXT:{csv,tsv,jsonl,parquet}", h)
        self.assertIn("--task TEXT:{binary,multiclass,regression,ranking}", h)
        self.assertIn("--model-protocol TEXT:{mlflow,v2,tfserving}", h)
        self.assertIn("--registry TEXT:{git,file,mlflow}", run("mlgate-promote", "--help").stdout)
        self.assertIn("--provider TEXT:{auto,github,gitlab}", run("mlgate-comment", "--help").stdout)

    def test_did_you_mean_for_flags_and_values(self):
        good = os.path.join(DATA, "good.csv")
        self.error(run("mlgate-eval", "--dat", good),
                   r'^mlgate-eval: error: unknown flag "--dat" \(did you mean "--data"\?\)')
        self.error(run("mlgate-datatest", "--refrence", good),
                   r'unknown flag "--refrence" \(did you mean "--reference"\?\)')
        self.error(run("mlgate-eval", "--data", good, "--format", "jsonn"),
                   r'--format: "jsonn" is not allowed: did you mean "jsonl"\? one of csv, tsv, jsonl, parquet')
        self.error(run("mlgate-eval", "--data", good, "--task", "binray"),
                   r'--task: "binray" is not allowed: did you mean "binary"\?')
        self.error(run("mlgate-promote", "--model", "m", "--model-version", "1", "--stage", "s",
                       "--evidence", good, "--registry", "gti"),
                   r'--registry: "gti" is not allowed: did you mean "git"\?')
        self.error(run("mlgate-comment", "--body", good, "--provider", "gitlba"),
                   r'--provider: "gitlba" is not allowed: did you mean "gitlab"\?')
        self.error(run("mlgate-eval", "--data", good, "--threads", "0"), r"--threads")
        self.error(run("mlgate-eval", "--data", good, "stray.csv"),
                   r'unexpected argument "stray\.csv"')

    def test_bad_environment_values_are_errors(self):
        good = os.path.join(DATA, "good.csv")
        for var, value, pattern in [
            ("MLGATE_THREADS", "abc", r"environment: MLGATE_THREADS must be a whole number"),
            ("MLGATE_MEMORY_LIMIT", "lots", r"environment: MLGATE_MEMORY_LIMIT must be a size"),
            ("MLGATE_TIMING", "maybe", r"environment: MLGATE_TIMING must be 1 or 0"),
            ("MLGATE_PROGRESS", "alway", r'MLGATE_PROGRESS must be auto, always or never, not "alway" '
                                         r'\(did you mean "always"\?'),
        ]:
            with self.subTest(var=var):
                self.error(run("mlgate-eval", "--data", good, env={var: value}), pattern)

    # ---- the shared flags --------------------------------------------------------------------

    def test_quiet_and_verbose(self):
        good = os.path.join(DATA, "good.csv")
        out = os.path.join(self.d, "e.json")
        loud = run("mlgate-eval", "--data", good, "--policy", os.path.join(DATA, "pass_policy.yaml"))
        self.assertIn("binary on 8 rows", loud.stderr)
        quiet = run("mlgate-eval", "--data", good, "--policy", os.path.join(DATA, "pass_policy.yaml"),
                    "-q", "-o", out)
        self.assertEqual((quiet.returncode, quiet.stderr), (0, ""))
        # Errors still speak under --quiet, and the gate's verdict is in the exit code.
        self.error(run("mlgate-eval", "--data", os.path.join(DATA, "nope.csv"), "--quiet"), r"cannot open")
        self.assertEqual(run("mlgate-eval", "--data", good, "--policy",
                             os.path.join(DATA, "fail_policy.yaml"), "-q", "-o", out).returncode, 1)
        suite = os.path.join(self.d, "suite.yaml")
        with open(suite, "w") as f:
            f.write("version: 1\nexpectations:\n  - {expect: not_null, columns: [label, score]}\n"
                    "  - {expect: no_drift, column: score}\n")
        for t, args in [("datatest", ["--data", good, "--reference", good, "--suite", suite]),
                        ("compare", ["--candidate", os.path.join(DATA, "pair_cand.csv"), "--baseline",
                                     os.path.join(DATA, "pair_base.csv"), "--policy",
                                     os.path.join(DATA, "pair_policy.yaml")])]:
            with self.subTest(tool=t):
                self.assertNotEqual(run(f"mlgate-{t}", *args, "-o", out).stderr, "")
                q = run(f"mlgate-{t}", *args, "--quiet", "-o", out)
                self.assertIn(q.returncode, (0, 1))
                self.assertEqual(q.stderr, "")
        v = run("mlgate-eval", "--data", good, "--verbose", "-o", out)
        self.assertEqual(v.returncode, 0, v.stderr)
        self.assertRegex(v.stderr, r"mlgate-eval: version \S+, \d+ threads \(affinity \d+\); memory: ")
        self.assertRegex(v.stderr, r"mlgate-eval: read \S+good\.csv: csv, 8 rows, columns label, score; "
                                   r"sha256 [0-9a-f]{64}")
        v = run("mlgate-compare", "--candidate", os.path.join(DATA, "pair_cand.csv"), "--baseline",
                os.path.join(DATA, "pair_base.csv"), "--policy", os.path.join(DATA, "pair_policy.yaml"),
                "--verbose", "-o", out)
        self.assertRegex(v.stderr, r"mlgate-compare: roc_auc\.regression: decided by \w+")
        v = run("mlgate-eval", "--data", good, "--verbose", "--threads", 1, "-o", out)
        self.assertRegex(v.stderr, r"1 threads \(--threads, affinity")
        self.error(run("mlgate-eval", "--data", good, "-q", "-v"), r"--quiet and --verbose contradict")
        # Results do not depend on the thread count.
        docs = []
        for n in (1, 2, 3):
            run("mlgate-eval", "--data", good, "--threads", n, "-o", out)
            with open(out) as f:
                d = json.load(f)
            d.pop("provenance")
            docs.append(d)
        self.assertEqual(docs[0], docs[1])
        self.assertEqual(docs[0], docs[2])

    def test_comma_lists_and_flags_a_tool_does_not_take(self):
        data = os.path.join(self.d, "f.csv")
        with open(data, "w") as f:
            f.write("label,score,sex,region\n")
            for i in range(400):
                f.write(f"{i % 2},{(i * 37 % 100) / 100},{'FM'[i % 3 % 2]},{['eu', 'us'][i // 7 % 2]}\n")
        a, b = os.path.join(self.d, "a.json"), os.path.join(self.d, "b.json")

        def same(tool, one, two):
            for out, args in ((a, one), (b, two)):
                p = run(tool, "--data", data, *args, "-o", out)
                self.assertEqual(p.returncode, 0, p.stderr)
            with open(a) as f, open(b) as g:
                x, y = json.load(f), json.load(g)
            for d in (x, y):
                d.pop("provenance")
            self.assertEqual(x, y)
            return x

        doc = same("mlgate-fairness", ["--sensitive-col", "sex,region"],
                   ["--sensitive-col", "sex", "--sensitive-col", "region"])
        self.assertEqual(len(doc["groups"]), 4)
        same("mlgate-eval", ["--slice-col", "sex,region"], ["--slice-col", "sex", "--slice-col", "region"])
        self.error(run("mlgate-fairness", "--data", data, "--sensitive-col", "sex", "--slice-col", "region"),
                   r'mlgate-fairness: error: unknown flag "--slice-col"')
        self.error(run("mlgate-fairness", "--data", data, "--sensitive-col", "sex", "--proba-cols", "a,b"),
                   r'mlgate-fairness: error: unknown flag "--proba-cols"')

    def test_promote_model_version_and_its_own_version(self):
        p = run("mlgate-promote", "--version")
        self.assertEqual((p.returncode, p.stdout.strip()), (0, "mlgate-promote 0.1.0"))
        ev = os.path.join(self.d, "eval.json")
        self.assertEqual(run("mlgate-eval", "--data", os.path.join(DATA, "good.csv"), "--policy",
                             os.path.join(DATA, "pass_policy.yaml"), "-o", ev).returncode, 0)
        for flag in ("--model-version", "--version"):  # the new spelling and the old one
            with self.subTest(flag=flag):
                reg = os.path.join(self.d, f"reg{flag}.json")
                p = run("mlgate-promote", "--model", "churn", flag, "1.2.0", "--stage", "staging",
                        "--evidence", ev, "--registry", "file", "--registry-path", reg, "--audit-log",
                        os.path.join(self.d, "audit.jsonl"), "-o", os.path.join(self.d, "p.json"))
                self.assertEqual(p.returncode, 0, p.stderr)
                with open(os.path.join(self.d, "p.json")) as f:
                    self.assertIn("1.2.0", f.read())

    # ---- one command -------------------------------------------------------------------------

    def test_the_mlgate_command(self):
        good = os.path.join(DATA, "good.csv")
        out = os.path.join(self.d, "e.json")
        p = run("mlgate", "eval", "--data", good, "-o", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("binary on 8 rows", p.stderr)
        self.assertEqual(run("mlgate", "eval", "--data", good, "--policy",
                             os.path.join(DATA, "fail_policy.yaml"), "-o", out).returncode, 1)
        h = run("mlgate", "help")
        self.assertEqual(h.returncode, 0)
        for t in TOOLS:
            self.assertRegex(h.stdout, rf"\n  {t} +\S")
        self.assertIn("Usage: mlgate-compare [OPTIONS]", run("mlgate", "help", "compare").stdout)
        self.assertIn("Usage: mlgate-datatest [OPTIONS]", run("mlgate", "datatest", "--help").stdout)
        v = run("mlgate", "--version")
        self.assertEqual(v.returncode, 0)
        self.assertEqual(v.stdout.splitlines()[0], "mlgate 0.1.0")
        for t in TOOLS:
            self.assertRegex(v.stdout, rf"\n  mlgate-{t} +0\.1\.0")
        self.error(run("mlgate", "evl"), r'^mlgate: error: unknown command "evl": did you mean "eval"\?')
        self.error(run("mlgate", "help", "comapre"), r'did you mean "compare"\?')
        self.error(run("mlgate", "--data", good), r"the options go after the command")
        self.assertEqual(run("mlgate").returncode, 2)
        # Found beside it even when PATH has no mlgate-* at all; a tool's failure is its own.
        p = run("mlgate", "eval", "--data", os.path.join(DATA, "nope.csv"), env={"PATH": "/nonexistent"})
        self.error(p, r"^mlgate-eval: error: .*nope\.csv")

    # ---- progress ----------------------------------------------------------------------------

    def bootstrap_args(self, samples=300):
        pol = os.path.join(self.d, "boot.yaml")
        with open(pol, "w") as f:
            f.write("version: 1\ncolumns: {label: churned, score: score, id: customer_id}\n"
                    "metrics:\n  roc_auc: {max_regression: 0.05, confidence: 0.95}\n"
                    f"statistics: {{method: bootstrap, bootstrap_samples: {samples}, seed: 7}}\n")
        return ["--candidate", os.path.join(EXAMPLES, "candidate.csv"), "--baseline",
                os.path.join(EXAMPLES, "baseline.csv"), "--policy", pol]

    def test_progress_lines_in_a_log(self):
        p = run("mlgate-compare", *self.bootstrap_args(), env={"MLGATE_PROGRESS": "always"})
        self.assertIn(p.returncode, (0, 1), p.stderr)
        json.loads(p.stdout)  # stdout is the document alone
        lines = [l for l in p.stderr.splitlines() if ": bootstrap: " in l]
        self.assertGreater(len(lines), 2)
        self.assertRegex(lines[-1], r"^mlgate-compare: bootstrap: 300 of 300 resamples \(100%\), "
                                    r"[\d.]+ s, [\d,]+ resamples/s, done$")
        done = [int(re.search(r"bootstrap: ([\d,]+) of", l).group(1).replace(",", "")) for l in lines]
        self.assertEqual(done, sorted(done))
        self.assertTrue(any(": reading " in l and " rows" in l for l in p.stderr.splitlines()))
        # --quiet and never silence it; by default a short run in a log prints none.
        for extra, env in (([], {"MLGATE_PROGRESS": "never"}), (["--quiet"], {"MLGATE_PROGRESS": "always"}),
                           ([], {})):
            q = run("mlgate-compare", *self.bootstrap_args(), *extra, env=env)
            self.assertNotIn("resamples", q.stderr)
        # A model command's rows.
        model = os.path.join(ROOT, "examples", "model", "churn_model.py")
        p = run("mlgate-eval", "--features", os.path.join(EXAMPLES, "holdout.csv"), "--label-col", "churned",
                "--model-cmd", f"/usr/bin/python3 {model}", "-o", os.path.join(self.d, "m.json"),
                env={"MLGATE_PROGRESS": "always"})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stderr, r"mlgate-eval: model command: 4,000 of 4,000 rows \(100%\).*done")

    def test_progress_on_a_terminal_updates_one_line(self):
        pid, fd = pty.fork()
        if pid == 0:
            env = dict(os.environ, MLGATE_PROGRESS="always")
            os.execve(exe("mlgate-compare"), ["mlgate-compare", *self.bootstrap_args(),
                                              "-o", os.path.join(self.d, "c.json")], env)
        out = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        _, status = os.waitpid(pid, 0)
        self.assertIn(os.waitstatus_to_exitcode(status), (0, 1))
        text = out.decode()
        self.assertIn("\rmlgate-compare: bootstrap: ", text)
        self.assertIn("\x1b[K", text)  # the rest of the old line cleared
        # One finished line per step: the last state, then a newline.
        self.assertRegex(text, r"\rmlgate-compare: bootstrap: 300 of 300 resamples \(100%\)[^\r\n]*\x1b\[K\r?\n")

    # ---- containers --------------------------------------------------------------------------

    def fake_root(self, cpu_max, memory_max, current):
        root = os.path.join(self.d, "root")
        cg = os.path.join(root, "sys", "fs", "cgroup")
        os.makedirs(os.path.join(root, "proc", "self"), exist_ok=True)
        os.makedirs(cg, exist_ok=True)
        files = {os.path.join(root, "proc", "self", "cgroup"): "0::/\n",
                 os.path.join(root, "proc", "meminfo"): "MemAvailable: 16000000 kB\n",
                 os.path.join(cg, "cgroup.controllers"): "cpu memory\n",
                 os.path.join(cg, "cpu.max"): cpu_max + "\n",
                 os.path.join(cg, "memory.max"): memory_max + "\n",
                 os.path.join(cg, "memory.current"): current + "\n"}
        for p, text in files.items():
            with open(p, "w") as f:
                f.write(text)
        return root

    def test_threads_and_memory_from_a_cgroup(self):
        good = os.path.join(DATA, "good.csv")
        root = self.fake_root("50000 100000", str(64 << 20), str(8 << 20))
        v = run("mlgate-eval", "--data", good, "-v", "-o", os.path.join(self.d, "e.json"),
                env={"MLGATE_CGROUP_ROOT": root})
        self.assertEqual(v.returncode, 0, v.stderr)
        self.assertRegex(v.stderr, r"version \S+, 1 threads \(affinity \d+, cgroup CPU quota 0\.5\); "
                                   r"memory: MemAvailable 15625 MiB, cgroup limit 64 MiB with 8 MiB in use")
        # MLGATE_THREADS still wins over the quota.
        v = run("mlgate-eval", "--data", good, "-v", "-o", os.path.join(self.d, "e.json"),
                env={"MLGATE_CGROUP_ROOT": root, "MLGATE_THREADS": "3"})
        self.assertRegex(v.stderr, r"3 threads \(MLGATE_THREADS, ")
        # A read that does not fit in what the cgroup leaves is a clean exit 2.
        big = self.big_csv(400_000)
        root = self.fake_root("max 100000", str(8 << 20), str(4 << 20))
        p = run("mlgate-eval", "--data", big, env={"MLGATE_CGROUP_ROOT": root})
        self.error(p, r"needs more memory than this machine has available: .* of the 3 MiB limit")

    def big_csv(self, rows):
        path = os.path.join(self.d, f"big{rows}.csv")
        block = "".join(f"{i % 2},0.{(i * 7919) % 1000000:06d}\n" for i in range(100_000))
        with open(path, "w") as f:
            f.write("label,score\n")
            for _ in range(rows // 100_000):
                f.write(block)
        return path

    def test_a_real_memory_limited_cgroup_ends_in_exit_2_not_a_kill(self):
        cg = self.make_memory_cgroup(96 << 20)
        try:
            big = self.big_csv(8_000_000)  # 128 MiB of columns: more than the cgroup holds

            def enter():
                with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                    f.write(str(os.getpid()))

            e = dict(os.environ)
            e.pop("MLGATE_MEMORY_LIMIT", None)
            p = subprocess.run([exe("mlgate-eval"), "--data", big, "-o", os.path.join(self.d, "e.json")],
                               capture_output=True, text=True, env=e, preexec_fn=enter, timeout=300)
            self.assertEqual(p.returncode, 2, f"exit {p.returncode} (137 is the kernel's kill): {p.stderr}")
            self.assertRegex(p.stderr, r"needs more memory than this machine has available")
        finally:
            os.rmdir(cg)

    def make_memory_cgroup(self, limit):
        """A child of this process's memory cgroup with a limit (cgroup v1, as root), or skip."""
        if os.geteuid() != 0:
            self.skipTest("making a cgroup needs root")
        mount = None
        with open("/proc/self/mounts") as f:
            for line in f:
                dev, where, kind, opts = line.split()[:4]
                if kind == "cgroup" and "memory" in opts.split(","):
                    mount = where
        path = None
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, ctrl, p = line.rstrip("\n").split(":", 2)
                if "memory" in ctrl.split(","):
                    path = p
        if not mount or path is None:
            self.skipTest("no cgroup v1 memory hierarchy here (cgroup v2 needs a delegated subtree)")
        parent = os.path.join(mount, path.lstrip("/"))
        if not os.path.isdir(parent):
            parent = mount
        cg = os.path.join(parent, f"mlgate-test-{os.getpid()}")
        try:
            os.mkdir(cg)
            with open(os.path.join(cg, "memory.limit_in_bytes"), "w") as f:
                f.write(str(limit))
        except OSError as e:
            if os.path.isdir(cg):
                os.rmdir(cg)
            self.skipTest(f"cannot make a memory cgroup here: {e}")
        return cg


if __name__ == "__main__":
    unittest.main(verbosity=2)
