"""mlgate-comment against a local server: pagination over 250 comments, a 502 and a 429 with
Retry-After on the way, a second run that updates, a dead server, a missing token."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "oracle"))
from fake_forge import Forge  # noqa: E402
from oracle_common import tool, write  # noqa: E402

TOKEN = "ghs_s3cr3tT0kenValue1234567890"
MARKER = "<!-- mlgate-report -->"


class Comment(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.body = os.path.join(self.dir.name, "report.md")
        write(self.body, "## mlgate: pass\n\nAll good.\n")

    def tearDown(self):
        self.dir.cleanup()

    def run_comment(self, env, *args):
        base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB", "CI_"))}
        base.update(env)
        p = subprocess.run([tool("mlgate-comment"), "--body", self.body, *args], capture_output=True, text=True, env=base)
        self.assertNotIn(TOKEN, p.stdout + p.stderr, "the token leaked into the output")
        return p

    def github_env(self, forge, event=None):
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": forge.url, "GITHUB_REPOSITORY": "acme/churn"}
        if event is not None:
            path = os.path.join(self.dir.name, "event.json")
            write(path, json.dumps(event))
            env["GITHUB_EVENT_PATH"] = path
        return env

    def test_github_pagination_faults_and_update(self):
        with Forge(TOKEN, existing=250) as forge:
            forge.faults = [("GET", 502, []), ("GET", 429, [("Retry-After", "1")])]
            p = self.run_comment(self.github_env(forge, {"pull_request": {"number": 7}}), "--timeout", "30")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("issuecomment-", p.stdout)
            marked = [c for c in forge.comments if MARKER in c["body"]]
            self.assertEqual(len(marked), 1)
            self.assertEqual(len(forge.comments), 251)
            # The 429's Retry-After was honoured: the next request came at least a second later.
            times = [t for (t, m, path, status) in forge.log]
            i429 = [i for i, e in enumerate(forge.log) if e[3] == 429][0]
            self.assertGreaterEqual(times[i429 + 1] - times[i429], 0.9)
            # Every page was read (3 pages of 100), after the two faults.
            gets = [e for e in forge.log if e[1] == "GET" and e[3] == 200]
            self.assertEqual(len(gets), 3)
            # A rerun updates the same comment.
            write(self.body, "## mlgate: fail\n\nSomething regressed.\n")
            p = self.run_comment(self.github_env(forge), "--pr", "7")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(len(forge.comments), 251)
            marked = [c for c in forge.comments if MARKER in c["body"]]
            self.assertEqual(len(marked), 1)
            self.assertIn("Something regressed", marked[0]["body"])
            self.assertEqual([e[1] for e in forge.log][-1], "PATCH")

    def test_gitlab_create_then_update(self):
        with Forge(TOKEN, existing=120) as forge:
            env = {"GITLAB_TOKEN": TOKEN, "CI_API_V4_URL": forge.url + "/api/v4", "CI_PROJECT_ID": "42",
                   "CI_MERGE_REQUEST_IID": "3", "CI_PROJECT_URL": "https://gitlab.example/acme/churn"}
            p = self.run_comment(env, "--provider", "gitlab")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("https://gitlab.example/acme/churn/-/merge_requests/3#note_", p.stdout)
            p = self.run_comment(env)  # auto-detected from CI_API_V4_URL
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(sum(MARKER in c["body"] for c in forge.comments), 1)
            self.assertEqual([e[1] for e in forge.log][-1], "PUT")

    def test_failures(self):
        with socket.socket() as s:  # a port with nothing listening
            s.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{s.getsockname()[1]}"
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": dead, "GITHUB_REPOSITORY": "acme/churn"}
        p = self.run_comment(env, "--pr", "1", "--retries", "1", "--timeout", "10")
        self.assertEqual(p.returncode, 2)
        self.assertIn("mlgate-comment: error: ", p.stderr)
        self.assertIn("network failure", p.stderr)
        p = self.run_comment(env, "--pr", "1", "--retries", "0", "--soft-fail")
        self.assertEqual(p.returncode, 0)
        self.assertIn("warning", p.stderr)
        p = self.run_comment({"GITHUB_API_URL": dead, "GITHUB_REPOSITORY": "acme/churn"}, "--pr", "1")
        self.assertEqual(p.returncode, 2)
        self.assertIn("GITHUB_TOKEN is not set", p.stderr)
        with Forge("another-token-entirely") as forge:
            p = self.run_comment(self.github_env(forge), "--pr", "1")
            self.assertEqual(p.returncode, 2)
            self.assertIn("401", p.stderr)

    def test_dry_run_sends_nothing(self):
        with Forge(TOKEN) as forge:
            p = self.run_comment(self.github_env(forge), "--pr", "9", "--dry-run")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("POST " + forge.url + "/repos/acme/churn/issues/9/comments", p.stdout)
            self.assertIn("Authorization: ***", p.stdout)
            self.assertEqual(forge.log, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
