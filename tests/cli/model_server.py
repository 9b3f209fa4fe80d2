#!/usr/bin/env python3
"""A small model server for the tests, speaking one of three inference protocols as their
specifications describe them, written for mlgate's tests (not taken from any server):

  mlflow     GET /ping; POST /invocations {"dataframe_split": {"columns", "data"}} ->
             {"predictions": [...]}
  v2         Open Inference Protocol (KServe, Seldon, Triton): GET /v2/health/ready,
             GET /v2/models/NAME[/versions/V]/ready, POST /v2/models/NAME[/versions/V]/infer
             {"id", "inputs": [{"name", "shape", "datatype", "data"}]} ->
             {"model_name", "id", "outputs": [{"name", "shape", "datatype", "data"}]}
  tfserving  GET /v1/models/NAME[/versions/V] (model_version_status), POST
             /v1/models/NAME[/versions/V]:predict {"instances": [{...}]} -> {"predictions": [...]}

The model is the churn demo's (examples/model/churn_model.py). --answer picks what it answers:
a probability per row (score), scikit-learn's predict_proba pair (pair), objects with a
"churn" field (object), or three class probabilities (multiclass). --fault makes it misbehave
the ways real servers do. It listens on 127.0.0.1 (an ephemeral port, written to --port-file),
over TLS with --tls CERT KEY (and asks for a client certificate with --client-ca CA).
Every request is logged as a JSON line to --log."""
import argparse
import json
import math
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "model"))
from churn_model import churn_probability  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--protocol", choices=["mlflow", "v2", "tfserving"], required=True)
ap.add_argument("--name", default="churn")
ap.add_argument("--version-path", default="")
ap.add_argument("--answer", default="score", choices=["score", "pair", "object", "multiclass"])
ap.add_argument("--fault", default="")
ap.add_argument("--ready-after", type=float, default=0, help="seconds before health says ready")
ap.add_argument("--require-header", default="", help="'Name: value' every request must carry")
ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
ap.add_argument("--client-ca")
ap.add_argument("--port-file", required=True)
ap.add_argument("--log")
args = ap.parse_args()

START = time.time()
LOCK = threading.Lock()
COUNTS = {"infer": 0}


def log(entry):
    if args.log:
        with LOCK, open(args.log, "a") as f:
            f.write(json.dumps(entry) + "\n")


def model_path():
    p = args.name
    if args.version_path:
        p += "/versions/" + args.version_path
    return p


def score(rows):
    out = []
    for r in rows:
        p = churn_probability(r)
        if args.answer == "score":
            out.append(p)
        elif args.answer == "pair":
            out.append([1 - p, p])
        elif args.answer == "object":
            out.append({"churn": p, "label": int(p >= 0.5)})
        else:
            # Three classes by tenure: the probabilities a multiclass model would give.
            t = float(r["tenure_months"])
            a = 1 / (1 + math.exp((t - 12) / 6))
            c = (1 - a) * p
            out.append([a, 1 - a - c, c])
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    disable_nagle_algorithm = True  # headers and body leave at once, no delayed-ACK stalls

    def log_message(self, *a):
        pass

    def send(self, code, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def authorised(self):
        if not args.require_header:
            return True
        name, value = args.require_header.split(":", 1)
        if self.headers.get(name.strip()) == value.strip():
            return True
        self.send(401, {"error": "unauthorised"})
        return False

    def do_GET(self):
        log({"method": "GET", "path": self.path})
        if not self.authorised():
            return
        ready = time.time() - START >= args.ready_after
        p = self.path
        if args.protocol == "mlflow" and p == "/ping":
            return self.send(200 if ready else 503, b"\n")
        if args.protocol == "v2" and p == "/v2/health/ready":
            return self.send(200 if ready else 503, {"ready": ready} if ready else b"")
        if args.protocol == "v2" and p == f"/v2/models/{model_path()}/ready":
            return self.send(200, {"name": args.name, "ready": ready})
        if args.protocol == "tfserving" and p == f"/v1/models/{model_path()}":
            state = "AVAILABLE" if ready else "LOADING"
            return self.send(200, {"model_version_status": [
                {"version": args.version_path or "1", "state": state,
                 "status": {"error_code": "OK", "error_message": ""}}]})
        self.send(404, {"error": f"no route {p}"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if not self.authorised():
            return
        with LOCK:
            COUNTS["infer"] += 1
            nth = COUNTS["infer"]
        fault = args.fault
        try:
            req = json.loads(raw)
        except ValueError:
            return self.send(400, {"error": "request is not JSON"})
        rows, rid, v2_in = self.rows(req)
        log({"method": "POST", "path": self.path, "rows": None if rows is None else len(rows), "n": nth,
             "id": rid, "inputs": v2_in, "content_type": self.headers.get("Content-Type"),
             "auth": self.headers.get("Authorization") is not None})
        if rows is None:
            return self.send(404, {"error": f"no route {self.path}"})
        if fault == "503-once" and nth == 1:
            return self.send(503, {"error": "warming up"})
        if fault == "500-always":
            return self.send(500, {"error": "model crashed"})
        if fault == "429-once" and nth == 1:
            return self.send(429, {"error": "slow down"}, {"Retry-After": "1"})
        if fault == "429-date" and nth == 1:
            when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 1))
            return self.send(429, {"error": "slow down"}, {"Retry-After": when})
        if fault == "slow":
            time.sleep(3)
        if fault in ("drop-once", "drop-always") and (nth == 1 or fault == "drop-always"):
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if fault == "malformed":
            return self.send(200, b'{"predictions": [0.1, 0.2')
        if fault == "echo-auth":
            return self.send(400, {"error": "bad token " + str(self.headers.get("Authorization"))})
        if fault == "error-field":
            return self.send(200, {"error": "model is not loaded"})
        preds = score(rows)
        if fault == "short":
            preds = preds[:-1]
        if fault == "nan" and preds:
            preds[-1] = float("nan")
        if fault == "text" and preds:
            preds[0] = "churn"
        if fault == "ragged" and len(preds) > 1:
            preds[1] = [preds[1], 0.5]
        if fault == "slow-some" and nth % 3 == 0:
            time.sleep(0.05)
        if args.protocol == "v2":
            return self.send(200, self.v2_answer(preds, rid))
        self.send(200, {"predictions": preds})

    def rows(self, req):
        """The request's rows as dicts, its id and a summary of v2 inputs; None for a bad route."""
        p = self.path
        if args.protocol == "mlflow" and p == "/invocations":
            ds = req["dataframe_split"]
            return [dict(zip(ds["columns"], r)) for r in ds["data"]], None, None
        if args.protocol == "tfserving" and p == f"/v1/models/{model_path()}:predict":
            return list(req["instances"]), None, None
        if args.protocol == "v2" and p == f"/v2/models/{model_path()}/infer":
            inputs = req["inputs"]
            summary = [[i["name"], i["shape"], i["datatype"]] for i in inputs]
            if len(inputs) == 1 and len(inputs[0]["shape"]) == 2:  # one [batch, features] tensor
                n, k = inputs[0]["shape"]
                flat = inputs[0]["data"]
                names = ["tenure_months", "monthly_charges", "support_calls"]
                rows = []
                for i in range(n):
                    r = dict(zip(names, flat[i * k:i * k + 3]))
                    r.update(contract="monthly", plan="basic")
                    rows.append(r)
                return rows, req.get("id"), summary
            cols = {i["name"]: i["data"] for i in inputs}
            n = inputs[0]["shape"][0]
            return [{k: v[j] for k, v in cols.items()} for j in range(n)], req.get("id"), summary
        return None, None, None

    def v2_answer(self, preds, rid):
        n = len(preds)
        if args.fault == "wrong-id":
            rid = "someone-else"
        wide = n and isinstance(preds[0], list)
        k = len(preds[0]) if wide else 1
        data = [x for row in preds for x in (row if wide else [row])]
        shape = [n, k] if wide else [n]
        if args.fault == "shape":
            shape = [n + 1]
        out = {"model_name": args.name, "outputs": [
            {"name": "label", "shape": shape, "datatype": "INT64",
             "data": [int(x >= 0.5) for x in data] if not wide else [0] * len(data)},
            {"name": "probability", "shape": shape, "datatype": "FP64", "data": data}]}
        if rid is not None:
            out["id"] = rid
        return out


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
if args.tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*args.tls)
    if args.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(args.client_ca)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
tmp = args.port_file + ".tmp"
with open(tmp, "w") as f:
    f.write(str(server.server_address[1]))
os.replace(tmp, args.port_file)
server.serve_forever()
