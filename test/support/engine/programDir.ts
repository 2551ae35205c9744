// A throwaway Pulumi project directory laid out as a user's project that depends on
// pulumi-lvs: `node_modules/pulumi-lvs` is a symlink to this repository (what npm makes
// for a `file:` dependency) and `node_modules/@pulumi` points at the SDK this repository
// installed. The engine starts the provider host in the project directory, so the
// serialised providers' `require("pulumi-lvs/provider/registry")` is resolved from here,
// through the package's `exports`, to the built `dist/`.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, relative, resolve } from "path";

export const REPO_ROOT = resolve(__dirname, "..", "..", "..");

export interface ProgramDir {
  path: string;
  projectName: string;
  remove(): void;
}

export function createProgramDir(projectName = "pulumi-lvs-engine-path"): ProgramDir {
  const path = mkdtempSync(join(tmpdir(), `${projectName}-`));
  writeFileSync(join(path, "Pulumi.yaml"), `name: ${projectName}\nruntime: nodejs\n`);
  writeFileSync(
    join(path, "package.json"),
    JSON.stringify({ name: projectName, private: true, dependencies: { "pulumi-lvs": `file:${REPO_ROOT}`, "@pulumi/pulumi": "3.270.0" } }, null, 2),
  );
  mkdirSync(join(path, "node_modules"));
  symlinkSync(REPO_ROOT, join(path, "node_modules", "pulumi-lvs"), "dir");
  symlinkSync(join(REPO_ROOT, "node_modules", "@pulumi"), join(path, "node_modules", "@pulumi"), "dir");
  // Only the links are removed, never what they point to (rmSync does not follow symlinks).
  return { path, projectName, remove: () => rmSync(path, { recursive: true, force: true }) };
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

/**
 * The provider host runs the built package, so a test against a stale `dist/` would prove
 * old code. Throws, naming the files, when a provider source is newer than its build. A
 * source never built is not stale: no built module can load it (the module that imports
 * it changed after its own build, and is named instead).
 */
export function assertBuildIsFresh(): void {
  const stale = sourcesUnder(join(REPO_ROOT, "provider")).filter((source) => {
    const built = join(REPO_ROOT, "dist", relative(REPO_ROOT, source)).replace(/\.ts$/, ".js");
    return existsSync(built) && statSync(built).mtimeMs < statSync(source).mtimeMs;
  });
  if (stale.length > 0) {
    const names = stale.map((s) => relative(REPO_ROOT, s));
    throw new Error(`dist/ is older than ${names.slice(0, 5).join(", ")}${names.length > 5 ? ` and ${names.length - 5} more` : ""}: run \`npm run build\` first`);
  }
}
