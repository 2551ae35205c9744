// The steps both adoption tests (import-adopt, import-adopt-pair) take after building a
// cluster by hand: run the package's own bin (`npx pulumi-lvs import`, dist/ rebuilt by the
// integration setup's `npm pack`) against lab hosts, then open the project it wrote with
// the real CLI, its stack made and its secrets set the way its README says.

import { execFile } from "child_process";
import { readFileSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { closeSshPool } from "../../provider/ssh";
import { REPO_ROOT, TestProject } from "./engine/pulumiCli";
import { labHost, loadLabInventory } from "./lab";

export interface ImportRun {
  /** The command line, as a user types it. */
  command: string;
  code: number;
  stdout: string;
  stderr: string;
  /** The WARNING lines, without the prefix. */
  warnings: string[];
  /** The index.ts it wrote. */
  index: string;
}

/** `pulumi-lvs import` of these lab hosts into `<work>/adopted`, host keys from the inventory. */
export async function importLabHosts(work: string, hosts: { directors: readonly string[]; realServers: readonly string[] }): Promise<ImportRun> {
  const knownHosts = join(work, "known_hosts");
  writeFileSync(knownHosts, [...hosts.directors, ...hosts.realServers].map((h) => `[${labHost(h).ssh.host}]:${labHost(h).ssh.port} ${labHost(h).hostKey}`).join("\n") + "\n");
  const target = (h: string) => `root@${labHost(h).ssh.host}:${labHost(h).ssh.port}`;
  const argv = [
    "import",
    ...hosts.directors.flatMap((d) => ["--director", target(d)]),
    ...hosts.realServers.flatMap((rs) => ["--real-server", target(rs)]),
    ...["--key", loadLabInventory().sshKey.privateKeyPath, "--known-hosts", knownHosts, "--out", join(work, "adopted"), "--project", "adopted"],
  ];
  const cli = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [join(REPO_ROOT, "dist", "importer", "cli.js"), ...argv], { encoding: "utf8" }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr })),
  );
  const warnings = cli.stderr.split("\n").filter((l) => l.startsWith("WARNING: ")).map((l) => l.slice("WARNING: ".length));
  const index = cli.code === 0 ? readFileSync(join(work, "adopted", "index.ts"), "utf8") : "";
  return { command: `npx pulumi-lvs ${argv.join(" ")}`, ...cli, warnings, index };
}

/** The imported project with its stack `prod` and the secrets its README asks for: the SSH key, and any others given. */
export async function adoptedProject(work: string, secrets: Record<string, string> = {}): Promise<TestProject> {
  const project = new TestProject(join(work, "adopted"), { files: ["Pulumi.yaml", "Pulumi.prod.yaml", "index.ts", "package.json", "tsconfig.json"] });
  await project.ok(["stack", "init", "prod", "--non-interactive"]);
  const all = { privateKey: readFileSync(loadLabInventory().sshKey.privateKeyPath, "utf8"), ...secrets };
  for (const [name, value] of Object.entries(all)) await project.ok(["config", "set", "--secret", name], { stdin: value });
  return project;
}

/**
 * The adoption tests' cleanup, also after a test stopped half-way: destroy what the project
 * still holds (the adopted hosts keep what they had), undo the hand-made cluster, remove the
 * work directory, close the SSH pool.
 */
export async function cleanUpAdoption(project: TestProject | undefined, work: string, teardownByHand: () => Promise<void>): Promise<void> {
  try {
    if (project) {
      await project.run(["destroy", "--yes", "--skip-preview", "--stack", "prod"]);
      project.remove();
    }
    await teardownByHand();
  } finally {
    rmSync(work, { recursive: true, force: true });
    await closeSshPool();
  }
}
