// The package as users get it: the tarball `npm pack` makes (packed once per run by the jest
// global setup), installed into a project laid out exactly as `pulumi new typescript` lays
// one out (test/support/engine/pulumiNew.ts, from the template's verbatim files), with the
// template's strict tsconfig (skipLibCheck off, TypeScript's default). For the oldest
// @pulumi/pulumi we support (the floor of our peer range) and the newest on the registry:
//   - exactly one SDK copy in node_modules;
//   - `tsc` on the project, the published declarations included, reports nothing;
//   - the published declarations reach no package but @pulumi/pulumi, and only the
//     documented entry points can be imported;
//   - the real `pulumi up` deploys a DR cluster that answers from every real server, the
//     GitOps check passes, and `pulumi destroy` puts the hosts back as they were.
// The newest SDK runs on Node.js 22 (it declares node >= 22), the oldest on the machine's 20.
// And a project whose SDK is below our floor is refused by npm rather than given a second copy.
//
// VIP 10.77.0.157 on dir1 (examples use .151-.156, the lab stack .150).

import { spawnSync } from "child_process";
import { existsSync, readdirSync, readFileSync } from "fs";
import { join } from "path";
import { closeSshPool } from "../../provider/ssh";
import { npm, packageTarball, REPO_ROOT, summaryCounts, TestProject } from "../support/engine/pulumiCli";
import { pulumiNewProject } from "../support/engine/pulumiNew";
import { answers, hostSnapshot, programHost, REAL_SERVERS } from "../support/labChecks";
import { labPrivateKey } from "../support/lab";
import { declarationGraph } from "../support/publishedDeclarations";

const VIP = "10.77.0.157";
const PROGRAM = join(REPO_ROOT, "test", "fixtures", "programs", "packaged-dr");
const OUR_MANIFEST = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
const SDK_RANGE: string = OUR_MANIFEST.peerDependencies["@pulumi/pulumi"];
/** The oldest SDK we support: the floor of our peer range (`^3.113.0` → 3.113.0). */
const OLDEST_SDK = /^\^(\d+\.\d+\.\d+)$/.exec(SDK_RANGE)?.[1];
/** The public entry points: what the README documents, and the module the serialised provider loads. */
const DOCUMENTED_EXPORTS = [".", "./provider/ssh", "./provider/registry", "./package.json"];

/** A command on this machine (not a lab host), to completion. */
const runLocal = (command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) => {
  const r = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}`, stdout: r.stdout };
};

/** Every copy of @pulumi/pulumi under node_modules, however deeply nested, with its version. */
function sdkCopies(dir: string): string[] {
  const found: string[] = [];
  const walk = (nodeModules: string): void => {
    if (!existsSync(nodeModules)) return;
    for (const entry of readdirSync(nodeModules)) {
      const scopes = entry.startsWith("@") ? readdirSync(join(nodeModules, entry)).map((e) => join(entry, e)) : [entry];
      for (const name of scopes) {
        const pkg = join(nodeModules, name);
        if (name === join("@pulumi", "pulumi")) found.push(`${pkg}@${JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).version}`);
        walk(join(pkg, "node_modules"));
      }
    }
  };
  walk(join(dir, "node_modules"));
  return found;
}

const projects: TestProject[] = [];
const stacksUp = new Set<TestProject>();

afterAll(async () => {
  for (const project of stacksUp) {
    const r = await project.run(["destroy", "--yes", "--non-interactive", "--skip-preview"]);
    if (r.code !== 0) console.error(`cleanup: destroy in ${project.dir} exited ${r.code}: ${r.stdout.slice(-2000)}`);
  }
  for (const project of projects) project.remove();
  await closeSshPool();
});

it("our peer range names a floor, the oldest SDK we support", () => {
  expect(SDK_RANGE).toMatch(/^\^\d+\.\d+\.\d+$/);
  expect(OUR_MANIFEST.dependencies?.["@pulumi/pulumi"]).toBeUndefined();
});

describe.each([
  { which: "oldest supported", sdk: () => OLDEST_SDK!, node: () => process.execPath },
  {
    which: "newest on the registry",
    sdk: () => runLocal("npm", ["view", "@pulumi/pulumi@latest", "version"]).stdout.trim(),
    node: () => runLocal("bash", [join(REPO_ROOT, "scripts", "engine", "node-runtime.sh")]).stdout.trim(),
  },
])("the packed package in a `pulumi new typescript` project, @pulumi/pulumi $which", ({ which, sdk, node }) => {
  it("installs with one SDK copy, type-checks clean, exposes only its documented entry points, and deploys and destroys a cluster with the real CLI", async () => {
    const version = sdk();
    const nodeBin = node();
    const nodeVersion = runLocal(nodeBin, ["--version"]).stdout.trim();
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    console.log(`@pulumi/pulumi ${which}: ${version}, on Node.js ${nodeVersion}`);

    const project = pulumiNewProject("lvs-packaged", "pulumi-lvs from its tarball", { program: PROGRAM, node: nodeBin });
    projects.push(project);

    // What `pulumi new` installs, plus the package (from its tarball until it is on the
    // registry), with the SDK held at the version under test.
    const install = await npm(project.dir, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--save-exact", `@pulumi/pulumi@${version}`, packageTarball()]);
    const copies = sdkCopies(project.dir);
    console.log(`SDK copies: ${copies.join(", ")}`);
    expect(copies).toEqual([`${join(project.dir, "node_modules", "@pulumi", "pulumi")}@${version}`]);

    // The template's tsconfig, unchanged: strict, nodenext, skipLibCheck off.
    const tsconfig = readFileSync(join(project.dir, "tsconfig.json"), "utf8");
    expect(tsconfig).toMatch(/"strict": true/);
    expect(tsconfig).not.toMatch(/skipLibCheck/);
    // The project's own TypeScript (the template's devDependency), on the user's Node.js.
    const typeCheck = (...options: string[]) => runLocal(nodeBin, [join(project.dir, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", project.dir, ...options]);
    const tscStarted = Date.now();
    const tsc = typeCheck();
    const tscMs = Date.now() - tscStarted;
    if (tsc.code !== 0) throw new Error(`tsc in the pulumi new project failed (exit ${tsc.code}):\n${tsc.output}`);
    expect(tsc.output).toBe("");
    // Projects made by the template between April 2024 and March 2026 (module commonjs,
    // moduleResolution node, which ignores `exports`: typesVersions maps the ssh subpath for
    // them), unchanged too: no esModuleInterop, which zod 4's own declarations would need
    // (TS1259 in zod/v4/locales), so this also proves our declarations never load zod's.
    const classicOptions = ["--module", "commonjs", "--moduleResolution", "node"];
    const classic = typeCheck(...classicOptions);
    if (classic.code !== 0) throw new Error(`tsc with ${classicOptions.join(" ")} failed (exit ${classic.code}):\n${classic.output}`);

    // The declarations stand on their own: every package they import is one the user gets.
    const installed = join(project.dir, "node_modules", "pulumi-lvs");
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
    const userGets = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const graph = declarationGraph(installed);
    console.log(`published declarations reachable from the entry points: ${graph.files.length} files, importing ${[...graph.imports.keys()].join(", ")}`);
    expect(graph.files).toContain("dist/index.d.ts");
    expect(graph.files).toContain("dist/provider/ssh/index.d.ts");
    const strangers = [...graph.imports].filter(([name]) => !name.startsWith("node:") && !userGets.has(name));
    expect(strangers).toEqual([]);
    // And not zod either, though the user gets it: its declarations need esModuleInterop.
    expect([...graph.imports.keys()].filter((name) => !name.startsWith("node:"))).toEqual(["@pulumi/pulumi"]);

    // Only the documented entry points resolve; internals are refused, at run time too.
    expect(Object.keys(manifest.exports).sort()).toEqual([...DOCUMENTED_EXPORTS].sort());
    const load = (specifier: string) => runLocal(nodeBin, ["-e", "const m = require(process.argv[1]); console.log(Object.keys(m).length)", specifier], { cwd: project.dir });
    expect(load("pulumi-lvs").code).toBe(0);
    expect(load("pulumi-lvs/provider/ssh").code).toBe(0);
    const internal = load("pulumi-lvs/provider/ipvs/model");
    expect(internal.code).not.toBe(0);
    expect(internal.output).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");

    // The real CLI on the lab: up, traffic, the GitOps check, destroy back to the snapshot.
    const before = await hostSnapshot();
    await project.initStack("lab", { privateKey: labPrivateKey(), vip: VIP, director: programHost("dir1"), realServers: REAL_SERVERS.map(programHost) }, ["privateKey"]);
    stacksUp.add(project);
    const up = await project.ok(["up", "--yes", "--non-interactive"]);
    expect(summaryCounts(up.stdout).create).toBeGreaterThan(0);
    const counts = await answers(VIP, 12);
    console.log(`${which}: ${JSON.stringify(Object.fromEntries(counts))}`);
    expect(counts.get("FAILED")).toBeUndefined();
    expect([...counts.keys()].sort()).toEqual([...REAL_SERVERS]);
    const check = await project.run(["preview", "--refresh", "--expect-no-changes", "--non-interactive"]);
    if (check.code !== 0) throw new Error(`GitOps check exited ${check.code}:\n${check.stdout.slice(-4000)}`);
    const destroy = await project.ok(["destroy", "--yes", "--non-interactive", "--skip-preview"]);
    stacksUp.delete(project);
    expect(await hostSnapshot()).toEqual(before);
    const s = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
    console.log(`${which}: npm install ${s(install.durationMs)}, tsc ${s(tscMs)}, pulumi up ${s(up.durationMs)}, GitOps check ${s(check.durationMs)}, pulumi destroy ${s(destroy.durationMs)}`);
  });
});

it("a project whose @pulumi/pulumi is below our floor is refused by npm, not given a second copy", async () => {
  const [major, minor] = OLDEST_SDK!.split(".").map(Number);
  const below = runLocal("npm", ["view", `@pulumi/pulumi@<${major}.${minor}.0`, "version", "--json"]).stdout;
  const semver = (v: string) => v.split(".").map(Number);
  const byVersion = (a: string, b: string) => semver(a).reduce((d, n, i) => d || n - semver(b)[i]!, 0);
  // The newest release just below the floor.
  const older = ([] as string[]).concat(JSON.parse(below)).filter((v) => /^\d+\.\d+\.\d+$/.test(v)).sort(byVersion).at(-1)!;
  const project = pulumiNewProject("lvs-too-old", "an SDK below the floor");
  projects.push(project);
  const r = runLocal("npm", ["install", "--dry-run", "--no-audit", "--no-fund", "--prefer-offline", `@pulumi/pulumi@${older}`, packageTarball()], { cwd: project.dir });
  console.log(`npm install of pulumi-lvs next to @pulumi/pulumi ${older}: exit ${r.code}`);
  expect(r.code).not.toBe(0);
  expect(r.output).toContain("ERESOLVE");
  expect(r.output).toContain(`peer @pulumi/pulumi@"${SDK_RANGE}" from pulumi-lvs@${OUR_MANIFEST.version}`);
});
