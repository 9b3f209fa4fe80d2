"""mlgate-promote: refuses without passing evidence; real git tags that count up; a file
registry under concurrent promotions; MLflow REST calls checked by a local server."""
import json
import os
import subprocess
import sys
import tempfile
import threading
import unittest
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "oracle"))
from oracle_common import tool, write  # noqa: E402

PASS = {"schema": "mlgate.result/v1", "tool": {"name": "mlgate-compare", "version": "0.1.0"}, "status": "pass",
        "summary": {"checks": 1, "passed": 1, "failed": 0, "warned": 0, "errors": 0},
        "checks": [{"id": "roc_auc.regression", "status": "pass", "message": "ok"}]}
FAIL = dict(PASS, status="fail", summary={"checks": 1, "passed": 0, "failed": 1, "warned": 0, "errors": 0},
            checks=[{"id": "roc_auc.regression", "status": "fail", "message": "worse"}])


class Promote(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.d = self.dir.name
        self.good = os.path.join(self.d, "compare.json")
        self.bad = os.path.join(self.d, "bad.json")
        write(self.good, json.dumps(PASS))
        write(self.bad, json.dumps(FAIL))
        self.env = dict(os.environ, GITHUB_ACTOR="ci-bot", GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e",
                        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@e")

    def tearDown(self):
        self.dir.cleanup()

    def make_repo(self):
        """A git work tree with one commit, and a function running git in it."""
        repo = os.path.join(self.d, "repo")
        os.mkdir(repo)
        git = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True, text=True, env=self.env).stdout  # noqa: E731
        git("init", "-q")
        write(os.path.join(repo, "model.txt"), "weights v1\n")
        git("add", ".")
        git("commit", "-qm", "model v1")
        return repo, git

    def promote(self, *args, cwd=None):
        return subprocess.run([tool("mlgate-promote"), *args], capture_output=True, text=True, cwd=cwd or self.d, env=self.env)

    def test_refuses_without_passing_evidence(self):
        p = self.promote("--model", "churn", "--version", "1.0.0", "--stage", "staging", "--evidence", self.good,
                         self.bad, "--registry", "file")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("refused", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.d, "mlgate-registry.json")))
        self.assertFalse(os.path.exists(os.path.join(self.d, "mlgate-audit.jsonl")))
        p = self.promote("--model", "churn", "--version", "1", "--stage", "staging", "--evidence", "missing.json")
        self.assertEqual(p.returncode, 2)
        p = self.promote("--model", "ch#urn", "--version", "1", "--stage", "staging", "--evidence", self.good)
        self.assertEqual(p.returncode, 2)

    def test_git_tags_count_up(self):
        repo, git = self.make_repo()
        for version in ("1.0.0", "1.0.0", "1.1.0"):
            p = self.promote("--model", "churn", "--version", version, "--stage", "staging", "--evidence", self.good, cwd=repo)
            self.assertEqual(p.returncode, 0, p.stderr)
        tags = git("tag", "--list").split()
        self.assertEqual(sorted(tags), sorted(["churn@v1.0.0", "churn@v1.1.0", "churn#staging#1", "churn#staging#2",
                                               "churn#staging#3"]))
        self.assertEqual(git("cat-file", "-t", "churn#staging#3").strip(), "tag")  # annotated
        msg = git("tag", "-l", "--format=%(contents)", "churn#staging#1")
        self.assertIn("mlgate-compare: pass", msg)
        self.assertIn("ci-bot", msg)
        audit = [json.loads(l) for l in open(os.path.join(repo, "mlgate-audit.jsonl"))]
        self.assertEqual(len(audit), 3)
        self.assertEqual(audit[0]["actor"], "ci-bot")
        self.assertEqual(audit[0]["commit"], git("rev-parse", "HEAD").strip())
        self.assertEqual(len(audit[0]["evidence"][0]["sha256"]), 64)
        # --push sends the tags to origin.
        origin = os.path.join(self.d, "origin.git")
        subprocess.run(["git", "init", "-q", "--bare", origin], check=True)
        git("remote", "add", "origin", origin)
        p = self.promote("--model", "churn", "--version", "2.0.0", "--stage", "prod", "--evidence", self.good, "--push", cwd=repo)
        self.assertEqual(p.returncode, 0, p.stderr)
        remote = subprocess.run(["git", "tag", "--list"], cwd=origin, capture_output=True, text=True).stdout.split()
        self.assertEqual(sorted(remote), ["churn#prod#1", "churn@v2.0.0"])

    def test_concurrent_file_promotions_lose_nothing(self):
        def one(i):
            return self.promote("--model", "churn", "--version", f"1.{i}", "--stage", "staging", "--evidence", self.good,
                                "--registry", "file")
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(one, range(8)))
        for r in results:
            self.assertEqual(r.returncode, 0, r.stderr)
        reg = json.load(open(os.path.join(self.d, "mlgate-registry.json")))
        hist = reg["models"]["churn"]["history"]
        self.assertEqual(sorted(h["version"] for h in hist), sorted(f"1.{i}" for i in range(8)))
        self.assertEqual(len(reg["models"]["churn"]["versions"]), 8)
        audit = open(os.path.join(self.d, "mlgate-audit.jsonl")).read().splitlines()
        self.assertEqual(len(audit), 8)
        for line in audit:
            json.loads(line)

    def test_mlflow_rest_calls(self):
        calls = []

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                calls.append((self.path, body, self.headers.get("Authorization")))
                ok = {"/api/2.0/mlflow/registered-models/alias": {"name", "alias", "version"},
                      "/api/2.0/mlflow/model-versions/set-tag": {"name", "version", "key", "value"}}
                status = 200 if self.path in ok and set(body) == ok[self.path] else 400
                data = b"{}"
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            self.env["MLFLOW_TRACKING_TOKEN"] = "mlflow-secret-token"
            p = self.promote("--model", "churn", "--version", "3", "--stage", "staging", "--evidence", self.good,
                             "--registry", "mlflow", "--mlflow-uri", f"http://127.0.0.1:{srv.server_address[1]}")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertNotIn("mlflow-secret-token", p.stdout + p.stderr)
        finally:
            srv.shutdown()
        self.assertEqual(calls[0][0], "/api/2.0/mlflow/registered-models/alias")
        self.assertEqual(calls[0][1], {"name": "churn", "alias": "staging", "version": "3"})
        tags = {c[1]["key"]: c[1]["value"] for c in calls[1:]}
        self.assertEqual(len(tags["mlgate.evidence.mlgate-compare"]), 64)
        self.assertEqual(tags["mlgate.promoted_to"], "staging")
        self.assertTrue(all(c[2] == "Bearer mlflow-secret-token" for c in calls))

    # --- Issue 13: hollow evidence, versions, signatures, audit before registry ----------------

    def doc(self, name, d):
        path = os.path.join(self.d, name)
        write(path, json.dumps(d))
        return path

    def test_hollow_evidence_is_refused(self):
        no_checks = self.doc("empty.json", dict(PASS, checks=[], summary=dict(PASS["summary"], checks=0, passed=0)))
        report = self.doc("report.json", dict(PASS, tool={"name": "mlgate-report", "version": "0.1.0"}))
        other = self.doc("other.json", dict(PASS, tool={"name": "great-expectations", "version": "1"}))
        # A failing document whose check statuses were edited to pass: status and summary disagree.
        edited = self.doc("edited.json", dict(FAIL, checks=[dict(FAIL["checks"][0], status="pass")]))
        edited2 = self.doc("edited2.json", dict(FAIL, status="pass",
                                                checks=[dict(FAIL["checks"][0], status="pass")]))
        inferior = self.doc("inferior.json", dict(PASS, checks=[dict(PASS["checks"][0], verdict="inferior")]))
        for path, why in [(no_checks, "no checks"), (report, "not a gate tool"), (other, "not a gate tool"),
                          (edited, "does not agree"), (edited2, "summary does not agree"),
                          (inferior, "passes with a failing verdict")]:
            p = self.promote("--model", "churn", "--version", "1", "--stage", "staging", "--evidence", path,
                             "--registry", "file")
            self.assertEqual(p.returncode, 1, (path, p.stderr))
            self.assertIn(why, p.stderr)
            self.assertFalse(os.path.exists(os.path.join(self.d, "mlgate-registry.json")))

    def test_require_names_the_kinds_a_stage_needs(self):
        p = self.promote("--model", "churn", "--version", "1", "--stage", "prod", "--evidence", self.good,
                         "--registry", "file", "--require", "compare,fairness")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("requires passing mlgate-fairness evidence", p.stderr)
        fair = self.doc("fair.json", dict(PASS, tool={"name": "mlgate-fairness", "version": "0.1.0"}))
        p = self.promote("--model", "churn", "--version", "1", "--stage", "prod", "--evidence", self.good, fair,
                         "--registry", "file", "--require", "compare,fairness")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.promote("--model", "churn", "--version", "1", "--stage", "prod", "--evidence", self.good,
                         "--registry", "file", "--require", "vibes")
        self.assertEqual(p.returncode, 2)

    def gate(self, *extra, env=None):
        data = os.path.join(os.path.dirname(__file__), "data", "good.csv")
        out = os.path.join(self.d, "eval.json")
        r = subprocess.run([tool("mlgate-eval"), "--data", data, "--policy",
                            os.path.join(os.path.dirname(__file__), "data", "pass_policy.yaml"), "-o", out, *extra],
                           capture_output=True, text=True, env=env or self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return out

    def test_evidence_is_about_one_model_version(self):
        ev = self.gate("--model-version", "2.0.0")
        self.assertEqual(json.load(open(ev))["provenance"]["model_version"], "2.0.0")
        p = self.promote("--model", "churn", "--model-version", "3.0.0", "--stage", "staging", "--evidence", ev,
                         "--registry", "file")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("gated model version", p.stderr)
        p = self.promote("--model", "churn", "--model-version", "2.0.0", "--stage", "staging", "--evidence", ev,
                         "--registry", "file")
        self.assertEqual(p.returncode, 0, p.stderr)
        # Evidence that does not say which version it gated is accepted with a warning.
        p = self.promote("--model", "churn", "--version", "2.0.0", "--stage", "staging", "--evidence", self.good,
                         "--registry", "file")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("does not record the model version", p.stderr)

    def test_signed_evidence(self):
        env = dict(self.env, MLGATE_SIGNING_KEY="k3y-for-tests")
        ev = self.gate("--model-version", "1", env=env)
        doc = json.load(open(ev))
        self.assertRegex(doc["signature"], r"^hmac-sha256:[0-9a-f]{64}$")
        # The signature is HMAC-SHA256 over the canonical document without it.
        import hashlib
        import hmac
        body = {k: v for k, v in doc.items() if k != "signature"}
        canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        self.assertEqual(doc["signature"], "hmac-sha256:" + hmac.new(b"k3y-for-tests", canon.encode(), hashlib.sha256).hexdigest())
        self.env = env
        p = self.promote("--model", "churn", "--version", "1", "--stage", "staging", "--evidence", ev, "--registry", "file")
        self.assertEqual(p.returncode, 0, p.stderr)
        doc["metrics"]["overall"]["roc_auc"] = 0.99  # altered after signing
        altered = self.doc("altered.json", doc)
        p = self.promote("--model", "churn", "--version", "1", "--stage", "staging", "--evidence", altered, "--registry", "file")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("signature does not match", p.stderr)
        p = self.promote("--model", "churn", "--version", "1", "--stage", "staging", "--evidence", self.good, "--registry", "file")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("not signed", p.stderr)

    def test_no_promotion_without_its_audit_line(self):
        # The audit log cannot be written (a full disk): nothing is promoted, exit 2.
        p = self.promote("--model", "churn", "--version", "1", "--stage", "staging", "--evidence", self.good,
                         "--registry", "file", "--audit-log", "/dev/full")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.d, "mlgate-registry.json")))
        repo, git = self.make_repo()
        p = self.promote("--model", "churn", "--version", "1", "--stage", "staging", "--evidence", self.good,
                         "--audit-log", os.path.join(repo, "no", "such", "dir", "audit.jsonl"), cwd=repo)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(git("tag", "--list").split(), [])
        # The registry fails after the audit line (a push with no remote): the tags go again, and
        # the audit log says the promotion it announced failed.
        p = self.promote("--model", "churn", "--version", "1", "--stage", "staging", "--evidence", self.good,
                         "--push", cwd=repo)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(git("tag", "--list").split(), [])
        audit = [json.loads(l) for l in open(os.path.join(repo, "mlgate-audit.jsonl"))]
        self.assertEqual(len(audit), 2)
        self.assertEqual(audit[1]["event"], "promotion_failed")
        self.assertEqual(audit[1]["id"], audit[0]["id"])
        # A stage name git cannot hold is refused before anything is written.
        p = self.promote("--model", "churn", "--version", "1", "--stage", "sta*ging", "--evidence", self.good, cwd=repo)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("invalid --stage", p.stderr)
        self.assertEqual(git("tag", "--list").split(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
