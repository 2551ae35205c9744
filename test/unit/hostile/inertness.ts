// Whether a value `check` accepted stays data in what the providers send and write: the
// rules a reviewer would apply to one input at a time. A value is inert when, compared with
// the baseline's rendering, it changed no structure (the same commands with the same number
// of arguments, the same files with the same lines and keys), only text that holds it, and
// every file still reads back as what it was rendered from.

import { canonicalAddress } from "../../../provider/resource/address";
import { renderCommandLine } from "../../../provider/ssh/quote";
import { parseSshConnection } from "../../../provider/ssh/connection";
import { knownHostsLine } from "../../../provider/ssh/hostKeyTrustFile";
import { entryMatchesHost, parseKnownHosts } from "../../../provider/ssh/knownHosts";
import { normaliseLine } from "../../../provider/keepalived/freeFormLines";
import { INCLUDE_KEYWORDS, MAX_LINE_BYTES } from "../../../provider/keepalived/keywords";
import { pathKeys, valueAt } from "../../support/stringInputs";
import type { Rendering, RenderedFile } from "./renderings";

/** JSON with keys sorted and `undefined` left out, so that equal models compare equal. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x !== null && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
}

/** The spellings a value can take once checked and rendered (canonical address, normalised line, sysctl form). */
function formsOf(value: string): string[] {
  const canonical = canonicalAddress(value) ?? "";
  // As written, trimmed, as a free-form line, canonical (an address), in a sysctl name
  // (dots as slashes), in a unit or file name (dots and colons as dashes), in either case.
  const forms = [value, value.trim(), normaliseLine(value), canonical, canonical.replace(/:/g, "-"), value.replace(/\./g, "/"), value.replace(/[.:]/g, "-"), canonical.replace(/[.:]/g, "-"), value.toLowerCase(), value.toUpperCase()];
  return [...new Set(forms.filter((f) => f !== ""))];
}

/** Items of `after` that `before` does not have (as multisets). */
function added(before: readonly string[], after: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const x of before) left.set(x, (left.get(x) ?? 0) + 1);
  return after.filter((x) => {
    const n = left.get(x) ?? 0;
    if (n === 0) return true;
    left.set(x, n - 1);
    return false;
  });
}

const lines = (f: RenderedFile) => f.text.replace(/\n$/, "").split("\n");

/** What a line is to the program that reads the file: a key, a section, a comment. */
function lineShape(format: RenderedFile["format"], line: string): string {
  if (line.trim() === "" || line.trimStart().startsWith("#")) return "comment";
  switch (format) {
    case "unit":
      return /^\[[A-Za-z]+\]$/.test(line) ? line : `key ${line.split("=")[0]}`;
    case "sysctl":
      return "sysctl";
    case "rules":
      return `${line.trim().split(/\s+/).length} tokens`;
    case "keepalived":
      return `${line.length - line.trimStart().length} indent`;
    default:
      return "line";
  }
}

/** Rules for a line a value changed, by how the file is read. */
function lineProblem(format: RenderedFile["format"], line: string, was: string | undefined): string | undefined {
  if (Buffer.byteLength(line) > MAX_LINE_BYTES) return `a line of ${Buffer.byteLength(line)} bytes (keepalived cuts at 1023)`;
  if (format === "keepalived") {
    const first = line.trim().split(/\s+/)[0] ?? "";
    const keywordChanged = first !== (was ?? "").trim().split(/\s+/)[0];
    if (keywordChanged && (/^[@$~]/.test(first) || INCLUDE_KEYWORDS.includes(first))) return `a line keepalived acts on before its keyword: ${JSON.stringify(line.trim().slice(0, 60))}`;
    if (line.includes("$_")) return "a $_ parameter keepalived substitutes";
  }
  if (format === "unit" && /[%$\\;]/.test(line.split("=").slice(1).join("="))) return `a systemd specifier, variable, escape or separator: ${JSON.stringify(line.slice(0, 80))}`;
  if (format === "sysctl") {
    const m = /^(\S+) = (\S+)$/.exec(line);
    if (!m) return `not one "key = value" line: ${JSON.stringify(line.slice(0, 80))}`;
    if (m[1]!.split(".").some((part) => ["", ".", ".."].includes(part.replace(/\//g, ".")))) return `a sysctl key that leaves its directory: ${m[1]}`;
  }
  return undefined;
}

/** Problems that make a connection field's value more than data (it should reach nothing on a host). */
function connectionProblems(base: Rendering, rendering: Rendering, inputs: Record<string, unknown>, path: string, value: string): string[] {
  const problems: string[] = [];
  if (canonicalJson(base) !== canonicalJson(rendering)) problems.push("changed what is sent to or written on the host");
  const keys = pathKeys(path);
  const field = String(keys[keys.length - 1]);
  const connectionPath = path.slice(0, path.lastIndexOf("."));
  const rootPath = path.slice(0, path.indexOf("connection") + "connection".length);
  const parsed = parseSshConnection(valueAt(inputs, rootPath)) as unknown as Record<string, unknown>;
  const hop = valueAt(parsed, connectionPath.slice(rootPath.length).replace(/^\./, "")) ?? parsed;
  if (field !== "acceptedHostKey" && (hop as Record<string, unknown>)[field] !== value) problems.push(`the transport does not receive the value as written (${field})`);
  // Longer than a DNS name: never dialed, so never recorded in known_hosts.
  if (field === "host" && value.length <= 253) {
    // The only text a host name is written into: the known_hosts line recorded under accept-new.
    const blob = Buffer.from("AAAAC3NzaC1lZDI1NTE5AAAAIDFxr43aUpCDwoqkmibmV8jiogIsMtdIZKS3v/tm8D/X", "base64");
    const entries = parseKnownHosts(knownHostsLine(value, 22, blob));
    const others = ["dir1", "10.77.0.11", "localhost"].filter((o) => o !== value.toLowerCase() && entries.some((e) => entryMatchesHost(e, o, 22)));
    if (!entries.some((e) => entryMatchesHost(e, value, 22))) problems.push("its known_hosts line (recorded under accept-new) does not name this host, so its key is never enforced");
    if (others.length > 0) problems.push(`its known_hosts line (recorded under accept-new) also names ${others.join(", ")}`);
  }
  return problems;
}

/** Why an accepted value is not inert, or [] when it is. */
export function inertnessProblems(base: Rendering, rendering: Rendering, inputs: Record<string, unknown>, path: string, value: string, isConnection: boolean): string[] {
  if (isConnection) return connectionProblems(base, rendering, inputs, path, value);
  const problems: string[] = [];
  const forms = formsOf(value);
  const holdsValue = (text: string) => forms.some((f) => text.includes(f));
  if (rendering.argv.length !== base.argv.length) problems.push(`${rendering.argv.length} commands instead of ${base.argv.length}`);
  rendering.argv.forEach((argv, i) => {
    const before = base.argv[i] ?? [];
    if (argv.length !== before.length) problems.push(`command ${i} has ${argv.length} arguments instead of ${before.length}: ${JSON.stringify(argv.slice(0, 8))}`);
    try {
      renderCommandLine(argv);
    } catch (e) {
      problems.push(`command ${i} cannot be quoted: ${(e as Error).message}`);
    }
  });
  // Across all commands: a value may reorder them (VIPs are bound in sorted order).
  for (const arg of added(base.argv.flat(), rendering.argv.flat())) if (!holdsValue(arg)) problems.push(`an argument changed that does not hold the value: ${JSON.stringify(arg.slice(0, 80))}`);
  if (rendering.files.length !== base.files.length) problems.push(`writes ${rendering.files.length} files instead of ${base.files.length}`);
  for (const name of added(base.files.map((f) => f.name), rendering.files.map((f) => f.name))) if (!holdsValue(name)) problems.push(`writes ${name}, a file name that does not hold the value`);
  rendering.files.forEach((file, i) => {
    const before = base.files[i];
    if (!before) return;
    const [was, now] = [lines(before), lines(file)];
    if (now.length !== was.length) problems.push(`${file.name} has ${now.length} lines instead of ${was.length}`);
    else if (canonicalJson(now.map((l) => lineShape(file.format, l))) !== canonicalJson(was.map((l) => lineShape(file.format, l)))) problems.push(`${file.name} changed shape (keys, sections or tokens)`);
    for (const line of added(was, now)) {
      const problem = lineProblem(file.format, line, was[now.indexOf(line)]);
      if (problem) problems.push(`${file.name}: ${problem}`);
      else if (!holdsValue(line)) problems.push(`${file.name} changed a line that does not hold the value: ${JSON.stringify(line.slice(0, 80))}`);
    }
  });
  for (const [what, read, expected] of rendering.readBack)
    if (canonicalJson(read) !== canonicalJson(expected)) problems.push(`${what} does not read back as rendered: ${canonicalJson(read).slice(0, 200)} vs ${canonicalJson(expected).slice(0, 200)}`);
  return problems;
}
