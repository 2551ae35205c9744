// Which project a `pulumi` command line is about, what it runs, and where its program
// starts: pure functions of the arguments and the project's files (scripts/engine/pulumi.js).
"use strict";
const fs = require("fs");
const path = require("path");

/** The commands that run the program, so the wrapper must serve it to the engine. */
const PROGRAM_COMMANDS = new Set(["up", "update", "preview", "refresh", "destroy"]);

/** `-C dir` / `--cwd dir` / `--cwd=dir`, as the CLI reads them. */
function projectDir(args) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "-C" || args[i] === "--cwd") return path.resolve(args[i + 1] ?? ".");
    if (args[i].startsWith("--cwd=")) return path.resolve(args[i].slice("--cwd=".length));
  }
  return process.cwd();
}

/** The CLI's global flags that take their value as the next argument (`--color never`). */
const GLOBAL_FLAGS_WITH_VALUE = new Set(["-C", "--cwd", "--color", "-v", "--verbose", "--profiling", "--tracing", "--tracing-header", "--memprofilerate"]);

/** The first argument that is neither a flag nor a flag's value: the CLI command. */
function commandOf(args) {
  for (let i = 0; i < args.length; i++) {
    if (GLOBAL_FLAGS_WITH_VALUE.has(args[i])) i++;
    else if (!args[i].startsWith("-")) return args[i];
  }
  return undefined;
}

/** The program's entry file: Pulumi.yaml's `main` (a file or a folder), else package.json's, else index.ts/index.js. */
function programEntry(dir) {
  const yamlFile = ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  if (!yamlFile) throw new Error(`no Pulumi.yaml in ${dir}`);
  const mainLine = /^main:\s*["']?([^"'\n#]+?)["']?\s*$/m.exec(fs.readFileSync(yamlFile, "utf8"));
  let main = path.resolve(dir, mainLine ? mainLine[1] : ".");
  if (fs.statSync(main).isDirectory()) {
    const pkgFile = path.join(main, "package.json");
    const pkgMain = fs.existsSync(pkgFile) ? JSON.parse(fs.readFileSync(pkgFile, "utf8")).main : undefined;
    const candidates = [pkgMain, "index.ts", "index.js"].filter(Boolean).map((f) => path.resolve(main, f));
    main = candidates.find((f) => fs.existsSync(f));
    if (!main) throw new Error(`no program entry in ${dir}: set main in Pulumi.yaml, or add index.ts`);
  }
  return main;
}

module.exports = { PROGRAM_COMMANDS, commandOf, programEntry, projectDir };
