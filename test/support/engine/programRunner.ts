// Run a user's Pulumi program (a project directory with Pulumi.yaml, or an index.ts) the
// way `pulumi up | preview | refresh | destroy` does, without the Pulumi CLI.
//
// The program runs under the SDK's mocks (pulumi.runtime.setMocks), in a fresh node
// process of its own, with the project and stack names and the stack's config set. Every
// resource it registers reaches the mocks' newResource, which plays the engine:
//   - a dynamic resource (type pulumi-nodejs:dynamic…; its serialised provider arrives as
//     the `__provider` input) is forwarded to ONE real provider host process
//     (providerHost.ts: the SDK's own dynamic-provider host, started as the engine starts
//     it) with the engine's RPCs, order and property encoding:
//       new resource            → Check, Create
//       resource already in state → Check, Diff, then Update when it changed, or
//                                 Create + (at the end) Delete for a replacement,
//                                 Delete + Create under deleteBeforeReplace
//       preview                 → Check, Diff only (nothing is created, updated or deleted)
//     and what the provider answered (id and outputs) is given back to the program, so
//     later resources see real outputs (a VirtualService's outputs flow into RealServer);
//   - a component resource (LvsCluster) or the stack is only recorded.
// After the program has run, resources in state that it no longer registers are deleted,
// dependents first. `refresh` Reads every resource in state; `destroy` Deletes them in
// reverse creation order. Neither runs the program, as with the engine.
//
// State lives in a JSON file (programState.ts) with every secret encrypted under a key
// kept in a separate 0600 file, as a checkpoint holds them.

import { spawn } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { basename, dirname, join, resolve } from "path";
import { ProviderHost } from "./providerHost";
import { emptyState, loadState, saveState, type ProgramState, type StateResource } from "./programState";
import { check, create, diff, read, remove, update, type Existing } from "./programSteps";
import { changedProperties, isSecret, removeSecrets, unmarshalProperties, type PropertyMap } from "./wire";

export type Operation = "up" | "preview" | "refresh" | "destroy";

export interface RunProgramOptions {
  /** A project directory (with Pulumi.yaml; its `main` is honoured) or a program file. */
  programPath: string;
  /** Stack config, `pulumi config set` style: "lvs:mode" → "dr"; a key without a namespace gets the project's. Objects as JSON. */
  config?: Record<string, string>;
  /** Config keys whose values are secrets (`pulumi config set --secret`). */
  secretConfig?: string[];
  /** A Pulumi.<stack>.yaml whose `config:` is read first (config above overrides it). */
  stackConfigFile?: string;
  /** Stack name; default: from stackConfigFile's name, else "dev". */
  stack?: string;
  stateFile: string;
  operation: Operation;
  /** Echo the run's output as it happens (scripts); tests read `output` instead. */
  stream?: boolean;
}

export type StepOp = "create" | "update" | "replace" | "delete" | "same";

export interface StepRecord {
  urn: string;
  type: string;
  name: string;
  op: StepOp;
  /** Changed top-level properties (old inputs against the checked new inputs; refresh: old against live outputs). */
  changed: string[];
  /** Properties the provider said force a replacement. */
  replaces: string[];
  rpcs: string[];
}

export interface RunResult {
  operation: Operation;
  project: string;
  stack: string;
  steps: StepRecord[];
  counts: Record<StepOp, number>;
  /** The stack's outputs, secrets shown as "[secret]". */
  outputs: Record<string, unknown>;
  durationMs: number;
  error?: string;
  /** Everything the run printed. */
  output: string;
}

export class ProgramRunError extends Error {
  constructor(readonly result: RunResult) {
    super(`${result.operation} of ${result.project} (${result.stack}) failed: ${result.error}\n--- output ---\n${result.output.slice(-6000)}`);
    this.name = "ProgramRunError";
  }
}

const REGISTER_TS = join(__dirname, "register-ts.js");
const STACK_TYPE = "pulumi:pulumi:Stack";

interface Project {
  dir: string;
  name: string;
  main: string;
}

function resolveProject(programPath: string): Project {
  const path = resolve(programPath);
  const dir = statSync(path).isDirectory() ? path : dirname(path);
  const yamlFile = ["Pulumi.yaml", "Pulumi.yml"].map((f) => join(dir, f)).find(existsSync);
  const yaml = require("js-yaml") as { load(text: string): any };
  const doc = yamlFile ? (yaml.load(readFileSync(yamlFile, "utf8")) ?? {}) : {};
  const name: string = doc.name ?? basename(dir);
  const main = statSync(path).isDirectory() ? resolve(dir, doc.main ?? "index.ts") : path;
  const entry = statSync(main).isDirectory() ? join(main, "index.ts") : main;
  return { dir, name, main: entry };
}

function stackConfig(project: Project, opts: RunProgramOptions): { config: Record<string, string>; secrets: string[] } {
  const qualify = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);
  const config: Record<string, string> = {};
  const secrets = new Set<string>();
  if (opts.stackConfigFile) {
    const yaml = require("js-yaml") as { load(text: string): any };
    const doc = yaml.load(readFileSync(opts.stackConfigFile, "utf8")) ?? {};
    for (const [k, v] of Object.entries<unknown>(doc.config ?? {})) {
      if (v && typeof v === "object" && "secure" in (v as object)) throw new Error(`${opts.stackConfigFile}: ${k} is encrypted (secure:); pass it in config instead`);
      config[qualify(k)] = typeof v === "string" ? v : JSON.stringify(v);
    }
  }
  for (const [k, v] of Object.entries(opts.config ?? {})) config[qualify(k)] = v;
  for (const k of opts.secretConfig ?? []) secrets.add(qualify(k));
  return { config, secrets: [...secrets] };
}

function stackName(opts: RunProgramOptions): string {
  if (opts.stack) return opts.stack;
  const m = opts.stackConfigFile ? /^Pulumi\.(.+)\.ya?ml$/.exec(basename(opts.stackConfigFile)) : null;
  return m ? m[1]! : "dev";
}

// ---------------------------------------------------------------------------------------
// The parent side: run the program in a fresh node process (the SDK's runtime state —
// mocks, config, stack — is process-wide, as it is under `pulumi`).

export async function runProgram(opts: RunProgramOptions): Promise<RunResult> {
  const resolved: RunProgramOptions = {
    ...opts,
    programPath: resolve(opts.programPath),
    stateFile: resolve(opts.stateFile),
    ...(opts.stackConfigFile ? { stackConfigFile: resolve(opts.stackConfigFile) } : {}),
  };
  const project = resolveProject(resolved.programPath);
  const work = mkdtempSync(join(tmpdir(), "lvs-program-run-"));
  const optionsFile = join(work, "options.json");
  const resultFile = join(work, "result.json");
  writeFileSync(optionsFile, JSON.stringify(resolved), { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { ...process.env, LVS_RUNNER_OPTIONS: optionsFile, LVS_RUNNER_RESULT: resultFile };
  for (const k of ["NODE_OPTIONS", "PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS", "PULUMI_DRY_RUN", "PULUMI_MONITOR", "PULUMI_ENGINE"]) delete env[k];
  try {
    let output = "";
    const code = await new Promise<number | null>((resolvePromise, reject) => {
      const child = spawn(process.execPath, [REGISTER_TS, __filename], { cwd: project.dir, env, stdio: ["ignore", "pipe", "pipe"] });
      const take = (stream: NodeJS.WriteStream) => (d: Buffer) => {
        output += d.toString();
        if (opts.stream) stream.write(d);
      };
      child.stdout.on("data", take(process.stdout));
      child.stderr.on("data", take(process.stderr));
      child.on("error", reject);
      child.on("exit", (c) => resolvePromise(c));
    });
    if (!existsSync(resultFile)) {
      throw new Error(`the program runner exited (code ${code}) without a result\n--- output ---\n${output.slice(-6000)}`);
    }
    const result = { ...(JSON.parse(readFileSync(resultFile, "utf8")) as RunResult), output };
    if (result.error) throw new ProgramRunError(result);
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// The child side: the engine.

const SYMBOL: Record<StepOp, string> = { create: "+", update: "~", replace: "+-", delete: "-", same: " " };
const DONE: Record<StepOp, string> = { create: "created", update: "updated", replace: "replaced", delete: "deleted", same: "unchanged" };
const PLAN: Record<StepOp, string> = { create: "create", update: "update", replace: "replace", delete: "delete", same: "same" };

function display(value: unknown): unknown {
  if (isSecret(value)) return "[secret]";
  if (Array.isArray(value)) return value.map(display);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, display(v)]));
  return value;
}

const asExisting = (r: StateResource): Existing => ({ urn: r.urn, type: r.type, name: r.name, id: r.id!, inputs: r.inputs, outputs: r.outputs, additionalSecretOutputs: r.additionalSecretOutputs });

class Engine {
  readonly steps: StepRecord[] = [];
  private hostPromise?: Promise<ProviderHost>;
  private readonly started = Date.now();

  constructor(
    readonly opts: RunProgramOptions,
    readonly project: Project,
    readonly stack: string,
    readonly state: ProgramState,
  ) {}

  host(): Promise<ProviderHost> {
    return (this.hostPromise ??= ProviderHost.start());
  }

  async close(): Promise<void> {
    if (this.hostPromise) await (await this.hostPromise.catch(() => undefined))?.close();
  }

  get preview(): boolean {
    return this.opts.operation === "preview";
  }

  log(line: string): void {
    process.stdout.write(line + "\n");
  }

  record(step: Omit<StepRecord, "replaces" | "rpcs"> & Partial<Pick<StepRecord, "replaces" | "rpcs">>): void {
    const full: StepRecord = { replaces: [], rpcs: [], ...step };
    this.steps.push(full);
    if (full.op === "same") return;
    const verb = this.preview ? PLAN[full.op] : DONE[full.op];
    const changes = full.changed.length > 0 ? ` [diff: ${full.changed.map((c) => `${full.replaces.includes(c) ? "+-" : "~"}${c}`).join(", ")}]` : "";
    this.log(` ${SYMBOL[full.op].padEnd(2)} ${full.type.padEnd(45)} ${full.name.padEnd(28)} ${verb}${changes}`);
  }

  result(outputs: PropertyMap, error?: string): Omit<RunResult, "output"> {
    const counts: Record<StepOp, number> = { create: 0, update: 0, replace: 0, delete: 0, same: 0 };
    for (const s of this.steps) counts[s.op]++;
    const verbs = this.preview ? { create: "to create", update: "to update", replace: "to replace", delete: "to delete" } : { create: "created", update: "updated", replace: "replaced", delete: "deleted" };
    const shown = display(outputs) as Record<string, unknown>;
    if (Object.keys(shown).length > 0) {
      this.log("Outputs:");
      for (const [k, v] of Object.entries(shown)) this.log(`    ${k}: ${JSON.stringify(v)}`);
    }
    this.log("Resources:");
    for (const op of ["create", "update", "replace", "delete"] as const) if (counts[op] > 0) this.log(`    ${SYMBOL[op]} ${counts[op]} ${verbs[op]}`);
    this.log(`    ${counts.same} unchanged`);
    const durationMs = Date.now() - this.started;
    this.log(`Duration: ${(durationMs / 1000).toFixed(1)}s`);
    return { operation: this.opts.operation, project: this.project.name, stack: this.stack, steps: this.steps, counts, outputs: shown, durationMs, ...(error ? { error } : {}) };
  }

  // --- refresh: Read everything in state ------------------------------------------------

  async refresh(): Promise<void> {
    this.log(`Refreshing (${this.stack}):`);
    const host = this.state.resources.some((r) => r.custom) ? await this.host() : undefined;
    const refreshed = await Promise.all(
      this.state.resources.map(async (r): Promise<StateResource | undefined> => {
        if (!r.custom) {
          this.record({ urn: r.urn, type: r.type, name: r.name, op: "same", changed: [] });
          return r;
        }
        const live = await read(host!, asExisting(r));
        if (!live) {
          this.record({ urn: r.urn, type: r.type, name: r.name, op: "delete", changed: [], rpcs: ["Read"] });
          return undefined;
        }
        const changed = changedProperties(removeSecrets(r.outputs) as PropertyMap, removeSecrets(live.outputs) as PropertyMap);
        this.record({ urn: r.urn, type: r.type, name: r.name, op: changed.length > 0 ? "update" : "same", changed, rpcs: ["Read"] });
        return { ...r, id: live.id, inputs: live.inputs, outputs: live.outputs };
      }),
    );
    this.state.resources = refreshed.filter((r): r is StateResource => r !== undefined);
    saveState(this.opts.stateFile, this.state);
  }

  // --- destroy: Delete in reverse creation order --------------------------------------

  async destroy(): Promise<void> {
    this.log(`Destroying (${this.stack}):`);
    for (const r of [...this.state.resources].reverse()) {
      if (r.custom) await remove(await this.host(), asExisting(r));
      this.record({ urn: r.urn, type: r.type, name: r.name, op: "delete", changed: [], rpcs: r.custom ? ["Delete"] : [] });
      this.state.resources = this.state.resources.filter((x) => x !== r);
      saveState(this.opts.stateFile, this.state); // a failure half-way leaves what is left
    }
    this.state.outputs = {};
    saveState(this.opts.stateFile, this.state);
  }

  // --- up / preview: run the program ----------------------------------------------------

  async deploy(): Promise<PropertyMap> {
    this.log(this.preview ? `Previewing update (${this.stack}):` : `Updating (${this.stack}):`);
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): any; waitForRPCs(): Promise<void> };
    const olds = new Map(this.state.resources.map((r) => [r.urn, r]));
    const next: StateResource[] = [];
    const visited = new Set<string>();
    const replaced: StateResource[] = [];
    const failures: string[] = [];
    const urnOfMock = new Map<string, string>();
    let stackOutputs: PropertyMap = {};
    let current: any;

    const fail = (err: unknown) => {
      failures.push(err instanceof Error ? err.message : String(err));
    };
    process.on("unhandledRejection", (err) => fail(err));

    const register = async (req: any): Promise<{ id?: string; state: Record<string, unknown> }> => {
      const type: string = req.getType();
      const name: string = req.getName();
      const parentMock: string = req.getParent();
      const parentUrn = parentMock ? urnOfMock.get(parentMock) : undefined;
      const parentType = parentUrn?.split("::")[2];
      const urn = `urn:pulumi:${this.stack}::${this.project.name}::${parentType && parentType !== STACK_TYPE ? `${parentType}$` : ""}${type}::${name}`;
      // The mock monitor names it with only the parent's last type; map that to ours.
      const mockType = parentMock ? `${parentMock.split("::")[2]!.split("$").pop()}$${type}` : type;
      urnOfMock.set(`urn:pulumi:${this.stack}::${this.project.name}::${mockType}::${name}`, urn);
      const inputs = unmarshalProperties(req.getObject(), { rejectUnknowns: false, label: `${name}'s registration` });
      if (type === STACK_TYPE) return { state: {} };
      const dependencies = (req.getDependenciesList() as string[]).map((d) => urnOfMock.get(d) ?? d);
      const base = { urn, type, name, ...(parentUrn && parentUrn.split("::")[2] !== STACK_TYPE ? { parent: parentUrn } : {}), dependencies };
      if (visited.has(urn)) throw new Error(`Duplicate resource URN '${urn}'`);
      visited.add(urn);
      const old = olds.get(urn);

      if (!req.getCustom()) {
        this.record({ urn, type, name, op: old ? "same" : "create", changed: [] });
        next.push({ ...base, custom: false, inputs: {}, outputs: {}, additionalSecretOutputs: [] });
        return { state: {} };
      }
      if (!type.startsWith("pulumi-nodejs:dynamic")) throw new Error(`${urn}: only dynamic resources can be run without the Pulumi CLI (this is ${type})`);
      if (failures.length > 0 && !this.preview) throw new Error(`${urn}: skipped, an earlier step failed`);

      const host = await this.host();
      const additionalSecretOutputs: string[] = req.getAdditionalsecretoutputsList();
      const ref = { urn, type, name };
      const rpcs: string[] = [];
      const traced = <T>(rpc: string, p: Promise<T>) => (rpcs.push(rpc), p);
      try {
        if (!old) {
          const news = await traced("Check", check(host, ref, {}, inputs, this.preview));
          if (this.preview) {
            this.record({ ...ref, op: "create", changed: [], rpcs });
            return { state: news };
          }
          const created = await traced("Create", create(host, ref, news, additionalSecretOutputs));
          next.push({ ...base, custom: true, id: created.id, inputs: created.inputs, outputs: created.outputs, additionalSecretOutputs, deleteBeforeReplace: req.getDeletebeforereplace() });
          this.record({ ...ref, op: "create", changed: [], rpcs });
          return { id: created.id, state: created.outputs };
        }

        const news = await traced("Check", check(host, ref, old.inputs, inputs, this.preview));
        const d = await traced("Diff", diff(host, asExisting(old), news, this.preview));
        const changed = d.changes === "none" ? [] : changedProperties(old.inputs, news);
        const keep = (r: Existing): StateResource => ({ ...base, custom: true, id: r.id, inputs: r.inputs, outputs: r.outputs, additionalSecretOutputs, deleteBeforeReplace: req.getDeletebeforereplace() });
        if (d.changes === "none") {
          next.push(keep({ ...asExisting(old), inputs: news }));
          this.record({ ...ref, op: "same", changed, rpcs });
          return { id: old.id, state: old.outputs };
        }
        if (d.replaces.length === 0) {
          if (this.preview) {
            this.record({ ...ref, op: "update", changed, rpcs });
            return { id: old.id, state: news };
          }
          const updated = await traced("Update", update(host, { ...asExisting(old), additionalSecretOutputs }, news));
          next.push(keep(updated));
          this.record({ ...ref, op: "update", changed, rpcs });
          return { id: updated.id, state: updated.outputs };
        }
        if (this.preview) {
          this.record({ ...ref, op: "replace", changed, replaces: d.replaces, rpcs });
          return { state: news };
        }
        if (d.deleteBeforeReplace || req.getDeletebeforereplace()) {
          await traced("Delete", remove(host, asExisting(old)));
          const created = await traced("Create", create(host, ref, news, additionalSecretOutputs));
          next.push(keep(created));
          this.record({ ...ref, op: "replace", changed, replaces: d.replaces, rpcs });
          return { id: created.id, state: created.outputs };
        }
        // Create before delete: the old one is deleted after the program, dependents first.
        const created = await traced("Create", create(host, ref, news, additionalSecretOutputs));
        next.push(keep(created));
        replaced.push(old);
        this.record({ ...ref, op: "replace", changed, replaces: d.replaces, rpcs });
        return { id: created.id, state: created.outputs };
      } catch (err) {
        const message = `${urn}: ${rpcs[rpcs.length - 1] ?? "step"} failed: ${err instanceof Error ? err.message : String(err)}`;
        fail(message);
        this.log(` ✗  ${type.padEnd(45)} ${name.padEnd(28)} failed: ${err instanceof Error ? err.message : String(err)}`);
        throw new Error(message);
      }
    };

    await pulumi.runtime.setMocks(
      {
        newResource: () => {
          const req = current; // set synchronously by the monitor wrapper just before this call
          current = undefined;
          return register(req) as any;
        },
        call: (args) => {
          throw new Error(`invoke ${args.token} is not supported without the Pulumi CLI`);
        },
      },
      this.project.name,
      this.stack,
      this.preview,
    );
    const { config, secrets } = stackConfig(this.project, this.opts);
    pulumi.runtime.setAllConfig(config, secrets);
    const monitor = settings.getMonitor();
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
      current = req;
      return registerResource(req, cb);
    };
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req: any, cb: any) => {
      if (req.getUrn().split("::")[2] === STACK_TYPE) stackOutputs = unmarshalProperties(req.getOutputs(), { rejectUnknowns: false, label: "stack outputs" });
      return registerOutputs(req, cb);
    };

    try {
      await pulumi.runtime.runInPulumiStack(async () => require(this.project.main));
    } catch (err) {
      fail(err);
    }
    await settings.waitForRPCs();

    const gone = this.state.resources.filter((r) => !visited.has(r.urn));
    if (failures.length === 0) {
      // Deletions after the program, in reverse creation order: what left the program, and the replaced.
      for (const r of [...this.state.resources].reverse()) {
        const isReplaced = replaced.includes(r);
        if (!isReplaced && visited.has(r.urn)) continue;
        if (!isReplaced) this.record({ urn: r.urn, type: r.type, name: r.name, op: "delete", changed: [], rpcs: this.preview || !r.custom ? [] : ["Delete"] });
        if (this.preview || !r.custom) continue;
        try {
          await remove(await this.host(), asExisting(r));
        } catch (err) {
          fail(`${r.urn}: Delete failed: ${err instanceof Error ? err.message : String(err)}`);
          break;
        }
        this.state.resources = this.state.resources.filter((x) => x !== r);
      }
    }
    if (!this.preview) {
      // What still exists and was not re-registered (after a failure) stays, after the rest.
      const leftover = this.state.resources.filter((r) => !visited.has(r.urn) || replaced.includes(r));
      this.state.resources = [...next, ...leftover];
      this.state.outputs = failures.length === 0 ? stackOutputs : this.state.outputs;
      saveState(this.opts.stateFile, this.state);
    }
    if (failures.length > 0) throw new Error(failures.join("\n"));
    void gone;
    return stackOutputs;
  }
}

async function runHere(opts: RunProgramOptions): Promise<Omit<RunResult, "output">> {
  const project = resolveProject(opts.programPath);
  const stack = stackName(opts);
  const state = loadState(opts.stateFile) ?? emptyState(project.name, stack);
  const engine = new Engine(opts, project, stack, state);
  try {
    let outputs: PropertyMap = state.outputs;
    if (opts.operation === "refresh") await engine.refresh();
    else if (opts.operation === "destroy") {
      await engine.destroy();
      outputs = {};
    } else outputs = await engine.deploy();
    return engine.result(outputs);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    engine.log(`error: ${message}`);
    return engine.result({}, message);
  } finally {
    await engine.close();
  }
}

async function childMain(): Promise<void> {
  const opts = JSON.parse(readFileSync(process.env["LVS_RUNNER_OPTIONS"]!, "utf8")) as RunProgramOptions;
  const result = await runHere(opts);
  writeFileSync(process.env["LVS_RUNNER_RESULT"]!, JSON.stringify(result));
  process.exit(result.error ? 1 : 0);
}

if (process.env["LVS_RUNNER_RESULT"] && resolve(process.argv[1] ?? "") === __filename) {
  childMain().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
