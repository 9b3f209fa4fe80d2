"""python3 -m mlgate_dask eval --data PARTS (--scheduler ADDRESS | --local N) [--policy FILE]
[-o FILE] [mlgate-eval flags]: mlgate-eval over a data set's parts on a Dask cluster."""
import argparse
import sys

from . import PartError, run_eval, safe


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="python3 -m mlgate_dask",
        description="Evaluate a data set's parts on a Dask cluster (mlgate-eval --state-out on "
                    "the workers) and merge the states (mlgate-merge) into one document. Flags "
                    "it does not know go to mlgate-eval (e.g. --slice-col region).")
    sub = ap.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("eval", help="mlgate-eval over the parts, merged")
    ev.add_argument("--data", required=True, help="a folder of part files, a glob pattern, or a file")
    where = ev.add_mutually_exclusive_group(required=True)
    where.add_argument("--scheduler", help="the Dask scheduler's address, e.g. tcp://10.0.0.5:8786")
    where.add_argument("--local", type=int, metavar="N", help="start a local cluster of N worker processes")
    ev.add_argument("--policy", help="policy file: the workers read its columns, the merge its checks")
    ev.add_argument("-o", "--output", help="the merged result document (default: standard output)")
    ev.add_argument("--mlgate-eval", default="mlgate-eval", help="mlgate-eval on the workers")
    ev.add_argument("--mlgate-merge", default="mlgate-merge", help="mlgate-merge on this machine")
    args, eval_args = ap.parse_known_args(argv)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("mlgate_dask: error: Dask's distributed is not installed "
              "(Debian: apt-get install python3-distributed)", file=sys.stderr)
        return 2
    cluster = None
    try:
        if args.local:
            cluster = LocalCluster(n_workers=args.local, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(args.scheduler, timeout=60)
        with client:
            return run_eval(args.data, eval_args, client, policy=args.policy, output=args.output,
                            mlgate_eval=args.mlgate_eval, mlgate_merge=args.mlgate_merge)
    except PartError as e:
        print(f"mlgate_dask: error: {e}", file=sys.stderr)
        return 2
    except (OSError, TimeoutError) as e:
        print(f"mlgate_dask: error: {safe(e)} (is the scheduler reachable?)", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 -- a gate that errors never passes: exit 2, not 1
        print(f"mlgate_dask: error: {safe(type(e).__name__)}: {safe(e)}", file=sys.stderr)
        return 2
    finally:
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    sys.exit(main())
