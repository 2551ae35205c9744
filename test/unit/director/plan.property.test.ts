// Property tests of the planner against a model of the host: from any starting point,
// applying the plan reaches the desired state and planning again yields nothing; then
// the teardown plan puts every recorded value back and leaves nothing of ours.

import fc from "fast-check";
import {
  desiredDirector,
  desiredSysctls,
  parseVipUnit,
  persistedFlags,
  planDirector,
  planDirectorTeardown,
  previousValues,
  renderModulesLoadFile,
  renderSysctlFile,
  renderVipUnit,
  vipConflict,
  type DirectorOp,
  type LiveDirector,
} from "../../../provider/director";
import { renderPreviousRecord, vipBound } from "../../../provider/director/model";
import type { DirectorInputs } from "../../../provider/director/schema";

/** The host as the planner sees it, plus the unit definition systemd has loaded. */
interface Host extends LiveDirector {
  loadedUnit: string | undefined;
}

function runUnit(host: Host, action: "start" | "stop"): void {
  const vips = parseVipUnit(host.loadedUnit);
  const others = host.addresses.filter((a) => !vips.some((v) => a.interface === v.interface && a.address === v.address));
  host.addresses = action === "start" ? [...others, ...vips] : others;
}

/** What each operation does on a real host, as far as the planner can observe it. */
function apply(start: Host, ops: readonly DirectorOp[]): Host {
  const host: Host = structuredClone(start);
  for (const op of ops) {
    switch (op.kind) {
      case "writeFile":
        host.files[op.file] = op.content;
        break;
      case "removeFiles":
        for (const f of op.files) delete host.files[f];
        break;
      case "setSysctls":
        Object.assign(host.sysctls, op.values);
        break;
      case "restoreSysctls":
        for (const [k, v] of Object.entries(op.values)) if (k in host.sysctls) host.sysctls[k] = v;
        break;
      case "reloadSystemd":
        host.loadedUnit = host.files.vipUnit;
        break;
      case "startVipUnit":
        // enable of a unit not yet enabled makes its symlinks and reloads systemd (seen on
        // the lab: a new unit enabled --now without a daemon-reload is active and needs none).
        if (!host.vipUnitEnabled) host.loadedUnit = host.files.vipUnit;
        host.vipUnitEnabled = true;
        if (!host.vipUnitActive) runUnit(host, "start");
        host.vipUnitActive = true;
        break;
      case "stopVipUnit":
      case "disableVipUnit":
        if (op.kind === "disableVipUnit") host.vipUnitEnabled = false;
        if (host.vipUnitActive) runUnit(host, "stop");
        host.vipUnitActive = false;
        break;
      case "bindVip":
        if (!vipBound(host, op.vip)) host.addresses.push(op.vip);
        break;
      case "removeStateDirectory":
        break;
      case "unbindVip":
        host.addresses = host.addresses.filter((a) => !(a.interface === op.vip.interface && a.address === op.vip.address));
        break;
    }
  }
  return host;
}

const INTERFACES = ["eth1", "eth2", "eth0.100"];
const VIPS = [
  { address: "10.0.0.100", interface: "eth1", prefixLength: 32 },
  { address: "10.0.0.100", interface: "eth2", prefixLength: 32 },
  { address: "10.0.0.101", interface: "eth1", prefixLength: 32 },
  { address: "fd00::100", interface: "eth0.100", prefixLength: 128 },
];
const ALL_KEYS = Object.keys({
  ...desiredSysctls({ mode: "dr", interfaces: INTERFACES, ipv6Forwarding: false }),
  ...desiredSysctls({ mode: "nat", interfaces: [], ipv6Forwarding: true }),
});

const inputsArb = fc
  .record({
    mode: fc.constantFrom("dr" as const, "nat" as const, "tun" as const),
    interfaces: fc.subarray(INTERFACES),
    ipv6Forwarding: fc.boolean(),
    vip: fc.option(fc.constantFrom(...VIPS), { nil: undefined }),
    vips: fc.option(fc.shuffledSubarray(VIPS), { nil: undefined }),
  })
  .map((r) => {
    // Each address once across vip and vips, as the schema requires.
    const vips = r.vips?.filter((v, i, all) => v.address !== r.vip?.address && all.findIndex((w) => w.address === v.address) === i);
    return {
      connection: {},
      mode: r.mode,
      interfaces: r.mode === "dr" ? r.interfaces : [],
      ipv6Forwarding: r.mode === "nat" && r.ipv6Forwarding,
      ...(r.vip ? { vip: r.vip } : {}),
      ...(vips ? { vips } : {}),
    } as DirectorInputs;
  });

/** Any host: values anywhere, our files present, edited or absent, the unit in any state. */
const hostArb: fc.Arbitrary<Host> = fc
  .record({
    values: fc.array(fc.constantFrom("0", "1"), { minLength: ALL_KEYS.length, maxLength: ALL_KEYS.length }),
    earlier: fc.option(inputsArb, { nil: undefined }),
    edited: fc.subarray(["modulesLoad", "sysctl", "vipUnit"] as const),
    unitEnabled: fc.boolean(),
    unitActive: fc.boolean(),
    vipBoundByHand: fc.boolean(),
  })
  .map(({ values, earlier, edited, unitEnabled, unitActive, vipBoundByHand }) => {
    const sysctls = Object.fromEntries(ALL_KEYS.map((k, i) => [k, values[i]!]));
    const host: Host = {
      ipvsadmPresent: true,
      packageManager: "apt",
      moduleLoaded: true,
      sysctls,
      interfaces: ["eth0", "eth0.100", "eth1", "eth2", "lo"],
      addresses: [],
      files: {},
      vipUnitEnabled: false,
      vipUnitActive: false,
      loadedUnit: undefined,
    };
    if (earlier) {
      // A Director was here before (an earlier version of the inputs), maybe edited by hand since.
      const d = desiredDirector(earlier);
      host.files.previous = renderPreviousRecord(Object.fromEntries(Object.keys(d.sysctls).map((k) => [k, values[ALL_KEYS.indexOf(k)] === "0" ? "1" : "0"])));
      host.files.modulesLoad = edited.includes("modulesLoad") ? "# mine\n" : renderModulesLoadFile();
      host.files.sysctl = edited.includes("sysctl") ? "# mine\n" : renderSysctlFile(d.sysctls);
      if (d.vips.length > 0) {
        host.files.vipUnit = edited.includes("vipUnit") ? renderVipUnit(d.vips.map((v) => ({ ...v, prefixLength: 24 }))) : renderVipUnit(d.vips);
        host.loadedUnit = host.files.vipUnit;
        host.vipUnitEnabled = unitEnabled;
        host.vipUnitActive = unitActive;
        if (unitActive && vipBoundByHand) host.addresses.push(...parseVipUnit(host.loadedUnit));
      }
    }
    return host;
  });

describe("planDirector against a model of the host", () => {
  it("reaches the desired state, and planning again yields nothing", () => {
    fc.assert(
      fc.property(hostArb, inputsArb, (start, inputs) => {
        const desired = desiredDirector(inputs);
        fc.pre(desired.vips.every((v) => vipConflict(start, v) === undefined));
        const after = apply(start, planDirector(start, desired));
        for (const [k, v] of Object.entries(desired.sysctls)) expect(after.sysctls[k]).toBe(v);
        expect(persistedFlags(after, desired)).toEqual({ modulesLoad: true, sysctlFile: true, vipUnit: true });
        // Only the desired VIPs are left: earlier VIPs of ours were unbound by their unit's ExecStop.
        const where = (a: { address: string; interface: string }) => `${a.address}%${a.interface}`;
        expect(after.addresses.map(where).sort()).toEqual(desired.vips.map(where).sort());
        expect(after.loadedUnit).toBe(after.files.vipUnit);
        expect(planDirector(after, desired)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it("then the teardown restores every recorded value and leaves nothing of ours", () => {
    fc.assert(
      fc.property(hostArb, inputsArb, (start, inputs) => {
        const desired = desiredDirector(inputs);
        fc.pre(desired.vips.every((v) => vipConflict(start, v) === undefined));
        const recorded = previousValues(start, desired).keep;
        const after = apply(start, planDirector(start, desired));
        const gone = apply(after, planDirectorTeardown(after));
        for (const [k, v] of Object.entries(recorded)) expect(gone.sysctls[k]).toBe(v);
        expect(gone.files).toEqual({});
        expect(gone.vipUnitEnabled || gone.vipUnitActive).toBe(false);
        for (const vip of desired.vips) expect(vipBound(gone, vip)).toBe(false);
        expect(planDirectorTeardown(gone)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});
