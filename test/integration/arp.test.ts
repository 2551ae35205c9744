// lvs:index:RealServerArpConfig on the lab's real servers (rs1, rs2, rs3), driven through
// the provider methods in the order the engine calls them, and observed from the outside:
// the client's arping and neighbour table, and HTTP to the VIP from another host.
// VIPs 10.77.0.210–229 / fd77::210–229 only; dir1/dir2 are never touched.

import { closeSshPool, exec, run } from "../../provider/ssh";
import {
  ArpVipConflictError,
  IpipModuleError,
  arpFiles,
  realServerArpConfigProvider as provider,
  unitName,
} from "../../provider/arp";
import { labConnection, labHost } from "../support/lab";
import { ARP_SYSCTLS, sysctlValues } from "../support/labChecks";
import { checked, refresh, up, upChanged, type Deployed } from "../support/providerSteps";
import { errorOf } from "../support/errorOf";

const rs1 = labConnection("rs1");
const rs2 = labConnection("rs2");
const rs3 = labConnection("rs3");
const client = labConnection("client");
type Conn = typeof rs1;

const WATCHED = [...ARP_SYSCTLS(["eth0", "eth1", "eth2"]), "net.ipv4.conf.all.rp_filter"];

const sysctls = (host: Conn, keys: readonly string[] = WATCHED) => sysctlValues(host, keys);

async function loAddresses(host: Conn, dev = "lo"): Promise<string[]> {
  const out = (await run(host, ["ip", "-o", "addr", "show", "dev", dev])).stdout;
  return [...out.matchAll(/inet6? (\S+)/g)].map((m) => m[1]!).filter((a) => /^(10\.77\.0\.2[1-2]\d|fd77::2[1-2]\d)\//.test(a));
}

/** Everything of ours on the host: registry, files and units of any RealServerArpConfig. */
async function oursOnHost(host: Conn): Promise<string[]> {
  const out = (await run(host, ["sh", "-c", "ls -d /var/lib/pulumi-lvs/arp /etc/sysctl.d/60-pulumi-lvs-arp-* /etc/systemd/system/pulumi-lvs-arp-* /etc/modules-load.d/pulumi-lvs-arp-* 2>/dev/null; true"])).stdout;
  return out.split("\n").filter((l) => l.length > 0);
}

const deployed: { host: Conn; d: Deployed }[] = [];

async function deploy(host: Conn, args: Record<string, unknown>): Promise<Deployed> {
  const d = await up(provider, { connection: host, ...args });
  deployed.push({ host, d });
  return d;
}

async function destroy(d: Deployed): Promise<void> {
  await provider.delete(d.id, d.state);
  const at = deployed.findIndex((x) => x.d === d);
  if (at >= 0) deployed.splice(at, 1);
}

/**
 * Removes what a failed earlier run of this file left: the records naming this file's VIPs
 * (with their files and VIPs), and the registry's originals only when no other record is
 * left. Another stack's records on the host (npm start's lab stack) are never touched: wiping
 * them once left that stack's VIP bound with no record (issue 12).
 */
async function scrub(host: Conn): Promise<void> {
  const script = `ours='vip (10\\.77\\.0\\.2[1-2][0-9]/32|fd77::2[1-2][0-9]/128) '
  for r in /var/lib/pulumi-lvs/arp/*.record; do
    [ -f "$r" ] && grep -qE "^$ours" "$r" || continue
    k=\${r##*/}; k=\${k%.record}
    systemctl disable --quiet "pulumi-lvs-arp-$k.service" 2>/dev/null
    rm -f "/etc/sysctl.d/60-pulumi-lvs-arp-$k.conf" "/etc/systemd/system/pulumi-lvs-arp-$k.service" "/etc/modules-load.d/pulumi-lvs-arp-$k.conf" "$r"
  done
  systemctl daemon-reload
  if ! ls /var/lib/pulumi-lvs/arp/*.record >/dev/null 2>&1; then
    for f in /var/lib/pulumi-lvs/arp/original/*; do [ -f "$f" ] || continue; n=\${f##*/}; sysctl -q -e -w "$(printf %s "$n" | tr % /)=$(cat "$f")"; done
    rm -rf /var/lib/pulumi-lvs/arp; rmdir /var/lib/pulumi-lvs 2>/dev/null
  fi
  for d in lo tunl0; do ip -o addr show dev "$d" 2>/dev/null | grep -oE '(10\\.77\\.0\\.2[1-2][0-9]/32|fd77::2[1-2][0-9]/128)' | while read a; do ip addr del "$a" dev "$d"; done; done
  rm -f /etc/modprobe.d/zz-pulumi-lvs-test-no-ipip.conf; true`;
  await run(host, ["sh", "-c", script]);
}

const before = new Map<Conn, Record<string, string>>();

beforeAll(async () => {
  for (const h of [rs1, rs2, rs3]) await scrub(h);
  for (const h of [rs1, rs2, rs3]) before.set(h, await sysctls(h));
}, 120_000);

afterAll(async () => {
  try {
    for (const { d } of [...deployed].reverse()) await provider.delete(d.id, d.state).catch(() => undefined);
    for (const h of [rs1, rs2, rs3]) await scrub(h);
  } finally {
    await closeSshPool();
  }
}, 120_000);

describe("RealServerArpConfig in dr mode on rs1", () => {
  const VIP4 = "10.77.0.210";
  const VIP6 = "fd77::210";
  let rs1Config: Deployed;

  it("create binds the VIPs on lo and sets arp_ignore=1, arp_announce=2 on all, lo and the default route's interface", async () => {
    rs1Config = await deploy(rs1, { vips: [VIP6, VIP4], mode: "dr" });
    expect(rs1Config.state["vips"]).toEqual([VIP4, VIP6]);
    expect((await loAddresses(rs1)).sort()).toEqual([`${VIP4}/32`, `${VIP6}/128`]);
    const live = await sysctls(rs1, ARP_SYSCTLS(rs1Config.state["appliedInterfaces"]));
    for (const [k, v] of Object.entries(live)) expect([k, v]).toEqual([k, k.endsWith("arp_ignore") ? "1" : "2"]);
    const key = rs1Config.state["recordKey"];
    expect((await run(rs1, ["cat", arpFiles(key).sysctl])).stdout).toContain("net.ipv4.conf.all.arp_ignore = 1");
    expect((await exec(rs1, ["systemctl", "is-enabled", unitName(key)])).stdout.trim()).toBe("enabled");
    expect(rs1Config.state["persisted"]).toEqual({ sysctlFile: true, bootUnit: true, modulesLoad: true });
  });

  it("read returns what create returned, and twice the same; diff shows no change", async () => {
    const first = await refresh(provider, rs1Config);
    const second = await provider.read(rs1Config.id, first!.props);
    expect(first!.props).toEqual(rs1Config.state);
    expect(second).toEqual(first);
    const news = await checked(provider, { connection: rs1, vips: [VIP4, VIP6], mode: "dr" }, first!.props);
    expect((await provider.diff(rs1Config.id, first!.props, news)).changes).toBe(false);
  });

  it("nobody answers ARP for the VIP: arping from the client gets 0 replies (and rs1's own address does answer)", async () => {
    const control = await exec(client, ["arping", "-c", "2", "-w", "4", "-I", "eth1", "10.77.0.21"]);
    expect(control.exitCode).toBe(0);
    const vip = await exec(client, ["arping", "-c", "3", "-w", "5", "-I", "eth1", VIP4]);
    expect(vip.exitCode).not.toBe(0);
    expect(vip.stdout).not.toMatch(/52:54:00:77:00:21/i);
    await exec(client, ["ip", "neigh", "flush", "to", VIP4]);
    await exec(client, ["ping", "-c", "1", "-W", "2", VIP4]);
    const neigh = (await run(client, ["ip", "neigh", "show", VIP4])).stdout;
    expect(neigh).not.toMatch(/lladdr 52:54:00:77:00:21/i);
  }, 60_000);

  it("yet rs1 accepts packets for the VIP: from rs2, routed to rs1's MAC, http://VIP/ answers rs1", async () => {
    await run(rs2, ["ip", "route", "replace", `${VIP4}/32`, "via", "10.77.0.21", "dev", "eth1"]);
    try {
      const got = await exec(rs2, ["curl", "-sS", "--max-time", "5", `http://${VIP4}/`]);
      expect(got.stdout).toMatch(/rs1/);
    } finally {
      await exec(rs2, ["ip", "route", "del", `${VIP4}/32`]);
    }
  }, 60_000);

  it("a VIP removed by hand shows in read and diff, and update puts it back", async () => {
    await run(rs1, ["ip", "addr", "del", `${VIP6}/128`, "dev", "lo"]);
    const refreshed = await refresh(provider, rs1Config);
    expect(refreshed!.props["boundVips"]).toEqual([VIP4]);
    const { deployed: after, diff } = await upChanged(provider, { id: rs1Config.id, state: refreshed!.props }, { connection: rs1, vips: [VIP4, VIP6], mode: "dr" });
    expect(diff.changes).toBe(true);
    expect(after.state["boundVips"]).toEqual([VIP4, VIP6]);
    expect((await loAddresses(rs1)).sort()).toEqual([`${VIP4}/32`, `${VIP6}/128`]);
    deployed[deployed.findIndex((x) => x.d === rs1Config)]!.d = after;
    rs1Config = after;
  });

  it("refuses a VIP that is a real address of the host, before changing anything", async () => {
    const err = await errorOf(up(provider, { connection: rs1, vips: ["10.77.0.21"], mode: "dr" }));
    expect(err).toBeInstanceOf(ArpVipConflictError);
    expect(err.message).toMatch(/10\.77\.0\.21 on eth1.*steals/);
  });

  it("delete returns rs1 to its original sysctls, with no VIP, unit or file left", async () => {
    await destroy(rs1Config);
    expect(await sysctls(rs1)).toEqual(before.get(rs1));
    expect(await loAddresses(rs1)).toEqual([]);
    expect(await oursOnHost(rs1)).toEqual([]);
    expect((await exec(rs1, ["systemctl", "is-enabled", unitName(rs1Config.state["recordKey"])])).stdout.trim()).not.toBe("enabled");
  });
});

describe("adopting rs1 as the guides prepare a real server by hand", () => {
  // The classic guide: the VIP on lo as lo:0, arp_ignore/arp_announce on all and lo in
  // /etc/sysctl.conf, applied with `sysctl -p`.
  const VIP = "10.77.0.215";
  const HAND_SYSCTLS = ["net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2", "net.ipv4.conf.lo.arp_ignore=1", "net.ipv4.conf.lo.arp_announce=2"];
  const loText = async () => (await run(rs1, ["ip", "-o", "addr", "show", "dev", "lo"])).stdout;
  const sysctlConf = async () => (await run(rs1, ["cat", "/etc/sysctl.conf"])).stdout;

  beforeAll(async () => {
    const script = 'vip=$1; shift; cp -p /etc/sysctl.conf /root/sysctl.conf.arp-test && printf "%s\\n" "# LVS-DR real server" "$@" >>/etc/sysctl.conf && sysctl -q -p && ip addr add "$vip/32" dev lo label lo:0';
    await run(rs1, ["sh", "-c", script, "hand", VIP, ...HAND_SYSCTLS]);
  });

  afterAll(async () => {
    await run(rs1, ["sh", "-c", 'mv -f /root/sysctl.conf.arp-test /etc/sysctl.conf; ip addr del "$0/32" dev lo 2>/dev/null; true', VIP]);
    for (const [name, value] of Object.entries(before.get(rs1)!)) await run(rs1, ["sysctl", "-q", "-e", "-w", `${name}=${value}`]);
  });

  it("without adopt, the VIP bound by hand is refused before anything changes", async () => {
    const err = await errorOf(up(provider, { connection: rs1, vips: [VIP], mode: "dr", interfaces: [] }));
    expect(err).toBeInstanceOf(ArpVipConflictError);
    expect(await oursOnHost(rs1)).toEqual([]);
  });

  it("with adopt: no VIP or sysctl changes, no drift; delete leaves the VIP and the sysctls as the guide set them", async () => {
    const lo = await loText();
    const values = await sysctls(rs1);
    const conf = await sysctlConf();
    expect(lo).toContain(`${VIP}/32 scope global lo:0`);
    const adopted = await deploy(rs1, { vips: [VIP], mode: "dr", interfaces: [], adopt: true });
    expect(adopted.state["keptVips"]).toEqual([VIP]);
    expect(await loText()).toBe(lo);
    expect(await sysctls(rs1)).toEqual(values);
    const read = await refresh(provider, adopted);
    expect((await provider.diff(adopted.id, read!.props!, await checked(provider, { connection: rs1, vips: [VIP], mode: "dr", interfaces: [], adopt: true }, read!.props!))).changes).toBe(false);
    await destroy(adopted);
    expect(await loText()).toBe(lo);
    expect(await sysctls(rs1)).toEqual(values);
    expect(await sysctlConf()).toBe(conf);
    expect(await oursOnHost(rs1)).toEqual([]);
  });
});

describe("two RealServerArpConfigs on rs2, applied concurrently", () => {
  it("both apply; deleting one leaves the other's VIPs (a shared one too) and sysctls; deleting the other restores the host", async () => {
    const [a, b] = await Promise.all([
      deploy(rs2, { vips: ["10.77.0.211", "10.77.0.213"], mode: "dr", interfaces: ["eth1"] }),
      deploy(rs2, { vips: ["10.77.0.212", "10.77.0.213"], mode: "dr", interfaces: ["eth2"] }),
    ]);
    expect(a.state["recordKey"]).not.toBe(b.state["recordKey"]);
    expect((await loAddresses(rs2)).sort()).toEqual(["10.77.0.211/32", "10.77.0.212/32", "10.77.0.213/32"]);
    // Both recorded the host's originals, not each other's values.
    expect(a.state["originalSysctls"]["net.ipv4.conf.all.arp_ignore"]).toBe(before.get(rs2)!["net.ipv4.conf.all.arp_ignore"]);
    expect(b.state["originalSysctls"]["net.ipv4.conf.all.arp_ignore"]).toBe(before.get(rs2)!["net.ipv4.conf.all.arp_ignore"]);

    await destroy(a);
    expect((await loAddresses(rs2)).sort()).toEqual(["10.77.0.212/32", "10.77.0.213/32"]);
    const mid = await sysctls(rs2);
    expect(mid["net.ipv4.conf.all.arp_ignore"]).toBe("1");
    expect(mid["net.ipv4.conf.lo.arp_announce"]).toBe("2");
    expect(mid["net.ipv4.conf.eth2.arp_ignore"]).toBe("1");
    expect(mid["net.ipv4.conf.eth1.arp_ignore"]).toBe(before.get(rs2)!["net.ipv4.conf.eth1.arp_ignore"]);
    const bRead = await refresh(provider, b);
    expect(bRead!.props["boundVips"]).toEqual(["10.77.0.212", "10.77.0.213"]);
    expect(bRead!.props["appliedSysctls"]).toEqual(b.state["appliedSysctls"]);

    await destroy(b);
    expect(await sysctls(rs2)).toEqual(before.get(rs2));
    expect(await loAddresses(rs2)).toEqual([]);
    expect(await oursOnHost(rs2)).toEqual([]);
  }, 120_000);
});

describe("RealServerArpConfig in tun mode on rs2", () => {
  it("refuses clearly when the ipip module cannot be loaded (rs3, ipip made unloadable for the test)", async () => {
    // The lab's real servers may have ipip loaded (unused): unload it for the test, and load it again after.
    const wasLoaded = (await exec(rs3, ["test", "-d", "/sys/module/ipip"])).exitCode === 0;
    if (wasLoaded) await run(rs3, ["modprobe", "-r", "ipip"]);
    await run(rs3, ["sh", "-c", 'echo "install ipip /bin/false" >/etc/modprobe.d/zz-pulumi-lvs-test-no-ipip.conf']);
    try {
      const err = await errorOf(up(provider, { connection: rs3, vips: ["10.77.0.214"], mode: "tun" }));
      expect(err).toBeInstanceOf(IpipModuleError);
      expect(err.message).toMatch(/ipip kernel module could not be loaded; modprobe said: .*CONFIG_NET_IPIP/s);
      expect(await oursOnHost(rs3)).toEqual([]);
    } finally {
      await run(rs3, ["rm", "-f", "/etc/modprobe.d/zz-pulumi-lvs-test-no-ipip.conf"]);
      if (wasLoaded) await run(rs3, ["modprobe", "ipip"]);
    }
  });

  it("loads ipip, brings tunl0 up with the VIP, relaxes rp_filter; delete restores rp_filter", async () => {
    const rpBefore = await sysctls(rs2, ["net.ipv4.conf.all.rp_filter"]);
    const t = await deploy(rs2, { vips: ["10.77.0.214"], mode: "tun", interfaces: ["eth1"] });
    expect(await loAddresses(rs2, "tunl0")).toEqual(["10.77.0.214/32"]);
    expect((await run(rs2, ["ip", "-o", "link", "show", "tunl0"])).stdout).toMatch(/<[^>]*\bUP\b/);
    expect(await sysctls(rs2, ["net.ipv4.conf.all.rp_filter", "net.ipv4.conf.tunl0.rp_filter"])).toEqual({ "net.ipv4.conf.all.rp_filter": "0", "net.ipv4.conf.tunl0.rp_filter": "0" });
    expect((await run(rs2, ["cat", arpFiles(t.state["recordKey"]).modulesLoad])).stdout).toMatch(/^ipip$/m);
    // An ipip packet to the VIP is accepted: from rs1, a tunnel to rs2 carrying http://VIP/.
    await run(rs1, ["sh", "-c", "ip tunnel add lvstest0 mode ipip remote 10.77.0.22 local 10.77.0.21 && ip link set lvstest0 up && ip route replace 10.77.0.214/32 dev lvstest0 src 10.77.0.21"]);
    try {
      const got = await exec(rs1, ["curl", "-sS", "--max-time", "5", "http://10.77.0.214/"]);
      expect(got.stdout).toMatch(/rs2/);
    } finally {
      await exec(rs1, ["ip", "tunnel", "del", "lvstest0"]);
    }
    await destroy(t);
    expect(await sysctls(rs2, ["net.ipv4.conf.all.rp_filter"])).toEqual(rpBefore);
    expect(await loAddresses(rs2, "tunl0")).toEqual([]);
    expect(await oursOnHost(rs2)).toEqual([]);
  }, 120_000);
});
// Persistence across a real reboot: reboot.test.ts (rs3, with dir1 and dir2 at once).
