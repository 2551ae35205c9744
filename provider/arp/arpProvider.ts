// lvs:index:RealServerArpConfig: prepares a real server for DR or TUN (VIPs on lo or
// tunl0, ARP kept quiet, rp_filter relaxed for tunnels), persists it across reboots, and
// puts back what was there on delete, sharing the host fairly with other such resources.
//
// State is the checked inputs plus what was observed: the resource's key on the host
// (recordKey), the interfaces the ARP settings were applied to, the VIPs bound, the live
// values of its sysctls, their recorded originals and whether the boot files are in
// place. `read` fills the observed part from the host, and `diff` compares it with what
// the inputs need, so drift (a VIP removed by hand, a sysctl changed) shows and `up`
// repairs it.

import type * as pulumi from "@pulumi/pulumi";
import { describeConnection, type SshConnection } from "../ssh";
import { checkWithSchema } from "../resource/check";
import { observedHostKeyFingerprint, resolveConnection } from "../resource/connection";
import { StateError } from "../resource/errors";
import { directorId } from "../ipvs/ids";
import { ArpChangeError, ArpInterfaceError, ArpVipConflictError, IpipModuleError, Ipv6DisabledError } from "./errors";
import { applyArpOps, probeArp } from "./executor";
import { RECORD_KEY, boundVips, desiredArp, recordKeyOf, desiredArpSysctls, isBound, keptVips, resolveInterfaces, vipConflicts, vipDevice, type DesiredArp, type LiveArp, type SysctlMap } from "./model";
import { arpPersistedFlags, missingInterfaces, originalValues, planArp, planArpTeardown, type ArpPersistedFlags } from "./plan";
import { formatCheckFailures as formatArpCheckFailures } from "../resource/checkFailures";
import { ArpInputsSchema, type ArpInputs } from "./schema";

export const REAL_SERVER_ARP_CONFIG_TYPE = "RealServerArpConfig";

const INPUT_PROPERTIES = ["connection", "vips", "mode", "interfaces", "persist", "adopt"] as const;
/**
 * Set by the RealServerArpConfig class, never by users: "project/stack/name", from which
 * (with the record's identity) the record key is derived. Not an input of the schema (it is
 * not the user's to set, and the README documents the user's inputs), so check takes it
 * aside and puts it back.
 */
const RECORD_OWNER = "recordOwner";
const MAX_OWNER_LENGTH = 1024;
/** The record on the host names these: a change makes a new record (create, then delete the old one). */
const REPLACE_PROPERTIES = ["vips", "mode", "interfaces"] as const;
const OUTPUT_PROPERTIES = ["recordKey", "hostKeyFingerprint", "appliedInterfaces", "boundVips", "keptVips", "appliedSysctls", "originalSysctls", "persisted"] as const;

export interface ArpObserved {
  /** The interfaces besides all and lo that got the ARP settings (resolved default included). */
  appliedInterfaces: string[];
  /** The VIPs that are addresses of lo (dr) or tunl0 (tun), in the order of `vips`. */
  boundVips: string[];
  /** VIPs that were bound before the resource adopted them: delete leaves them bound (absent when none). */
  keptVips?: string[];
  /** The live values of the sysctls the resource needs (absent: the key does not exist). */
  appliedSysctls: SysctlMap;
  /** The values before the first RealServerArpConfig on the host set them; restored by the last one's delete. */
  originalSysctls: SysctlMap;
  persisted: ArpPersistedFlags;
}

export interface ArpState extends ArpInputs, ArpObserved {
  /** This resource's key in the host's registry (/var/lib/pulumi-lvs/arp/<key>.record). */
  recordKey: string;
  hostKeyFingerprint: string;
}

const json = (v: unknown) => JSON.stringify(v ?? null);

/**
 * What changed. The host, the VIPs, the mode and the interfaces are the record's
 * identity: a change replaces the resource (the new record is made before the old one is
 * released, and the registry keeps shared VIPs and sysctls in place meanwhile). persist is
 * changed in place. Drift counts as a change too.
 */
export function diffArp(olds: Record<string, any>, news: Record<string, any>): { replaces: string[]; updates: string[] } {
  const replaces: string[] = REPLACE_PROPERTIES.filter((p) => json(olds[p]) !== json(news[p]));
  const sameHost = directorId(olds["connection"]) === directorId(news["connection"]);
  if (!sameHost) replaces.push("connection");
  const updates: string[] = json(olds["persist"]) !== json(news["persist"]) ? ["persist"] : [];
  if (sameHost && json(olds["connection"]) !== json(news["connection"])) updates.push("connection");
  const applied = olds["appliedSysctls"];
  if (applied && typeof applied === "object" && Array.isArray(olds["appliedInterfaces"])) {
    // Drift is measured against what the old inputs needed: a change of inputs is reported above.
    const wanted = desiredArpSysctls(olds["mode"], olds["appliedInterfaces"]);
    if (Object.entries(wanted).some(([k, v]) => applied[k] !== v)) updates.push("appliedSysctls");
  }
  if (Array.isArray(olds["boundVips"]) && json(olds["boundVips"]) !== json(olds["vips"])) updates.push("boundVips");
  const persisted = olds["persisted"];
  if (persisted && typeof persisted === "object" && Object.values(persisted).some((v) => v === false)) updates.push("persisted");
  return { replaces, updates: [...new Set(updates)] };
}

function inputsOf(props: Record<string, any>): Record<string, unknown> {
  return Object.fromEntries(INPUT_PROPERTIES.filter((p) => props[p] !== undefined).map((p) => [p, props[p]]));
}

function inputsFromState(props: Record<string, any>): { inputs: ArpInputs; key: string } {
  const parsed = ArpInputsSchema.safeParse(inputsOf(props));
  const key = props["recordKey"];
  if (!parsed.success || typeof key !== "string" || !RECORD_KEY.test(key)) {
    const problems = parsed.success ? [] : formatArpCheckFailures(parsed.error.issues).map((f) => `${f.property} ${f.reason}`);
    if (typeof key !== "string" || !RECORD_KEY.test(key)) problems.push("recordKey is missing or not 12 hex digits");
    throw new StateError(`the RealServerArpConfig's state does not hold valid inputs (${problems.join("; ")}); re-create it`);
  }
  return { inputs: parsed.data as ArpInputs, key };
}

export function arpResourceId(connection: unknown, key: string): string {
  return `${directorId(connection)}/arp:${key}`;
}

/** Only when there are any, so that a state without adopted VIPs keeps its shape. */
const keptOf = (desired: DesiredArp) => (desired.kept && desired.kept.length > 0 ? { keptVips: desired.kept.map((v) => v.address) } : {});

function observedFrom(live: LiveArp, desired: DesiredArp): ArpObserved {
  return {
    appliedInterfaces: desired.interfaces,
    boundVips: desired.vips.filter((v) => isBound(live, v)).map((v) => v.address),
    ...keptOf(desired),
    appliedSysctls: Object.fromEntries(Object.keys(desired.sysctls).filter((k) => live.sysctls[k] !== undefined).map((k) => [k, live.sysctls[k]!])),
    originalSysctls: originalValues(live, desired),
    persisted: arpPersistedFlags(live, desired),
  };
}

/** The originals after a successful apply: recorded ones, else the values the register step found. */
function originalsAfterApply(live: LiveArp, desired: DesiredArp): SysctlMap {
  return originalValues({ originals: { ...live.sysctls, ...live.originals } }, desired);
}

function observedAfterApply(live: LiveArp, desired: DesiredArp): ArpObserved {
  return {
    appliedInterfaces: desired.interfaces,
    boundVips: desired.vips.map((v) => v.address),
    ...keptOf(desired),
    appliedSysctls: { ...desired.sysctls },
    originalSysctls: originalsAfterApply(live, desired),
    persisted: { sysctlFile: true, bootUnit: true, modulesLoad: true },
  };
}

/**
 * Probes the host for everything the resource looks at. Without `interfaces` the default
 * route's interface is only known from the probe: when its sysctls were not asked for,
 * the probe runs once more (create only; afterwards state names the interfaces).
 */
async function probeFor(connection: SshConnection, action: "load-ipip" | "read", inputs: ArpInputs, key: string, known?: readonly string[]): Promise<{ live: LiveArp; desired: DesiredArp }> {
  const first = known ?? inputs.interfaces ?? [];
  let live = await probeArp(connection, action, key, Object.keys(desiredArpSysctls(inputs.mode, first)));
  const desired = desiredArp(inputs, key, known ?? resolveInterfaces(inputs.interfaces, live));
  const asked = desiredArpSysctls(inputs.mode, first);
  if (Object.keys(desired.sysctls).some((k) => !(k in asked))) live = await probeArp(connection, action, key, Object.keys(desired.sysctls));
  const kept = keptVips(live, desired, inputs.adopt === true);
  return { live, desired: kept.length > 0 ? { ...desired, kept } : desired };
}

/** Refuses clearly, before anything is changed, when the host cannot be the real server the inputs describe. */
function refuseUnfit(connection: SshConnection, inputs: ArpInputs, live: LiveArp, desired: DesiredArp, ownVips: readonly string[] = []): void {
  const host = describeConnection(connection);
  if (inputs.mode === "tun" && !live.ipipLoaded) throw new IpipModuleError({ host, stderr: live.ipipLoadError ?? "" });
  const v6 = inputs.vips.filter((v) => v.includes(":"));
  if (v6.length > 0 && live.ipv6Disabled) throw new Ipv6DisabledError({ host, vips: v6 });
  const missing = missingInterfaces(live, desired);
  if (missing.length > 0 || (inputs.interfaces === undefined && desired.interfaces.length === 0)) {
    throw new ArpInterfaceError({ host, missing, interfaces: live.interfaces });
  }
  const kept = (desired.kept ?? []).map((v) => v.address);
  const conflicts = vipConflicts(live, desired.vips.filter((v) => !ownVips.includes(v.address) && !kept.includes(v.address)));
  if (conflicts.length > 0) throw new ArpVipConflictError({ host, conflicts, device: vipDevice(inputs.mode) });
}

/** The VIPs the resource's state says it bound (a state from any earlier version included). */
function stateVips(props: Record<string, any>): string[] {
  return Array.isArray(props["boundVips"]) ? props["boundVips"].filter((v: unknown): v is string => typeof v === "string") : [];
}

const loadAction = (inputs: ArpInputs) => (inputs.mode === "tun" ? "load-ipip" : "read");

function stateOf(inputs: ArpInputs, key: string, hostKeyFingerprint: string, observed: ArpObserved): ArpState {
  const state = { ...inputs, recordKey: key, hostKeyFingerprint, ...observed } as ArpState;
  if (state.interfaces === undefined) delete state.interfaces;
  return state;
}

export const realServerArpConfigProvider = {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    const inputs = { ...news };
    for (const p of OUTPUT_PROPERTIES) delete inputs[p];
    const owner = inputs[RECORD_OWNER];
    delete inputs[RECORD_OWNER];
    const checked = await checkWithSchema(ArpInputsSchema, inputs, formatArpCheckFailures);
    if (owner === undefined || !checked.inputs) return checked;
    if (typeof owner !== "string" || owner.length > MAX_OWNER_LENGTH || /[\0-\x1f]/.test(owner)) {
      return { failures: [{ property: RECORD_OWNER, reason: "is set by the RealServerArpConfig class (project/stack/name); do not set it" }] };
    }
    return { ...checked, inputs: { ...checked.inputs, [RECORD_OWNER]: owner } };
  },

  async diff(_id: string, olds: Record<string, any>, news: Record<string, any>): Promise<pulumi.dynamic.DiffResult> {
    const { replaces, updates } = diffArp(olds, news);
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(inputs: ArpInputs): Promise<pulumi.dynamic.CreateResult> {
    const connection = resolveConnection(inputs.connection);
    // A record under this key is this resource's own, from a create that was cut: carry on.
    const owner = (inputs as ArpInputs & { recordOwner?: string }).recordOwner ?? "";
    const key = recordKeyOf(owner, directorId(inputs.connection), inputs);
    const { live, desired } = await probeFor(connection, loadAction(inputs), inputs, key);
    refuseUnfit(connection, inputs, live, desired);
    const outcome = await applyArpOps(connection, planArp(live, desired));
    if (!outcome.ok) {
      // Undo the steps that did run (the record was written first), so the host is as it was.
      const after = await probeArp(connection, "read", key, Object.keys(desired.sysctls));
      const undone = await applyArpOps(connection, planArpTeardown(after, key), "continue");
      const afterwards = undone.ok
        ? "The steps before it were undone; fix the cause and run `pulumi up` again."
        : `Undoing the steps before it also failed ("${undone.step}": ${undone.stderr || `exit ${undone.exitCode}`}); look for pulumi-lvs-arp-${key} files on the host.`;
      throw new ArpChangeError({ host: describeConnection(connection), attempted: "prepare the real server", ...outcome, afterwards });
    }
    const fingerprint = await observedHostKeyFingerprint(connection);
    return { id: arpResourceId(inputs.connection, key), outs: stateOf(inputs, key, fingerprint, observedAfterApply(live, desired)) };
  },

  async read(id: string, props: Record<string, any>): Promise<pulumi.dynamic.ReadResult> {
    const { inputs, key } = inputsFromState(props);
    const connection = resolveConnection(props["connection"], props["hostKeyFingerprint"]);
    const known = Array.isArray(props["appliedInterfaces"]) ? (props["appliedInterfaces"] as string[]) : undefined;
    const { live, desired } = await probeFor(connection, "read", inputs, key, known);
    const observed = observedFrom(live, desired);
    // Gone only when nothing of it is left: a record removed by hand with its VIPs still
    // bound is drift (up registers it again; destroy removes them), never an orphan.
    if (live.files.record === undefined && observed.boundVips.length === 0) return {};
    const fingerprint = props["hostKeyFingerprint"] ?? (await observedHostKeyFingerprint(connection));
    const owner = props[RECORD_OWNER] === undefined ? {} : { [RECORD_OWNER]: props[RECORD_OWNER] };
    return { id, props: { ...stateOf(inputs, key, fingerprint, observed), ...owner }, inputs: { ...inputsOf(inputs), ...owner } };
  },

  async update(_id: string, olds: Record<string, any>, news: ArpInputs): Promise<pulumi.dynamic.UpdateResult> {
    const { key } = inputsFromState(olds);
    const connection = resolveConnection(news.connection, olds["hostKeyFingerprint"]);
    const known = Array.isArray(olds["appliedInterfaces"]) ? (olds["appliedInterfaces"] as string[]) : undefined;
    const { live, desired } = await probeFor(connection, loadAction(news), news, key, known);
    refuseUnfit(connection, news, live, desired, stateVips(olds));
    const outcome = await applyArpOps(connection, planArp(live, desired));
    if (!outcome.ok) {
      throw new ArpChangeError({
        host: describeConnection(connection),
        attempted: "update the real server",
        ...outcome,
        afterwards: "The record of the original values stays on the host; run `pulumi up` again once the cause is fixed.",
      });
    }
    const fingerprint = olds["hostKeyFingerprint"] ?? (await observedHostKeyFingerprint(connection));
    return { outs: stateOf(news, key, fingerprint, observedAfterApply(live, desired)) };
  },

  async delete(_id: string, props: Record<string, any>): Promise<void> {
    const { key } = inputsFromState(props);
    const connection = resolveConnection(props["connection"], props["hostKeyFingerprint"]);
    const live = await probeArp(connection, "read", key, []);
    // Without its record, state says which VIPs were bound by hand before (kept): those stay.
    const kept: unknown[] = Array.isArray(props["keptVips"]) ? props["keptVips"] : [];
    const ours = stateVips(props).filter((v) => !kept.includes(v));
    const outcome = await applyArpOps(connection, planArpTeardown(live, key, boundVips(ours, props["mode"])));
    if (!outcome.ok) {
      throw new ArpChangeError({
        host: describeConnection(connection),
        attempted: "restore the real server and remove the RealServerArpConfig's files",
        ...outcome,
        afterwards: "The record stays on the host until everything is released; run `pulumi destroy` again once the cause is fixed.",
      });
    }
  },
};
