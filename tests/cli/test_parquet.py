"""Parquet through every tool, against a real writer: DuckDB (npm @duckdb/node-api, pinned in
tools/duckdb) writes the files here, with every codec, page versions 1 and 2 (v2 brings the DELTA
encodings and BYTE_STREAM_SPLIT), dictionaries on and off, several row groups, nulls in every
type, decimals, dates, timestamps and multi-byte UTF-8. The same data as CSV (written by DuckDB
from the same table) gives the same document in every tool. Damaged files are exit 2 naming the
file, row group, column and page."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))
from oracle_common import BIN  # noqa: E402

DUCKDB = os.path.join(ROOT, "tools", "duckdb", "write.mjs")
CODECS = ["uncompressed", "snappy", "gzip", "zstd", "lz4_raw", "brotli"]

# Predictions with slices and a sensitive column, nulls where a tool allows them, and the
# types a data test meets.
TABLE = """
SELECT i AS id,
       (hash(i) % 100 < 30)::INTEGER AS label,
       round(((hash(i) % 1000) / 1000.0 + (hash(i) % 100 < 30)::INTEGER * 0.3) / 1.3, 6) AS score,
       CASE WHEN i % 3 = 0 THEN 'eu' WHEN i % 3 = 1 THEN 'us' ELSE 'Zürich-東京' END AS region,
       CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END AS sex,
       CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 97)::INTEGER END AS tenure,
       CASE WHEN i % 13 = 0 THEN NULL ELSE round(20 + (hash(i) % 10000) / 100.0, 2) END AS charges,
       CASE WHEN i % 17 = 0 THEN NULL ELSE (i % 5)::DECIMAL(9,2) + 0.25 END AS dec32,
       (i * 3)::DECIMAL(18,4) AS dec64,
       (i * 7)::DECIMAL(30,3) AS dec128,
       ((i % 997) / 3.0)::FLOAT AS f32,
       i * 1000003::BIGINT AS big,
       CASE WHEN i % 19 = 0 THEN NULL ELSE i % 4 = 0 END AS flag,
       CASE WHEN i % 7 = 0 THEN NULL ELSE 'plan-' || (i % 6) || repeat('é', i % 3) END AS plan,
       CASE WHEN i % 23 = 0 THEN 'NA' ELSE 'tier' || (i % 3) END AS tier,
       CASE WHEN i < 7000 THEN 'k' || (i % 4)
            ELSE ['NA', '3.5', '-7', 'x', 'n/a', 'inf', 'k1'][1 + i % 7] END AS mixed
FROM range(30000) t(i)
"""


def duckdb(*sql):
    p = subprocess.run(["node", DUCKDB, *sql], capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"duckdb failed: {p.stderr[-2000:]}")
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def tool(name, *args):
    return subprocess.run([os.path.join(os.environ.get("MLGATE_BIN_DIR", BIN), name), *map(str, args)],
                          capture_output=True, text=True)


class Parquet(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.d = cls.tmp.name
        duckdb(f"CREATE TABLE t AS {TABLE}", f"COPY t TO '{d}/t.csv' (HEADER)")  # the reference
        cls.variants = []
        stmts = [f"CREATE TABLE t AS {TABLE}"]
        for codec in CODECS:
            for version in ("V1", "V2"):
                for dictionary in (True, False):
                    name = f"{d}/t_{codec}_{version}_{'dict' if dictionary else 'plain'}.parquet"
                    opts = f"FORMAT parquet, COMPRESSION {codec}, PARQUET_VERSION {version}, ROW_GROUP_SIZE 7000"
                    if not dictionary:
                        opts += ", DICTIONARY_SIZE_LIMIT 1"
                    stmts.append(f"COPY t TO '{name}' ({opts})")
                    cls.variants.append(name)
        duckdb(*stmts)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def doc(self, name, *args, expect=(0, 1)):
        out = os.path.join(self.d, f"{name}.{os.getpid()}.json")
        p = tool(name, *args, "-o", out)
        self.assertIn(p.returncode, expect, p.stderr)
        with open(out) as f:
            return json.load(f)

    @staticmethod
    def comparable(doc):
        """The document without what names the input file (path, digest, format, time)."""
        doc = json.loads(json.dumps(doc))
        doc.pop("provenance", None)
        doc.pop("inputs", None)
        return doc

    def test_the_encodings_are_what_they_claim(self):
        # The variants cover the encodings the reader decodes.
        seen = set()
        for f in self.variants:
            for row in duckdb(f"SELECT DISTINCT encodings FROM parquet_metadata('{f}')"):
                seen.update(row["encodings"].split(", "))
        for enc in ("PLAIN", "RLE_DICTIONARY", "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY",
                    "BYTE_STREAM_SPLIT"):
            self.assertIn(enc, seen)

    def test_eval_is_the_same_as_from_csv(self):
        args = ["--slice-col", "region", "--slice-col", "plan", "--slice-col", "tier"]
        want = self.comparable(self.doc("mlgate-eval", "--data", f"{self.d}/t.csv", *args))
        for f in self.variants:
            with self.subTest(f=os.path.basename(f)):
                got = self.doc("mlgate-eval", "--data", f, *args)
                self.assertEqual(self.comparable(got), want)
                self.assertEqual(got["inputs"]["data"]["rows"], 30000)

    def test_datatest_infers_and_checks_the_same_as_from_csv(self):
        suite_csv, suite_pq = f"{self.d}/s_csv.yaml", f"{self.d}/s_pq.yaml"
        p = tool("mlgate-datatest", "--reference", f"{self.d}/t.csv", "--infer-suite", suite_csv)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(suite_csv) as f:
            want_suite = f.read().split("\n", 2)[2]  # past the comment naming the file
        for f in self.variants:
            with self.subTest(f=os.path.basename(f)):
                p = tool("mlgate-datatest", "--reference", f, "--infer-suite", suite_pq)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("(30000 rows)", p.stderr)
                with open(suite_pq) as s:
                    self.assertEqual(s.read().split("\n", 2)[2], want_suite)
        want = self.comparable(self.doc("mlgate-datatest", "--data", f"{self.d}/t.csv", "--reference",
                                        f"{self.d}/t.csv", "--suite", suite_csv))
        for f in self.variants[::5]:
            with self.subTest(f=os.path.basename(f)):
                got = self.doc("mlgate-datatest", "--data", f, "--reference", f"{self.d}/t.csv", "--suite", suite_csv)
                self.assertEqual(self.comparable(got), want)
                self.assertEqual(got["inputs"]["data"]["format"], "parquet")

    def test_compare_and_fairness_are_the_same_as_from_csv(self):
        pol = f"{self.d}/p.yaml"
        with open(pol, "w") as f:
            f.write("version: 1\ncolumns: {id: id}\nmetrics:\n  roc_auc: {max_regression: 0.01, confidence: 0.95}\n"
                    "  f1: {max_regression: 0.02}\nfairness:\n  sensitive: [sex]\n"
                    "  metrics: {demographic_parity_difference: {max: 0.1}}\n")
        want_c = self.comparable(self.doc("mlgate-compare", "--candidate", f"{self.d}/t.csv", "--baseline",
                                          f"{self.d}/t.csv", "--policy", pol))
        want_f = self.comparable(self.doc("mlgate-fairness", "--data", f"{self.d}/t.csv", "--policy", pol))
        for f in self.variants[1::4]:
            with self.subTest(f=os.path.basename(f)):
                self.assertEqual(self.comparable(self.doc("mlgate-compare", "--candidate", f, "--baseline",
                                                          f"{self.d}/t.csv", "--policy", pol)), want_c)
                self.assertEqual(self.comparable(self.doc("mlgate-fairness", "--data", f, "--policy", pol)), want_f)

    def test_dates_and_timestamps_are_numbers_with_their_unit(self):
        f = f"{self.d}/dates.parquet"
        duckdb(f"COPY (SELECT DATE '2024-01-01' + (i % 30)::INTEGER AS day, TIMESTAMP '2024-01-01' + "
               f"to_seconds(i) AS ts, i::INTEGER AS n FROM range(100) t(i)) TO '{f}' (FORMAT parquet)")
        suite = f"{self.d}/dates.yaml"
        with open(suite, "w") as s:
            s.write("version: 1\nexpectations:\n  - {expect: between, column: day, min: 19723, max: 19752}\n"
                    "  - {expect: between, column: ts, min: 1704067200000000, max: 1704067299000000}\n")
        doc = self.doc("mlgate-datatest", "--data", f, "--suite", suite, expect=(0,))
        self.assertEqual(doc["status"], "pass")
        self.assertEqual(doc["inputs"]["data"]["units"],
                         {"day": "days since 1970-01-01", "ts": "microseconds since 1970-01-01 UTC"})

    def test_detection_and_binary_input(self):
        src = self.variants[0]
        disguised = f"{self.d}/looks_like.csv"
        shutil.copy(src, disguised)  # the magic wins over the extension
        self.assertEqual(self.comparable(self.doc("mlgate-eval", "--data", disguised)),
                         self.comparable(self.doc("mlgate-eval", "--data", src)))
        with open(src, "rb") as f:
            p = subprocess.run([os.path.join(os.environ.get("MLGATE_BIN_DIR", BIN), "mlgate-eval"), "--data", "-",
                                "--format", "parquet"], stdin=f, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        # A model command is fed text: Parquet features are refused with what to do instead.
        p = tool("mlgate-eval", "--features", src, "--model-cmd", "cat")
        self.assertEqual(p.returncode, 2)
        self.assertIn("a model command is fed CSV, TSV or JSON lines, and this is a Parquet file", p.stderr)
        z = f"{self.d}/x.zip"
        with open(z, "wb") as f:
            f.write(b"PK\x03\x04" + b"\x00" * 100)
        p = tool("mlgate-eval", "--data", z)
        self.assertEqual(p.returncode, 2)
        self.assertIn("looks like a zip archive", p.stderr)

    def test_damaged_files_are_errors_naming_where(self):
        with open(f"{self.d}/t_snappy_V1_dict.parquet", "rb") as f:
            src = f.read()
        cases = {
            "truncated": (src[:-100], r"truncated \(no PAR1 at its end\)"),
            "no_magic": (b"XXXX" + src[4:], r"no PAR1 at its start"),
            "footer_length": (src[:-8] + (len(src)).to_bytes(4, "little") + b"PAR1", r"footer's length"),
        }
        # A page's bytes overwritten in the middle of the file: a decompression or decoding error
        # naming the row group, the column and the page.
        mid = bytearray(src)
        for k in range(len(src) // 3, len(src) // 3 + 64):
            mid[k] ^= 0x5A
        cases["page"] = (bytes(mid), r"row group \d+, column \"\w+\"(, page \d+)?")
        for name, (data, pattern) in cases.items():
            with self.subTest(case=name):
                path = f"{self.d}/bad_{name}.parquet"
                with open(path, "wb") as f:
                    f.write(data)
                p = tool("mlgate-datatest", "--reference", path, "--infer-suite", f"{self.d}/bad.yaml")
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertRegex(p.stderr, pattern)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
                self.assertIn(path, p.stderr)

    def test_data_sets_as_folders_and_globs(self):
        """A folder of part files (Spark's layout: part-*.parquet, _SUCCESS, hidden files) or a
        glob pattern reads as one table, for every tool and every input flag."""
        ds = f"{self.d}/ds"
        os.makedirs(ds, exist_ok=True)
        duckdb(f"CREATE TABLE t AS {TABLE}",
               f"COPY (SELECT * FROM t WHERE id < 10000) TO '{ds}/part-00000.parquet' (FORMAT parquet, COMPRESSION zstd)",
               f"COPY (SELECT * FROM t WHERE id >= 10000 AND id < 25000) TO '{ds}/part-00001.parquet' (FORMAT parquet)",
               f"COPY (SELECT * FROM t WHERE id >= 25000) TO '{ds}/part-00002.parquet' (FORMAT parquet, PARQUET_VERSION V2)",
               f"COPY (SELECT * FROM t WHERE id < 12000) TO '{ds}/../csvparts_a.csv' (HEADER)",
               f"COPY (SELECT * FROM t WHERE id >= 12000) TO '{ds}/../csvparts_b.csv' (HEADER)")
        for junk in ("_SUCCESS", ".part-00000.parquet.crc", "_committed_123"):
            with open(f"{ds}/{junk}", "w") as f:
                f.write("not a table")
        args = ["--slice-col", "region"]
        want = self.comparable(self.doc("mlgate-eval", "--data", f"{self.d}/t.csv", *args))
        folder = self.doc("mlgate-eval", "--data", ds, *args)
        self.assertEqual(self.comparable(folder), want)
        self.assertEqual(self.comparable(self.doc("mlgate-eval", "--data", f"{ds}/part-*.parquet", *args)), want)
        self.assertEqual(self.comparable(self.doc("mlgate-eval", "--data", f"{self.d}/csvparts_*.csv", *args)), want)
        # The digest covers every part, in order.
        sums = ""
        for name in ("part-00000.parquet", "part-00001.parquet", "part-00002.parquet"):
            sums += subprocess.run(["sha256sum", f"{ds}/{name}"], capture_output=True, text=True).stdout.split()[0]
            sums += f"  {name}\n"
        import hashlib
        self.assertEqual(folder["inputs"]["data"]["sha256"], hashlib.sha256(sums.encode()).hexdigest())
        # --reference and --baseline take data sets too.
        pol = f"{self.d}/p2.yaml"
        with open(pol, "w") as f:
            f.write("version: 1\ncolumns: {id: id}\nmetrics: {roc_auc: {max_regression: 0.01}}\n")
        c = self.doc("mlgate-compare", "--candidate", f"{self.d}/t.csv", "--baseline", ds, "--policy", pol)
        self.assertEqual(c["metrics"]["pairing"], {"by": "id", "rows": 30000})
        suite = f"{self.d}/s_ds.yaml"
        p = tool("mlgate-datatest", "--reference", ds, "--infer-suite", suite)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("(30000 rows)", p.stderr)
        # A part with other columns is an error naming it and the first difference.
        duckdb(f"COPY (SELECT id, label, score FROM '{ds}/part-00000.parquet') TO '{ds}/part-00003.parquet' (FORMAT parquet)")
        p = tool("mlgate-eval", "--data", ds)
        self.assertEqual(p.returncode, 2)
        self.assertIn(f"{ds}/part-00003.parquet: this part's columns differ from the first part's: column 4 is missing", p.stderr)
        p = tool("mlgate-eval", "--data", f"{self.d}/nothing-*.parquet")
        self.assertEqual(p.returncode, 2)
        self.assertIn("no file matches the pattern", p.stderr)

    def test_nested_columns_are_named_when_asked_for(self):
        f = f"{self.d}/nested.parquet"
        duckdb(f"COPY (SELECT i % 2 AS label, i / 10.0 AS score, {{'a': i, 'b': 'x'}} AS s, [i, i] AS l "
               f"FROM range(20) t(i)) TO '{f}' (FORMAT parquet)")
        doc = self.doc("mlgate-eval", "--data", f)  # the nested columns are not asked for
        self.assertEqual(doc["metrics"]["n"], 20)
        p = tool("mlgate-eval", "--data", f, "--slice-col", "l")
        self.assertEqual(p.returncode, 2)
        self.assertIn('column "l" is nested or repeated', p.stderr)
        p = tool("mlgate-eval", "--data", f, "--label-col", "lable")
        self.assertEqual(p.returncode, 2)
        self.assertIn('missing column "lable" (did you mean "label"?', p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
