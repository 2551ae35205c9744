// README.md's reference tables against the zod schemas that validate each resource's
// inputs (and the SSH connection's): every input listed, no input the schema lacks, every
// default cell equal to the schema's default, and the fields of shapes written in a cell
// (`{ timeoutSeconds = 300, pollSeconds = 2 }`) equal to the schema's. The code is the
// truth: a failure names the resource, the input, the README line and what to fix there.

import { readFileSync } from "fs";
import { join } from "path";
import type { z } from "zod";
import { ArgsSchema as LvsClusterArgsSchema } from "../../../components/lvsCluster/args";
import { planLvsCluster } from "../../../components/lvsCluster/plan";
import { ArpInputsSchema } from "../../../provider/arp/schema";
import { DirectorInputsSchema } from "../../../provider/director/schema";
import type { RealServerArgs } from "../../../provider/service/realServer";
import { RealServerInputsSchema, VirtualServiceInputsSchema } from "../../../provider/service/schema";
import type { VirtualServiceArgs } from "../../../provider/service/virtualService";
import { KeepalivedPairInputsSchema } from "../../../provider/keepalived/schema";
import { KEEPALIVED_REAL_SERVER_ONLY, KEEPALIVED_SERVICE_ONLY } from "../../../provider/keepalived/serviceSchema";
import { RealServerReturnRouteInputsSchema } from "../../../provider/nat/schema";
import { SshConnectionSchema } from "../../../provider/ssh/connection";
import { defaultsOfCell, inputsOfCell, parseShape, shapeOfMeaning, tablesUnder, type ShapeField } from "../../support/readmeTables";

const root = join(__dirname, "../../..");
const readme = readFileSync(join(root, "README.md"), "utf8");

type Schema = z.core.$ZodType;

/** Where in the code something happens: `code` must occur verbatim in `file`. */
interface CodeRef {
  file: string;
  code: string;
}

/** A README input that the resource class turns into other schema properties. */
interface Alias {
  input: string;
  schemaKeys: string[];
  where: CodeRef;
}

interface Reference {
  resource: string;
  /** What validates the resource's inputs. */
  schema: Schema;
  /** The README heading (or its start) whose section holds the table. */
  heading: string;
  /** The table's first column header ("input" unless said). */
  column?: string;
  aliases?: Alias[];
  /** Inputs only a KeepalivedPair realises: listed in the pair-only table, not in `heading`'s. */
  pairOnly?: { column: string; names: readonly string[] };
}

const PAIR_SECTION = "### KeepalivedPair";

const references: Reference[] = [
  { resource: "SSH connection", schema: SshConnectionSchema, heading: "## The SSH transport", column: "connection property" },
  {
    resource: "VirtualService",
    schema: VirtualServiceInputsSchema,
    heading: "### VirtualService",
    // The pair's `target` output is what the provider validates, under `keepalived`.
    aliases: [{ input: "keepalivedPair" satisfies keyof VirtualServiceArgs, schemaKeys: ["keepalived"], where: { file: "provider/service/virtualService.ts", code: "keepalived: keepalivedPair?.target" } }],
    pairOnly: { column: "VirtualService (pair only)", names: KEEPALIVED_SERVICE_ONLY },
  },
  {
    resource: "RealServer",
    schema: RealServerInputsSchema,
    heading: "### RealServer",
    // The director (connection or pair) and the service's identity come from the VirtualService.
    aliases: [
      {
        input: "virtualService" satisfies keyof RealServerArgs,
        schemaKeys: ["connection", "keepalived", "service"],
        where: { file: "provider/service/realServer.ts", code: "...(vs.onKeepalivedPair ? { keepalived: vs.keepalived } : { connection: vs.connection })" },
      },
    ],
    pairOnly: { column: "RealServer (pair only)", names: KEEPALIVED_REAL_SERVER_ONLY },
  },
  { resource: "Director", schema: DirectorInputsSchema, heading: "### Director" },
  { resource: "RealServerArpConfig", schema: ArpInputsSchema, heading: "### RealServerArpConfig" },
  { resource: "KeepalivedPair", schema: KeepalivedPairInputsSchema, heading: PAIR_SECTION },
  { resource: "RealServerReturnRoute", schema: RealServerReturnRouteInputsSchema, heading: "### RealServerReturnRoute" },
  { resource: "LvsCluster", schema: LvsClusterArgsSchema, heading: "### LvsCluster" },
];

// What the cluster's children receive, for the defaults LvsCluster leaves to them.
const someConnection = { host: "192.0.2.10" };
const clusterPlan = () =>
  planLvsCluster("c", {
    mode: "dr",
    director: { connection: someConnection, interface: "eth1" },
    vip: "192.0.2.100",
    services: [{ port: 80 }],
    realServers: [{ name: "rs1", connection: someConnection, address: "10.0.0.21" }],
  });

/**
 * Defaults the code applies outside zod (the schema leaves the input optional), each with
 * the code that applies it. The README must show them: a default cell other than "—", or
 * `name = value` in a shape. With `value`, the README must show exactly that value.
 * Inputs are dotted paths; `services.protocol` is a field of each `services` element.
 */
const codeAppliedDefaults: Array<{ resource: string; input: string; where: CodeRef; value?: () => unknown }> = [
  // Depends on `user`, so the connection's transform decides it.
  { resource: "SSH connection", input: "sudo", where: { file: "provider/ssh/connection.ts", code: 'sudo: c.sudo ?? c.user !== "root"' } },
  // Resolved against the home directory of the process that dials.
  { resource: "SSH connection", input: "knownHostsFile", where: { file: "provider/ssh/dial.ts", code: 'explicit ?? join(homedir(), ".ssh", "known_hosts")' } },
  // A firewall-mark service takes no protocol, so the schema cannot default it.
  {
    resource: "VirtualService",
    input: "protocol",
    where: { file: "provider/ipvs/schema.ts", code: 'protocol: v.protocol ?? "tcp"' },
    value: () => VirtualServiceInputsSchema.parse({ connection: someConnection, address: "192.0.2.100", port: 80 }).protocol,
  },
  // An address service's family follows its address; only a firewall mark's defaults.
  {
    resource: "VirtualService",
    input: "family",
    where: { file: "provider/ipvs/schema.ts", code: 'family: v.family ?? "ipv4"' },
    value: () => VirtualServiceInputsSchema.parse({ connection: someConnection, fwmark: 1 }).family,
  },
  // Only forwarding "tun" carries a tunnel; normalised as the kernel reports it.
  { resource: "RealServer", input: "tunnel", where: { file: "provider/ipvs/model.ts", code: 'const type = d.tunnel?.type ?? "ipip"' } },
  // The default-route interface, found on the host at create.
  { resource: "RealServerArpConfig", input: "interfaces", where: { file: "provider/arp/model.ts", code: "return live.defaultRouteInterfaces.slice(0, 1);" } },
  // Derived from virtualRouterId.
  { resource: "KeepalivedPair", input: "instanceName", where: { file: "provider/keepalived/schema.ts", code: "v.instanceName ?? `VI_${vrid}`" } },
  // Follows the VIPs' family: VRRPv2 carries IPv4 only.
  { resource: "KeepalivedPair", input: "vrrpVersion", where: { file: "provider/keepalived/schema.ts", code: "vrrpVersion: v.vrrpVersion ?? (isIPv4(" } },
  // LvsCluster's schema checks shapes only; the plan fills in the protocol ...
  {
    resource: "LvsCluster",
    input: "services.protocol",
    where: { file: "components/lvsCluster/plan.ts", code: 'protocol: s.protocol ?? "tcp"' },
    value: () => clusterPlan().services[0]!.args.protocol,
  },
  // ... and leaves the scheduler and the weight to the VirtualService's and RealServer's own defaults.
  {
    resource: "LvsCluster",
    input: "services.scheduler",
    where: { file: "components/lvsCluster/plan.ts", code: "...(s.scheduler !== undefined ? { scheduler: s.scheduler } : {})" },
    value: () => VirtualServiceInputsSchema.parse({ connection: someConnection, ...clusterPlan().services[0]!.args }).scheduler,
  },
  {
    resource: "LvsCluster",
    input: "realServers.weight",
    where: { file: "components/lvsCluster/plan.ts", code: "...(weight !== undefined ? { weight } : {})" },
    value: () => {
      const { services, realServers } = clusterPlan();
      const service = services[0]!.args;
      return RealServerInputsSchema.parse({ connection: someConnection, service: { protocol: service.protocol, address: service.address, port: service.port }, ...realServers[0]!.args }).weight;
    },
  },
];

// ---- zod introspection (zod 4 keeps every wrapper's parameters in `_zod.def`) ----

function defOf(schema: Schema) {
  return (schema as z.core.$ZodTypes)._zod.def;
}

/** What a wrapper (optional, default, pipe, lazy…) wraps; undefined for anything else. */
function inner(schema: Schema): Schema | undefined {
  const def = defOf(schema);
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "nonoptional":
    case "readonly":
    case "catch":
      return def.innerType;
    case "pipe":
      return def.in;
    case "lazy":
      return def.getter();
    default:
      return undefined;
  }
}

/** The schema under its wrappers: what decides the value's shape. */
function core(schema: Schema): Schema {
  let s = schema;
  for (let i = inner(s); i; i = inner(s)) s = i;
  return s;
}

/** A zod `.default()` / `.prefault()`, looked for through the wrappers around it. */
function zodDefaultOf(schema: Schema): { value: unknown } | undefined {
  for (let s: Schema | undefined = schema; s; s = inner(s)) {
    const def = defOf(s);
    if (def.type === "default" || def.type === "prefault") return { value: def.defaultValue };
  }
  return undefined;
}

/** The fields of an object, of an array's elements, or of the one object a union allows. */
function fieldsOf(schema: Schema): Record<string, Schema> | undefined {
  const def = defOf(core(schema));
  if (def.type === "object") return def.shape;
  if (def.type === "array") return fieldsOf(def.element);
  if (def.type === "union") {
    const objects = def.options.map(fieldsOf).filter((f) => f !== undefined);
    return objects.length === 1 ? objects[0] : undefined;
  }
  return undefined;
}

function fieldAt(schema: Schema, path: string[]): Schema | undefined {
  let at: Schema | undefined = schema;
  for (const key of path) at = at && fieldsOf(at)?.[key];
  return at;
}

function enumValues(schema: Schema): string[] | undefined {
  const def = defOf(core(schema));
  return def.type === "enum" ? Object.values(def.entries).map(String) : undefined;
}

/** May be left out: optional, or defaulted (zod 4 marks both in `optin`). */
const isOptional = (schema: Schema) => schema._zod.optin !== undefined;

// ---- rendering, as the README writes values ----

/** As inside a code span: `tcp`, `1`, `false`, `[]`, `{}`, `{ type: ipip }`. */
function bare(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(bare).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value);
    return entries.length === 0 ? "{}" : `{ ${entries.map(([k, v]) => `${k}: ${bare(v)}`).join(", ")} }`;
  }
  return String(value);
}
const asCell = (value: unknown) => `\`${bare(value)}\``;
const NONE = "—";

// ---- the check ----

interface Entry {
  name: string;
  line: number;
  /** Undefined when the table has no default column. */
  defaultCell?: string;
  shape?: string;
  pairOnly: boolean;
}

function entriesOf(ref: Reference, markdown: string, problems: string[]): Entry[] {
  const column = ref.column ?? "input";
  const table = tablesUnder(markdown, ref.heading).find((t) => t.columns[0] === column);
  if (!table) {
    problems.push(`${ref.resource}: README.md has no table with a "${column}" column under "${ref.heading}"`);
    return [];
  }
  const defaultColumn = table.columns.indexOf("default");
  const meaningColumn = table.columns.indexOf("meaning");
  const entries: Entry[] = [];
  for (const row of table.rows) {
    const { inputs, unreadable } = inputsOfCell(row.cells[0] ?? "");
    for (const span of unreadable) problems.push(`${ref.resource} (README.md:${row.line}): cannot read an input name from \`${span}\``);
    if (inputs.length === 0 && unreadable.length === 0) problems.push(`${ref.resource} (README.md:${row.line}): the row names no input in backticks`);
    const defaults = defaultColumn < 0 ? undefined : defaultsOfCell(row.cells[defaultColumn] ?? "", inputs.length);
    if (defaultColumn >= 0 && !defaults)
      problems.push(`${ref.resource} (README.md:${row.line}): the row names ${inputs.length} inputs but its default cell "${row.cells[defaultColumn]}" does not split into as many (write them in the same order, separated by ", " or " / ")`);
    const meaningShape = inputs.length === 1 && meaningColumn >= 0 ? shapeOfMeaning(row.cells[meaningColumn] ?? "") : undefined;
    inputs.forEach((input, i) => {
      const shape = input.shape ?? meaningShape;
      entries.push({ name: input.name, line: row.line, ...(defaults ? { defaultCell: defaults[i] } : {}), ...(shape ? { shape } : {}), pairOnly: false });
    });
  }
  if (ref.pairOnly) {
    const pairTable = tablesUnder(markdown, PAIR_SECTION).find((t) => t.columns.includes(ref.pairOnly!.column));
    const pairColumn = pairTable?.columns.indexOf(ref.pairOnly.column) ?? -1;
    if (!pairTable) problems.push(`${ref.resource}: README.md has no "${ref.pairOnly.column}" table under "${PAIR_SECTION}"`);
    for (const row of pairTable?.rows ?? []) {
      const { inputs, unreadable } = inputsOfCell(row.cells[pairColumn] ?? "");
      for (const span of unreadable) problems.push(`${ref.resource} (README.md:${row.line}): cannot read an input name from \`${span}\``);
      for (const input of inputs) entries.push({ name: input.name, line: row.line, ...(input.shape ? { shape: input.shape } : {}), pairOnly: true });
    }
  }
  return entries;
}

/** Everything README.md gets wrong about one resource's inputs; [] when it is right. */
function problemsOf(ref: Reference, markdown: string): string[] {
  const problems: string[] = [];
  const entries = entriesOf(ref, markdown, problems);
  const fields = fieldsOf(ref.schema) ?? {};
  const known = Object.keys(fields);
  const covered = new Set<string>();
  const seen = new Set<string>();

  for (const entry of entries) {
    const say = (what: string) => problems.push(`${ref.resource} \`${entry.name}\` (README.md:${entry.line}): ${what}`);
    if (seen.has(entry.name)) say("is listed twice");
    seen.add(entry.name);

    const alias = ref.aliases?.find((a) => a.input === entry.name);
    if (alias) {
      alias.schemaKeys.forEach((k) => covered.add(k));
      if (entry.defaultCell !== undefined && entry.defaultCell !== NONE) say(`the default cell says ${entry.defaultCell}, but it has no default; write "${NONE}"`);
      continue;
    }
    const path = entry.name.split(".");
    if (!known.includes(path[0]!)) {
      say(`the table names an input the schema does not have (renamed or removed?); its inputs are ${known.join(", ")}`);
      continue;
    }
    covered.add(path[0]!);
    const field = fieldAt(ref.schema, path);
    if (!field) {
      say(`the schema's \`${path.slice(0, -1).join(".")}\` has no field \`${path.at(-1)}\``);
      continue;
    }
    if (ref.pairOnly && entry.pairOnly !== ref.pairOnly.names.includes(entry.name))
      say(entry.pairOnly ? "is in the pair-only table, but a plain director takes it too; move it to the main table" : 'only a KeepalivedPair realises it; move it to the "pair only" table');

    checkDefault(ref, entry, field, say);
    if (entry.shape !== undefined) checkShape(ref, entry, field, say);
  }

  for (const key of known)
    if (!covered.has(key)) problems.push(`${ref.resource} \`${key}\`: an input of the schema that README.md's table under "${ref.heading}" does not list; add a row for it`);
  return problems;
}

function codeDefaultOf(resource: string, input: string) {
  return codeAppliedDefaults.find((d) => d.resource === resource && d.input === input);
}

function checkDefault(ref: Reference, entry: Entry, field: Schema, say: (what: string) => void): void {
  const zodDefault = zodDefaultOf(field);
  const code = codeDefaultOf(ref.resource, entry.name);
  const cell = entry.defaultCell;
  if (cell === undefined) {
    if (zodDefault) say(`the schema defaults it to ${asCell(zodDefault.value)}, but its table has no default column to say so`);
    else if (code) say(`${code.where.file} gives it a default, but its table has no default column to say so`);
  } else if (zodDefault) {
    if (cell !== asCell(zodDefault.value)) say(`the default cell says ${cell === NONE ? `"${NONE}"` : cell}; the schema's default is ${asCell(zodDefault.value)}`);
  } else if (code) {
    if (cell === NONE) say(`the default cell says "${NONE}", but ${code.where.file} applies a default (${code.where.code})`);
    else if (code.value && cell !== asCell(code.value())) say(`the default cell says ${cell}; the code applies ${asCell(code.value())} (${code.where.file})`);
  } else if (cell !== NONE) {
    say(`the default cell says ${cell}, but the schema has no default for it; write "${NONE}" (or, if code applies one, list it in codeAppliedDefaults with where)`);
  }
}

/** The fields a cell spells out (`{ address, interface, prefixLength? }`) against the schema's. */
function checkShape(ref: Reference, entry: Entry, field: Schema, say: (what: string) => void): void {
  const shape = parseShape(entry.shape!);
  const fields = fieldsOf(field);
  if (!shape) return say(`cannot read the fields of \`${entry.shape}\`; write them as { a, b?, c = default }`);
  if (!fields) return say(`the README spells its fields as \`${entry.shape}\`, but the schema's value is not one object`);
  for (const f of shape) {
    const schema = fields[f.name];
    if (!schema) {
      say(`\`${entry.shape}\` names \`${f.name}\`, which the schema does not have; its fields are ${Object.keys(fields).join(", ")}`);
      continue;
    }
    if (f.optional && !isOptional(schema)) say(`\`${entry.shape}\` marks \`${f.name}?\` optional, but the schema requires it`);
    const values = enumValues(schema);
    if (values && f.values && [...f.values].sort().join("|") !== [...values].sort().join("|"))
      say(`\`${entry.shape}\` lists ${f.name}: ${f.values.join(" | ")}; the schema accepts ${values.join(" | ")}`);
    checkShapeDefault(ref, entry, f, schema, say);
  }
  const written = new Set(shape.map((f) => f.name));
  for (const key of Object.keys(fields)) if (!written.has(key)) say(`\`${entry.shape}\` leaves out the schema's \`${key}\``);
}

function checkShapeDefault(ref: Reference, entry: Entry, f: ShapeField, schema: Schema, say: (what: string) => void): void {
  const zodDefault = zodDefaultOf(schema);
  const code = codeDefaultOf(ref.resource, `${entry.name}.${f.name}`);
  const expected = zodDefault ? bare(zodDefault.value) : code?.value ? bare(code.value()) : undefined;
  const source = zodDefault ? "the schema's default" : `the default ${code?.where.file} applies`;
  if (f.default === undefined) {
    if (zodDefault || code) say(`\`${entry.shape}\` does not show ${f.name}'s default; write \`${f.name} = ${expected ?? "…"}\` (${source})`);
  } else if (!zodDefault && !code) {
    say(`\`${entry.shape}\` gives ${f.name} = ${f.default}, but the schema has no default for it`);
  } else if (expected !== undefined && f.default !== expected) {
    say(`\`${entry.shape}\` gives ${f.name} = ${f.default}; ${source} is ${expected}`);
  }
}

// ---- the tests ----

describe("README.md's reference tables match the input schemas", () => {
  it.each(references.map((r) => [r.resource, r] as const))("%s", (_, ref) => {
    expect(problemsOf(ref, readme)).toEqual([]);
  });

  it("every default applied outside zod is an optional input without a zod default, applied where the list says", () => {
    const problems: string[] = [];
    for (const d of codeAppliedDefaults) {
      const ref = references.find((r) => r.resource === d.resource);
      const path = d.input.split(".");
      const field = ref && fieldAt(ref.schema, path);
      if (!field) problems.push(`${d.resource} \`${d.input}\`: no such input`);
      else if (zodDefaultOf(field)) problems.push(`${d.resource} \`${d.input}\`: has a zod default now; remove it from codeAppliedDefaults`);
      else if (!isOptional(field)) problems.push(`${d.resource} \`${d.input}\`: is required, so it has no default`);
      if (!readFileSync(join(root, d.where.file), "utf8").includes(d.where.code))
        problems.push(`${d.resource} \`${d.input}\`: ${d.where.file} no longer contains \`${d.where.code}\`; find where the default is applied now and update codeAppliedDefaults (and README.md if it changed)`);
    }
    for (const ref of references)
      for (const a of ref.aliases ?? [])
        if (!readFileSync(join(root, a.where.file), "utf8").includes(a.where.code))
          problems.push(`${ref.resource} \`${a.input}\`: ${a.where.file} no longer contains \`${a.where.code}\`; check which schema inputs it becomes`);
    expect(problems).toEqual([]);
  });
});

describe("a README that drifted fails with the resource, the input and what is wrong", () => {
  const reference = (resource: string) => references.find((r) => r.resource === resource)!;
  const replaceOnce = (text: string, from: string, to: string) => {
    expect(text.split(from)).toHaveLength(2);
    return text.replace(from, to);
  };

  it("a wrong default", () => {
    const drifted = replaceOnce(readme, "| `weight` | `1` |", "| `weight` | `2` |");
    expect(problemsOf(reference("RealServer"), drifted)).toEqual([
      expect.stringMatching(/^RealServer `weight` \(README\.md:\d+\): the default cell says `2`; the schema's default is `1`$/),
    ]);
  });

  it("a default where the schema has none, and none where it has one, in a combined row", () => {
    const drifted = replaceOnce(readme, "| `fwmark`, `family` | —, `ipv4` |", "| `fwmark`, `family` | `1`, — |");
    expect(problemsOf(reference("VirtualService"), drifted)).toEqual([
      expect.stringMatching(/^VirtualService `fwmark` \(README\.md:\d+\): the default cell says `1`, but the schema has no default for it/),
      expect.stringMatching(/^VirtualService `family` \(README\.md:\d+\): the default cell says "—", but provider\/ipvs\/schema\.ts applies a default/),
    ]);
  });

  it("a renamed input", () => {
    const drifted = replaceOnce(readme, "| `onePacket` |", "| `onePackets` |");
    expect(problemsOf(reference("VirtualService"), drifted)).toEqual([
      expect.stringMatching(/^VirtualService `onePackets` \(README\.md:\d+\): the table names an input the schema does not have/),
      expect.stringMatching(/^VirtualService `onePacket`: an input of the schema that README\.md's table under "### VirtualService" does not list/),
    ]);
  });

  it("a field of a shape the schema does not have, and a shape default that differs", () => {
    const drifted = replaceOnce(readme, "`{ timeoutSeconds = 300, pollSeconds = 2 }`", "`{ timeoutSeconds = 600, pollSeconds = 2, force? }`");
    expect(problemsOf(reference("RealServer"), drifted)).toEqual([
      expect.stringMatching(/^RealServer `drain` \(README\.md:\d+\): .* gives timeoutSeconds = 600; the schema's default is 300$/),
      expect.stringMatching(/^RealServer `drain` \(README\.md:\d+\): .* names `force`, which the schema does not have/),
    ]);
  });
});

describe("the table reader", () => {
  it("splits rows on unescaped pipes only, and combined cells in order", () => {
    const md = ["### X", "", "| input | default | meaning |", "| --- | --- | --- |", "| `a`, `b` | —, `x` | `{ t: p \\| q = p, n? (note) }` |", "", "### Y"].join("\n");
    const [table] = tablesUnder(md, "### X");
    expect(table!.rows).toEqual([{ line: 5, cells: ["`a`, `b`", "—, `x`", "`{ t: p | q = p, n? (note) }`"] }]);
    expect(inputsOfCell(table!.rows[0]!.cells[0]!).inputs).toEqual([{ name: "a" }, { name: "b" }]);
    expect(defaultsOfCell("—, `x`", 2)).toEqual(["—", "`x`"]);
    expect(defaultsOfCell("`0`", 2)).toEqual(["`0`", "`0`"]);
    expect(defaultsOfCell("`1` / `2` / `3`", 2)).toBeUndefined();
    expect(parseShape("{ t: p | q = p, n? (note) }")).toEqual([
      { name: "t", optional: false, values: ["p", "q"], default: "p" },
      { name: "n", optional: true },
    ]);
    expect(parseShape('[{ o?: { "tcp/443": { w } }, w? = 1 }]')).toEqual([
      { name: "o", optional: true, values: ['{ "tcp/443": { w } }'] },
      { name: "w", optional: true, default: "1" },
    ]);
  });
});
