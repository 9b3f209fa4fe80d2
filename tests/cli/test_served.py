"""mlgate-eval --model-url against real servers on 127.0.0.1 (model_server.py) speaking the MLflow
scoring protocol, the Open Inference Protocol (v2) and TF Serving's REST API; over TLS with a CA
made by openssl here; and through the faults real servers have. Metrics through an endpoint
equal the metrics of the same predictions read from a file, exactly."""
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "oracle"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "model"))
from oracle_common import BIN  # noqa: E402
from churn_model import churn_probability  # noqa: E402

HOLDOUT = os.path.join(HERE, "..", "..", "examples", "data", "holdout.csv")
SERVER = os.path.join(HERE, "model_server.py")


def bin_dir():
    return os.environ.get("MLGATE_BIN_DIR", BIN)


def eval_(*args, env=None):
    return subprocess.run([os.path.join(bin_dir(), "mlgate-eval"), *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120)


class Server:
    def __init__(self, d, protocol, *extra):
        self.port_file = os.path.join(d, f"port.{time.monotonic_ns()}")
        self.log = self.port_file + ".log"
        self.p = subprocess.Popen(["/usr/bin/python3", SERVER, "--protocol", protocol,
                                   "--port-file", self.port_file, "--log", self.log, *extra])
        for _ in range(200):
            if os.path.exists(self.port_file):
                break
            time.sleep(0.05)
        with open(self.port_file) as f:
            self.port = int(f.read())

    def url(self, scheme="http"):
        return f"{scheme}://127.0.0.1:{self.port}"

    def requests(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f]

    def stop(self):
        self.p.kill()
        self.p.wait()


class Served(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.d = self.dir.name
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()
        self.dir.cleanup()

    def server(self, protocol, *extra):
        s = Server(self.d, protocol, *extra)
        self.servers.append(s)
        return s

    def run_ok(self, *args, env=None):
        out = os.path.join(self.d, f"out.{time.monotonic_ns()}.json")
        p = eval_(*args, "-o", out, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out) as f:
            return json.load(f), p.stderr

    def run_error(self, pattern, *args, env=None):
        p = eval_(*args, env=env)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertRegex(p.stderr, pattern)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        return p.stderr

    def holdout_rows(self):
        with open(HOLDOUT) as f:
            return list(csv.DictReader(f))

    def file_metrics(self, header, rows, *args):
        path = os.path.join(self.d, f"preds.{time.monotonic_ns()}.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
        doc, _ = self.run_ok("--data", path, *args)
        return doc["metrics"]

    def churn_file_metrics(self, *args):
        rows = [[r["churned"], repr(churn_probability(r)), r["plan"]] for r in self.holdout_rows()]
        return self.file_metrics(["label", "score", "plan"], rows, "--slice-col", "plan", *args)

    def assert_same_metrics(self, served, from_file):
        for k in ("overall", "slices", "curves", "n"):
            self.assertEqual(served[k], from_file[k], k)

    # --- the three protocols -----------------------------------------------------------------

    def test_mlflow_metrics_equal_the_file_and_batches_keep_order(self):
        s = self.server("mlflow", "--fault", "slow-some")
        out = os.path.join(self.d, "scored.csv")
        doc, err = self.run_ok("--features", HOLDOUT, "--label-col", "churned", "--slice-col", "plan",
                               "--model-url", s.url(), "--batch-size", 100, "--model-concurrency", 4,
                               "--predictions-out", out)
        m = doc["metrics"]
        self.assert_same_metrics(m, self.churn_file_metrics())
        posts = [r for r in s.requests() if r["method"] == "POST"]
        # 2 warm-up requests, then 40 batches of 100 rows.
        self.assertEqual(len(posts), 42)
        self.assertEqual(sorted(r["rows"] for r in posts), [100] * 42)
        self.assertTrue(all(r["content_type"] == "application/json" for r in posts))
        self.assertEqual(s.requests()[0], {"method": "GET", "path": "/ping"})
        self.assertEqual(m["requests"], 40)
        self.assertEqual(m["retries"], 0)
        self.assertEqual(m["batch_size"], 100)
        self.assertEqual(m["concurrency"], 4)
        self.assertEqual(m["warmup"], 2)
        lat = m["latency_ms"]
        self.assertEqual(sorted(lat), ["max", "mean", "p50", "p90", "p95", "p99"])
        self.assertTrue(0 < lat["p50"] <= lat["p90"] <= lat["p95"] <= lat["p99"] <= lat["max"])
        self.assertGreater(m["rows_per_second"], 0)
        self.assertEqual(doc["inputs"]["data"]["model_url"], {"url": s.url(), "protocol": "mlflow"})
        self.assertIn("served model: 40 requests, 0 retries", err)
        # The scored rows read back to the same metrics.
        again, _ = self.run_ok("--data", out, "--label-col", "churned", "--slice-col", "plan")
        self.assert_same_metrics(again["metrics"], m)

    def test_mlflow_answer_shapes(self):
        expected = self.churn_file_metrics()
        pair = self.server("mlflow", "--answer", "pair")
        doc, _ = self.run_ok("--features", HOLDOUT, "--label-col", "churned", "--slice-col", "plan",
                             "--model-url", pair.url(), "--warmup", 0)
        self.assert_same_metrics(doc["metrics"], expected)
        obj = self.server("mlflow", "--answer", "object")
        doc, _ = self.run_ok("--features", HOLDOUT, "--label-col", "churned", "--slice-col", "plan",
                             "--model-url", obj.url(), "--model-output", "churn")
        self.assert_same_metrics(doc["metrics"], expected)
        self.run_error(r'rows 1-256 \(batch 1\).*predictions are objects \(fields "churn", "label"\); '
                       r'name the one to gate with --model-output',
                       "--features", HOLDOUT, "--label-col", "churned", "--model-url", obj.url())

    def test_v2_columns_typed_and_named_output(self):
        s = self.server("v2", "--version-path", "3")
        doc, _ = self.run_ok("--features", HOLDOUT, "--label-col", "churned", "--slice-col", "plan",
                             "--model-url", s.url(), "--model-protocol", "v2", "--model-name", "churn",
                             "--model-version-path", 3, "--model-output", "probability")
        self.assert_same_metrics(doc["metrics"], self.churn_file_metrics())
        gets = [r["path"] for r in s.requests() if r["method"] == "GET"]
        self.assertEqual(gets[:2], ["/v2/health/ready", "/v2/models/churn/versions/3/ready"])
        post = [r for r in s.requests() if r["method"] == "POST"][0]
        self.assertEqual(post["path"], "/v2/models/churn/versions/3/infer")
        self.assertEqual(post["id"], "mlgate-0")
        types = {name: (shape, dt) for name, shape, dt in post["inputs"]}
        self.assertEqual(types["tenure_months"], ([256], "INT64"))
        self.assertEqual(types["monthly_charges"], ([256], "FP64"))
        self.assertEqual(types["contract"], ([256], "BYTES"))
        self.assertNotIn("churned", types)
        # Without --model-output, the first output (here the hard label) is the score.
        doc, _ = self.run_ok("--features", HOLDOUT, "--label-col", "churned", "--model-url", s.url(),
                             "--model-protocol", "v2", "--model-name", "churn", "--model-version-path", 3)
        self.assertEqual(doc["metrics"]["overall"]["accuracy"],
                         self.churn_file_metrics()["overall"]["accuracy"])

    def test_v2_single_tensor(self):
        path = os.path.join(self.d, "numeric.csv")
        rows = self.holdout_rows()
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["tenure_months", "monthly_charges", "support_calls", "churned"])
            for r in rows:
                w.writerow([r["tenure_months"], r["monthly_charges"], r["support_calls"], r["churned"]])
        s = self.server("v2")
        doc, _ = self.run_ok("--features", path, "--label-col", "churned", "--model-url", s.url(),
                             "--model-protocol", "v2", "--model-name", "churn", "--v2-input", "tensor",
                             "--v2-input-name", "dense_input", "--model-output", "probability")
        post = [r for r in s.requests() if r["method"] == "POST"][0]
        self.assertEqual(post["inputs"], [["dense_input", [256, 3], "FP32"]])
        self.assertEqual(doc["metrics"]["n"], len(rows))
        # Text cannot go into a FP32 tensor: said before anything is sent.
        self.run_error(r'column "customer_id" holds text, which a FP32 tensor cannot',
                       "--features", HOLDOUT, "--label-col", "churned", "--model-url", s.url(),
                       "--model-protocol", "v2", "--model-name", "churn", "--v2-input", "tensor")

    def test_tfserving_binary_multiclass_and_regression(self):
        s = self.server("tfserving")
        doc, _ = self.run_ok("--features", HOLDOUT, "--label-col", "churned", "--slice-col", "plan",
                             "--model-url", s.url(), "--model-protocol", "tfserving", "--model-name", "churn")
        self.assert_same_metrics(doc["metrics"], self.churn_file_metrics())
        self.assertIn({"method": "GET", "path": "/v1/models/churn"}, s.requests())
        self.assertEqual([r for r in s.requests() if r["method"] == "POST"][0]["path"],
                         "/v1/models/churn:predict")
        # Regression: the churn probability as a predicted value against a numeric target.
        doc, _ = self.run_ok("--features", HOLDOUT, "--label-col", "churned", "--task", "regression",
                             "--model-url", s.url(), "--model-protocol", "tfserving", "--model-name", "churn")
        rows = self.holdout_rows()
        reg = self.file_metrics(["label", "score"], [[r["churned"], repr(churn_probability(r))] for r in rows],
                                "--task", "regression")
        self.assertEqual(doc["metrics"]["overall"], reg["overall"])
        # Multiclass: three probabilities per row, the classes in scikit-learn's sorted order.
        path = os.path.join(self.d, "mc.csv")
        labels = [str(i % 3) for i in range(len(rows))]
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["tenure_months", "monthly_charges", "support_calls", "contract", "plan", "label"])
            for r, lab in zip(rows, labels):
                w.writerow([r["tenure_months"], r["monthly_charges"], r["support_calls"], r["contract"],
                            r["plan"], lab])
        mc = self.server("tfserving", "--answer", "multiclass")
        doc, _ = self.run_ok("--features", path, "--task", "multiclass", "--model-url", mc.url(),
                             "--model-protocol", "tfserving", "--model-name", "churn")
        probs = []
        for r in rows:
            p = churn_probability(r)
            a = 1 / (1 + math.exp((float(r["tenure_months"]) - 12) / 6))
            c = (1 - a) * p
            probs.append([a, 1 - a - c, c])
        mcm = self.file_metrics(["label", "p_0", "p_1", "p_2"],
                                [[lab, *map(repr, pr)] for lab, pr in zip(labels, probs)],
                                "--proba-cols", "p_*")
        self.assertEqual(doc["metrics"]["overall"], mcm["overall"])
        self.assertEqual(doc["metrics"]["confusion"], mcm["confusion"])

    # --- readiness, retries, faults ----------------------------------------------------------

    def test_waits_until_ready_and_gives_up_in_time(self):
        s = self.server("mlflow", "--ready-after", "1.5")
        doc, _ = self.run_ok("--features", HOLDOUT, "--label-col", "churned", "--model-url", s.url())
        pings = [r for r in s.requests() if r["path"] == "/ping"]
        self.assertGreater(len(pings), 1)
        slow = self.server("tfserving", "--ready-after", "600")
        self.run_error(r"was not ready within 0\.5 s \(last: GET http://127\.0\.0\.1:\d+/v1/models/churn: "
                       r"HTTP 200, not ready yet\)",
                       "--features", HOLDOUT, "--label-col", "churned", "--model-url", slow.url(),
                       "--model-protocol", "tfserving", "--model-name", "churn", "--model-ready-timeout", 0.5)

    def test_retries_on_503_429_and_dropped_connections(self):
        expected = self.churn_file_metrics()
        for fault in ("503-once", "429-once", "429-date", "drop-once"):
            with self.subTest(fault=fault):
                s = self.server("mlflow", "--fault", fault)
                t0 = time.monotonic()
                doc, _ = self.run_ok("--features", HOLDOUT, "--label-col", "churned", "--slice-col", "plan",
                                     "--model-url", s.url())
                # libcurl itself re-sends once on a kept-alive connection the server closed
                # unanswered; past that, mlgate's retry counts.
                self.assertEqual(doc["metrics"]["retries"], 0 if fault == "drop-once" else 1)
                if fault == "drop-once":
                    self.assertEqual([r["n"] for r in s.requests() if r["method"] == "POST"][:2], [1, 2])
                self.assert_same_metrics(doc["metrics"], expected)
                if fault.startswith("429"):  # Retry-After was waited for (a lower bound only)
                    self.assertGreaterEqual(time.monotonic() - t0, 0.9 if fault == "429-once" else 0.0)

    def test_failures_name_the_rows_status_and_answer(self):
        base = ["--features", HOLDOUT, "--label-col", "churned", "--warmup", 0]
        cases = [
            ("mlflow", "malformed", r"POST http://127\.0\.0\.1:\d+/invocations rows 1-256 \(batch 1\): "
                                    r"HTTP 200: the answer is not JSON.*the answer began: "
                                    r'"\{\\"predictions\\": \[0\.1, 0\.2"', []),
            ("mlflow", "short", r"rows 1-256 \(batch 1\).*HTTP 200: the answer has 255 predictions for 256 rows", []),
            ("mlflow", "error-field", r'HTTP 200: the server answered with an error: "model is not loaded"', []),
            ("mlflow", "text", r'the prediction for row 1 is not numeric: "\\"churn\\""', []),
            ("mlflow", "ragged", r"the prediction for row 2 has 2 values, the first row 1", []),
            ("tfserving", "nan", r"the prediction for row 256 is not a finite number \(NaN, Infinity or null\)",
             ["--model-protocol", "tfserving", "--model-name", "churn"]),
            ("v2", "shape", r"the output's shape is \[257\] for 256 rows",
             ["--model-protocol", "v2", "--model-name", "churn"]),
            ("v2", "wrong-id", r'the answer\'s id "\\"someone-else\\"" is not the request\'s "mlgate-0"',
             ["--model-protocol", "v2", "--model-name", "churn"]),
            ("mlflow", "500-always", r"HTTP 500: the server refused the batch \(after 1 retries\)",
             ["--model-retries", 1]),
            ("mlflow", "drop-always", r"rows 1-256 \(batch 1\).*\(after 1 retries\).*check that the server is up",
             ["--model-retries", 1]),
            ("mlflow", "slow", r"no answer within the request timeout of 1 s.*raise --model-timeout",
             ["--model-timeout", 1]),
        ]
        for protocol, fault, pattern, extra in cases:
            with self.subTest(fault=fault):
                s = self.server(protocol, "--fault", fault)
                self.run_error(pattern, *base, "--model-url", s.url(), *extra)

    def test_wrong_route_and_refused_connection(self):
        s = self.server("v2")
        self.run_error(r"HTTP 404.*check --model-url, --model-protocol, --model-name",
                       "--features", HOLDOUT, "--label-col", "churned", "--model-url", s.url(),
                       "--model-protocol", "v2", "--model-name", "other", "--model-ready-timeout", 0)
        port = s.port
        s.stop()
        self.servers.remove(s)
        self.run_error(r"POST http://127\.0\.0\.1:%d/invocations rows 1-256 \(batch 1\): .*connect" % port,
                       "--features", HOLDOUT, "--label-col", "churned", "--model-url",
                       f"http://127.0.0.1:{port}", "--model-ready-timeout", 0, "--model-retries", 1)
        self.run_error(r"was not ready within 0\.3 s .*GET http://127\.0\.0\.1:%d/ping" % port,
                       "--features", HOLDOUT, "--label-col", "churned", "--model-url",
                       f"http://127.0.0.1:{port}", "--model-ready-timeout", 0.3)

    # --- secrets and TLS ---------------------------------------------------------------------

    def test_headers_from_the_environment_are_sent_and_never_printed(self):
        secret = "s3cret-token-value"
        env = dict(os.environ, MODEL_TOKEN=f"Bearer {secret}")
        s = self.server("mlflow", "--require-header", f"Authorization: Bearer {secret}")
        doc, err = self.run_ok("--features", HOLDOUT, "--label-col", "churned", "--model-url",
                               "http://user:pw@127.0.0.1:%d" % s.port,
                               "--model-header", "Authorization: env:MODEL_TOKEN", env=env)
        self.assertTrue(all(r["auth"] for r in s.requests() if r["method"] == "POST"))
        self.assertNotIn(secret, json.dumps(doc) + err)
        self.assertEqual(doc["inputs"]["data"]["model_url"]["url"], s.url())  # user:pw@ dropped
        # --verbose shows the requests and answers, the header's name but never its value.
        _, err = self.run_ok("--features", HOLDOUT, "--label-col", "churned", "--model-url",
                             "http://user:pw@127.0.0.1:%d" % s.port, "--verbose",
                             "--model-header", "Authorization: env:MODEL_TOKEN", env=env)
        self.assertRegex(err, r"mlgate-eval: served model http://127\.0\.0\.1:\d+: mlflow protocol, "
                              r"\d+ rows in \d+ batches of 256, \d+ in flight, header Authorization: \*\*\*")
        self.assertRegex(err, r"mlgate-eval: > POST http://127\.0\.0\.1:\d+/invocations rows 1-256 "
                              r"\(batch 1\), \d+ bytes; < HTTP 200, \d+ bytes in [\d.]+ ms")
        for leak in (secret, "pw@"):
            self.assertNotIn(leak, err)
        # A server that echoes the token back in its error: masked before the answer is cut.
        echo = self.server("mlflow", "--fault", "echo-auth")
        err = self.run_error(r"HTTP 400.*bad token \*\*\*", "--features", HOLDOUT, "--label-col", "churned",
                             "--model-url", echo.url(), "--model-header", "Authorization: env:MODEL_TOKEN",
                             env=env)
        self.assertNotIn(secret, err)
        self.assertNotIn("s3cret", err)
        # Without the header the server says 401, which is not retried.
        self.run_error(r"HTTP 401: the server refused the batch;", "--features", HOLDOUT, "--label-col",
                       "churned", "--model-url", s.url(), "--model-ready-timeout", 0)
        self.run_error(r'--model-header: the environment variable "NOPE_UNSET" named by header "X-Key" is not set',
                       "--features", HOLDOUT, "--label-col", "churned", "--model-url", s.url(),
                       "--model-header", "X-Key: env:NOPE_UNSET")

    def openssl(self, *args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=self.d)

    def make_pki(self):
        d = self.d
        with open(os.path.join(d, "san.ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        self.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                     "-days", "2", "-subj", "/CN=mlgate test CA")
        for who in ("server", "client"):
            self.openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{who}.key", "-out", f"{who}.csr",
                         "-subj", f"/CN={who}")
            extra = ["-extfile", "san.ext"] if who == "server" else []
            self.openssl("x509", "-req", "-in", f"{who}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                         "-CAcreateserial", "-out", f"{who}.pem", "-days", "2", *extra)
        return lambda name: os.path.join(d, name)

    def test_tls_verified_and_mutual(self):
        f = self.make_pki()
        s = self.server("mlflow", "--tls", f("server.pem"), f("server.key"))
        base = ["--features", HOLDOUT, "--label-col", "churned", "--slice-col", "plan"]
        self.run_error(r"TLS failure: .*--cacert", *base, "--model-url", s.url("https"))
        doc, _ = self.run_ok(*base, "--model-url", s.url("https"), "--cacert", f("ca.pem"))
        self.assert_same_metrics(doc["metrics"], self.churn_file_metrics())
        m = self.server("mlflow", "--tls", f("server.pem"), f("server.key"), "--client-ca", f("ca.pem"))
        self.run_error(r"model-url|ready|TLS|SSL|connect", *base, "--model-url", m.url("https"),
                       "--cacert", f("ca.pem"), "--model-ready-timeout", 1, "--model-retries", 0)
        doc, _ = self.run_ok(*base, "--model-url", m.url("https"), "--cacert", f("ca.pem"),
                             "--cert", f("client.pem"), "--key", f("client.key"))
        self.assert_same_metrics(doc["metrics"], self.churn_file_metrics())

    # --- gating on latency -------------------------------------------------------------------

    def test_policy_bounds_latency_and_throughput(self):
        s = self.server("mlflow")
        pol = os.path.join(self.d, "p.yaml")
        with open(pol, "w") as f:
            f.write("version: 1\nmetrics:\n  roc_auc: {min: 0.7}\n  latency_p95_ms: {max: 60000}\n"
                    "  rows_per_second: {min: 1}\n")
        doc, _ = self.run_ok("--features", HOLDOUT, "--label-col", "churned", "--model-url", s.url(),
                             "--policy", pol)
        ids = {c["id"]: c for c in doc["checks"]}
        self.assertEqual(ids["latency_p95_ms.max"]["status"], "pass")
        self.assertEqual(ids["latency_p95_ms.max"]["value"], doc["metrics"]["latency_ms"]["p95"])
        self.assertEqual(ids["rows_per_second.min"]["value"], doc["metrics"]["rows_per_second"])
        with open(pol, "w") as f:
            f.write("version: 1\nmetrics:\n  rows_per_second: {min: 1.0e+12}\n")
        p = eval_("--features", HOLDOUT, "--label-col", "churned", "--model-url", s.url(), "--policy", pol)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("fail  rows_per_second.min", p.stderr)
        # A latency bound without a served model cannot be checked: an error, never a pass.
        preds = os.path.join(self.d, "preds.csv")
        with open(preds, "w") as f:
            f.write("label,score\n0,0.1\n1,0.9\n0,0.4\n1,0.6\n")
        with open(pol, "w") as f:
            f.write("version: 1\nmetrics:\n  latency_p99_ms: {max: 100}\n")
        p = eval_("--data", preds, "--policy", pol)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("error latency_p99_ms.max: cannot check latency_p99_ms: it is measured on a served "
                      "model (--model-url)", p.stderr)

    def test_compare_gates_latency_against_the_baseline_document(self):
        s = self.server("mlflow")
        scored = os.path.join(self.d, "cand.csv")
        cand, _ = self.run_ok("--features", HOLDOUT, "--label-col", "churned", "--model-url", s.url(),
                              "--predictions-out", scored)
        cand_path = os.path.join(self.d, "cand_eval.json")
        with open(cand_path, "w") as f:
            json.dump(cand, f)
        p95 = cand["metrics"]["latency_ms"]["p95"]
        pol = os.path.join(self.d, "p.yaml")
        with open(pol, "w") as f:
            f.write("version: 1\nmetrics:\n  roc_auc: {max_regression: 0.01}\n"
                    "  latency_p95_ms: {max_relative_regression: 0.10}\n")

        def compare(base_p95, *extra):
            base = json.loads(json.dumps(cand))
            base["metrics"]["latency_ms"]["p95"] = base_p95
            path = os.path.join(self.d, f"base.{time.monotonic_ns()}.json")
            with open(path, "w") as f:
                json.dump(base, f)
            out = os.path.join(self.d, "c.json")
            p = subprocess.run([os.path.join(bin_dir(), "mlgate-compare"), "--candidate", scored,
                                "--baseline", scored, "--policy", pol, "--candidate-eval", cand_path,
                                "--baseline-eval", path, "--label-col", "churned", "-o", out, *extra],
                               capture_output=True, text=True)
            with open(out) as f:
                return p, {c["id"]: c for c in json.load(f)["checks"]}

        p, checks = compare(p95 * 2)
        self.assertEqual(p.returncode, 0, p.stderr)
        c = checks["latency_p95_ms.relative_regression"]
        self.assertEqual((c["status"], c["value"], c["baseline"]), ("pass", p95, p95 * 2))
        self.assertEqual(c["delta"], p95 - p95 * 2)
        p, checks = compare(p95 / 2)
        self.assertEqual(p.returncode, 1, p.stderr)
        c = checks["latency_p95_ms.relative_regression"]
        self.assertEqual(c["status"], "fail")
        self.assertAlmostEqual(c["threshold"], 0.10 * p95 / 2)
        # Without the documents the bound cannot be checked: an error, not a pass.
        out = os.path.join(self.d, "c2.json")
        p = subprocess.run([os.path.join(bin_dir(), "mlgate-compare"), "--candidate", scored, "--baseline",
                            scored, "--policy", pol, "--label-col", "churned", "-o", out], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("give the candidate's mlgate-eval document with --candidate-eval", p.stderr)

    def test_compare_scores_two_endpoints_interleaved(self):
        """--candidate-url and --baseline-url: both models scored on the same batches, side by
        side; quality checks are paired as usual, and the p95 latency change is decided on a
        bootstrap of the batches. The candidate here sleeps 50 ms on every third request."""
        slow = self.server("mlflow", "--fault", "slow-some")
        fast = self.server("mlflow")
        pol = os.path.join(self.d, "p.yaml")
        with open(pol, "w") as f:
            f.write("version: 1\nstatistics: {seed: 7, bootstrap_samples: 500}\nmetrics:\n"
                    "  roc_auc: {max_regression: 0.01, confidence: 0.95}\n"
                    "  latency_p95_ms: {max_relative_regression: 0.10, confidence: 0.95}\n"
                    "  rows_per_second: {max_relative_regression: 0.5}\n")
        out = os.path.join(self.d, "c.json")
        base = [os.path.join(bin_dir(), "mlgate-compare"), "--features", HOLDOUT, "--label-col", "churned",
                "--policy", pol, "--batch-size", 100, "--warmup", 0, "-o", out]
        p = subprocess.run([*map(str, base), "--candidate-url", slow.url(), "--baseline-url", fast.url()],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 1, p.stderr)
        with open(out) as f:
            doc = json.load(f)
        checks = {c["id"]: c for c in doc["checks"]}
        auc = checks["roc_auc.regression"]
        self.assertEqual((auc["status"], auc["delta"], auc["method"]), ("pass", 0, "delong"))
        lat = checks["latency_p95_ms.relative_regression"]
        self.assertEqual((lat["status"], lat["verdict"], lat["method"]), ("fail", "inferior", "bootstrap"))
        self.assertEqual(lat["value"], doc["metrics"]["serving"]["candidate"]["latency_ms"]["p95"])
        self.assertEqual(lat["baseline"], doc["metrics"]["serving"]["baseline"]["latency_ms"]["p95"])
        self.assertGreater(lat["ci"][0], 0)  # the whole interval says slower
        self.assertEqual(doc["metrics"]["pairing"], {"by": "row_order", "rows": 4000})
        # Each server saw the same 40 batches of 100 rows.
        for s in (slow, fast):
            self.assertEqual([r["rows"] for r in s.requests() if r["method"] == "POST"], [100] * 40)
        self.assertEqual(doc["inputs"]["candidate"]["model_url"]["url"], slow.url())
        self.assertEqual(doc["inputs"]["baseline"]["model_url"]["url"], fast.url())
        # A model against itself: no latency regression beyond a generous bound.
        with open(pol, "w") as f:
            f.write("version: 1\nmetrics:\n  latency_p95_ms: {max_relative_regression: 100, confidence: 0.95}\n")
        p = subprocess.run([*map(str, base), "--candidate-url", fast.url(), "--baseline-url", fast.url()],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        # Flags that must come together.
        p = subprocess.run([os.path.join(bin_dir(), "mlgate-compare"), "--policy", pol, "--candidate-url",
                            fast.url(), "--baseline-url", fast.url()], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--candidate-url, --baseline-url and --features go together", p.stderr)

    def test_flag_errors(self):
        base = ["--features", HOLDOUT, "--label-col", "churned"]
        self.run_error(r"--model-protocol: .*mlflow", *base, "--model-url", "http://127.0.0.1:9",
                       "--model-protocol", "grpc")
        self.run_error(r"--model-name: the v2 protocol needs the model's name", *base,
                       "--model-url", "http://127.0.0.1:9", "--model-protocol", "v2")
        self.run_error(r"not an http\(s\) URL", *base, "--model-url", "file:///etc/passwd")
        self.run_error(r"give --model-cmd or --model-url, not both", *base, "--model-url",
                       "http://127.0.0.1:9", "--model-cmd", "cat")
        self.run_error(r"--model-url needs --features", "--data", HOLDOUT, "--model-url", "http://127.0.0.1:9")
        self.run_error(r"--batch-size must be 1 to 1000000", *base, "--model-url", "http://127.0.0.1:9",
                       "--batch-size", 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
