// Runs SQL statements with DuckDB (one per argument), e.g. to write Parquet files for the tests:
//   node tools/duckdb/write.mjs "COPY (SELECT ...) TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)"
// Prints the rows of the last statement as JSON lines.
import { DuckDBInstance } from "@duckdb/node-api";

const instance = await DuckDBInstance.create(":memory:");
const con = await instance.connect();
let last;
for (const sql of process.argv.slice(2)) last = await con.runAndReadAll(sql);
if (last) for (const row of last.getRowObjectsJson()) console.log(JSON.stringify(row));
