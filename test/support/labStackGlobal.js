// Jest global setup/teardown of the integration project: `npm start` and `npm test` share
// one lab. A lab stack that `npm start` left deployed holds dir1's Director and ARP
// settings on rs1..rs3, which the integration tests need for themselves. So, before any
// test file runs, that stack is proven (the GitOps check must exit 0: its deployment is
// clean) and destroyed; after the last one, it is deployed again, so the user finds what
// `npm start` gave them. A failing check fails the run, with the CLI's output.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const REPO = path.resolve(__dirname, "..", "..");
const MARKER = path.join(REPO, ".pulumi-state", "redeploy-lab-stack-after-tests");

/** `bash scripts/lab-stack.sh <op>`, what the README's commands run: its exit code and output. */
function labStack(op) {
  const r = spawnSync("bash", ["scripts/lab-stack.sh", op], { cwd: REPO, encoding: "utf8", maxBuffer: 64 << 20 });
  return { code: r.status ?? 1, output: `${r.stdout}\n${r.stderr}` };
}

function labIsUp() {
  if (!fs.existsSync(path.join(REPO, "test", "lab", "inventory.json"))) return false;
  return spawnSync("bash", ["test/lab/lab.sh", "status"], { cwd: REPO }).status === 0;
}

/** Whether the lab stack holds resources on this lab. */
function labStackDeployed() {
  const deployed = labStack("deployed");
  if (deployed.code !== 0) throw new Error(`scripts/lab-stack.sh deployed failed:\n${deployed.output}`);
  return deployed.output.trim().startsWith("yes");
}

module.exports.labStack = labStack;
module.exports.labStackDeployed = labStackDeployed;

module.exports.setup = async function setup() {
  if (!labIsUp() || !labStackDeployed()) return;
  console.log("\nthe lab stack from `npm start` is deployed: GitOps check (pulumi preview --refresh --expect-no-changes)");
  const check = labStack("preview");
  if (check.code !== 0) throw new Error(`the lab stack that npm start deployed has drifted (exit ${check.code}):\n${check.output.slice(-4000)}`);
  console.log("the lab stack passes the GitOps check (exit 0); destroying it for the tests, it is deployed again afterwards");
  fs.writeFileSync(MARKER, new Date().toISOString());
  const destroyed = labStack("destroy");
  if (destroyed.code !== 0) throw new Error(`could not destroy the lab stack before the tests:\n${destroyed.output.slice(-4000)}`);
};

module.exports.teardown = async function teardown() {
  if (!fs.existsSync(MARKER) || !labIsUp()) return;
  console.log("\ndeploying the lab stack again, as `npm start` left it");
  const again = labStack("up");
  if (again.code !== 0) throw new Error(`could not deploy the lab stack again:\n${again.output.slice(-4000)}`);
  fs.rmSync(MARKER);
};
