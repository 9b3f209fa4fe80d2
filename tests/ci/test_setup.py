"""actions/setup as GitHub runs it: the release tarball (built here in the release's layout from
the build tree's executables) served by a local HTTP server; the checksum checked (a tampered
tarball is an error, never a fallback); the glibc the tarball needs checked against the runner's;
the executables published on GITHUB_PATH; and the cache key step's hash of the action's sources."""
import hashlib
import http.server
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import threading
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("MLGATE_BIN_DIR", os.path.join(ROOT, "build", "release", "src", "tools"))
VERSION = re.search(r"project\(mlgate VERSION ([0-9.]+)", open(os.path.join(ROOT, "CMakeLists.txt")).read()).group(1)
NAME = f"mlgate-{VERSION}-linux-{os.uname().machine}"


class Server:
    def __init__(self, folder):
        handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=folder, **k)  # noqa: E731
        http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()


class Setup(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.d = self.dir.name
        self.release = os.path.join(self.d, "release")
        os.makedirs(self.release)

    def tearDown(self):
        self.dir.cleanup()

    def make_release(self, glibc="2.17", tamper=False):
        top = os.path.join(self.d, NAME)
        os.makedirs(os.path.join(top, "bin"), exist_ok=True)
        os.makedirs(os.path.join(top, "share", "doc", "mlgate"), exist_ok=True)
        for t in ("eval", "compare", "report"):
            shutil.copy(os.path.join(BIN, f"mlgate-{t}"), os.path.join(top, "bin"))
        with open(os.path.join(top, "share", "doc", "mlgate", "PORTABLE"), "w") as f:
            f.write(f"mlgate {VERSION}\n\nRequires: glibc {glibc} or newer\n")
        tgz = os.path.join(self.release, NAME + ".tar.gz")
        with tarfile.open(tgz, "w:gz") as tar:
            tar.add(top, arcname=NAME)
        digest = hashlib.sha256(open(tgz, "rb").read()).hexdigest()
        if tamper:
            digest = "0" * 64
        with open(os.path.join(self.release, "SHA256SUMS"), "w") as f:
            f.write(f"{digest}  other-file.deb\n{digest}  {NAME}.tar.gz\n")

    def run_setup(self, url, **extra):
        out, path = os.path.join(self.d, "out"), os.path.join(self.d, "path")
        open(out, "w").close()
        open(path, "w").close()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "MLGATE_"))}
        env.update({"GITHUB_OUTPUT": out, "GITHUB_PATH": path, "RUNNER_TOOL_CACHE": os.path.join(self.d, "tools"),
                    "MLGATE_RELEASE_URL": url, "MLGATE_FROM_SOURCE": "false"})
        env.update(extra)
        p = subprocess.run([os.path.join(ROOT, "actions", "setup", "setup.sh")], env=env, capture_output=True,
                           text=True, timeout=600)
        return p, open(out).read(), open(path).read()

    def test_release_is_downloaded_checked_and_published(self):
        self.make_release()
        with Server(self.release) as s:
            p, out, path = self.run_setup(s.url)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("source=release", out)
        bindir = path.strip()
        self.assertTrue(bindir.endswith(f"{NAME}/bin"), bindir)
        v = subprocess.run([os.path.join(bindir, "mlgate-eval"), "--version"], capture_output=True, text=True)
        self.assertEqual(v.stdout.strip(), f"mlgate-eval {VERSION}")

    def test_tampered_tarball_is_an_error(self):
        self.make_release(tamper=True)
        with Server(self.release) as s:
            p, out, path = self.run_setup(s.url)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("does not match the release's SHA256SUMS", p.stderr)
        self.assertEqual(path, "")  # nothing put on PATH

    def test_only_https_or_a_local_mirror(self):
        p, _, path = self.run_setup("http://example.com/releases")
        self.assertEqual(p.returncode, 2)
        self.assertIn("must be https", p.stderr)
        self.assertEqual(path, "")

    def test_no_release_or_too_old_a_glibc_falls_back_to_source(self):
        # A runner older than the tarball's glibc, and a mirror without the release: both go to
        # the source build, which a fake cmake records instead of compiling for minutes.
        fake = os.path.join(self.d, "fakebin")
        os.makedirs(fake)
        log = os.path.join(self.d, "cmake.log")
        for tool in ("cmake",):
            with open(os.path.join(fake, tool), "w") as f:
                f.write(f"#!/bin/sh\necho \"$@\" >>{log}\n")
            os.chmod(os.path.join(fake, tool), 0o755)
        self.make_release(glibc="99.0")
        env = {"PATH": fake + ":" + os.environ["PATH"], "MLGATE_SKIP_DEPS": "1"}
        with Server(self.release) as s:
            p, out, _ = self.run_setup(s.url, **env)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("needs glibc 99.0", p.stderr)
            self.assertIn("source=source", out)
            os.remove(os.path.join(self.release, NAME + ".tar.gz"))
            p, out, _ = self.run_setup(s.url, **env)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("no release tarball", p.stderr)
            self.assertIn("source=source", out)
        self.assertIn("--build", open(log).read())

    def test_cache_key_hashes_the_actions_sources(self):
        action = yaml.safe_load(open(os.path.join(ROOT, "actions", "setup", "action.yml")))
        script = next(st["run"] for st in action["runs"]["steps"] if st.get("id") == "key")
        out = os.path.join(self.d, "key")

        def key(root):
            env = dict(os.environ, GITHUB_ACTION_PATH=os.path.join(root, "actions", "setup"), GITHUB_OUTPUT=out)
            open(out, "w").close()
            subprocess.run(["bash", "-c", script], env=env, check=True)
            return open(out).read().strip()

        copy = os.path.join(self.d, "copy")
        os.makedirs(copy)
        for part in ("CMakeLists.txt", "cmake", "include", "src", "actions"):
            src = os.path.join(ROOT, part)
            (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(copy, part))
        k1 = key(copy)
        self.assertRegex(k1, r"^key=[0-9a-f]{16}$")
        self.assertEqual(key(copy), k1)
        with open(os.path.join(copy, "src", "core", "base", "text.cpp"), "a") as f:
            f.write("\n// changed\n")
        self.assertNotEqual(key(copy), k1)


if __name__ == "__main__":
    unittest.main()
