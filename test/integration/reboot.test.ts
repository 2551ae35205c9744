// What each resource persists for boot, proven by one real reboot of three hosts at once (a
// lab reboot takes a minute or more on the emulated VMs; one per suite cost CI three):
//   - dir1: a VirtualService and a RealServer (IPv6, UDP, scheduler flags, an upper
//     threshold): the IPVS table comes back from the rules file, byte for byte;
//   - dir2: a DR Director: ip_vs loaded, its sysctls set, its VIP bound again;
//   - rs3: a RealServerArpConfig: the VIPs back on lo, the ARP sysctls set.
// Each then reads back exactly what it applied, and its delete leaves the host as before.
// VIPs: fd77::122 (dir1, ipvs-drift's), 10.77.0.244 (dir2), 10.77.0.215 and fd77::215 (rs3,
// in arp.test's range, whose scrub removes what a failed run of this file left).

import { realServerArpConfigProvider } from "../../provider/arp";
import { DIRECTOR_FILES, directorProvider } from "../../provider/director";
import { realServerProvider } from "../../provider/service/realServerRouter";
import { virtualServiceProvider } from "../../provider/service/virtualServiceRouter";
import { closeSshPool, run } from "../../provider/ssh";
import { labConnection } from "../support/lab";
import { ARP_SYSCTLS, clearIpvsTable, sysctlValues } from "../support/labChecks";
import { refresh, up, type Deployed, type ProviderUnderTest } from "../support/providerSteps";
import { rebootAndWait } from "../support/reboot";

const dir1 = labConnection("dir1");
const dir2 = labConnection("dir2");
const rs3 = labConnection("rs3");
type Conn = typeof dir1;

const DIRECTOR_VIP = "10.77.0.244";
const ARP_VIPS = ["10.77.0.215", "fd77::215"];
const DIRECTOR_SYSCTLS = [
  "net.ipv4.conf.all.send_redirects",
  "net.ipv4.conf.default.send_redirects",
  "net.ipv4.conf.eth1.send_redirects",
  "net.ipv4.vs.expire_nodest_conn",
  "net.ipv4.vs.expire_quiescent_template",
];
const RS3_WATCHED = [...ARP_SYSCTLS(["eth0", "eth1", "eth2"]), "net.ipv4.conf.all.rp_filter"];
const addresses = async (host: Conn, dev: string) => (await run(host, ["ip", "-o", "addr", "show", "dev", dev])).stdout;
const ipvsTable = async () => (await run(dir1, ["ipvsadm", "-S", "-n"])).stdout;
/** Files and units a Director or a RealServerArpConfig leaves on a host. */
async function oursOnHost(host: Conn): Promise<string[]> {
  const paths = [...Object.values(DIRECTOR_FILES), "/var/lib/pulumi-lvs/arp"];
  const script = 'for f do [ -e "$f" ] && echo "$f"; done; ls -d /etc/sysctl.d/60-pulumi-lvs-arp-* /etc/systemd/system/pulumi-lvs-arp-* /etc/modules-load.d/pulumi-lvs-arp-* 2>/dev/null; true';
  return (await run(host, ["sh", "-c", script, "ours", ...paths])).stdout.split("\n").filter((l) => l.length > 0);
}

/** What this file created and has not deleted yet, deleted in afterAll if a test stopped half-way. */
const deployed: Array<[ProviderUnderTest, Deployed]> = [];
async function create(provider: ProviderUnderTest, raw: Record<string, unknown>): Promise<Deployed> {
  const d = await up(provider, raw);
  deployed.push([provider, d]);
  return d;
}

let before: { dir2: Record<string, string>; rs3: Record<string, string> };

beforeAll(async () => {
  await clearIpvsTable("dir1");
  // net.ipv4.vs.* exist only once ip_vs is loaded; the Director records them in that state.
  await run(dir2, ["modprobe", "ip_vs"]);
  before = { dir2: await sysctlValues(dir2, DIRECTOR_SYSCTLS), rs3: await sysctlValues(rs3, RS3_WATCHED) };
  expect(await oursOnHost(dir2)).toEqual([]);
  expect(await oursOnHost(rs3)).toEqual([]);
});

afterAll(async () => {
  try {
    for (const [provider, d] of deployed.reverse()) await provider.delete(d.id, d.state);
    await clearIpvsTable("dir1");
  } finally {
    await closeSshPool();
  }
});

describe("a real reboot of dir1, dir2 and rs3 at once", () => {
  it("brings back the IPVS rules, the Director's module, sysctls and VIP, and the real server's VIPs and ARP sysctls; each reads back what it applied, and its delete leaves the host as before", async () => {
    const service = { protocol: "udp", address: "fd77::122", port: 53 };
    await create(virtualServiceProvider, { connection: dir1, ...service, scheduler: "sh", schedulerFlags: ["sh-port"] });
    const rs = await create(realServerProvider, { connection: dir1, service, address: "fd77::21", port: 53, weight: 9, upperThreshold: 50 });
    const director = await create(directorProvider, { connection: dir2, mode: "dr", interfaces: ["eth1"], vip: { address: DIRECTOR_VIP, interface: "eth1" } });
    const arp = await create(realServerArpConfigProvider, { connection: rs3, vips: ARP_VIPS, mode: "dr" });
    const table = await ipvsTable();
    expect((await run(dir1, ["cat", "/etc/ipvsadm.rules"])).stdout).toContain("-x 50 -y 0");

    const boots = await Promise.all([dir1, dir2, rs3].map((host) => rebootAndWait(host)));
    for (const b of boots) expect(b.bootIdAfter).not.toBe(b.bootIdBefore);
    console.log(`rebooted dir1, dir2 and rs3 at once: ${boots.map((b) => `${b.bootIdBefore.slice(0, 8)} → ${b.bootIdAfter.slice(0, 8)}`).join(", ")}`);

    // dir1: the table, as it was.
    expect(await ipvsTable()).toBe(table);
    expect((await refresh(realServerProvider, rs))?.inputs).toMatchObject({ weight: 9, upperThreshold: 50 });

    // dir2: ip_vs, the sysctls, the VIP.
    expect((await run(dir2, ["cat", "/proc/modules"])).stdout).toMatch(/^ip_vs /m);
    const live = await sysctlValues(dir2, DIRECTOR_SYSCTLS);
    for (const scope of ["all", "default", "eth1"]) expect(live[`net.ipv4.conf.${scope}.send_redirects`]).toBe("0");
    expect(live["net.ipv4.vs.expire_nodest_conn"]).toBe("1");
    expect(live["net.ipv4.vs.expire_quiescent_template"]).toBe("1");
    expect(await addresses(dir2, "eth1")).toContain(`inet ${DIRECTOR_VIP}/32 scope global eth1`);
    expect((await directorProvider.read(director.id, director.state)).props).toEqual(director.state);

    // rs3: the VIPs on lo, the ARP sysctls on every interface it applied them to.
    expect([...(await addresses(rs3, "lo")).matchAll(/inet6? (\S+)/g)].map((m) => m[1]).filter((a) => a !== "127.0.0.1/8" && a !== "::1/128").sort()).toEqual(["10.77.0.215/32", "fd77::215/128"]);
    const arpLive = await sysctlValues(rs3, ARP_SYSCTLS(arp.state["appliedInterfaces"] as string[]));
    for (const [k, v] of Object.entries(arpLive)) expect([k, v]).toEqual([k, k.endsWith("arp_ignore") ? "1" : "2"]);
    expect((await refresh(realServerArpConfigProvider, arp))!.props).toEqual(arp.state);

    // Deletes, newest first: each host as before.
    for (const [provider, d] of deployed.splice(0).reverse()) await provider.delete(d.id, d.state);
    expect(await ipvsTable()).not.toContain("fd77::122");
    expect(await sysctlValues(dir2, DIRECTOR_SYSCTLS)).toEqual(before.dir2);
    expect(await addresses(dir2, "eth1")).not.toContain(DIRECTOR_VIP);
    expect(await oursOnHost(dir2)).toEqual([]);
    expect(await sysctlValues(rs3, RS3_WATCHED)).toEqual(before.rs3);
    expect(await addresses(rs3, "lo")).not.toMatch(/10\.77\.0\.215|fd77::215/);
    expect(await oursOnHost(rs3)).toEqual([]);
  }, 900_000);
});
