// Adoption of a NAT director built by hand, as the classic guides build one, through
// `pulumi-lvs import` and the real Pulumi engine (issue 15):
//   dir2: the VIP 10.77.0.175/24 on eth1, ip_forward=1 in /etc/sysctl.conf, `ipvsadm -A/-a`
//         with rs1 and rs2 masqueraded;
//   rs1, rs2: their replies from the back segment routed to dir2 by a policy rule
//             (`ip rule add from RIP lookup 175`, `ip route add default via DIP table 175`).
// Then the importer reads the three hosts and writes the project; `pulumi up` of it runs
// while the client asks the VIP every 0.1 s: no IPVS entry, VIP, sysctl or route changes,
// and no failed request. `pulumi preview --refresh --expect-no-changes` exits 0; a weight
// changed in the program applies; `pulumi destroy` removes the IPVS entries and leaves the
// hand-made VIP, sysctls and routes as they were.

import { mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { run } from "../../provider/ssh";
import type { TestProject } from "../support/engine/pulumiCli";
import { adoptedProject, cleanUpAdoption, importLabHosts } from "../support/importAdopt";
import { clientLoop, clientLoopDuring } from "../support/keepalivedLab";
import { labConnection, labHost } from "../support/lab";

const VIP = "10.77.0.175";
const REAL_SERVERS = ["rs1", "rs2"] as const;
/** The policy routing table the guide's return routes use on the real servers. */
const TABLE = "175";
const work = mkdtempSync(join(tmpdir(), "lvs-import-"));
const sh = async (host: string, script: string, ...args: string[]) => (await run(labConnection(host), ["sh", "-c", script, host, ...args])).stdout;
const back = (host: string) => labHost(host).interfaces.back!.ipv4;

/** What adoption must not change: dir2's IPVS table, addresses and sysctls; the real servers' rules and routes. */
async function hostState(): Promise<Record<string, string>> {
  return {
    "dir2 ipvs": await sh("dir2", "ipvsadm -S -n"),
    "dir2 addresses": (await sh("dir2", "ip -o addr show dev eth1")).replace(/\s*valid_lft \S+ preferred_lft \S+/g, ""),
    "dir2 sysctls": await sh("dir2", "sysctl net.ipv4.ip_forward net.ipv4.vs.expire_nodest_conn net.ipv4.vs.expire_quiescent_template"),
    ...Object.fromEntries(await Promise.all(REAL_SERVERS.map(async (rs) => [`${rs} routing`, await sh(rs, 'ip rule show; ip route show table "$1"', TABLE)] as const))),
  };
}

/** Undo the hand-made cluster (also what a failed earlier run left). */
async function teardownByHand(): Promise<void> {
  await sh("dir2", 'ipvsadm -D -t "$1:80" 2>/dev/null; ip addr del "$1/24" dev eth1 2>/dev/null; [ -f /root/sysctl.conf.import-test ] && mv -f /root/sysctl.conf.import-test /etc/sysctl.conf; sysctl -q -w net.ipv4.ip_forward=0; true', VIP);
  for (const rs of REAL_SERVERS) await sh(rs, 'ip rule del from "$1" lookup "$2" 2>/dev/null; ip route flush table "$2" 2>/dev/null; true', back(rs), TABLE);
}

let project: TestProject | undefined;

beforeAll(async () => {
  await teardownByHand();
  // The guide, command by command.
  await sh("dir2", 'cp -p /etc/sysctl.conf /root/sysctl.conf.import-test && echo "net.ipv4.ip_forward = 1" >>/etc/sysctl.conf && sysctl -q -p && ip addr add "$1/24" dev eth1', VIP);
  await sh("dir2", 'ipvsadm -A -t "$1:80" -s rr && ipvsadm -a -t "$1:80" -r "$2:80" -m -w 1 && ipvsadm -a -t "$1:80" -r "$3:80" -m -w 1', VIP, back("rs1"), back("rs2"));
  for (const rs of REAL_SERVERS) await sh(rs, 'ip rule add from "$1" lookup "$2" && ip route add default via "$3" table "$2"', back(rs), TABLE, back("dir2"));
}, 120_000);

afterAll(() => cleanUpAdoption(project, work, teardownByHand), 300_000);

describe("a NAT director built by hand, adopted with `pulumi-lvs import` and the real engine", () => {
  it("before: the hand-made cluster answers from both real servers", async () => {
    const { failed, answers } = await clientLoop(`http://${VIP}/`, 3);
    expect(failed).toBe(0);
    expect([...answers.keys()].sort()).toEqual(["rs1", "rs2"]);
  });

  it("imports, then `pulumi up` takes it over with no host change and no failed request; the drift check exits 0", async () => {
    const imported = await importLabHosts(work, { directors: ["dir2"], realServers: REAL_SERVERS });
    console.log(`$ ${imported.command}\n${imported.stdout}${imported.stderr}`);
    expect(imported.code).toBe(0);
    console.log(`index.ts:\n${imported.index}`);
    // Everything the guide made is declared, the real servers' return routes too: nothing to warn about.
    expect(imported.warnings).toEqual([]);
    expect(imported.index.match(/new lvs\.\w+\(/g)).toEqual(["new lvs.Director(", "new lvs.RealServerReturnRoute(", "new lvs.RealServerReturnRoute(", "new lvs.VirtualService(", "new lvs.RealServer(", "new lvs.RealServer("]);
    project = await adoptedProject(work);

    const before = await hostState();
    // The client asks from before the up starts until 5 s after it ends: 0.1 s apart, each allowed 1 s.
    const { ok, failed, result: up, workSeconds } = await clientLoopDuring(`http://${VIP}/`, () => project!.ok(["up", "--yes", "--skip-preview"]));
    console.log(`pulumi up of the adopted project: ${workSeconds.toFixed(1)} s; client during it and 5 s after: ${ok} answered, ${failed} failed\n${up.stdout.slice(-1500)}`);
    expect(failed).toBe(0);
    expect(await hostState()).toEqual(before);

    const check = await project.run(["preview", "--refresh", "--expect-no-changes"]);
    expect({ code: check.code, output: check.code === 0 ? "" : check.stdout + check.stderr }).toEqual({ code: 0, output: "" });
  }, 600_000);

  it("a weight changed in the program applies; destroy removes the IPVS entries and leaves the hand-made VIP, sysctls and routes", async () => {
    const index = readFileSync(join(project!.dir, "index.ts"), "utf8");
    const rs1Weight = new RegExp(`(address: "${back("rs1").replace(/\./g, "\\.")}",\\n\\s+port: 80,\\n\\s+forwarding: "nat",\\n\\s+weight: )1,`);
    expect(index).toMatch(rs1Weight);
    project!.writeFile("index.ts", index.replace(rs1Weight, "$13,"));
    await project!.ok(["up", "--yes", "--skip-preview"]);
    expect(await sh("dir2", "ipvsadm -S -n")).toContain(`-a -t ${VIP}:80 -r ${back("rs1")}:80 -m -w 3`);

    const before = await hostState();
    await project!.ok(["destroy", "--yes", "--skip-preview"]);
    const after = await hostState();
    expect(after["dir2 ipvs"]).not.toContain(VIP);
    expect({ ...after, "dir2 ipvs": "" }).toEqual({ ...before, "dir2 ipvs": "" });
    project!.remove();
    project = undefined;
  }, 600_000);
});
