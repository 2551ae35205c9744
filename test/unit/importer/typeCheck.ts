// Type-checks generated index.ts files against the package, as a user's project would
// (examples/tsconfig.json maps "pulumi-lvs" to this repository's source): one tsc run.

import { spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { join } from "path";

const ROOT = join(__dirname, "../../..");

/** tsc's output and exit status for the files, each written under its own name (`a.ts`). */
export function typeCheck(files: Record<string, string>): { output: string; status: number | null } {
  const dir = mkdtempSync(join(ROOT, "examples", ".import-check-"));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ extends: "../tsconfig.json", include: Object.keys(files) }));
    const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
    return { output: tsc.stdout + tsc.stderr, status: tsc.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
