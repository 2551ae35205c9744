// lvs:index:Director: prepares a host to be an IPVS director (ip_vs loaded at boot, the
// mode's sysctls, optionally the VIP) and puts back what was there on delete.
//
// State is the checked inputs plus what was observed: the values before we changed them
// (previousSysctls, also kept on the host), the live values of our sysctls
// (appliedSysctls), whether the VIP is bound, and whether the boot-time files are in
// place. `read` fills the observed part from the host, and `diff` compares it with what
// the inputs need, so `sysctl -w net.ipv4.ip_forward=0` by hand shows up as a change that
// `pulumi up` repairs.

import type * as pulumi from "@pulumi/pulumi";
import { describeConnection, type SshConnection } from "../ssh";
import { checkWithSchema } from "../resource/check";
import { observedHostKeyFingerprint, resolveConnection } from "../resource/connection";
import { AlreadyExistsError, StateError } from "../resource/errors";
import { directorId } from "../ipvs/ids";
import { DirectorChangeError, IpvsadmInstallError, IpvsadmMissingError, IpvsModuleError, MissingSysctlError, VipConflictError } from "./errors";
import { installIpvsadm, probeAndApply, probeDirector, type BatchOutcome } from "./executor";
import { desiredDirector, desiredSysctls, vipBound, type DesiredDirector, type LiveDirector, type SysctlMap } from "./model";
import { isOwnPartialCreate, missingOnHost, persistedFlags, planDirector, planDirectorTeardown, previousValues, vipConflict, withKeptVips, type DirectorOp, type PersistedFlags } from "./plan";
import { formatCheckFailures } from "../resource/checkFailures";
import { DirectorInputsSchema, type DirectorInputs } from "./schema";

export const DIRECTOR_TYPE = "Director";

const INPUT_PROPERTIES = ["connection", "mode", "interfaces", "vip", "vips", "ipv6Forwarding", "connectionSync", "expireConnections", "installIpvsadm", "adopt"] as const;
/** Changed in place: the host is re-planned and converged. */
const IN_PLACE_PROPERTIES = ["interfaces", "vip", "vips", "ipv6Forwarding", "connectionSync", "expireConnections", "installIpvsadm", "adopt"] as const;
const OUTPUT_PROPERTIES = ["hostKeyFingerprint", "previousSysctls", "appliedSysctls", "vipBound", "persisted"] as const;

export interface DirectorState extends DirectorInputs {
  hostKeyFingerprint: string;
  /** The values before the Director first set them; delete restores these. */
  previousSysctls: SysctlMap;
  /** The live values of the sysctls the mode needs (absent: the key does not exist). */
  appliedSysctls: SysctlMap;
  /** With a VIP: it is an address of its interface. Without: false. */
  vipBound: boolean;
  persisted: PersistedFlags;
}

const json = (v: unknown) => JSON.stringify(v ?? null);

/**
 * What changed. The mode and the host are the Director's identity; anything else is
 * converged in place. Drift counts as a change too: live sysctls that differ from what
 * the inputs need, a VIP that is not bound, boot-time files that are missing or edited.
 */
export function diffDirector(olds: Record<string, any>, news: Record<string, any>): { replaces: string[]; updates: string[] } {
  const replaces: string[] = json(olds["mode"]) !== json(news["mode"]) ? ["mode"] : [];
  const sameHost = directorId(olds["connection"]) === directorId(news["connection"]);
  if (!sameHost) replaces.push("connection");
  const updates: string[] = IN_PLACE_PROPERTIES.filter((p) => json(olds[p]) !== json(news[p]));
  if (sameHost && json(olds["connection"]) !== json(news["connection"])) updates.push("connection");
  const applied = olds["appliedSysctls"];
  if (applied && typeof applied === "object") {
    const wanted = desiredSysctls({ mode: news["mode"], interfaces: news["interfaces"] ?? [], ipv6Forwarding: news["ipv6Forwarding"] ?? false, connectionSync: news["connectionSync"], expireConnections: news["expireConnections"] });
    if (Object.entries(wanted).some(([k, v]) => applied[k] !== v)) updates.push("appliedSysctls");
  }
  if ((news["vip"] || (Array.isArray(news["vips"]) && news["vips"].length > 0)) && olds["vipBound"] === false) updates.push("vipBound");
  const persisted = olds["persisted"];
  if (persisted && typeof persisted === "object" && Object.values(persisted).some((v) => v === false)) updates.push("persisted");
  return { replaces, updates: [...new Set(updates)] };
}

function inputsOf(props: Record<string, any>): Record<string, unknown> {
  return Object.fromEntries(INPUT_PROPERTIES.filter((p) => props[p] !== undefined).map((p) => [p, props[p]]));
}

/** The inputs part of a state (or of an import's inputs), normalised as check would. */
function inputsFromState(props: Record<string, any>): DirectorInputs {
  const parsed = DirectorInputsSchema.safeParse(inputsOf(props));
  if (!parsed.success) {
    const problems = formatCheckFailures(parsed.error.issues).map((f) => `${f.property} ${f.reason}`).join("; ");
    throw new StateError(`the Director's state does not hold valid inputs (${problems}); re-import it with its full inputs`);
  }
  return parsed.data as DirectorInputs;
}

function stateOf(inputs: DirectorInputs, hostKeyFingerprint: string, previousSysctls: SysctlMap, observed: Pick<DirectorState, "appliedSysctls" | "vipBound" | "persisted">): DirectorState {
  const state = { ...inputs, hostKeyFingerprint, previousSysctls, ...observed } as DirectorState;
  if (state.vip === undefined) delete state.vip;
  if (state.vips === undefined) delete state.vips;
  return state;
}

/** What a read of the host reports, for these inputs. */
function observedFrom(live: LiveDirector, desired: DesiredDirector): Pick<DirectorState, "appliedSysctls" | "vipBound" | "persisted"> {
  const appliedSysctls = Object.fromEntries(Object.keys(desired.sysctls).filter((k) => live.sysctls[k] !== undefined).map((k) => [k, live.sysctls[k]!]));
  return {
    appliedSysctls,
    // Every VIP bound (false without VIPs, as a Director of one VIP has always reported).
    vipBound: desired.vips.length > 0 && desired.vips.every((v) => vipBound(live, v)),
    persisted: persistedFlags(live, desired),
  };
}

/** What a read reports right after a successful apply, without a second round trip. */
function observedAfterApply(desired: DesiredDirector): Pick<DirectorState, "appliedSysctls" | "vipBound" | "persisted"> {
  return { appliedSysctls: { ...desired.sysctls }, vipBound: desired.vips.length > 0, persisted: { modulesLoad: true, sysctlFile: true, vipUnit: true } };
}

const hasAnythingOfOurs = (live: LiveDirector) => Object.keys(live.files).length > 0;

/** ipvsadm is missing and the inputs let the Director install it: install, then probe again. */
class InstallIpvsadmFirst extends Error {}

/**
 * Refuses clearly, before anything is changed, when the host cannot be the director the
 * inputs describe. Throws InstallIpvsadmFirst when ipvsadm is missing and may be installed.
 */
function checkHost(host: string, live: LiveDirector, inputs: DirectorInputs, desired: DesiredDirector, installed: boolean): void {
  if (!live.ipvsadmPresent) {
    if (installed) throw new IpvsadmInstallError({ host, exitCode: 127, stderr: "the package manager succeeded, but ipvsadm is still not on the PATH" });
    if (!inputs.installIpvsadm) throw new IpvsadmMissingError({ host, packageManager: live.packageManager });
    throw new InstallIpvsadmFirst();
  }
  if (!live.moduleLoaded) throw new IpvsModuleError({ host, stderr: live.moduleLoadError ?? "" });
  const missing = missingOnHost(live, { ...desired, interfaces: inputs.interfaces });
  if (missing.interfaces.length + missing.sysctls.length > 0) {
    throw new MissingSysctlError({ host, missingInterfaces: missing.interfaces, missingSysctls: missing.sysctls, interfaces: live.interfaces });
  }
  for (const vip of desired.vips) {
    const conflict = vipConflict(live, vip);
    if (conflict) throw new VipConflictError({ host, vip: vip.address, wantedInterface: vip.interface, boundOn: conflict.boundOn });
  }
}

/**
 * Probes the host (loading ip_vs), checks it (checkHost), and applies what `plan` makes of
 * it, in one round trip. Installs ipvsadm first, if asked to and it is missing.
 */
async function prepareAndApply(
  connection: SshConnection,
  inputs: DirectorInputs,
  desired: DesiredDirector,
  extraSysctls: readonly string[],
  plan: (live: LiveDirector, desired: DesiredDirector) => readonly DirectorOp[],
): Promise<{ live: LiveDirector; outcome: BatchOutcome }> {
  const host = describeConnection(connection);
  const names = [...Object.keys(desired.sysctls), ...extraSysctls];
  const checkedPlan = (installed: boolean) => (live: LiveDirector) => {
    // VIPs bound by hand that adopt takes over (or our unit already keeps) are not conflicts.
    const withKept = withKeptVips(desired, live, inputs.adopt);
    checkHost(host, live, inputs, withKept, installed);
    return plan(live, withKept);
  };
  try {
    return await probeAndApply(connection, "load", names, checkedPlan(false));
  } catch (err) {
    if (!(err instanceof InstallIpvsadmFirst)) throw err;
  }
  const installed = await installIpvsadm(connection);
  if (installed.exitCode !== 0) throw new IpvsadmInstallError({ host, ...installed });
  return probeAndApply(connection, "load", names, checkedPlan(true));
}

export const directorProvider = {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    const inputs = { ...news };
    for (const p of OUTPUT_PROPERTIES) delete inputs[p];
    return checkWithSchema(DirectorInputsSchema, inputs, formatCheckFailures);
  },

  async diff(_id: string, olds: Record<string, any>, news: Record<string, any>): Promise<pulumi.dynamic.DiffResult> {
    const { replaces, updates } = diffDirector(olds, news);
    // Two Directors on one host would share our files: the old one goes before the new one comes.
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 };
  },

  async create(inputs: DirectorInputs): Promise<pulumi.dynamic.CreateResult> {
    const connection = resolveConnection(inputs.connection);
    const host = describeConnection(connection);
    const id = directorId(inputs.connection);
    const desired = desiredDirector(inputs);
    const { live, outcome } = await prepareAndApply(connection, inputs, desired, [], (live, withKept) => {
      // Files of this very Director, from a create that was cut, are its own: carry on.
      if (hasAnythingOfOurs(live) && !inputs.adopt && !isOwnPartialCreate(live, withKept)) {
        throw new AlreadyExistsError({ resourceType: DIRECTOR_TYPE, what: "a Director (pulumi-lvs files in /etc and /var/lib/pulumi-lvs)", host, id });
      }
      return planDirector(live, withKept);
    });
    if (!outcome.ok) {
      let afterwards = "Nothing was undone (adopt: true); run `pulumi up` again once the cause is fixed.";
      if (!inputs.adopt) {
        // Undo the steps that did run, so that a retry finds the host as it was and does not need adopt.
        const { outcome: undone } = await probeAndApply(connection, "read", Object.keys(desired.sysctls), (after) => planDirectorTeardown(after), "continue");
        afterwards = undone.ok
          ? "The steps before it were undone; fix the cause and run `pulumi up` again."
          : `Undoing the steps before it also failed ("${undone.step}": ${undone.stderr || `exit ${undone.exitCode}`}); ` +
            "fix the cause, then run `pulumi up` with `adopt: true` to take over what was left.";
      }
      throw new DirectorChangeError({ host, attempted: "prepare the director", ...outcome, afterwards });
    }
    const previous = previousValues(live, desired).keep;
    return { id, outs: stateOf(inputs, await observedHostKeyFingerprint(connection), previous, observedAfterApply(desired)) };
  },

  async read(id: string, props: Record<string, any>): Promise<pulumi.dynamic.ReadResult> {
    const inputs = inputsFromState(props);
    const connection = resolveConnection(props["connection"], props["hostKeyFingerprint"]);
    const desired = desiredDirector(inputs);
    const recorded: SysctlMap = props["previousSysctls"] ?? {};
    const live = await probeDirector(connection, "read", [...Object.keys(desired.sysctls), ...Object.keys(recorded)]);
    if (!hasAnythingOfOurs(live)) return {}; // removed out of band (or a rebuilt host): gone
    const previous = previousValues(live, desired, recorded).keep;
    const fingerprint = props["hostKeyFingerprint"] ?? (await observedHostKeyFingerprint(connection));
    return { id, props: stateOf(inputs, fingerprint, previous, observedFrom(live, withKeptVips(desired, live, false))), inputs: inputsOf(inputs) };
  },

  async update(_id: string, olds: Record<string, any>, news: DirectorInputs): Promise<pulumi.dynamic.UpdateResult> {
    const connection = resolveConnection(news.connection, olds["hostKeyFingerprint"]);
    const desired = desiredDirector(news);
    const recorded: SysctlMap = olds["previousSysctls"] ?? {};
    const { live, outcome } = await prepareAndApply(connection, news, desired, Object.keys(recorded), (live, withKept) => planDirector(live, withKept, recorded));
    if (!outcome.ok) {
      throw new DirectorChangeError({
        host: describeConnection(connection),
        attempted: "update the director",
        ...outcome,
        afterwards: "The values recorded before the first change are kept on the host; run `pulumi up` again once the cause is fixed.",
      });
    }
    const previous = previousValues(live, desired, recorded).keep;
    const fingerprint = olds["hostKeyFingerprint"] ?? (await observedHostKeyFingerprint(connection));
    return { outs: stateOf(news, fingerprint, previous, observedAfterApply(desired)) };
  },

  async delete(_id: string, props: Record<string, any>): Promise<void> {
    const inputs = inputsFromState(props);
    const connection = resolveConnection(props["connection"], props["hostKeyFingerprint"]);
    const recorded: SysctlMap = props["previousSysctls"] ?? {};
    const names = [...Object.keys(desiredSysctls(inputs)), ...Object.keys(recorded)];
    const { outcome } = await probeAndApply(connection, "read", names, (live) => planDirectorTeardown(live, recorded));
    if (!outcome.ok) {
      throw new DirectorChangeError({
        host: describeConnection(connection),
        attempted: "restore the host and remove the Director's files",
        ...outcome,
        afterwards: "The record of the previous values stays on the host until they are restored; run `pulumi destroy` again once the cause is fixed.",
      });
    }
  },
};
