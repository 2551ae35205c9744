// The planner: live × desired → operations, on a model of the host. From any starting
// point, applying the plan reaches the desired state and planning again yields nothing;
// the teardown removes the files and releases the record.

import {
  arpPersistedFlags,
  desiredArp,
  desiredArpSysctls,
  desiredFiles,
  diffArp,
  keptVips,
  parseRecord,
  planArp,
  planArpTeardown,
  renderArpOp,
  renderRecord,
  resolveInterfaces,
  vipConflicts,
  type ArpOp,
  type DesiredArp,
  type LiveArp,
} from "../../../provider/arp";

const KEY = "0123456789ab";

function emptyHost(): LiveArp {
  return {
    ipipLoaded: false,
    ipv6Disabled: false,
    defaultRouteInterfaces: ["eth0"],
    sysctls: Object.fromEntries(["all", "lo", "eth0", "eth1"].flatMap((i) => [[`net.ipv4.conf.${i}.arp_ignore`, "0"], [`net.ipv4.conf.${i}.arp_announce`, "0"], [`net.ipv4.conf.${i}.rp_filter`, "2"]])),
    interfaces: ["eth0", "eth1", "lo"],
    upInterfaces: ["eth0", "eth1", "lo"],
    addresses: [{ interface: "eth1", address: "10.77.0.21", prefixLength: 24 }],
    files: {},
    unitEnabled: false,
    records: {},
    originals: {},
  };
}

/** What each operation does on a real host, as far as the planner can observe it. */
function apply(start: LiveArp, ops: readonly ArpOp[]): LiveArp {
  const host = structuredClone(start);
  for (const op of ops) {
    switch (op.kind) {
      case "register":
        for (const [k, v] of Object.entries(op.sysctls)) {
          if (host.originals[k] === undefined) host.originals[k] = host.sysctls[k]!;
          host.sysctls[k] = v;
        }
        host.records[op.key] = op.record;
        host.files.record = op.record;
        break;
      case "setSysctls":
        Object.assign(host.sysctls, op.values);
        break;
      case "writeFile":
        host.files[op.file] = op.content;
        break;
      case "removeFiles":
        for (const f of op.files) delete host.files[f];
        break;
      case "enableUnit":
        host.unitEnabled = true;
        break;
      case "disableUnit":
        host.unitEnabled = false;
        break;
      case "loadIpip":
        host.ipipLoaded = true;
        host.interfaces = [...host.interfaces, "tunl0"].sort();
        host.sysctls["net.ipv4.conf.tunl0.rp_filter"] = "2";
        break;
      case "tunnelUp":
        host.upInterfaces = [...host.upInterfaces, "tunl0"].sort();
        break;
      case "bindVip":
        host.addresses = [...host.addresses.filter((a) => !(a.address === op.vip.address && a.interface === op.vip.device)), { interface: op.vip.device, address: op.vip.address, prefixLength: op.vip.prefixLength }];
        break;
      case "release": {
        const mine = parseRecord(host.records[op.key] ?? "");
        delete host.records[op.key];
        delete host.files.record;
        const others = Object.values(host.records).map(parseRecord);
        for (const name of mine.sysctls) {
          if (others.some((r) => r.sysctls.includes(name))) continue;
          if (host.originals[name] !== undefined) host.sysctls[name] = host.originals[name]!;
          delete host.originals[name];
        }
        for (const v of mine.vips) {
          if (others.some((r) => r.vips.some((o) => o.address === v.address && o.device === v.device))) continue;
          host.addresses = host.addresses.filter((a) => !(a.address === v.address && a.interface === v.device));
        }
        break;
      }
      case "reloadSystemd":
        break;
    }
  }
  return host;
}

const dr = (live: LiveArp, vips = ["10.77.0.210", "fd77::210"], persist = true): DesiredArp =>
  desiredArp({ mode: "dr", vips, persist }, KEY, resolveInterfaces(undefined, live));
const tun = (live: LiveArp, persist = true): DesiredArp => desiredArp({ mode: "tun", vips: ["10.77.0.220"], persist }, KEY, resolveInterfaces(["eth1"], live));

describe("desiredArpSysctls", () => {
  it("dr: arp_ignore=1 and arp_announce=2 on all, lo and each interface", () => {
    expect(desiredArpSysctls("dr", ["eth1"])).toEqual({
      "net.ipv4.conf.all.arp_announce": "2",
      "net.ipv4.conf.all.arp_ignore": "1",
      "net.ipv4.conf.eth1.arp_announce": "2",
      "net.ipv4.conf.eth1.arp_ignore": "1",
      "net.ipv4.conf.lo.arp_announce": "2",
      "net.ipv4.conf.lo.arp_ignore": "1",
    });
  });
  it("tun: the same, and rp_filter=0 on all and tunl0", () => {
    expect(desiredArpSysctls("tun", [])).toMatchObject({ "net.ipv4.conf.all.rp_filter": "0", "net.ipv4.conf.tunl0.rp_filter": "0" });
  });
  it("writes a VLAN interface's dot as a slash, as sysctl does", () => {
    expect(Object.keys(desiredArpSysctls("dr", ["eth0.100"]))).toContain("net.ipv4.conf.eth0/100.arp_ignore");
  });
});

describe("resolveInterfaces", () => {
  it.each([
    [undefined, ["eth0", "eth1"], ["eth0"]],
    [undefined, [], []],
    [["eth1", "eth2"], ["eth0"], ["eth1", "eth2"]],
    [[], ["eth0"], []],
  ])("given %j with default routes via %j → %j", (given, routes, expected) => {
    expect(resolveInterfaces(given, { defaultRouteInterfaces: routes })).toEqual(expected);
  });
});

describe("planArp", () => {
  it("dr on a fresh host: record and sysctls first, boot files, then the VIPs", () => {
    const live = emptyHost();
    const ops = planArp(live, dr(live));
    expect(ops.map((o) => o.kind)).toEqual(["register", "writeFile", "writeFile", "reloadSystemd", "enableUnit", "bindVip", "bindVip"]);
    expect(ops.filter((o) => o.kind === "writeFile").map((o) => (o as { file: string }).file)).toEqual(["sysctl", "unit"]);
  });

  it("tun: loads ipip and brings tunl0 up before its sysctls, and persists the module", () => {
    const live = emptyHost();
    const ops = planArp(live, tun(live));
    expect(ops.map((o) => o.kind).slice(0, 3)).toEqual(["loadIpip", "tunnelUp", "register"]);
    expect(ops.filter((o) => o.kind === "writeFile").map((o) => (o as { file: string }).file)).toEqual(["sysctl", "modulesLoad", "unit"]);
    expect(ops.filter((o) => o.kind === "bindVip")).toEqual([{ kind: "bindVip", vip: { address: "10.77.0.220", prefixLength: 32, device: "tunl0" } }]);
  });

  it.each([
    ["dr", (l: LiveArp) => dr(l)],
    ["dr without persist", (l: LiveArp) => dr(l, ["10.77.0.210"], false)],
    ["tun", (l: LiveArp) => tun(l)],
  ])("%s: applying the plan converges, and planning again yields nothing", (_name, desire) => {
    const live = emptyHost();
    const after = apply(live, planArp(live, desire(live)));
    expect(planArp(after, desire(after))).toEqual([]);
    expect(arpPersistedFlags(after, desire(after))).toEqual({ sysctlFile: true, bootUnit: true, modulesLoad: true });
  });

  it("repairs drift: a sysctl changed and a VIP removed by hand", () => {
    const live = emptyHost();
    const desired = dr(live);
    const after = apply(live, planArp(live, desired));
    after.sysctls["net.ipv4.conf.all.arp_ignore"] = "0";
    after.addresses = after.addresses.filter((a) => a.address !== "fd77::210");
    expect(planArp(after, desired)).toEqual([
      { kind: "setSysctls", values: { "net.ipv4.conf.all.arp_ignore": "1" } },
      { kind: "bindVip", vip: { address: "fd77::210", prefixLength: 128, device: "lo" } },
    ]);
  });

  it("persist turned off: the boot files go, the record stays", () => {
    const live = emptyHost();
    const after = apply(live, planArp(live, dr(live)));
    const ops = planArp(after, dr(after, undefined, false));
    expect(ops).toEqual([{ kind: "disableUnit", key: KEY }, { kind: "removeFiles", key: KEY, files: ["sysctl", "unit"] }, { kind: "reloadSystemd" }]);
  });

  it("every operation renders to an argv", () => {
    const live = emptyHost();
    for (const op of [...planArp(live, tun(live)), ...planArpTeardown({ files: desiredFiles(tun(live)), unitEnabled: true }, KEY)]) {
      expect(renderArpOp(op).length).toBeGreaterThan(0);
    }
  });
});

describe("planArpTeardown, with a second resource on the host", () => {
  it("removes this resource's files and releases its record; the other's VIP and sysctls stay", () => {
    const host = emptyHost();
    const other = desiredArp({ mode: "dr", vips: ["10.77.0.211"], persist: true }, "bbbbbbbbbbbb", ["eth0"]);
    const withOther = apply(host, planArp(host, other));
    const mine = dr(withOther);
    const both = apply({ ...withOther, files: {}, unitEnabled: false }, planArp({ ...withOther, files: {}, unitEnabled: false }, mine));
    const ops = planArpTeardown(both, KEY);
    expect(ops.map((o) => o.kind)).toEqual(["disableUnit", "removeFiles", "reloadSystemd", "release"]);
    const after = apply(both, ops);
    expect(after.sysctls["net.ipv4.conf.all.arp_ignore"]).toBe("1");
    expect(after.addresses.map((a) => a.address)).toEqual(["10.77.0.21", "10.77.0.211"]);
    const last = apply(after, [{ kind: "release", key: "bbbbbbbbbbbb" }]);
    expect(last.sysctls).toEqual(host.sysctls);
    expect(last.originals).toEqual({});
  });

  it("is empty when nothing of ours is on the host", () => {
    expect(planArpTeardown({ files: {}, unitEnabled: false }, KEY)).toEqual([]);
  });

  // Found by the fault matrix in CI: a delete killed during its release left the registry's
  // directories, empty, after the record had gone; the re-run found nothing to do.
  it("takes the registry's empty directories when the record has gone and no other record is left", () => {
    expect(planArpTeardown({ files: {}, unitEnabled: false, registryPresent: true, records: {} }, KEY)).toEqual([{ kind: "release", key: KEY }]);
    expect(planArpTeardown({ files: {}, unitEnabled: false, registryPresent: true, records: { bbbbbbbbbbbb: "vip 10.77.0.211/32 lo\n" } }, KEY)).toEqual([]);
    expect(planArpTeardown({ files: {}, unitEnabled: false, registryPresent: false, records: {} }, KEY)).toEqual([]);
  });
});

describe("vipConflicts", () => {
  it("refuses a VIP that is a real address of the host, or on lo by hand; accepts one a record binds", () => {
    const live = emptyHost();
    live.addresses.push({ interface: "lo", address: "10.77.0.212", prefixLength: 32 }, { interface: "lo", address: "10.77.0.213", prefixLength: 32 });
    live.records["bbbbbbbbbbbb"] = renderRecord({ sysctls: {}, vips: [{ address: "10.77.0.213", prefixLength: 32, device: "lo" }] });
    const vips = dr(live, ["10.77.0.21", "10.77.0.212", "10.77.0.213", "10.77.0.214"]).vips;
    expect(vipConflicts(live, vips)).toEqual([
      { vip: "10.77.0.21", boundOn: "eth1" },
      { vip: "10.77.0.212", boundOn: "lo" },
    ]);
  });
});

describe("adopting a real server prepared by hand (keptVips)", () => {
  function handMade(): LiveArp {
    const live = emptyHost();
    live.addresses.push({ interface: "lo", address: "10.77.0.210", prefixLength: 32 }, { interface: "eth1", address: "10.77.0.211", prefixLength: 32 });
    for (const k of Object.keys(live.sysctls)) if (/\.(all|lo|eth0)\.arp_/.test(k)) live.sysctls[k] = k.endsWith("arp_ignore") ? "1" : "2";
    return live;
  }

  it("keeps a VIP bound by hand on lo only with adopt; not one on another interface, nor one a record binds", () => {
    const live = handMade();
    live.addresses.push({ interface: "lo", address: "10.77.0.213", prefixLength: 32 });
    live.records["bbbbbbbbbbbb"] = renderRecord({ sysctls: {}, vips: [{ address: "10.77.0.213", prefixLength: 32, device: "lo" }] });
    const desired = dr(live, ["10.77.0.210", "10.77.0.211", "10.77.0.213", "10.77.0.214"]);
    expect(keptVips(live, desired, false)).toEqual([]);
    expect(keptVips(live, desired, true)).toEqual([{ address: "10.77.0.210", prefixLength: 32, device: "lo" }]);
  });

  it("the first plan changes no VIP and no sysctl value: it records (the kept VIP too) and writes the boot files; then nothing", () => {
    const live = handMade();
    const base = dr(live, ["10.77.0.210"]);
    const desired = { ...base, kept: keptVips(live, base, true) };
    const ops = planArp(live, desired);
    expect(ops.map((o) => o.kind)).toEqual(["register", "writeFile", "writeFile", "reloadSystemd", "enableUnit"]);
    expect((ops[0] as { record: string }).record).toContain("kept 10.77.0.210/32 lo\n");
    const after = apply(live, ops);
    expect(after.sysctls).toEqual(live.sysctls);
    expect(after.addresses).toEqual(live.addresses);
    // A later run reads `kept` back from its own record, adopt or not.
    expect(keptVips(after, base, false)).toEqual(desired.kept);
    expect(planArp(after, { ...base, kept: keptVips(after, base, false) })).toEqual([]);
  });

  it("a kept VIP removed by hand is bound again (drift), still kept", () => {
    const live = handMade();
    const base = dr(live, ["10.77.0.210"]);
    const after = apply(live, planArp(live, { ...base, kept: keptVips(live, base, true) }));
    after.addresses = after.addresses.filter((a) => a.address !== "10.77.0.210");
    expect(planArp(after, { ...base, kept: keptVips(after, base, false) })).toEqual([{ kind: "bindVip", vip: { address: "10.77.0.210", prefixLength: 32, device: "lo" } }]);
  });
});

describe("diffArp", () => {
  const olds = {
    connection: { host: "h", port: 22 },
    vips: ["10.77.0.210"],
    mode: "dr",
    persist: true,
    appliedInterfaces: ["eth0"],
    appliedSysctls: desiredArpSysctls("dr", ["eth0"]),
    boundVips: ["10.77.0.210"],
    persisted: { sysctlFile: true, bootUnit: true, modulesLoad: true },
  };
  const news = { connection: { host: "h", port: 22 }, vips: ["10.77.0.210"], mode: "dr", persist: true };

  it.each([
    ["nothing", {}, {}, [], []],
    ["vips", {}, { vips: ["10.77.0.211"] }, ["vips"], []],
    ["mode", {}, { mode: "tun" }, ["mode"], []],
    ["host", {}, { connection: { host: "other", port: 22 } }, ["connection"], []],
    ["persist", {}, { persist: false }, [], ["persist"]],
    ["a VIP gone", { boundVips: [] }, {}, [], ["boundVips"]],
    ["a sysctl drifted", { appliedSysctls: { ...desiredArpSysctls("dr", ["eth0"]), "net.ipv4.conf.all.arp_ignore": "0" } }, {}, [], ["appliedSysctls"]],
    ["a boot file edited", { persisted: { sysctlFile: false, bootUnit: true, modulesLoad: true } }, {}, [], ["persisted"]],
  ])("%s", (_name, o, n, replaces, updates) => {
    expect(diffArp({ ...olds, ...o }, { ...news, ...n })).toEqual({ replaces, updates });
  });
});
