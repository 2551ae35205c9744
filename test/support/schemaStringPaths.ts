// Where a zod schema takes a string, as path patterns (`vips[]`, `healthCheck.urls[].path`):
// walked through zod 4's public `def` of each schema, so that a string input added to a
// schema later shows up here without anyone listing it. Used to prove a test's list of
// string inputs complete. Values typed `unknown` in a resource schema (its `connection`)
// are handed to `unknownAt`, which says what lives there (the SSH connection's paths).

import type { z } from "zod";

/** `a.b[0].c[12]` → `a.b[].c[]`: the pattern a concrete path is an instance of. */
export function patternOf(path: string): string {
  return path.replace(/\[\d+\]/g, "[]");
}

const join = (prefix: string, key: string) => (prefix === "" ? key : `${prefix}.${key}`);

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  getter?: () => z.ZodType;
  values?: unknown[];
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { def: Def }).def;

/**
 * Every pattern under `prefix` whose value is a string (string, enum or literal schema).
 * `depth` bounds recursion through lazy schemas (a connection's proxy is a connection).
 */
export function schemaStringPatterns(schema: z.ZodType, unknownAt: (prefix: string) => string[] = () => [], prefix = "", lazyDepth = 2): string[] {
  const def = defOf(schema);
  switch (def.type) {
    case "string":
    case "enum":
      return [prefix];
    case "literal": // a string only if one of its values is (vrrpVersion is 2 or 3)
      return (def.values ?? []).some((v) => typeof v === "string") ? [prefix] : [];
    case "object":
      return Object.entries(def.shape ?? {}).flatMap(([k, v]) => schemaStringPatterns(v, unknownAt, join(prefix, k), lazyDepth));
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "catch":
    case "readonly":
    case "nonoptional":
      return schemaStringPatterns(def.innerType!, unknownAt, prefix, lazyDepth);
    case "pipe":
      return schemaStringPatterns(def.in!, unknownAt, prefix, lazyDepth);
    case "lazy":
      return lazyDepth <= 0 ? [] : schemaStringPatterns(def.getter!(), unknownAt, prefix, lazyDepth - 1);
    case "array":
      return schemaStringPatterns(def.element!, unknownAt, `${prefix}[]`, lazyDepth);
    case "union":
      return [...new Set((def.options ?? []).flatMap((o) => schemaStringPatterns(o, unknownAt, prefix, lazyDepth)))];
    case "unknown":
    case "any":
      return unknownAt(prefix);
    case "number":
    case "int":
    case "boolean":
    case "transform":
      return [];
    default:
      throw new Error(`schemaStringPatterns: no rule for zod type "${def.type}" at ${prefix || "(root)"}; teach it this type`);
  }
}
