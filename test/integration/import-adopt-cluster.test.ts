// The importer's LvsCluster output on real hosts (issue 15): a DR director built by hand
// the LVS-HOWTO's way, which is also how LvsCluster builds one, so the import writes one
// `LvsCluster` with `adopt: true` instead of the plain resources:
//   dir1:     the VIP 10.77.0.177/32 on eth1, ICMP redirects off (all, default), the
//             kernel's drain settings, `ipvsadm -A -s rr` with rs2 and rs3 by direct routing;
//   rs2, rs3: the VIP on lo, arp_ignore=1/arp_announce=2 on all and lo.
// `pulumi up` of the project under a client loop: no IPVS entry, address or sysctl
// changes, and no failed request. `pulumi preview --refresh --expect-no-changes` exits 0;
// `pulumi destroy` removes the IPVS entries and leaves the VIPs and sysctls as they were.

import { mkdtempSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { run } from "../../provider/ssh";
import type { TestProject } from "../support/engine/pulumiCli";
import { adoptedProject, cleanUpAdoption, importLabHosts } from "../support/importAdopt";
import { clientLoop, clientLoopDuring } from "../support/keepalivedLab";
import { labConnection, labHost } from "../support/lab";

const VIP = "10.77.0.177";
const REAL_SERVERS = ["rs2", "rs3"] as const;
const work = mkdtempSync(join(tmpdir(), "lvs-import-cluster-"));
const sh = async (host: string, script: string, ...args: string[]) => (await run(labConnection(host), ["sh", "-c", script, host, ...args])).stdout;
const front = (host: string) => labHost(host).interfaces.front.ipv4;
const noLifetimes = (text: string) => text.replace(/\s*valid_lft \S+ preferred_lft \S+/g, "");
const DIRECTOR_SYSCTLS = "net.ipv4.conf.all.send_redirects net.ipv4.conf.default.send_redirects net.ipv4.conf.eth1.send_redirects net.ipv4.ip_forward net.ipv4.vs.expire_nodest_conn net.ipv4.vs.expire_quiescent_template";
const ARP_SYSCTLS = "net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce net.ipv4.conf.lo.arp_ignore net.ipv4.conf.lo.arp_announce net.ipv4.conf.eth1.arp_ignore net.ipv4.conf.eth1.arp_announce";

/** What adoption must not change. */
async function hostState(): Promise<Record<string, string>> {
  const state: Record<string, string> = {
    "dir1 ipvs": await sh("dir1", "ipvsadm -S -n"),
    "dir1 eth1": noLifetimes(await sh("dir1", "ip -o addr show dev eth1")),
    "dir1 sysctls": await sh("dir1", `sysctl ${DIRECTOR_SYSCTLS}`),
  };
  for (const rs of REAL_SERVERS) {
    state[`${rs} lo`] = noLifetimes(await sh(rs, "ip -o addr show dev lo"));
    state[`${rs} arp`] = await sh(rs, `sysctl ${ARP_SYSCTLS}`);
  }
  return state;
}

async function teardownByHand(): Promise<void> {
  await sh("dir1", 'ipvsadm -D -t "$1:80" 2>/dev/null; ip addr del "$1/32" dev eth1 2>/dev/null; sysctl -q -w net.ipv4.conf.all.send_redirects=1 net.ipv4.conf.default.send_redirects=1; true', VIP);
  for (const rs of REAL_SERVERS)
    await sh(rs, 'ip addr del "$1/32" dev lo 2>/dev/null; for k in all lo; do sysctl -q -w net.ipv4.conf.$k.arp_ignore=0 net.ipv4.conf.$k.arp_announce=0; done; true', VIP);
}

let project: TestProject | undefined;

beforeAll(async () => {
  await teardownByHand();
  for (const rs of REAL_SERVERS)
    await sh(rs, 'for k in all lo; do sysctl -q -w net.ipv4.conf.$k.arp_ignore=1 net.ipv4.conf.$k.arp_announce=2; done && ip addr add "$1/32" dev lo', VIP);
  await sh("dir1", 'sysctl -q -w net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0 && ip addr add "$1/32" dev eth1', VIP);
  await sh("dir1", 'ipvsadm -A -t "$1:80" -s rr && ipvsadm -a -t "$1:80" -r "$2:80" -g -w 1 && ipvsadm -a -t "$1:80" -r "$3:80" -g -w 1', VIP, front("rs2"), front("rs3"));
}, 120_000);

afterAll(() => cleanUpAdoption(project, work, teardownByHand), 300_000);

describe("a DR director built by hand the way LvsCluster builds one, imported as an LvsCluster", () => {
  it("imports as one LvsCluster with adopt; `pulumi up` changes nothing and fails no request; the drift check exits 0; destroy leaves the VIPs and sysctls", async () => {
    const { failed: failedBefore, answers } = await clientLoop(`http://${VIP}/`, 3);
    expect({ failedBefore, answering: [...answers.keys()].sort() }).toEqual({ failedBefore: 0, answering: [...REAL_SERVERS] });

    const imported = await importLabHosts(work, { directors: ["dir1"], realServers: REAL_SERVERS });
    console.log(`$ ${imported.command}\n${imported.stdout}${imported.stderr}\nindex.ts:\n${imported.index}`);
    expect(imported.code).toBe(0);
    expect(imported.warnings).toEqual([]);
    expect(imported.index.match(/new lvs\.\w+\(/g)).toEqual(["new lvs.LvsCluster("]);
    expect(imported.index).toContain("adopt: true");
    project = await adoptedProject(work);

    const before = await hostState();
    const { ok, failed, result: up, workSeconds } = await clientLoopDuring(`http://${VIP}/`, () => project!.ok(["up", "--yes", "--skip-preview"]));
    console.log(`pulumi up of the adopted LvsCluster: ${workSeconds.toFixed(1)} s; client during it and 5 s after: ${ok} answered, ${failed} failed\n${up.stdout.slice(-2000)}`);
    expect(await hostState()).toEqual(before);
    expect(failed).toBe(0);

    const check = await project.run(["preview", "--refresh", "--expect-no-changes"]);
    expect({ code: check.code, output: check.code === 0 ? "" : check.stdout + check.stderr }).toEqual({ code: 0, output: "" });

    await project.ok(["destroy", "--yes", "--skip-preview"]);
    project.remove();
    project = undefined;
    const after = await hostState();
    expect(after["dir1 ipvs"]).not.toContain(VIP);
    expect({ ...after, "dir1 ipvs": "" }).toEqual({ ...before, "dir1 ipvs": "" });
  }, 900_000);
});
