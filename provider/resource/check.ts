// `check` for every resource: validate the inputs with the resource's zod schema and the
// SSH connection schema, and report EVERY problem at once, each under its property path
// with what to do. Pulumi shows these before anything touches a host.

import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { ConnectionConfigError, parseSshConnection } from "../ssh";

export interface CheckFailure {
  property: string;
  reason: string;
}

/** `persistence.timeoutSeconds`, `tunnel.port`, `vips[2]` */
export function propertyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === "number") return `${acc}[${key}]`;
    return acc === "" ? String(key) : `${acc}.${String(key)}`;
  }, "");
}

/**
 * What the engine sends for a value not known yet at preview (an output of a resource not
 * created yet, e.g. a VM's address). Mirrors @pulumi/pulumi's runtime/rpc unknownValue.
 */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Property paths (`connection.host`, `vips[1]`) whose value is not known yet. */
export function unknownPaths(value: unknown, path = ""): string[] {
  if (value === UNKNOWN_VALUE) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownPaths(v, `${path}[${i}]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => unknownPaths(v, path === "" ? k : `${path}.${k}`));
  }
  return [];
}

/** Problems with the connection object, as check failures (`connection.port`, …). */
export function connectionFailures(raw: unknown, property = "connection"): CheckFailure[] {
  if (raw === undefined) return [{ property, reason: "is required: how to reach the host over SSH ({ host, privateKey, hostKey, … })" }];
  try {
    parseSshConnection(raw, property);
    return [];
  } catch (err) {
    if (err instanceof ConnectionConfigError) return err.issues.map((i) => ({ property: i.path, reason: i.message }));
    throw err;
  }
}

/**
 * Validates `news` (without its connection fields) with `schema`, and the connection
 * fields with the SSH schema. Returns the normalised inputs (defaults filled in) when
 * there is no failure, so that state always holds the same shape whatever the user left out.
 */
export function checkWithSchema<S extends z.ZodType>(
  schema: S,
  news: Record<string, unknown>,
  formatIssues: (issues: z.core.$ZodIssue[]) => CheckFailure[],
  connectionProperties: readonly string[] | ((news: Record<string, unknown>) => Array<[path: string, value: unknown]>) = ["connection"],
): pulumi.dynamic.CheckResult {
  const failures: CheckFailure[] = [];
  const rest: Record<string, unknown> = { ...news };
  const connections = typeof connectionProperties === "function" ? connectionProperties(news) : connectionProperties.map((p): [string, unknown] => [p, news[p]]);
  for (const [path, value] of connections) {
    failures.push(...connectionFailures(value, path));
  }
  delete rest["__provider"];
  const parsed = schema.safeParse(rest);
  if (!parsed.success) failures.push(...formatIssues(parsed.error.issues));

  // At preview, values that come from resources not created yet are unknown. They are
  // checked when known (the engine checks again at up); everything else is checked now.
  const unknown = unknownPaths(rest);
  if (unknown.length > 0) {
    // Lenient on purpose: a problem missed now is caught by the check at `up`; a false
    // problem now would block the preview.
    const topLevel = (path: string) => path.split(/[.[]/)[0]!;
    const unknownTops = new Set(unknown.map(topLevel));
    const known = failures.filter((f) => f.property !== "" && !unknownTops.has(topLevel(f.property)));
    return known.length > 0 ? { failures: known } : { inputs: news };
  }
  if (failures.length > 0) return { failures };
  return { inputs: { ...news, ...(parsed.data as Record<string, unknown>) } };
}

/**
 * The connections a VirtualService or RealServer reaches its director by: `connection` on
 * a plain director, each node's on a KeepalivedPair.
 */
export function directorConnections(news: Record<string, unknown>): Array<[string, unknown]> {
  const pair = news["keepalived"] as { nodes?: Array<{ connection?: unknown }> } | undefined;
  if (pair === undefined) return [["connection", news["connection"]]];
  return (Array.isArray(pair.nodes) ? pair.nodes : []).map((n, i): [string, unknown] => [`keepalivedPair.nodes[${i}].connection`, n?.connection]);
}
