// The shape of the provider's imports: keepalived builds on the IPVS model and never the
// reverse (the service router in provider/service/ sits above both), and no two modules
// import each other, directly or round a loop (plan ↔ render was one).

import { readFileSync, readdirSync, statSync } from "fs";
import { dirname, join, relative, resolve } from "path";
import * as ts from "typescript";

const ROOT = resolve(__dirname, "../../..");
const PROVIDER = join(ROOT, "provider");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Relative imports (type-only ones too: they still tie the two files' meanings), as repository paths. */
function importsOf(file: string): string[] {
  return ts
    .preProcessFile(readFileSync(file, "utf8"), true, true)
    .importedFiles.map((i) => i.fileName)
    .filter((name) => name.startsWith("."))
    .flatMap((name) => {
      const base = resolve(dirname(file), name);
      const target = [`${base}.ts`, join(base, "index.ts")].find((p) => {
        try {
          return statSync(p).isFile();
        } catch {
          return false;
        }
      });
      return target ? [relative(ROOT, target)] : [];
    });
}

const graph = new Map(sourceFiles(PROVIDER).map((f) => [relative(ROOT, f), importsOf(f)]));

it("provider/ipvs imports nothing from provider/keepalived or the router above it", () => {
  const upward = [...graph].flatMap(([file, deps]) =>
    file.startsWith("provider/ipvs/") ? deps.filter((d) => d.startsWith("provider/keepalived/") || d.startsWith("provider/service/")).map((d) => `${file} → ${d}`) : [],
  );
  expect(upward).toEqual([]);
});

it("no module imports itself round a loop", () => {
  const loops: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (file: string, trail: string[]): void => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      loops.push([...trail.slice(trail.indexOf(file)), file].join(" → "));
      return;
    }
    state.set(file, "open");
    for (const dep of graph.get(file) ?? []) visit(dep, [...trail, file]);
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file, []);
  expect(loops).toEqual([]);
});
