// Run a TypeScript file with plain node, the way `pulumi` runs a TypeScript program
// (transpile-only): `node test/support/engine/register-ts.js <file.ts> [args…]`.
//
// Two hooks, nothing else:
//   - `.ts` files are transpiled to CommonJS with the repository's TypeScript on require;
//   - `pulumi-lvs` (and `pulumi-lvs/provider/*`) resolve to this repository's built dist/,
//     as in a user's project that depends on the package by name (build it first).
"use strict";
const Module = require("module");
const path = require("path");
const fs = require("fs");
const ts = require("typescript");

const REPO = path.resolve(__dirname, "..", "..", "..");

require.extensions[".ts"] = function compileTs(module, filename) {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, inlineSourceMap: true },
  });
  module._compile(outputText, filename);
};

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, isMain, options) {
  if (request === "pulumi-lvs") return path.join(REPO, "dist", "index.js");
  const sub = /^pulumi-lvs\/provider\/(.+)$/.exec(request);
  if (sub) return path.join(REPO, "dist", "provider", `${sub[1]}.js`);
  return resolveFilename.call(this, request, parent, isMain, options);
};

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error("usage: node register-ts.js <file.ts> [args…]");
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(entry), ...rest];
require(path.resolve(entry));
