// One provider call in a process of its own, as the engine's dynamic-provider process makes
// it: the package's built registry (dist/), the resource kind's implementation, one method.
// The request ({ kind, method, args }) comes on stdin (it holds credentials: never argv);
// the answer is one JSON line on stdout: { ok: true, result } or { ok: false, error }.
// The fault matrix preloads stepHook.js and SIGKILLs this process at a chosen remote step.
"use strict";
const path = require("path");

const DIST = path.resolve(__dirname, "..", "..", "..", "dist", "provider");

async function main() {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  const { kind, method, args } = JSON.parse(input);
  const { implementationOf } = require(path.join(DIST, "registry"));
  const { closeSshPool } = require(path.join(DIST, "ssh"));
  let answer;
  try {
    const result = await implementationOf(kind)[method](...args);
    answer = { ok: true, result: result ?? null };
  } catch (err) {
    answer = { ok: false, error: `${err && err.name}: ${err && err.message}` };
  }
  await closeSshPool();
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}

main().catch((err) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: `runner: ${err && err.stack}` })}\n`);
  process.exitCode = 1;
});
