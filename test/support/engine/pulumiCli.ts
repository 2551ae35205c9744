// The real Pulumi CLI, driven as a user drives it: a project directory, a stack, and
// `pulumi <args>` with its own exit code, stdout and stderr. Every run goes through
// scripts/engine/pulumi.js (the CLI built from its Go module, a local file backend,
// offline; the SDK's in-process language runtime stands in for the Node.js language host,
// which cannot be built here: README, "The Pulumi engine").
//
// Each TestProject is a throwaway copy of a project (an example, or a test program) with its
// own backend, PULUMI_HOME and passphrase, so tests never see each other's stacks or the lab
// stack that `npm start` deployed. Its node_modules is either
//   - installed as a user installs it (`TestProject.installed`): `npm install` of the
//     project's package.json with pulumi-lvs taken from the tarball `npm pack` made for this
//     run (test/support/packageTarball.js), as the examples' READMEs do it; or
//   - linked (`new TestProject`), for test programs that exercise the engine rather than the
//     package: `node_modules/pulumi-lvs` links to this repository and `node_modules/@pulumi`
//     to the SDK installed here (one SDK copy either way).

import { spawn, type ChildProcess } from "child_process";
import { randomBytes } from "crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join, resolve } from "path";

export const REPO_ROOT = resolve(__dirname, "..", "..", "..");
const WRAPPER = join(REPO_ROOT, "scripts", "engine", "pulumi.js");
// Set by test/support/packageTarball.js in the jest global setup.
const PACKAGE_TARBALL_ENV = "LVS_PACKAGE_TARBALL";

export interface CliResult {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export class CliError extends Error {
  constructor(readonly result: CliResult) {
    super(`pulumi ${result.args.join(" ")} exited ${result.code}\n--- stdout ---\n${result.stdout.slice(-6000)}\n--- stderr ---\n${result.stderr.slice(-3000)}`);
    this.name = "CliError";
  }
}

export interface TestProjectOptions {
  /** Files and folders copied from the source project (default: Pulumi.yaml, index.ts, package.json, tsconfig.json). */
  files?: string[];
  /** Extra environment for every run (e.g. PULUMI_DEBUG_PROMISE_LEAKS). */
  env?: Record<string, string>;
  /** Link node_modules to this repository's (default), or leave it to `TestProject.installed`. */
  nodeModules?: "link" | "none";
  /**
   * The Node.js binary a user of this project has (default: the one running the tests). It
   * runs the wrapper, and its folder goes first on PATH for the CLI's dynamic-provider
   * plugin, a script that runs whatever `node` is on PATH.
   */
  node?: string;
}

/** The tarball `npm pack` made for this integration run (the jest global setup packs it). */
export function packageTarball(): string {
  const tarball = process.env[PACKAGE_TARBALL_ENV];
  if (!tarball || !existsSync(tarball)) throw new Error(`${PACKAGE_TARBALL_ENV} is not set: run the integration tests through jest's integration project, whose global setup packs the package`);
  return tarball;
}

/** `npm <args>` in `dir`; throws with npm's output unless it exits 0. */
export function npm(dir: string, args: string[]): Promise<CliResult> {
  return runProcess("npm", args, dir, process.env).then((r) => {
    if (r.code !== 0) throw new Error(`npm ${args.join(" ")} exited ${r.code} in ${dir}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    return r;
  });
}

/** How a run is started: in a process group of its own (so a test can SIGKILL all of it), and who is told its pid. */
export interface SpawnHooks {
  detached?: boolean;
  onSpawn?: (child: ChildProcess) => void;
}

function runProcess(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, stdin = "", hooks: SpawnHooks = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"], detached: hooks.detached ?? false });
    hooks.onSpawn?.(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ args, code: code ?? -1, stdout, stderr, durationMs: Date.now() - started }));
    child.stdin.end(stdin);
  });
}

export class TestProject {
  readonly dir: string;
  /** The throwaway folder holding the copy, its backend and PULUMI_HOME. */
  readonly root: string;
  /** The Node.js binary that runs the wrapper (TestProjectOptions.node). */
  readonly node: string;
  private readonly env: Record<string, string>;

  constructor(source: string, opts: TestProjectOptions = {}) {
    this.root = mkdtempSync(join(tmpdir(), "lvs-engine-"));
    this.dir = join(this.root, "project");
    mkdirSync(this.dir);
    for (const f of opts.files ?? ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json"]) {
      if (existsSync(join(source, f))) cpSync(join(source, f), join(this.dir, f), { recursive: true });
    }
    if ((opts.nodeModules ?? "link") === "link") {
      mkdirSync(join(this.dir, "node_modules"));
      symlinkSync(REPO_ROOT, join(this.dir, "node_modules", "pulumi-lvs"), "dir");
      symlinkSync(join(REPO_ROOT, "node_modules", "@pulumi"), join(this.dir, "node_modules", "@pulumi"), "dir");
    }
    mkdirSync(join(this.root, "backend"));
    this.node = opts.node ?? process.execPath;
    this.env = {
      ...(opts.node ? { PATH: `${dirname(opts.node)}:${process.env.PATH}` } : {}),
      PULUMI_BACKEND_URL: `file://${join(this.root, "backend")}`,
      PULUMI_HOME: join(this.root, "home"),
      PULUMI_CONFIG_PASSPHRASE: randomBytes(18).toString("base64url"),
      ...opts.env,
    };
  }

  /**
   * A copy of `source` whose package.json takes pulumi-lvs from this run's packed tarball
   * (whatever it named: `^0.1.0` from the registry, for a reader), then `npm install`ed.
   */
  static async installed(source: string, opts: Omit<TestProjectOptions, "nodeModules"> = {}): Promise<TestProject> {
    const project = new TestProject(source, { ...opts, nodeModules: "none" });
    const manifest = JSON.parse(readFileSync(join(project.dir, "package.json"), "utf8"));
    manifest.dependencies = { ...manifest.dependencies, "pulumi-lvs": `file:${packageTarball()}` };
    project.writeFile("package.json", `${JSON.stringify(manifest, null, 2)}\n`);
    await npm(project.dir, ["install", "--no-audit", "--no-fund", "--prefer-offline"]);
    return project;
  }

  /** `pulumi <args>` in the project; resolves whatever the exit code (see `ok`). */
  run(args: string[], opts: { stdin?: string; env?: Record<string, string> } & SpawnHooks = {}): Promise<CliResult> {
    return runProcess(this.node, [WRAPPER, ...args], this.dir, { ...process.env, ...this.env, ...opts.env }, opts.stdin, opts);
  }

  /** `pulumi <args>`, which must exit 0. */
  async ok(args: string[], opts: { stdin?: string } = {}): Promise<CliResult> {
    const result = await this.run(args, opts);
    if (result.code !== 0) throw new CliError(result);
    return result;
  }

  /** `pulumi stack init`, then each config value (`--secret` ones from stdin, so they never sit on a command line). */
  async initStack(stack: string, config: Record<string, unknown> = {}, secrets: string[] = []): Promise<void> {
    await this.ok(["stack", "init", stack, "--non-interactive"]);
    await this.setConfig(config, secrets);
  }

  async setConfig(config: Record<string, unknown>, secrets: string[] = []): Promise<void> {
    for (const [key, value] of Object.entries(config)) {
      const text = typeof value === "string" ? value : JSON.stringify(value);
      if (secrets.includes(key)) await this.ok(["config", "set", "--secret", key], { stdin: text });
      else await this.ok(["config", "set", key, "--", text]);
    }
  }

  /** The checkpoint files and everything else the backend wrote, as raw text. */
  backendFiles(): Array<{ path: string; text: string }> {
    const root = this.root;
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    return [join(root, "backend"), join(root, "home")]
      .filter(existsSync)
      .flatMap(walk)
      .filter((p) => !p.startsWith(join(root, "home", "plugins")))
      .map((path) => ({ path, text: readFileSync(path).toString("latin1") }));
  }

  writeFile(name: string, text: string): void {
    writeFileSync(join(this.dir, name), text);
  }

  remove(): void {
    // The links are removed, never what they point to (rmSync does not follow symlinks).
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** `pulumi version` of the CLI the tests run (printed in the test log). */
export async function cliVersion(): Promise<string> {
  const project = new TestProject(REPO_ROOT, { files: ["Pulumi.yaml"] });
  try {
    return (await project.ok(["version"])).stdout.trim();
  } finally {
    project.remove();
  }
}

const SUMMARY_VERBS: Record<string, string> = {
  "to create": "create", created: "create", "to update": "update", updated: "update",
  "to delete": "delete", deleted: "delete", "to replace": "replace", replaced: "replace", unchanged: "same",
};

/** Counts from the CLI's closing summary ("+ 9 created", "~ 1 to update", "9 unchanged"…), keyed create/update/delete/replace/same. */
export function summaryCounts(output: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const summary = output.slice(output.lastIndexOf("Resources:"));
  for (const m of summary.matchAll(/^\s+(?:\+-|[+~-])?\s*(\d+) (to create|created|to update|updated|to delete|deleted|to replace|replaced|unchanged)\b/gm)) {
    counts[SUMMARY_VERBS[m[2]]] = Number(m[1]);
  }
  return counts;
}

/** Texts the engine wrote or printed, each named by where it came from. */
export interface Haystack {
  where: string;
  text: string;
}

/** Which of `secrets` appear in clear in which haystack ("where: first characters…"). */
export function secretsInClear(haystacks: readonly Haystack[], secrets: readonly string[]): string[] {
  return haystacks.flatMap(({ where, text }) => secrets.filter((m) => text.includes(m)).map((m) => `${where}: ${m.slice(0, 6)}…`));
}
