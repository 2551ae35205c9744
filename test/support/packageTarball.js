// The package exactly as npm would publish it, for the integration tests that install it
// the way users do (the examples, the `pulumi new typescript` project). `npm pack` runs the
// package's `prepack` (a clean rebuild of dist/) and keeps only what `files` ships, so a
// file missing from the tarball, or a stale one in dist/, fails those tests as it would fail
// a user. Packed once per integration run, into a throwaway folder.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const REPO = path.resolve(__dirname, "..", "..");
const ENV = "LVS_PACKAGE_TARBALL";

function pack() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-lvs-pack-"));
  const r = spawnSync("npm", ["pack", "--json", "--pack-destination", dir], { cwd: REPO, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`npm pack failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  // prepack's build prints before the JSON report; the report is the last JSON array.
  const report = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf("\n[") + 1));
  return path.join(dir, report[0].filename);
}

module.exports.ENV = ENV;

module.exports.setup = function setup() {
  const tarball = pack();
  process.env[ENV] = tarball;
  console.log(`\npacked the package for the tests that install it: ${tarball}`);
};

module.exports.teardown = function teardown() {
  const tarball = process.env[ENV];
  if (tarball) fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
};
