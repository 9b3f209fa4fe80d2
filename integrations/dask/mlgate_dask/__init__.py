"""mlgate on a Dask cluster: each part of a data set is evaluated where a worker runs
(mlgate-eval --state-out), the states come back to the client, and mlgate-merge finishes them
into the document one run over all the rows gives, bit for bit.

    python3 -m mlgate_dask eval --data 'parts/*.parquet' --scheduler tcp://10.0.0.5:8786 \\
        --policy policy.yaml -o eval.json [mlgate-eval flags...]

The workers need mlgate-eval on their PATH (or --mlgate-eval PATH) and this package importable,
and they read the parts by the paths the client gives (a shared file system or object-store
mount). Nothing is run through a shell.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

__all__ = ["list_parts", "evaluate_part", "run_eval"]

_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def safe(text):
    """Text for a CI log: control bytes escaped, no workflow command can start."""
    text = _UNSAFE.sub(lambda m: "\\x%02x" % ord(m.group()), str(text))
    return text.replace("::", ":\u200b:").replace("##vso[", "##\u200bvso[").replace("##[", "##\u200b[")


class PartError(Exception):
    """A part could not be evaluated; its message names the part."""


def list_parts(data):
    """A data set's parts in name order: a folder's files (not hidden, not _SUCCESS and the
    like), a glob pattern's matches, or one file."""
    if os.path.isdir(data):
        names = sorted(n for n in os.listdir(data) if not n.startswith((".", "_")))
        parts = [os.path.join(data, n) for n in names if os.path.isfile(os.path.join(data, n))]
    elif any(c in data for c in "*?["):
        parts = sorted(p for p in glob.glob(data) if os.path.isfile(p))
    else:
        parts = [data] if os.path.isfile(data) else []
    if not parts:
        raise PartError(f"{safe(data)}: no part files to evaluate")
    return parts


def evaluate_part(part, eval_args, mlgate_eval="mlgate-eval"):
    """Runs on a worker: mlgate-eval on one part, returning (part, its state's bytes, None). A
    part's own checks may fail (its exit code is then 1 or 2 with the state written); a part that
    could not be read writes no state: (part, None, mlgate-eval's last line)."""
    exe = shutil.which(mlgate_eval) or mlgate_eval
    with tempfile.TemporaryDirectory(prefix="mlgate-dask-") as tmp:
        state = os.path.join(tmp, "part.state")
        argv = [exe, "--data", part, *eval_args, "--state-out", state, "-o", os.devnull, "--quiet"]
        try:
            p = subprocess.run(argv, capture_output=True, text=True, errors="replace")
        except OSError as e:
            return part, None, f"cannot run {exe}: {e.strerror}"
        if not os.path.exists(state):
            lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
            return part, None, lines[-1] if lines else f"mlgate-eval exited {p.returncode}"
        with open(state, "rb") as f:
            return part, f.read(), None


def run_eval(data, eval_args, client, policy=None, output=None, mlgate_eval="mlgate-eval",
             mlgate_merge="mlgate-merge", merge_args=()):
    """Evaluates every part of data on the cluster behind client and merges the states;
    returns mlgate-merge's exit code (0 pass, 1 fail, 2 error)."""
    parts = list_parts(data)
    args = list(eval_args) + (["--policy", policy] if policy else [])
    # The workers need not have this package: its functions travel by value.
    import cloudpickle
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    futures = [client.submit(evaluate_part, part, args, mlgate_eval, pure=False) for part in parts]
    results = client.gather(futures)
    for part, blob, why in results:
        if blob is None:
            raise PartError(f"{safe(part)}: {safe(why)}")
    with tempfile.TemporaryDirectory(prefix="mlgate-dask-") as tmp:
        states = []
        for k, (_, blob, _) in enumerate(results):
            path = os.path.join(tmp, f"part-{k:06d}.state")
            with open(path, "wb") as f:
                f.write(blob)
            states.append(path)
        argv = [shutil.which(mlgate_merge) or mlgate_merge, *states, *merge_args]
        if policy:
            argv += ["--policy", policy]
        if output:
            argv += ["-o", output]
        return subprocess.run(argv).returncode
