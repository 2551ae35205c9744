// lvs:index:Director on a real director (dir2 of the lab), driven through the provider
// methods in the order the engine calls them. Only dir2's sysctls and files and the VIP
// 10.77.0.240 are touched: other suites use dir1, and dir2's IPVS table.

import { closeSshPool, exec, run, sshPoolStats, type SshConnectionInput } from "../../provider/ssh";
import { AlreadyExistsError } from "../../provider/resource/errors";
import {
  DIRECTOR_FILES,
  DirectorChangeError,
  IpvsadmMissingError,
  VIP_UNIT_NAME,
  VipConflictError,
  directorProvider,
  renderSysctlFile,
  type DirectorInputs,
} from "../../provider/director";
import { labConnection } from "../support/lab";

const dir2 = labConnection("dir2");
/** The first nat cycle goes through `lab` and passwordless sudo, as most real hosts are reached. */
const dir2ViaSudo = labConnection("dir2", { user: "sudo" });
const VIP = "10.77.0.240";
/** Every sysctl a Director may set on dir2, compared before create and after delete. */
const WATCHED = [
  "net.ipv4.conf.all.send_redirects",
  "net.ipv4.conf.default.send_redirects",
  "net.ipv4.conf.eth1.send_redirects",
  "net.ipv4.ip_forward",
  "net.ipv4.vs.expire_nodest_conn",
  "net.ipv4.vs.expire_quiescent_template",
  "net.ipv6.conf.all.forwarding",
];
const OUR_PATHS = [...Object.values(DIRECTOR_FILES), "/var/lib/pulumi-lvs"];

async function sysctls(keys: readonly string[] = WATCHED): Promise<Record<string, string>> {
  const out = (await run(dir2, ["sysctl", ...keys])).stdout;
  return Object.fromEntries(out.trim().split("\n").map((l) => l.split(" = ") as [string, string]));
}

async function ourFilesOnHost(): Promise<string[]> {
  const out = (await run(dir2, ["sh", "-c", 'for f do if [ -e "$f" ]; then echo "$f"; fi; done', "ls-ours", ...OUR_PATHS])).stdout;
  return out.split("\n").filter((l) => l.length > 0);
}

async function addressesOf(iface: string): Promise<string> {
  return (await run(dir2, ["ip", "-o", "addr", "show", "dev", iface])).stdout;
}

async function checked(raw: Record<string, unknown>): Promise<DirectorInputs> {
  const result = await directorProvider.check({}, raw);
  expect(result.failures ?? []).toEqual([]);
  return result.inputs as DirectorInputs;
}

/** SSH execs (round trips) and handshakes spent by `fn`. */
async function cost<T>(fn: () => Promise<T>): Promise<{ result: T; execs: number; handshakes: number }> {
  const before = sshPoolStats();
  const result = await fn();
  const after = sshPoolStats();
  return { result, execs: after.execs - before.execs, handshakes: after.handshakes - before.handshakes };
}

let before: Record<string, string>;
let state: Record<string, any> | undefined;
const id = "127.0.0.1:2202";

/** Deletes whatever a failed earlier run left, with the provider (it restores from the host's record). */
async function cleanUp(): Promise<void> {
  if (state) await directorProvider.delete(id, state);
  state = undefined;
  if ((await ourFilesOnHost()).length > 0) await directorProvider.delete(id, { connection: dir2, mode: "nat" });
  await exec(dir2, ["ip", "addr", "del", `${VIP}/32`, "dev", "eth2"]);
}

beforeAll(async () => {
  await cleanUp();
  // net.ipv4.vs.* exist only once ip_vs is loaded. The Director loads it before recording
  // what it finds, so the before-snapshot is taken in that same state (on a freshly booted
  // director the module is not loaded yet).
  await run(dir2, ["modprobe", "ip_vs"]);
  before = await sysctls();
});

afterAll(async () => {
  try {
    await cleanUp();
  } finally {
    await closeSshPool();
  }
});

describe("Director on a real host (dir2)", () => {
  it("create in nat mode (through sudo) sets ip_forward=1 live and in its sysctl.d file, in one round trip (the probe and the changes planned from it, one remote command)", async () => {
    const inputs = await checked({ connection: dir2ViaSudo, mode: "nat" });
    const { result, execs, handshakes } = await cost(() => directorProvider.create(inputs));
    console.log(`Director create (nat, no VIP): ${execs} SSH exec round trips, ${handshakes} handshake(s)`);
    expect(execs).toBe(1);
    expect(result.id).toBe(id);
    state = result.outs;
    expect((await sysctls(["net.ipv4.ip_forward"]))["net.ipv4.ip_forward"]).toBe("1");
    expect((await sysctls())["net.ipv4.vs.expire_quiescent_template"]).toBe("1");
    const file = (await run(dir2, ["cat", DIRECTOR_FILES.sysctl])).stdout;
    expect(file).toContain("net.ipv4.ip_forward = 1\n");
    expect(file).toBe(renderSysctlFile(state!["appliedSysctls"]));
    expect((await run(dir2, ["cat", DIRECTOR_FILES.modulesLoad])).stdout).toMatch(/^ip_vs$/m);
    expect(state!["previousSysctls"]["net.ipv4.ip_forward"]).toBe(before["net.ipv4.ip_forward"]);
    const onHost = JSON.parse((await run(dir2, ["cat", DIRECTOR_FILES.previous])).stdout);
    expect(onHost.sysctls).toEqual(state!["previousSysctls"]);
  });

  it("create refuses to take over a host that already has another Director", async () => {
    const inputs = await checked({ connection: dir2ViaSudo, mode: "nat", ipv6Forwarding: true });
    await expect(directorProvider.create(inputs)).rejects.toThrow(AlreadyExistsError);
    await expect(directorProvider.create(inputs)).rejects.toThrow(/\(id 127\.0\.0\.1:2202\).*set `adopt: true`/);
  });

  it("create with this Director's own inputs carries on (what a re-run of a cut create finds) and changes nothing", async () => {
    const before = await directorProvider.read(id, state!);
    const inputs = await checked({ connection: dir2ViaSudo, mode: "nat" });
    const again = await directorProvider.create(inputs);
    expect(again.id).toBe(id);
    expect(await directorProvider.read(id, state!)).toEqual(before);
  });

  it("read is one round trip, returns what create returned, and twice the same", async () => {
    const first = await cost(() => directorProvider.read(id, state!));
    console.log(`Director read: ${first.execs} SSH exec round trips, ${first.handshakes} handshake(s)`);
    expect(first.execs).toBe(1);
    const second = await directorProvider.read(id, first.result.props);
    expect(first.result.props).toEqual(state);
    expect(second).toEqual(first.result);
    expect((await directorProvider.diff(id, second.props, await checked({ connection: dir2ViaSudo, mode: "nat" }))).changes).toBe(false);
  });

  it("an out-of-band `sysctl -w net.ipv4.ip_forward=0` shows in read and diff, and update re-applies it", async () => {
    await run(dir2, ["sysctl", "-w", "net.ipv4.ip_forward=0"]);
    const refreshed = await directorProvider.read(id, state!);
    expect(refreshed.props.appliedSysctls["net.ipv4.ip_forward"]).toBe("0");
    const news = await checked({ connection: dir2ViaSudo, mode: "nat" });
    const diff = await directorProvider.diff(id, refreshed.props, news);
    expect(diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    const { result, execs } = await cost(() => directorProvider.update(id, refreshed.props, news));
    console.log(`Director update (repair one sysctl): ${execs} SSH exec round trips`);
    expect(execs).toBe(1);
    state = result.outs;
    expect((await sysctls(["net.ipv4.ip_forward"]))["net.ipv4.ip_forward"]).toBe("1");
    // The value recorded at create survives the update: delete must not restore our own "1".
    expect(state!["previousSysctls"]["net.ipv4.ip_forward"]).toBe(before["net.ipv4.ip_forward"]);
    expect((await directorProvider.diff(id, (await directorProvider.read(id, state!)).props, news)).changes).toBe(false);
  });

  it("a mode change is a replacement, delete first; delete restores every previous value exactly", async () => {
    const news = await checked({ connection: dir2, mode: "dr", interfaces: ["eth1"], vip: { address: VIP, interface: "eth1" } });
    expect(await directorProvider.diff(id, state!, news)).toEqual({ changes: true, replaces: ["mode"], deleteBeforeReplace: true });
    const { execs } = await cost(() => directorProvider.delete(id, state!));
    console.log(`Director delete: ${execs} SSH exec round trips`);
    expect(execs).toBe(1);
    state = undefined;
    expect(await sysctls()).toEqual(before);
    expect(await ourFilesOnHost()).toEqual([]);
  });

  it("create in dr mode sets send_redirects=0 on all, default and eth1, and binds and persists the VIP", async () => {
    const inputs = await checked({ connection: dir2, mode: "dr", interfaces: ["eth1"], vip: { address: VIP, interface: "eth1" } });
    const { result, execs } = await cost(() => directorProvider.create(inputs));
    console.log(`Director create (dr, VIP): ${execs} SSH exec round trips`);
    expect(execs).toBe(1);
    state = result.outs;
    const live = await sysctls();
    for (const scope of ["all", "default", "eth1"]) expect(live[`net.ipv4.conf.${scope}.send_redirects`]).toBe("0");
    expect(live["net.ipv4.ip_forward"]).toBe(before["net.ipv4.ip_forward"]);
    expect((await run(dir2, ["cat", DIRECTOR_FILES.sysctl])).stdout).toContain("net.ipv4.conf.eth1.send_redirects = 0\n");
    expect(await addressesOf("eth1")).toContain(`inet ${VIP}/32 scope global eth1`);
    expect((await exec(dir2, ["systemctl", "is-enabled", VIP_UNIT_NAME])).stdout.trim()).toBe("enabled");
    expect((await exec(dir2, ["systemctl", "is-active", VIP_UNIT_NAME])).stdout.trim()).toBe("active");
    expect(state).toMatchObject({ vipBound: true, persisted: { modulesLoad: true, sysctlFile: true, vipUnit: true } });
    expect((await directorProvider.read(id, state!)).props).toEqual(state);
  });

  it("a VIP removed by hand is drift, and update binds it again", async () => {
    await run(dir2, ["ip", "addr", "del", `${VIP}/32`, "dev", "eth1"]);
    const refreshed = await directorProvider.read(id, state!);
    expect(refreshed.props.vipBound).toBe(false);
    const news = await checked({ connection: dir2, mode: "dr", interfaces: ["eth1"], vip: { address: VIP, interface: "eth1" } });
    expect((await directorProvider.diff(id, refreshed.props, news)).changes).toBe(true);
    state = (await directorProvider.update(id, refreshed.props, news)).outs;
    expect(await addressesOf("eth1")).toContain(`inet ${VIP}/32 scope global eth1`);
  });

  it("an update that drops eth1 and the VIP restores eth1's value and unbinds the VIP in place", async () => {
    const news = await checked({ connection: dir2, mode: "dr" });
    expect(await directorProvider.diff(id, state!, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    state = (await directorProvider.update(id, state!, news)).outs;
    expect((await sysctls())["net.ipv4.conf.eth1.send_redirects"]).toBe(before["net.ipv4.conf.eth1.send_redirects"]);
    expect(state!["previousSysctls"]).not.toHaveProperty(["net.ipv4.conf.eth1.send_redirects"]);
    expect(await addressesOf("eth1")).not.toContain(VIP);
    expect(await ourFilesOnHost()).not.toContain(DIRECTOR_FILES.vipUnit);
    expect((await directorProvider.read(id, state!)).props).toEqual(state);
  });

  it("delete restores every previous value exactly and leaves none of its files; then read says gone", async () => {
    await directorProvider.delete(id, state!);
    const deleted = state!;
    state = undefined;
    expect(await sysctls()).toEqual(before);
    expect(await ourFilesOnHost()).toEqual([]);
    expect((await exec(dir2, ["systemctl", "is-enabled", VIP_UNIT_NAME])).stdout.trim()).not.toBe("enabled");
    expect((await run(dir2, ["cat", "/proc/modules"])).stdout).toMatch(/^ip_vs /m); // left loaded: IPVS rules may exist
    expect(await directorProvider.read(id, deleted)).toEqual({});
  });

  it("refuses a VIP that is already an address of another interface, before changing anything", async () => {
    await run(dir2, ["ip", "addr", "add", `${VIP}/32`, "dev", "eth2"]);
    try {
      const inputs = await checked({ connection: dir2, mode: "nat", vip: { address: VIP, interface: "eth1" } });
      const attempt = directorProvider.create(inputs);
      await expect(attempt).rejects.toThrow(VipConflictError);
      await expect(attempt).rejects.toThrow(`cannot bind the VIP ${VIP} on eth1 of root@127.0.0.1:2202: it is already an address of eth2 there`);
      expect(await ourFilesOnHost()).toEqual([]);
      expect(await sysctls()).toEqual(before);
    } finally {
      await run(dir2, ["ip", "addr", "del", `${VIP}/32`, "dev", "eth2"]);
    }
  });

  it("adopts a NAT director set up by hand (VIP /24 on eth1, ip_forward in /etc/sysctl.conf): no VIP or value changes, no drift; delete leaves both", async () => {
    const script = 'vip=$1; cp -p /etc/sysctl.conf /root/sysctl.conf.director-test && echo "net.ipv4.ip_forward = 1" >>/etc/sysctl.conf && sysctl -q -p && ip addr add "$vip/24" dev eth1 label eth1:vip';
    await run(dir2, ["sh", "-c", script, "hand", VIP]);
    try {
      const vipLine = async () => (await addressesOf("eth1")).split("\n").filter((l) => l.includes(` ${VIP}/`));
      const handVip = await vipLine();
      const handValues = await sysctls();
      expect(handVip).toEqual([expect.stringMatching(new RegExp(`inet ${VIP.replace(/\./g, "\\.")}/24 .*eth1:vip`))]);
      const raw = { connection: dir2, mode: "nat", vip: { address: VIP, interface: "eth1", prefixLength: 24 } };
      await expect(directorProvider.create(await checked(raw))).rejects.toThrow(/already an address of eth1 there.*`adopt: true`/);
      expect(await ourFilesOnHost()).toEqual([]);
      const created = await directorProvider.create(await checked({ ...raw, adopt: true }));
      state = created.outs;
      expect(await vipLine()).toEqual(handVip);
      expect((await sysctls())["net.ipv4.ip_forward"]).toBe("1");
      expect((await run(dir2, ["cat", DIRECTOR_FILES.vipUnit])).stdout).toContain(`ExecStart=-/sbin/ip addr add ${VIP}/24 dev eth1\n`);
      const read = await directorProvider.read(id, state!);
      expect((await directorProvider.diff(id, read.props!, await checked({ ...raw, adopt: true }))).changes).toBe(false);
      await directorProvider.delete(id, state!);
      state = undefined;
      expect(await vipLine()).toEqual(handVip);
      expect(await sysctls()).toEqual({ ...handValues });
      expect(await ourFilesOnHost()).toEqual([]);
    } finally {
      await run(dir2, ["sh", "-c", 'mv -f /root/sysctl.conf.director-test /etc/sysctl.conf; ip addr del "$0/24" dev eth1 2>/dev/null; true', VIP]);
      await run(dir2, ["sysctl", "-q", "-w", `net.ipv4.ip_forward=${before["net.ipv4.ip_forward"]}`]);
    }
  });

  it("a create that fails part-way undoes the steps before the failure", async () => {
    // A real write failure: /etc/sysctl.d made read-only for the duration of the create.
    await run(dir2, ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "pulumi-lvs-test", "/etc/sysctl.d"]);
    try {
      const attempt = directorProvider.create(await checked({ connection: dir2, mode: "nat" }));
      await expect(attempt).rejects.toThrow(DirectorChangeError);
      await expect(attempt).rejects.toThrow(/write \/etc\/sysctl\.d\/60-pulumi-lvs-director\.conf.*Read-only file system.*were undone/s);
    } finally {
      await run(dir2, ["umount", "/etc/sysctl.d"]);
    }
    expect(await ourFilesOnHost()).toEqual([]);
    expect(await sysctls()).toEqual(before);
  });

  it("says clearly when ipvsadm is missing (a real `command not found` from the remote shell)", async () => {
    // The lab's hosts all have ipvsadm; for `lab` without sudo it is honestly not on the
    // PATH (sshd gives non-root users /usr/local/bin:/usr/bin:/bin, and it is in /usr/sbin).
    const noSbin: SshConnectionInput = { ...labConnection("dir2", { user: "sudo" }), sudo: false };
    expect((await exec(noSbin, ["ipvsadm", "--version"])).exitCode).toBe(127);
    const attempt = directorProvider.create(await checked({ connection: noSbin, mode: "nat" }));
    await expect(attempt).rejects.toThrow(IpvsadmMissingError);
    await expect(attempt).rejects.toThrow(
      /cannot prepare the director lab@127\.0\.0\.1:2202: ipvsadm is not installed there .*`apt-get install ipvsadm`, or set `installIpvsadm: true`/,
    );
    expect(await ourFilesOnHost()).toEqual([]);
  });
});
