// examples/dr-cluster's README, followed as a newcomer would: its ```sh blocks run in order,
// in the example's own directory, by bash, with the real CLI. The only edits are the ones
// a reader makes: the README's documentation addresses and host keys (192.0.2.x, AAAA…)
// become the lab's, the lab's SSH ports are added (the README's hosts listen on 22), and
// the elided "# … realServers[1], realServers[2]" is written out. `~/.ssh/id_ed25519` is the
// lab key, in a throwaway HOME. PULUMI_SKIP_CONFIRMATIONS answers `pulumi up`'s prompt.
// The README installs pulumi-lvs from the tarball it has `npm pack` make in /tmp (the package
// is not on the npm registry yet), so that tarball is exactly what npm would publish.
// VIP 10.77.0.156.

import { spawn } from "child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { closeSshPool } from "../../provider/ssh";
import { REPO_ROOT } from "../support/engine/pulumiCli";
import { answers, hostSnapshot, REAL_SERVERS } from "../support/labChecks";
import { labHost, labPrivateKey } from "../support/lab";

const EXAMPLE = join(REPO_ROOT, "examples", "dr-cluster");
const VIP = "10.77.0.156";
/** Where the README's `npm pack --pack-destination /tmp` puts the package. */
const PACKED = `/tmp/pulumi-lvs-${JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).version}.tgz`;
const home = mkdtempSync(join(tmpdir(), "lvs-readme-"));
const env = {
  ...process.env,
  HOME: home,
  PULUMI_BACKEND_URL: `file://${join(home, "backend")}`,
  PULUMI_HOME: join(home, ".pulumi"),
  PULUMI_CONFIG_PASSPHRASE: "readme-test",
  PULUMI_SKIP_CONFIRMATIONS: "true",
};

function bash(script: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-euo", "pipefail", "-c", script], { cwd: EXAMPLE, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (code) => resolve({ code: code ?? -1, output }));
  });
}

/** The README's ```sh blocks, in order. */
function readmeBlocks(): string[] {
  return [...readFileSync(join(EXAMPLE, "README.md"), "utf8").matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** What a reader of the README on the lab writes instead of its documentation values. */
function onTheLab(block: string): string {
  const host = (name: string) => labHost(name);
  const lines: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("# … realServers[1], realServers[2]")) {
      for (const [i, rs] of [[1, "rs2"], [2, "rs3"]] as const) {
        lines.push(`pulumi config set --path 'realServers[${i}].ssh' 127.0.0.1`);
        lines.push(`pulumi config set --path 'realServers[${i}].port' ${host(rs).ssh.port}`);
        lines.push(`pulumi config set --path 'realServers[${i}].hostKey' '${host(rs).hostKey}'`);
        lines.push(`pulumi config set --path 'realServers[${i}].address' ${host(rs).interfaces.front.ipv4}`);
      }
      continue;
    }
    const m = /^pulumi config set --path '(director|realServers\[0\])\.(ssh|hostKey|address)' /.exec(line);
    if (m) {
      const name = m[1] === "director" ? "dir1" : "rs1";
      const value = { ssh: "127.0.0.1", hostKey: `'${host(name).hostKey}'`, address: host(name).interfaces.front.ipv4 }[m[2] as "ssh" | "hostKey" | "address"];
      lines.push(`pulumi config set --path '${m[1]}.${m[2]}' ${value}`);
      if (m[2] === "ssh") lines.push(`pulumi config set --path '${m[1]}.port' ${host(name).ssh.port}`);
      continue;
    }
    lines.push(line.replace("pulumi config set vip 192.0.2.100", `pulumi config set vip ${VIP}`));
  }
  return lines.join("\n");
}

afterAll(async () => {
  const pulumi = "pulumi() { node ../../scripts/engine/pulumi.js \"$@\"; }";
  await bash(`${pulumi}; pulumi destroy --yes --non-interactive --skip-preview -s dev || true; rm -f Pulumi.dev.yaml`);
  rmSync(home, { recursive: true, force: true });
  rmSync(PACKED, { force: true });
  await closeSshPool();
});

describe("examples/dr-cluster's README steps, as written, on the lab", () => {
  it("set up, configure and `pulumi up`: every real server answers; destroyed, the hosts are as before", async () => {
    mkdirSync(join(home, ".ssh"), { mode: 0o700 });
    writeFileSync(join(home, ".ssh", "id_ed25519"), labPrivateKey(), { mode: 0o600 });
    const blocks = readmeBlocks();
    expect(blocks.length).toBe(2);
    const before = await hostSnapshot();

    // The blocks share one shell, as in a reader's terminal (the `pulumi` function carries over).
    const ran = await bash(blocks.map(onTheLab).join("\n"));
    if (ran.code !== 0) throw new Error(`the README's steps failed (exit ${ran.code}):\n${ran.output.slice(-5000)}`);
    expect(ran.output).toMatch(/Resources:\s+\+ \d+ created/);
    const configured = await bash(`pulumi() { node ../../scripts/engine/pulumi.js "$@"; }; pulumi config --json`);
    const counts = await answers(VIP, 30);
    if (counts.has("FAILED")) console.log(`config: ${configured.output}\nsteps: ${ran.output.slice(-4000)}`);
    console.log(`dr-cluster from its README: ${JSON.stringify(Object.fromEntries(counts))}`);
    expect(counts.get("FAILED")).toBeUndefined();
    expect([...counts.keys()].sort()).toEqual([...REAL_SERVERS]);
    // Installed from the tarball (a real folder, not a link to the repository), next to the one SDK copy.
    expect(lstatSync(join(EXAMPLE, "node_modules", "pulumi-lvs")).isDirectory()).toBe(true);
    expect(existsSync(join(EXAMPLE, "node_modules", "pulumi-lvs", "node_modules", "@pulumi", "pulumi"))).toBe(false);

    const destroyed = await bash(`pulumi() { node ../../scripts/engine/pulumi.js "$@"; }; pulumi destroy --yes --non-interactive --skip-preview`);
    expect(destroyed.code).toBe(0);
    expect(await hostSnapshot()).toEqual(before);
  });
});
