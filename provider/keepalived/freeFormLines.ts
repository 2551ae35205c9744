// The free-form lines of a KeepalivedPair (extraGlobalDefs, extraInstanceConfig): an
// allowlist of keywords per block, each followed by plain values. keepalived 2.2.7 acts on
// some lines before it looks at the keyword (include…, @config-id, $NAME=, ~SEQ/~LST), and
// some keywords run programs or name files; none of those can be reached from here, so
// what a free-form line can do is exactly what its keyword does with inert values.

import { z } from "zod";
import { closestName } from "../resource/inputFields";
import { GLOBAL_DEFS_PASSTHROUGH, INCLUDE_KEYWORDS, MAX_VALUE_BYTES, MODELLED_INSTANCE_KEYWORDS, RENDERED_GLOBAL_KEYWORDS, VRRP_INSTANCE_PASSTHROUGH, runsAProgram } from "./keywords";

export type FreeFormBlock = "global_defs" | "vrrp_instance";

const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const SYNTAX = /[{}"'#!\\]/;
const VALUE = /^[A-Za-z0-9_.:,%/-]+$/;

const PASSTHROUGH: Record<FreeFormBlock, readonly string[]> = { global_defs: GLOBAL_DEFS_PASSTHROUGH, vrrp_instance: VRRP_INSTANCE_PASSTHROUGH };

/** Free-form lines as rendered and read back: single spaces between tokens. */
export function normaliseLine(line: string): string {
  return line.trim().split(/\s+/).join(" ");
}

function keywordProblem(keyword: string, block: FreeFormBlock): string | undefined {
  if (keyword.startsWith("@"))
    return `starts with "${keyword}", a keepalived conditional line (kept or dropped by the host's config-id, so the nodes would read different files than pulumi-lvs renders and reads back); each node already gets its own file: remove the @ prefix`;
  if (keyword.startsWith("~")) return `starts with "${keyword}", a keepalived ~SEQ/~LST loop; write each line out instead`;
  if (INCLUDE_KEYWORDS.includes(keyword))
    return "is an include directive: keepalived would read a file that pulumi-lvs neither writes nor checks; put the settings in the inputs instead";
  if (keyword === "vrrp_version" || (block === "vrrp_instance" && keyword === "version"))
    return `sets "${keyword}", which the vrrpVersion input sets; use vrrpVersion: 3 instead (so refresh can read it back)`;
  if (block === "vrrp_instance" && MODELLED_INSTANCE_KEYWORDS.has(keyword))
    return `sets "${keyword}", which has an input of its own; use that input instead (so refresh can read it back)`;
  if (block === "global_defs" && RENDERED_GLOBAL_KEYWORDS.has(keyword))
    return `sets "${keyword}", which pulumi-lvs renders itself; use nodes[].routerId / lvsSyncDaemon instead`;
  if (runsAProgram(keyword))
    return `sets "${keyword}", which runs or feeds a program; free-form lines cannot (their paths would go unchecked): use the notify or trackScripts inputs`;
  const allowed = PASSTHROUGH[block];
  if (!allowed.includes(keyword)) {
    const near = closestName(keyword, allowed);
    return `sets "${keyword}", which free-form ${block} lines may not set${near ? ` (did you mean "${near}"?)` : ""}; use one of ${allowed.join(", ")}`;
  }
  return undefined;
}

/** Why keepalived would not read `line` as one inert `keyword value…` statement of `block`, if it would not. */
export function freeFormLineProblem(line: string, block: FreeFormBlock): string | undefined {
  const normal = normaliseLine(line);
  if (normal === "") return "is empty; remove it";
  const bytes = Buffer.byteLength(normal);
  if (bytes > MAX_VALUE_BYTES)
    return `is ${bytes} bytes long; keepalived 2.2.7 cuts lines at 1023 bytes and reads the rest as a line of its own: keep it within ${MAX_VALUE_BYTES} bytes`;
  if (CONTROL.test(line)) return "holds a control character (NUL, newline, …); a free-form line is one line of plain text: remove it";
  if (/[^\t -~]/.test(line)) return "may only hold printable ASCII (keywords and values of keepalived.conf are ASCII): remove the other characters";
  if (SYNTAX.test(line)) return "must be one line without braces, quotes, backslashes or comment signs (a block cannot be opened from here)";
  if (line.includes("$")) return 'holds "$", which keepalived reads as a parameter definition or substitution ($NAME=…, ${NAME}); write the value itself';
  const [keyword, ...values] = normal.split(" ");
  const problem = keywordProblem(keyword!, block);
  if (problem) return problem;
  const bad = values.find((v) => !VALUE.test(v));
  if (bad !== undefined) return `has the value ${JSON.stringify(bad)}; values may only hold letters, digits and _ . : , % / - (anything else is keepalived syntax)`;
  return undefined;
}

/** One free-form line of `block`, checked as strictly as any other value. */
export const freeFormLine = (block: FreeFormBlock) =>
  z.string({ error: `must be a string: one keepalived.conf line of ${block}` }).superRefine((line, ctx) => {
    const problem = freeFormLineProblem(line, block);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
