"""The action scripts run as GitHub would run them: inputs in the environment, GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY, a pull_request event, and a local API server for the sticky comment."""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "cli"))
sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))
from fake_forge import Forge  # noqa: E402
from oracle_common import BIN, write  # noqa: E402

EX = os.path.join(ROOT, "examples")
TOKEN = "ghs_actionTestToken0123456789"


class Actions(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.d = self.dir.name
        self.output = os.path.join(self.d, "github_output")
        self.summary = os.path.join(self.d, "summary.md")
        self.event = os.path.join(self.d, "event.json")
        write(self.output, "")
        write(self.summary, "")
        write(self.event, json.dumps({"pull_request": {"number": 12}}))

    def tearDown(self):
        self.dir.cleanup()

    def env(self, forge, **inputs):
        e = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
        e.update({"PATH": os.path.abspath(BIN) + ":" + e["PATH"], "GITHUB_ACTIONS": "true",
                  "GITHUB_OUTPUT": self.output, "GITHUB_STEP_SUMMARY": self.summary, "GITHUB_EVENT_PATH": self.event,
                  "GITHUB_API_URL": forge.url, "GITHUB_REPOSITORY": "acme/churn", "GITHUB_TOKEN": TOKEN})
        e.update({"INPUT_" + k.upper(): v for k, v in inputs.items()})
        return e

    def outputs(self):
        out, lines, i = {}, open(self.output).read().split("\n"), 0
        while i < len(lines):
            line = lines[i]
            if "<<" in line and "=" not in line.split("<<")[0]:
                name, delim = line.split("<<", 1)
                j = lines.index(delim, i + 1)
                out[name] = "\n".join(lines[i + 1:j])
                i = j + 1
                continue
            if "=" in line:
                k, v = line.split("=", 1)
                out[k] = v
            i += 1
        return out

    def gate(self, forge, candidate):
        return subprocess.run([os.path.join(ROOT, "actions/gate/gate.sh")], cwd=self.d, capture_output=True, text=True,
                              env=self.env(forge, candidate=os.path.join(EX, "data", candidate),
                                           baseline=os.path.join(EX, "data/baseline.csv"), policy=os.path.join(EX, "policy.yaml"),
                                           sensitive_cols="sex", data=os.path.join(EX, "data/current.csv"),
                                           reference=os.path.join(EX, "data/reference.csv"), suite=os.path.join(EX, "suite.yaml"),
                                           report_dir="out"))

    def test_gate_passes_reports_and_comments(self):
        with Forge(TOKEN) as forge:
            p = self.gate(forge, "candidate.csv")
            self.assertEqual(p.returncode, 0, p.stderr[-3000:])
            out = self.outputs()
            self.assertEqual(out["status"], "pass")
            self.assertEqual(out["report"], "out/report.md")
            self.assertIn("<!-- mlgate-report -->", out["report"] if "\n" in out["report"] else open(os.path.join(self.d, "out/report.md")).read())
            self.assertIn("mlgate: **pass**", open(self.summary).read())
            for f in ("compare.json", "fairness.json", "datatest.json", "junit.xml", "html/index.html"):
                self.assertTrue(os.path.exists(os.path.join(self.d, "out", f)), f)
            self.assertEqual(sum("<!-- mlgate-report -->" in c["body"] for c in forge.comments), 1)
            self.assertIn("::warning", p.stdout)  # drift warnings as annotations
            self.assertNotIn(TOKEN, p.stdout + p.stderr)

    def test_gate_fails_on_a_degraded_model(self):
        with Forge(TOKEN) as forge:
            p = self.gate(forge, "degraded.csv")
            self.assertEqual(p.returncode, 1, p.stderr[-3000:])
            self.assertEqual(self.outputs()["status"], "fail")
            self.assertIn("::error title=mlgate mlgate-compare%3A roc_auc.regression::", p.stdout)
            self.assertIn("inferior", forge.comments[-1]["body"])

    def test_network_outage_keeps_the_verdict(self):
        import socket
        with socket.socket() as sock:  # a port with nothing listening: the API is down
            sock.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{sock.getsockname()[1]}"

        class Dead:
            url = dead

        p = self.gate(Dead(), "degraded.csv")
        self.assertEqual(p.returncode, 1, p.stderr[-2000:])  # still the gate's verdict, not 0 and not 2
        self.assertIn("--soft-fail", p.stderr)
        self.assertEqual(self.outputs()["status"], "fail")

    def test_action_inputs_are_never_evaluated(self):
        marker = os.path.join(self.d, "pwned")
        with Forge(TOKEN) as forge:
            env = self.env(forge, data=os.path.join(EX, "data/candidate.csv"),
                           args=f"--label-col\nchurned\n$(touch {marker})\n`touch {marker}`")
            p = subprocess.run([os.path.join(ROOT, "actions/eval/run.sh")], cwd=self.d, capture_output=True, text=True, env=env)
        self.assertEqual(p.returncode, 2)  # the odd argument is rejected as an argument, not run
        self.assertFalse(os.path.exists(marker))
        self.assertIn("exit-code=2", open(self.output).read())

    def test_eval_action_scores_a_served_model(self):
        """The eval action's model-url input, as the served-model template uses it: a model server
        on 127.0.0.1 (a job's service container in CI), a secret header from the environment."""
        import time
        port_file = os.path.join(self.d, "port")
        server = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests/cli/model_server.py"),
                                   "--protocol", "v2", "--port-file", port_file,
                                   "--require-header", "Authorization: Bearer tok-123456"])
        try:
            for _ in range(100):
                if os.path.exists(port_file):
                    break
                time.sleep(0.05)
            url = "http://127.0.0.1:" + open(port_file).read()
            with Forge(TOKEN) as forge:
                env = self.env(forge, features=os.path.join(EX, "data/holdout.csv"), model_url=url,
                               model_protocol="v2", model_name="churn", predictions_out="scored.csv",
                               output="eval.json",
                               args="--label-col\nchurned\n--model-output\nprobability\n--model-header\n"
                                    "Authorization: env:MODEL_TOKEN")
                env["MODEL_TOKEN"] = "Bearer tok-123456"
                p = subprocess.run([os.path.join(ROOT, "actions/eval/run.sh")], cwd=self.d, capture_output=True,
                                   text=True, env=env)
        finally:
            server.kill()
            server.wait()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("tok-123456", p.stderr)
        self.assertIn("exit-code=0", open(self.output).read())
        doc = json.load(open(os.path.join(self.d, "eval.json")))
        self.assertEqual(doc["inputs"]["data"]["model_url"]["protocol"], "v2")
        self.assertIn("latency_ms", doc["metrics"])
        self.assertEqual(open(os.path.join(self.d, "scored.csv")).readline().strip(), "churned,score")
        # The served template calls the action with exactly these inputs.
        import yaml
        wf = yaml.safe_load(open(os.path.join(ROOT, "ci-templates/github/mlgate-served.yml")))
        job = wf["jobs"]["gate"]
        self.assertIn("model", job["services"])
        ev = next(st for st in job["steps"] if st.get("id") == "eval")
        self.assertEqual(ev["uses"], "./actions/eval")
        self.assertTrue({"features", "model-url", "model-protocol", "predictions-out"} <= set(ev["with"]))
        action = yaml.safe_load(open(os.path.join(ROOT, "actions/eval/action.yml")))
        self.assertTrue(set(ev["with"]) <= set(action["inputs"]))

    def test_pr_template_keeps_its_report_when_the_eval_fails(self):
        """The PR template's steps in order, as the runner would take them: the eval step fails
        (a stricter policy), is allowed to continue, and its document joins the gate's report; the
        job still fails, with the summary written and the comment posted."""
        import shutil
        import yaml
        wf = yaml.safe_load(open(os.path.join(ROOT, "ci-templates/github/mlgate-pr.yml")))
        steps = wf["jobs"]["gate"]["steps"]
        ev = next(st for st in steps if st.get("id") == "eval")
        gate = next(st for st in steps if st.get("id") == "gate")
        self.assertTrue(ev.get("continue-on-error"))
        self.assertEqual(gate.get("if"), "always()")
        self.assertIn("candidate.eval.json", gate["with"]["documents"])
        # The workspace: the repository's examples, with a policy the model cannot meet.
        shutil.copytree(EX, os.path.join(self.d, "examples"))
        pol = os.path.join(self.d, "examples/policy.yaml")
        text = open(pol).read()
        strict = re.sub(r"roc_auc: \{min: [0-9.]+", "roc_auc: {min: 0.999", text, count=1)
        self.assertNotEqual(strict, text)
        write(pol, strict)
        with Forge(TOKEN) as forge:
            e = subprocess.run(["bash", "-c", ev["run"].replace("python3 ", "/usr/bin/python3 ")], cwd=self.d,
                               capture_output=True, text=True, env=self.env(forge))
            self.assertEqual(e.returncode, 1, e.stderr[-2000:])  # the eval step fails...
            inputs = {k.replace("-", "_"): v for k, v in gate["with"].items() if "${{" not in v}
            p = subprocess.run([os.path.join(ROOT, "actions/gate/gate.sh")], cwd=self.d, capture_output=True,
                               text=True, env=self.env(forge, **inputs))
            self.assertEqual(p.returncode, 1, p.stderr[-3000:])  # ...and so does the job, at the gate
            self.assertEqual(self.outputs()["status"], "fail")
            report = open(os.path.join(self.d, "mlgate-report/report.md")).read()
            self.assertIn("mlgate-eval on examples/data/holdout.csv", report)  # the eval document is in the report
            self.assertIn("mlgate: **fail**", open(self.summary).read())
            self.assertEqual(sum("<!-- mlgate-report -->" in c["body"] for c in forge.comments), 1)
            self.assertTrue(os.path.exists(os.path.join(self.d, "mlgate-report/junit.xml")))
            # An eval step that wrote nothing is an error of the gate, not a silent pass.
            os.remove(os.path.join(self.d, "candidate.eval.json"))
            p = subprocess.run([os.path.join(ROOT, "actions/gate/gate.sh")], cwd=self.d, capture_output=True,
                               text=True, env=self.env(forge, **inputs))
            self.assertEqual(p.returncode, 2, p.stderr[-2000:])
            self.assertIn("candidate.eval.json was not written", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
