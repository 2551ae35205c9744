// Planner tables: (live, desired) → operations, in order.

import {
  desiredDirector,
  missingOnHost,
  planDirector,
  planDirectorTeardown,
  previousValues,
  renderModulesLoadFile,
  renderSysctlFile,
  renderVipUnit,
  parseVipUnit,
  vipConflict,
  withKeptVips,
  type DirectorOp,
  type LiveDirector,
} from "../../../provider/director";
import { renderPreviousRecord } from "../../../provider/director/model";
import type { DirectorInputs } from "../../../provider/director/schema";

const VIP = { address: "10.77.0.240", interface: "eth1", prefixLength: 32 };
const OTHER_VIP = { address: "10.77.0.241", interface: "eth1", prefixLength: 32 };

function inputs(over: Partial<DirectorInputs> = {}): DirectorInputs {
  return { connection: {}, mode: "nat", interfaces: [], ipv6Forwarding: false, installIpvsadm: false, adopt: false, ...over } as DirectorInputs;
}

const NAT = desiredDirector(inputs());
const NAT_VIP = desiredDirector(inputs({ vip: VIP }));

/** dir2 before any Director (values as captured there). */
function fresh(over: Partial<LiveDirector> = {}): LiveDirector {
  return {
    ipvsadmPresent: true,
    packageManager: "apt",
    moduleLoaded: true,
    sysctls: {
      "net.ipv4.conf.all.send_redirects": "1",
      "net.ipv4.conf.default.send_redirects": "1",
      "net.ipv4.conf.eth1.send_redirects": "1",
      "net.ipv4.ip_forward": "0",
      "net.ipv4.vs.expire_nodest_conn": "0",
      "net.ipv4.vs.expire_quiescent_template": "0",
    },
    interfaces: ["eth0", "eth1", "eth2", "lo"],
    addresses: [{ interface: "eth1", address: "10.77.0.12", prefixLength: 24 }],
    files: {},
    vipUnitEnabled: false,
    vipUnitActive: false,
    ...over,
  };
}

const NAT_PREVIOUS = { "net.ipv4.ip_forward": "0", "net.ipv4.vs.expire_nodest_conn": "0", "net.ipv4.vs.expire_quiescent_template": "0" };
const NAT_APPLIED = { "net.ipv4.ip_forward": "1", "net.ipv4.vs.expire_nodest_conn": "1", "net.ipv4.vs.expire_quiescent_template": "1" };

/** A host where the nat Director (with VIP when asked) is fully in place. */
function converged(withVip: boolean): LiveDirector {
  const live = fresh();
  return {
    ...live,
    sysctls: { ...live.sysctls, ...NAT_APPLIED },
    addresses: withVip ? [...live.addresses, VIP] : live.addresses,
    files: {
      previous: renderPreviousRecord(NAT_PREVIOUS),
      modulesLoad: renderModulesLoadFile(),
      sysctl: renderSysctlFile(NAT_APPLIED),
      ...(withVip ? { vipUnit: renderVipUnit([VIP]) } : {}),
    },
    vipUnitEnabled: withVip,
    vipUnitActive: withVip,
  };
}

const write = (file: string) => expect.objectContaining({ kind: "writeFile", file });

describe("planDirector", () => {
  it.each<[string, LiveDirector, ReturnType<typeof desiredDirector>, unknown[]]>([
    [
      "fresh host, nat: record first, then files, then live values",
      fresh(),
      NAT,
      [write("previous"), write("modulesLoad"), write("sysctl"), { kind: "setSysctls", values: NAT_APPLIED }],
    ],
    [
      "fresh host, nat + VIP: the unit is written, then enabled and started (enable reloads systemd itself)",
      fresh(),
      NAT_VIP,
      [write("previous"), write("modulesLoad"), write("sysctl"), { kind: "setSysctls", values: NAT_APPLIED }, write("vipUnit"), { kind: "startVipUnit" }],
    ],
    ["converged: nothing", converged(false), NAT, []],
    ["converged with VIP: nothing", converged(true), NAT_VIP, []],
    [
      "ip_forward reset by hand: only that value",
      { ...converged(false), sysctls: { ...converged(false).sysctls, "net.ipv4.ip_forward": "0" } },
      NAT,
      [{ kind: "setSysctls", values: { "net.ipv4.ip_forward": "1" } }],
    ],
    ["sysctl file edited by hand: rewritten", { ...converged(false), files: { ...converged(false).files, sysctl: "# mine\n" } }, NAT, [write("sysctl")]],
    ["VIP removed by hand while the unit is active: bound directly", { ...converged(true), addresses: fresh().addresses }, NAT_VIP, [{ kind: "bindVip", vip: VIP }]],
    ["unit stopped and disabled by hand: enabled and started", { ...converged(true), vipUnitEnabled: false, vipUnitActive: false, addresses: fresh().addresses }, NAT_VIP, [{ kind: "startVipUnit" }]],
    [
      "VIP changed: the old unit is stopped (its ExecStop unbinds the old VIP) before it is rewritten",
      converged(true),
      desiredDirector(inputs({ vip: OTHER_VIP })),
      [{ kind: "stopVipUnit" }, write("vipUnit"), { kind: "reloadSystemd" }, { kind: "startVipUnit" }],
    ],
    ["VIP dropped: unit disabled and removed", converged(true), NAT, [{ kind: "disableVipUnit" }, { kind: "removeFiles", files: ["vipUnit"] }, { kind: "reloadSystemd" }]],
  ])("%s", (_name, live, desired, expected) => {
    expect(planDirector(live, desired)).toEqual(expected);
  });

  it("nat → … → dr on the same record: new keys recorded as they are now, released keys restored and dropped", () => {
    const dr = desiredDirector(inputs({ mode: "dr", interfaces: ["eth1"] }));
    const ops = planDirector(converged(false), dr);
    const kept = {
      "net.ipv4.conf.all.send_redirects": "1",
      "net.ipv4.conf.default.send_redirects": "1",
      "net.ipv4.conf.eth1.send_redirects": "1",
      "net.ipv4.vs.expire_nodest_conn": "0",
      "net.ipv4.vs.expire_quiescent_template": "0",
    };
    expect(ops[0]).toEqual({ kind: "writeFile", file: "previous", content: renderPreviousRecord(kept) });
    expect(ops).toContainEqual({ kind: "restoreSysctls", values: { "net.ipv4.ip_forward": "0" } });
    expect(ops).toContainEqual({
      kind: "setSysctls",
      values: { "net.ipv4.conf.all.send_redirects": "0", "net.ipv4.conf.default.send_redirects": "0", "net.ipv4.conf.eth1.send_redirects": "0" },
    });
  });

  it("never records our own value as previous: the host's record wins, then state's copy", () => {
    const live = converged(false);
    expect(previousValues(live, NAT).keep).toEqual(NAT_PREVIOUS);
    const recordLost = { ...live, files: { ...live.files, previous: undefined } };
    delete recordLost.files.previous;
    expect(previousValues(recordLost, NAT, NAT_PREVIOUS).keep).toEqual(NAT_PREVIOUS);
    expect(planDirector(recordLost, NAT, NAT_PREVIOUS)).toEqual([{ kind: "writeFile", file: "previous", content: renderPreviousRecord(NAT_PREVIOUS) }]);
  });
});

describe("planDirectorTeardown", () => {
  it.each<[string, LiveDirector, DirectorOp[]]>([
    [
      "nat: restore, then remove every file, the record last",
      converged(false),
      [{ kind: "restoreSysctls", values: NAT_PREVIOUS }, { kind: "removeFiles", files: ["sysctl", "modulesLoad", "previous"] }, { kind: "removeStateDirectory" }],
    ],
    [
      "with VIP: the unit is disabled (ExecStop unbinds) and systemd reloaded after its file is gone",
      converged(true),
      [{ kind: "restoreSysctls", values: NAT_PREVIOUS }, { kind: "disableVipUnit" }, { kind: "removeFiles", files: ["vipUnit", "sysctl", "modulesLoad", "previous"] }, { kind: "removeStateDirectory" }, { kind: "reloadSystemd" }],
    ],
    [
      "a stopped unit whose VIP is still bound: the address is removed directly",
      { ...converged(true), vipUnitActive: false },
      [{ kind: "restoreSysctls", values: NAT_PREVIOUS }, { kind: "disableVipUnit" }, { kind: "unbindVip", vip: VIP }, { kind: "removeFiles", files: ["vipUnit", "sysctl", "modulesLoad", "previous"] }, { kind: "removeStateDirectory" }, { kind: "reloadSystemd" }],
    ],
    [
      "values already back, and an interface gone: nothing to restore for them",
      { ...converged(false), sysctls: { "net.ipv4.ip_forward": "0" } },
      [{ kind: "removeFiles", files: ["sysctl", "modulesLoad", "previous"] }, { kind: "removeStateDirectory" }],
    ],
    ["nothing of ours: nothing", fresh(), []],
  ])("%s", (_name, live, expected) => {
    expect(planDirectorTeardown(live)).toEqual(expected);
  });

  it("uses state's copy of the previous values when the host's record is gone", () => {
    const live = converged(false);
    delete live.files.previous;
    expect(planDirectorTeardown(live, NAT_PREVIOUS)[0]).toEqual({ kind: "restoreSysctls", values: NAT_PREVIOUS });
  });
});

describe("refusals before any change", () => {
  it.each([
    ["free", fresh(), undefined],
    ["on another interface", fresh({ addresses: [{ interface: "eth2", address: VIP.address, prefixLength: 32 }] }), { boundOn: "eth2" }],
    ["on its interface, by someone else", fresh({ addresses: [{ interface: "eth1", address: VIP.address, prefixLength: 32 }] }), { boundOn: "eth1" }],
    ["bound by our own unit", converged(true), undefined],
  ])("vipConflict: %s", (_name, live, expected) => {
    expect(vipConflict(live, VIP)).toEqual(expected);
  });

  it("missingOnHost names missing interfaces, and sysctls the kernel lacks", () => {
    const desired = { ...desiredDirector(inputs({ mode: "nat", ipv6Forwarding: true, vip: { ...VIP, interface: "bond0" } })), interfaces: [] };
    expect(missingOnHost(fresh(), desired)).toEqual({ interfaces: ["bond0"], sysctls: ["net.ipv6.conf.all.forwarding"] });
    const dr = { ...desiredDirector(inputs({ mode: "dr", interfaces: ["eth9"] })), interfaces: ["eth9"] };
    expect(missingOnHost(fresh(), dr)).toEqual({ interfaces: ["eth9"], sysctls: [] });
  });
});

describe("adopting a director set up by hand (kept VIPs)", () => {
  // As a guide does it: the VIP on eth1 with its own prefix, ip_forward in /etc/sysctl.conf.
  const HAND_VIP = { address: "10.77.0.240", interface: "eth1", prefixLength: 24 };
  const handMade = () => fresh({ addresses: [...fresh().addresses, { ...HAND_VIP }], sysctls: { ...fresh().sysctls, "net.ipv4.ip_forward": "1" } });
  const desired = desiredDirector(inputs({ vip: HAND_VIP }));

  it("without adopt the VIP is a conflict; with adopt it is kept, and only on its interface with its prefix", () => {
    const live = handMade();
    expect(vipConflict(live, withKeptVips(desired, live, false).vips[0]!)).toEqual({ boundOn: "eth1" });
    expect(withKeptVips(desired, live, true).vips).toEqual([{ ...HAND_VIP, kept: true }]);
    expect(vipConflict(live, withKeptVips(desired, live, true).vips[0]!)).toBeUndefined();
    const otherPrefix = desiredDirector(inputs({ vip: { ...HAND_VIP, prefixLength: 32 } }));
    expect(withKeptVips(otherPrefix, live, true).vips[0]!.kept).toBeUndefined();
    expect(vipConflict(live, withKeptVips(otherPrefix, live, true).vips[0]!)).toEqual({ boundOn: "eth1" });
  });

  it("the unit adds a kept VIP only when it is missing and never removes it; the unit is the record of it", () => {
    const unit = renderVipUnit([{ ...HAND_VIP, kept: true }, OTHER_VIP]);
    expect(unit).toContain("ExecStart=-/sbin/ip addr add 10.77.0.240/24 dev eth1\n");
    expect(unit).toContain("ExecStart=/sbin/ip addr replace 10.77.0.241/32 dev eth1\n");
    expect(unit).not.toContain("ExecStop=-/sbin/ip addr del 10.77.0.240/24");
    expect(parseVipUnit(unit)).toEqual([{ ...HAND_VIP, kept: true }, OTHER_VIP]);
    // No kept VIP: the unit a Director has always written, so those hosts show no drift.
    expect(renderVipUnit([VIP])).toBe(renderVipUnit([{ ...VIP }]));
    expect(renderVipUnit([VIP])).not.toContain("addr add");
  });

  it("adopting binds nothing and sets no value the host already has; later runs read kept from the unit, adopt or not", () => {
    const live = handMade();
    const ops = planDirector(live, withKeptVips(desired, live, true));
    expect(ops.filter((o) => o.kind === "bindVip" || o.kind === "unbindVip")).toEqual([]);
    expect(ops.find((o) => o.kind === "setSysctls")).toEqual({ kind: "setSysctls", values: { "net.ipv4.vs.expire_nodest_conn": "1", "net.ipv4.vs.expire_quiescent_template": "1" } });
    const unit = (ops.find((o) => o.kind === "writeFile" && o.file === "vipUnit") as { content: string }).content;
    const after = { ...live, files: { vipUnit: unit }, vipUnitEnabled: true, vipUnitActive: true };
    expect(withKeptVips(desired, after, false).vips).toEqual([{ ...HAND_VIP, kept: true }]);
  });

  it("delete with the unit stopped unbinds only the Director's own VIPs", () => {
    const unit = renderVipUnit([{ ...HAND_VIP, kept: true }, OTHER_VIP]);
    const live = fresh({ addresses: [...fresh().addresses, { ...HAND_VIP }, { ...OTHER_VIP }], files: { vipUnit: unit }, vipUnitEnabled: true, vipUnitActive: false });
    expect(planDirectorTeardown(live).filter((o) => o.kind === "unbindVip")).toEqual([{ kind: "unbindVip", vip: OTHER_VIP }]);
  });
});
