// A model server that answers at once, for bench/run.sh served: the MLflow scoring protocol
// (GET /ping, POST /invocations with dataframe_split), a logistic score of the first feature per
// row. Node's own http module, one process: its ceiling is measured by wrk in the same run.
"use strict";
const http = require("http");
const fs = require("fs");
const portFile = process.argv[2];
const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/ping") {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "0" });
    return res.end();
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    let body;
    try {
      const data = JSON.parse(Buffer.concat(chunks).toString()).dataframe_split.data;
      const preds = new Array(data.length);
      for (let i = 0; i < data.length; i++) preds[i] = 1 / (1 + Math.exp(-data[i][0] / 10));
      body = JSON.stringify({ predictions: preds });
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
    } catch (e) {
      body = JSON.stringify({ error: String(e) });
      res.writeHead(400, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
    }
    res.end(body);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => {
  fs.writeFileSync(portFile + ".tmp", String(server.address().port));
  fs.renameSync(portFile + ".tmp", portFile);
});
