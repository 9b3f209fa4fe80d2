"""What users write today to score a holdout set through a served model: a loop over batches
with urllib (the MLflow scoring protocol), then the metric. Prints rows per second of scoring."""
import csv
import json
import sys
import time
import urllib.request

path, url, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path) as f:
    reader = csv.reader(f)
    header = next(reader)
    rows = list(reader)
cols = header[:-1]
t0 = time.perf_counter()
preds = []
for start in range(0, len(rows), batch):
    chunk = rows[start:start + batch]
    data = [[float(v) if "." in v else int(v) for v in r[:-1]] for r in chunk]
    body = json.dumps({"dataframe_split": {"columns": cols, "data": data}}).encode()
    req = urllib.request.Request(url + "/invocations", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        preds.extend(json.load(resp)["predictions"])
elapsed = time.perf_counter() - t0
assert len(preds) == len(rows)
print(f"{len(rows) / elapsed:.1f}")
