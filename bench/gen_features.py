"""Features for bench/run.sh served: ROWS rows of 8 numeric features (integers and decimals, as
a tabular model gets them) and a 0/1 label; plus one MLflow request body of BATCH rows for wrk."""
import json
import random
import sys

path, rows, body_path, batch = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
rng = random.Random(7)
names = ["tenure", "charges", "calls", "age", "balance", "visits", "score_a", "score_b"]
out = []
with open(path, "w") as f:
    f.write(",".join(names + ["label"]) + "\n")
    for i in range(rows):
        r = [rng.randint(0, 72), round(rng.uniform(10, 120), 2), rng.randint(0, 9), rng.randint(18, 90),
             round(rng.uniform(-500, 5000), 2), rng.randint(0, 40), round(rng.random(), 4), round(rng.random(), 4)]
        f.write(",".join(map(str, r)) + f",{int(rng.random() < 0.3)}\n")
        if i < batch:
            out.append(r)
with open(body_path, "w") as f:
    json.dump({"dataframe_split": {"columns": names, "data": out}}, f, separators=(",", ":"))
