#!/usr/bin/env node
// `npx pulumi-lvs import`: reads a hand-built LVS cluster over SSH (changing nothing) and
// writes a Pulumi project that adopts it. The only module of the importer that touches
// hosts or files; the rest is pure (snapshot parse, program model, rendering).

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { homedir } from "os";
import { join, resolve } from "path";
import { z } from "zod";
import { closeSshPool, exec, LvsError, type SshConnectionInput } from "../provider/ssh";
import { ImportReadError, ImportUsageError } from "./errors";
import { hostLabel, importProgram, type HostTarget, type ReadHost } from "./program";
import { renderProject } from "./render";
import { parseSnapshot, readArgv } from "./snapshot";

const USAGE = `Usage: npx pulumi-lvs import --director USER@HOST[:PORT] [--director …] [--real-server USER@HOST[:PORT] …]
                              --key PATH [--known-hosts PATH] [--accept-new]
                              [--out DIR] [--project NAME] [--stack NAME]

Reads the directors (one, or the two of a keepalived pair) and the real servers over SSH,
changing nothing, and writes a Pulumi project whose every resource adopts what is there.
  --key          the private key file to log in with (read here; never written out)
  --known-hosts  where host keys are checked (default ~/.ssh/known_hosts)
  --accept-new   trust a host's key on first contact when known_hosts lacks it
  --out          the project's directory, which must not exist or be empty (default ./lvs-import)
  --project      the Pulumi project name (default lvs-import); --stack its stack (default prod)`;

const HOST_PATTERN = /^(?:([A-Za-z0-9._-]+)@)?(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;
const hostTarget = z.string().transform((text, ctx): HostTarget => {
  const m = HOST_PATTERN.exec(text);
  const port = Number(m?.[3] ?? 22);
  if (!m || port < 1 || port > 65535) {
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(text)} is not USER@HOST[:PORT] (an IPv6 address in brackets)` });
    return z.NEVER;
  }
  return { user: m[1] ?? "root", host: m[2]!.replace(/^\[|\]$/g, ""), port };
});

const OptionsSchema = z.strictObject({
  director: z.array(hostTarget).min(1, "name one director, or both nodes of a keepalived pair").max(2, "at most two (the nodes of a keepalived pair)"),
  "real-server": z.array(hostTarget).default([]),
  key: z.string().min(1, "the private key file to log in with"),
  "known-hosts": z.string().default(join(homedir(), ".ssh", "known_hosts")),
  "accept-new": z.boolean().default(false),
  out: z.string().default("lvs-import"),
  project: z.string().regex(/^[A-Za-z0-9._-]+$/, "letters, digits, dots, dashes and underscores").default("lvs-import"),
  stack: z.string().regex(/^[A-Za-z0-9._-]+$/, "letters, digits, dots, dashes and underscores").default("prod"),
});
export type ImportOptions = z.infer<typeof OptionsSchema>;

const REPEATED = new Set(["director", "real-server"]);
const FLAGS = new Set(["accept-new"]);

/** argv (after `import`) → options, every problem reported at once. */
export function parseImportOptions(argv: readonly string[]): ImportOptions {
  const raw: Record<string, unknown> = {};
  const problems: Array<{ option: string; message: string }> = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]!);
    if (!m) {
      problems.push({ option: argv[i]!, message: "not an option" });
      continue;
    }
    const name = m[1]!;
    if (FLAGS.has(name)) {
      raw[name] = true;
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) {
      problems.push({ option: `--${name}`, message: "needs a value" });
      continue;
    }
    if (REPEATED.has(name)) raw[name] = [...((raw[name] as string[] | undefined) ?? []), value];
    else raw[name] = value;
  }
  const parsed = OptionsSchema.safeParse(raw);
  if (!parsed.success) for (const issue of parsed.error.issues) problems.push({ option: `--${issue.path[0] === undefined ? "?" : String(issue.path[0])}`, message: issue.message });
  if (problems.length > 0 || !parsed.success) throw new ImportUsageError(problems);
  return parsed.data;
}

/** This package's version: from dist/importer/ (installed) or importer/ (this repository). */
function ownVersion(): string {
  for (const dir of [join(__dirname, ".."), join(__dirname, "..", "..")]) {
    const path = join(dir, "package.json");
    if (!existsSync(path)) continue;
    const manifest = JSON.parse(readFileSync(path, "utf8")) as { name?: string; version?: string };
    if (manifest.name === "pulumi-lvs" && manifest.version) return manifest.version;
  }
  throw new Error("cannot find pulumi-lvs's package.json next to the importer");
}

async function readHost(target: HostTarget, options: ImportOptions, privateKey: string): Promise<ReadHost> {
  const connection: SshConnectionInput = {
    ...target,
    privateKey,
    knownHostsFile: options["known-hosts"],
    hostKeyPolicy: options["accept-new"] ? "accept-new" : "strict",
  };
  const name = hostLabel(target);
  const result = await exec(connection, readArgv());
  if (result.exitCode !== 0) throw new ImportReadError(name, `the read exited ${result.exitCode}: ${result.stderr.trim().slice(0, 500)}`);
  return { target, snapshot: parseSnapshot(result.stdout, name) };
}

/** The whole import: read, model, write. Returns the warnings (printed by main). */
export async function runImport(options: ImportOptions, log: (line: string) => void): Promise<{ out: string; warnings: string[]; files: string[] }> {
  const out = resolve(options.out);
  if (existsSync(out) && readdirSync(out).length > 0) throw new ImportUsageError([{ option: "--out", message: `${out} exists and is not empty: name a new directory (nothing is overwritten)` }]);
  const privateKey = readFileSync(options.key, "utf8");
  const [directors, realServers] = await Promise.all([
    Promise.all(options.director.map((t) => readHost(t, options, privateKey))),
    Promise.all(options["real-server"].map((t) => readHost(t, options, privateKey))),
  ]);
  for (const h of [...directors, ...realServers]) log(`read ${hostLabel(h.target)} (${h.snapshot.hostname})`);
  const program = importProgram(directors, realServers);
  const commandLine = ["npx pulumi-lvs import", ...options.director.map((t) => `--director ${hostLabel(t)}`), ...options["real-server"].map((t) => `--real-server ${hostLabel(t)}`)].join(" ");
  const files = renderProject(program, { projectName: options.project, stack: options.stack, packageVersion: `^${ownVersion()}`, commandLine });
  mkdirSync(out, { recursive: true });
  for (const [path, text] of Object.entries(files)) writeFileSync(join(out, path), text, { mode: 0o644 });
  return { out, warnings: program.warnings, files: Object.keys(files) };
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] !== "import" || argv.includes("--help") || argv.includes("-h")) {
    process.stderr.write(`${USAGE}\n`);
    return argv[0] === "import" ? 0 : 2;
  }
  try {
    const options = parseImportOptions(argv.slice(1));
    const { out, warnings, files } = await runImport(options, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`wrote ${files.join(", ")} in ${out}\n`);
    for (const w of warnings) process.stderr.write(`WARNING: ${w}\n`);
    process.stdout.write(`next: cd ${out} and follow its README.md (npm install, the secrets to set, pulumi up)\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${err instanceof LvsError ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await closeSshPool();
  }
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
