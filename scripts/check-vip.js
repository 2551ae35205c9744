#!/usr/bin/env node
// Proves a deployed VIP works: N requests from the lab's client to http://<vip>/, and which
// real server answered each. Exits non-zero unless every expected real server answered and
// no request failed.
//
//   node scripts/check-vip.js <vip> <requests> <real server name>...
"use strict";
const { execFileSync } = require("child_process");
const path = require("path");

const [vip, requestsArg, ...expected] = process.argv.slice(2);
const requests = Number(requestsArg);
if (!vip || !Number.isInteger(requests) || requests < 1 || expected.length === 0) {
  console.error("usage: check-vip.js <vip> <requests> <real server name>...");
  process.exit(2);
}
// A constant script; the values arrive as its arguments ("$@"), never interpolated.
const script = 'n=$1; vip=$2; for i in $(seq "$n"); do curl -s --max-time 5 "http://$vip/" || echo FAILED; done';
// ssh hands the remote shell one command line: the argv is quoted by the package's one
// quoting function (built into dist/ by the caller).
const { renderCommandLine } = require("../dist/provider/ssh/quote");
const lab = path.join(__dirname, "..", "test", "lab", "lab.sh");
const commandLine = renderCommandLine(["sh", "-c", script, "check-vip", String(requests), vip]);
const out = execFileSync("bash", [lab, "ssh", "client", commandLine], { encoding: "utf8" });
const counts = new Map();
for (const line of out.split("\n").map((l) => l.trim()).filter(Boolean)) counts.set(line, (counts.get(line) ?? 0) + 1);
console.log(`\n${requests} requests from the lab client to http://${vip}/:`);
for (const [who, n] of [...counts].sort()) console.log(`    ${who}: ${n}`);
const missing = expected.filter((rs) => !counts.has(rs));
if (counts.has("FAILED") || missing.length > 0) {
  console.error(`the VIP does not answer from every real server (${missing.length > 0 ? `missing: ${missing.join(", ")}` : "some requests failed"})`);
  process.exit(1);
}
console.log(`every real server answered (${[...counts.keys()].join(", ")})`);
