// The declarations a user of the installed package compiles against: every .d.ts reachable
// from the `types` of the package's exports, and the packages those files import. A type
// from a package the user does not get (a devDependency here, like @types/ssh2) breaks their
// type check (TS7016), or silently works only while something else happens to install it.

import { builtinModules } from "module";
import { existsSync, readFileSync } from "fs";
import { dirname, join, relative, resolve } from "path";
import * as ts from "typescript";

export interface DeclarationGraph {
  /** Reachable .d.ts files, relative to the package folder. */
  files: string[];
  /** Each imported package (or `node:` builtin), with the files that import it. */
  imports: Map<string, string[]>;
}

/** The entry points' declaration files: the `types` condition of each `exports` entry. */
export function exportedTypeEntries(manifest: { exports?: Record<string, unknown> }): string[] {
  return Object.values(manifest.exports ?? {}).flatMap((target) =>
    typeof target === "object" && target !== null && typeof (target as { types?: unknown }).types === "string" ? [(target as { types: string }).types] : [],
  );
}

/** `zod/v4/core` → `zod`, `@pulumi/pulumi/dynamic` → `@pulumi/pulumi`, `fs`/`node:fs` → `node:fs`. */
export function packageOf(specifier: string): string {
  if (specifier.startsWith("node:")) return specifier;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
  return builtinModules.includes(name) ? `node:${name}` : name;
}

export function declarationGraph(packageDir: string): DeclarationGraph {
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  const files = new Set<string>();
  const imports = new Map<string, string[]>();
  const queue = exportedTypeEntries(manifest).map((entry) => resolve(packageDir, entry));
  while (queue.length > 0) {
    const file = queue.pop()!;
    const rel = relative(packageDir, file);
    if (files.has(rel)) continue;
    if (!existsSync(file)) throw new Error(`${rel} is named by the package but not in it`);
    files.add(rel);
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    for (const { fileName } of [...info.importedFiles, ...info.referencedFiles]) {
      if (fileName.startsWith(".")) {
        const base = resolve(dirname(file), fileName.replace(/\.js$/, ""));
        const target = [`${base}.d.ts`, join(base, "index.d.ts")].find(existsSync);
        if (!target) throw new Error(`${rel} imports ${fileName}, which has no declaration file in the package`);
        queue.push(target);
      } else {
        const name = packageOf(fileName);
        imports.set(name, [...(imports.get(name) ?? []), rel]);
      }
    }
    for (const { fileName } of info.typeReferenceDirectives) {
      const name = fileName === "node" ? "node:*" : fileName;
      imports.set(name, [...(imports.get(name) ?? []), rel]);
    }
  }
  return { files: [...files].sort(), imports };
}
