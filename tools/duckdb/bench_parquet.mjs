// DuckDB's side of bench/run.sh parquet: QUERY is "scan" (the columns mlgate-eval reads, summed:
// the bare cost of reading them) or "metrics" (what mlgate-eval computes, in SQL: confusion-matrix
// metrics at 0.5, log loss, Brier, and ROC AUC with ties averaged, overall and per group). Prints
// the query's seconds (the process's start-up excluded).
import { DuckDBInstance } from "@duckdb/node-api";

const [file, query] = process.argv.slice(2);
const instance = await DuckDBInstance.create(":memory:");
const con = await instance.connect();
const src = `read_parquet('${file}')`;
const sql = {
  scan: `SELECT count(*), sum(score), sum(label), count(DISTINCT "group") FROM ${src}`,
  metrics: `
    WITH p AS (SELECT label, score, "group" FROM ${src}),
    g AS (SELECT 'overall' AS grp, label, score FROM p UNION ALL SELECT "group", label, score FROM p),
    r AS (SELECT grp, label, score,
            rank() OVER (PARTITION BY grp ORDER BY score) AS lo,
            count(*) OVER (PARTITION BY grp, score) AS ties FROM g)
    SELECT grp,
      avg(((label = 1) = (score >= 0.5))::INTEGER) AS accuracy,
      sum(CASE WHEN label = 1 AND score >= 0.5 THEN 1 ELSE 0 END) / nullif(sum(CASE WHEN score >= 0.5 THEN 1 ELSE 0 END), 0) AS precision,
      sum(CASE WHEN label = 1 AND score >= 0.5 THEN 1 ELSE 0 END) / nullif(sum(label), 0) AS recall,
      -avg(label * ln(greatest(least(score, 1 - 1e-15), 1e-15)) + (1 - label) * ln(greatest(least(1 - score, 1 - 1e-15), 1e-15))) AS log_loss,
      avg((score - label) ^ 2) AS brier,
      (sum(CASE WHEN label = 1 THEN lo + (ties - 1) / 2.0 ELSE 0 END) - sum(label) * (sum(label) + 1) / 2.0)
        / (sum(label) * (count(*) - sum(label))) AS roc_auc
    FROM r GROUP BY grp ORDER BY grp`,
}[query];
const t0 = performance.now();
await con.runAndReadAll(sql);
console.log(((performance.now() - t0) / 1000).toFixed(3));
