"""mlgate-comment against a local server: pagination over 250 comments, a 502 and a 429 with
Retry-After on the way, a second run that updates, a dead server, a missing token."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
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
            gets = [e for e in forge.log if e[1] == "GET" and e[3] == 200 and not e[2].endswith("/user")]
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

    # --- Issue 13: hostile servers, token fragments, hijacked markers, --verbose -------------

    def test_next_link_must_stay_on_the_api(self):
        """A Link header pointing at another port, file://, gopher:// or dict:// is refused before
        anything is sent there, and nothing of the file is printed."""
        with Listener() as thief:
            links = [f'<http://127.0.0.1:{thief.port}/steal?page=2>; rel="next"',
                     f'<https://127.0.0.1:{thief.port}/steal?page=2>; rel="next"',
                     '<file:///proc/self/environ>; rel="next"',
                     f'<gopher://127.0.0.1:{thief.port}/_SET%20x%201>; rel="next"',
                     f'<dict://127.0.0.1:{thief.port}/info>; rel="next"',
                     '</relative?page=2>; rel="next"']
            for link in links:
                with Forge(TOKEN, existing=3) as forge:
                    forge.link = link
                    env = self.github_env(forge)
                    env["MLGATE_CANARY"] = "canary-from-the-environment"
                    p = self.run_comment(env, "--pr", "1")
                    self.assertEqual(p.returncode, 2, (link, p.stderr))
                    self.assertIn("next-page link leaves the API", p.stderr)
                    self.assertNotIn("canary-from-the-environment", p.stdout + p.stderr)
                    self.assertEqual(len([l for l in p.stderr.splitlines() if "error:" in l]), 1, p.stderr)
                    self.assertFalse([e for e in forge.log if e[1] in ("POST", "PATCH")])
            self.assertEqual(thief.connections, 0, "a request reached another port")

    def test_only_http_schemes_for_the_api(self):
        with Forge(TOKEN) as forge:
            env = self.github_env(forge)
            env["GITHUB_API_URL"] = "file:///etc"
            p = self.run_comment(env, "--pr", "1")
            self.assertEqual(p.returncode, 2)
            self.assertIn("not an http(s) URL", p.stderr)
            # An explicit http:// API URL works, with a warning that the token travels in clear.
            p = self.run_comment(self.github_env(forge), "--pr", "1")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("travels in clear", p.stderr)

    def test_token_fragments_never_printed(self):
        # The token straddles the 300-character cut of the error body: masked first, then cut.
        with Forge(TOKEN) as forge:
            forge.error = (422, "x" * 290 + TOKEN + " and more")
            p = self.run_comment(self.github_env(forge), "--pr", "1", "--retries", "0")
            self.assertEqual(p.returncode, 2)
            self.assertIn("422", p.stderr)
            self.assertNotIn(TOKEN[:6], p.stderr)
        # A token of any length is masked, even a three-character one.
        short = "Zq9"
        with Forge(short) as forge:
            forge.error = (400, f"token {short} is malformed")
            env = self.github_env(forge)
            env["GITHUB_TOKEN"] = short
            p = self.run_comment(env, "--pr", "1", "--retries", "0")
            self.assertEqual(p.returncode, 2)
            self.assertIn("token *** is malformed", p.stderr)
            self.assertNotIn(short, p.stdout + p.stderr)

    def test_only_our_own_comment_is_sticky(self):
        with Forge(TOKEN, existing=2) as forge:
            forge.comments.append({"id": 1500, "body": "hijack " + MARKER, "user": {"login": "mallory"}})
            p = self.run_comment(self.github_env(forge), "--pr", "1")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(forge.comments[2]["body"], "hijack " + MARKER, "another user's comment was overwritten")
            ours = [c for c in forge.comments if MARKER in c["body"] and c.get("user", {}).get("login") == "mlgate-bot"]
            self.assertEqual(len(ours), 1)
            p = self.run_comment(self.github_env(forge), "--pr", "1")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(len(forge.comments), 4)
            self.assertEqual(forge.log[-1][1], "PATCH")
            self.assertTrue(forge.log[-1][2].endswith(f"/comments/{ours[0]['id']}"))
        # The Actions token cannot read /user: its comments are github-actions[bot]'s.
        with Forge(TOKEN) as forge:
            forge.user_status = 403
            forge.comments.append({"id": 1501, "body": MARKER, "user": {"login": "mallory"}})
            forge.comments.append({"id": 1502, "body": MARKER, "user": {"login": "github-actions[bot]"}})
            p = self.run_comment(self.github_env(forge), "--pr", "1")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(forge.log[-1][2].endswith("/comments/1502"), forge.log)
            self.assertEqual(forge.comments[0]["body"], MARKER)
        # --author names a GitHub App's bot; GET /user is not asked.
        with Forge(TOKEN) as forge:
            forge.comments.append({"id": 1503, "body": MARKER, "user": {"login": "mlgate-bot"}})
            forge.comments.append({"id": 1504, "body": MARKER, "user": {"login": "my-app[bot]"}})
            p = self.run_comment(self.github_env(forge), "--pr", "1", "--author", "my-app[bot]")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(forge.log[-1][2].endswith("/comments/1504"), forge.log)
            self.assertFalse([e for e in forge.log if e[2].endswith("/user")])
        # GitLab: the note's author.username against GET /user's username.
        with Forge(TOKEN) as forge:
            forge.comments.append({"id": 1505, "body": MARKER, "author": {"username": "mallory"}})
            env = {"GITLAB_TOKEN": TOKEN, "CI_API_V4_URL": forge.url + "/api/v4", "CI_PROJECT_ID": "42",
                   "CI_MERGE_REQUEST_IID": "3"}
            p = self.run_comment(env, "--provider", "gitlab")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(forge.log[-1][1], "POST")
            self.assertEqual(forge.comments[0]["body"], MARKER)

    def test_hostile_bodies_and_statuses(self):
        """What a hostile or broken API answers is one clear error, never a crash or a post."""
        bodies = [(200, b"[" * 100000 + b"]" * 100000), (200, b'{"not": "a list"}'), (200, b"\xff\xfe garbage"),
                  (200, b'[{"id": {"x": 1}, "body": "<!-- mlgate-report -->", "user": {"login": "mlgate-bot"}}]'),
                  (200, b'[{"id": "1; rm -rf", "body": "<!-- mlgate-report -->", "user": {"login": "mlgate-bot"}}]'),
                  (418, b"\x1b[31m::error::teapot " + TOKEN.encode()), (302, b"")]
        for status, body in bodies:
            with Forge(TOKEN) as forge:
                forge.raw_list = (status, body)
                p = self.run_comment(self.github_env(forge), "--pr", "1", "--retries", "0")
                self.assertEqual(p.returncode, 2, (status, body[:40], p.stderr))
                self.assertEqual(len([l for l in p.stderr.splitlines() if "error:" in l]), 1, p.stderr)
                self.assertNotIn("\x1b", p.stderr)
                self.assertFalse([e for e in forge.log if e[1] in ("POST", "PATCH")], body[:40])

    def test_verbose(self):
        with Forge(TOKEN, existing=150) as forge:
            forge.faults = [("GET", 503, [])]
            p = self.run_comment(self.github_env(forge), "--pr", "1", "--verbose", "--timeout", "30")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertRegex(p.stderr, r"> GET http://127\.0\.0\.1:\d+/user")
            self.assertIn("Authorization: ***", p.stderr)
            self.assertIn("< 503", p.stderr)
            self.assertIn("retrying", p.stderr)
            self.assertRegex(p.stderr, r"next page http://127\.0\.0\.1:\d+/repos/acme/churn/issues/1/comments\?per_page=100&page=2")
            self.assertIn("> POST", p.stderr)
            self.assertIn("< 201", p.stderr)


class Listener:
    """A bare TCP listener that counts the connections it is offered (any protocol)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()
        self.sock.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
