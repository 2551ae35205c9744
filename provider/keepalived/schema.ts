// The inputs of KeepalivedPair, validated by zod: the single source of validation for
// `check`. Every problem is reported at once, under its property path, saying what to do.
//
// Values that end up in keepalived.conf are restricted to what keepalived's grammar can
// carry as one token (no spaces, quotes, braces or comment signs), so nothing a user
// passes can open a block, close one, or hide the rest of a line.

import { isIPv4 } from "net";
import { z } from "zod";
import { canonicalAddress } from "../ipvs/model";
import { integerBetween, ipAddress, oneOf, strictObject, type Issue } from "../resource/inputFields";
import { interfaceNameField } from "../resource/interfaceName";
import { PREDEFINED_PARAMETER, PREDEFINED_PARAMETER_REASON, accountName, commandArgv, configName, startingALine } from "./configValues";
import { freeFormLine, normaliseLine } from "./freeFormLines";
import { AUTH_TYPES, GARP_KEYWORDS, NOTIFY_EVENTS, VRRP_STATES, type KeepalivedPairConfig, type NotifyScripts, type PairNode } from "./model";

export { formatCheckFailures } from "../resource/checkFailures";

const trackedInterface = startingALine(interfaceNameField, "track_interface entry");

const vipObject = strictObject({
  address: ipAddress,
  prefixLength: z.int({ error: "must be an integer prefix length (32 for IPv4 /32, 128 for IPv6)" }).min(1).max(128).optional(),
  dev: interfaceNameField.optional(),
  label: configName("interface label", 15).optional(),
});

const nodeSchema = strictObject({
  connection: z.unknown().optional(), // validated by the SSH connection schema
  state: oneOf(VRRP_STATES, "VRRP state").optional(),
  priority: integerBetween(1, 254, "set priority between 1 and 254 (255 is reserved for the address owner); the MASTER's must be the higher"),
  routerId: configName("router_id").optional(),
  unicastSrcIp: ipAddress.optional(),
});

/** keepalived 2.2.7's ranges: delays are seconds 0..4294, repeats at least 1. */
function garpField(k: keyof typeof GARP_KEYWORDS) {
  const keyword = GARP_KEYWORDS[k];
  if (k === "masterDelay" || k === "lowerPrioDelay") return integerBetween(0, 4294, `set garp.${k} (keepalived's ${keyword}) in seconds, 0..4294`).optional();
  if (k === "masterRepeat" || k === "masterRefreshRepeat") return integerBetween(1, 65535, `set garp.${k} (keepalived's ${keyword}) to 1 or more`).optional();
  return integerBetween(0, 65535, `set garp.${k} (keepalived's ${keyword})`).optional();
}

const seconds = (what: string, max = 3600) => integerBetween(0, max, `set ${what} in seconds, 0..${max}`);

export const KeepalivedPairInputsSchema = strictObject({
  nodes: z.array(nodeSchema, { error: "must be a list of exactly two nodes: [{ connection, priority }, { connection, priority }]" }).length(2, {
    error: "must hold exactly two nodes (a KeepalivedPair is two directors)",
  }),
  instanceName: configName("vrrp_instance name").optional(),
  interface: interfaceNameField,
  virtualRouterId: integerBetween(1, 255, "set virtualRouterId between 1 and 255, unique on the segment"),
  // The range depends on the VRRP version (checked below): whole seconds 1..255 in VRRPv2,
  // hundredths 0.01..40.95 in VRRPv3 (its field counts centiseconds in 12 bits).
  advertInt: z.number({ error: "must be the number of seconds between adverts (1 by default; fractions need vrrpVersion: 3)" }).default(1),
  vrrpVersion: z.union([z.literal(2), z.literal(3)], { error: "must be 2 or 3 (the VRRP version: 3 for sub-second advertInt; IPv6 VIPs always use 3)" }).optional(),
  vips: z.array(z.union([ipAddress, vipObject], { error: "must be an address or { address, prefixLength?, dev?, label? }" })).min(1, { error: "needs at least one VIP" }),
  auth: strictObject({
    type: oneOf(AUTH_TYPES, "auth type").default("PASS"),
    password: z
      .string({ error: "must be a string (use pulumi.secret(...))" })
      .min(1, { error: "is empty; set a password of 1..8 characters" })
      .max(8, { error: "is longer than 8 characters: VRRP carries only 8 and keepalived would silently cut it; use at most 8" })
      .regex(/^[!-~]+$/, { error: "may only hold printable ASCII without spaces" })
      .refine((p) => !/["{}#!\\]/.test(p), { error: "cannot contain \" { } # ! or \\ (keepalived.conf syntax)" })
      .refine((p) => !p.includes(PREDEFINED_PARAMETER), { error: PREDEFINED_PARAMETER_REASON }),
  }).optional(),
  nopreempt: z.boolean({ error: "must be true or false" }).default(false),
  preemptDelay: seconds("preemptDelay", 1000).optional(),
  unicast: z.boolean({ error: "must be true or false" }).default(false),
  trackInterfaces: z.array(z.union([trackedInterface, strictObject({ name: trackedInterface, weight: integerBetween(-253, 253, "set weight between -253 and 253").optional() })])).default([]),
  trackScripts: z
    .array(
      strictObject({
        name: startingALine(configName("vrrp_script name"), "vrrp_script"),
        command: commandArgv,
        interval: integerBetween(1, 3600, "set interval in seconds").optional(),
        timeout: integerBetween(1, 3600, "set timeout in seconds").optional(),
        weight: integerBetween(-253, 253, "set weight between -253 and 253").optional(),
        rise: integerBetween(1, 100, "set rise between 1 and 100").optional(),
        fall: integerBetween(1, 100, "set fall between 1 and 100").optional(),
        user: accountName("user").optional(),
        group: accountName("group").optional(),
      }),
    )
    .default([]),
  notify: strictObject(Object.fromEntries(NOTIFY_EVENTS.map((e) => [e, commandArgv.optional()])) as Record<(typeof NOTIFY_EVENTS)[number], z.ZodOptional<typeof commandArgv>>).default({}),
  garp: strictObject(
    Object.fromEntries(Object.keys(GARP_KEYWORDS).map((k) => [k, garpField(k as keyof typeof GARP_KEYWORDS)])) as Record<
      keyof typeof GARP_KEYWORDS,
      z.ZodOptional<z.ZodInt>
    >,
  ).default({}),
  lvsSyncDaemon: strictObject({ interface: interfaceNameField, syncId: integerBetween(0, 255, "set syncId between 0 and 255").optional() }).optional(),
  extraGlobalDefs: z.array(freeFormLine("global_defs")).default([]),
  extraInstanceConfig: z.array(freeFormLine("vrrp_instance")).default([]),
  adopt: z.boolean({ error: "must be true or false" }).default(false),
})
  .superRefine(
    (v, ctx) => {
      if (typeof v !== "object" || v === null) return;
      const issue: Issue = (path, message) => ctx.addIssue({ code: "custom", path, message });
      const nodes = Array.isArray(v.nodes) && v.nodes.length === 2 ? v.nodes : undefined;
      if (nodes) {
        const [a, b] = nodes;
        if (a && b && typeof a.priority === "number" && a.priority === b.priority)
          issue(["nodes", 1, "priority"], `equals nodes[0].priority (${a.priority}); give the intended MASTER the higher priority so the election is deterministic`);
        const masters = nodes.filter((n) => n?.state === "MASTER").length;
        if (v.nopreempt === true && masters > 0)
          issue(["nopreempt"], 'only works when both nodes start as BACKUP (keepalived ignores it for a MASTER); remove `state: "MASTER"` (the higher priority still wins the first election)');
        else if (v.preemptDelay !== undefined && masters > 0)
          issue(["preemptDelay"], 'only works when both nodes start as BACKUP (keepalived refuses it for a MASTER); remove `state: "MASTER"` (the higher priority still wins)');
        else if (masters > 1) issue(["nodes", 1, "state"], 'both nodes are MASTER; set one to "BACKUP" (or leave state out: the higher priority becomes MASTER)');
        nodes.forEach((n, i) => {
          const other = nodes[1 - i];
          if (n?.state === "MASTER" && other && other.state !== "MASTER" && typeof n.priority === "number" && typeof other.priority === "number" && n.priority < other.priority)
            issue(["nodes", i, "priority"], `is lower than the BACKUP's (${other.priority}) on the MASTER: the backup would take over at once; give the MASTER the higher priority`);
          if (v.unicast === true && n && n.unicastSrcIp === undefined)
            issue(["nodes", i, "unicastSrcIp"], "is required with unicast: true: this node's own address on the VRRP interface (the other node sends its adverts there)");
        });
        if (a?.routerId !== undefined && a.routerId === b?.routerId) issue(["nodes", 1, "routerId"], "must differ from nodes[0].routerId (each node needs its own router_id)");
      }
      if (v.unicast !== true) nodes?.forEach((n, i) => n?.unicastSrcIp !== undefined && issue(["nodes", i, "unicastSrcIp"], "only applies with unicast: true; set unicast or remove it"));
      if (v.preemptDelay !== undefined && v.nopreempt === true) issue(["preemptDelay"], "has no effect with nopreempt (the node never preempts); remove one of them");
      const scripts = Array.isArray(v.trackScripts) ? v.trackScripts : [];
      const seen = new Set<string>();
      scripts.forEach((s, i) => {
        if (s && seen.has(s.name)) issue(["trackScripts", i, "name"], `"${s.name}" is used twice; give each vrrp_script its own name`);
        if (s) seen.add(s.name);
        if (s && s.group !== undefined && s.user === undefined)
          issue(["trackScripts", i, "group"], "needs user as well: keepalived takes `user <name> [group]`; set user (the group defaults to the user's own)");
      });
      const vips = Array.isArray(v.vips) ? v.vips : [];
      const addressOf = (vip: unknown) => (typeof vip === "string" ? vip : typeof vip === "object" && vip !== null ? (vip as { address?: unknown }).address : undefined);
      const families = vips.map((vip) => (typeof addressOf(vip) === "string" ? (isIPv4(addressOf(vip) as string) ? "ipv4" : "ipv6") : undefined));
      vips.forEach((vip, i) => {
        if (typeof vip === "object" && vip?.label !== undefined && families[i] === "ipv6") issue(["vips", i, "label"], "interface labels are IPv4 only; remove label");
        if (families[i] !== undefined && families[0] !== undefined && families[i] !== families[0])
          issue(["vips", i], `is ${families[i]} but vips[0] is ${families[0]}: one VRRP instance carries one family (keepalived drops the other); use a second KeepalivedPair for the other family`);
      });
      const ipv6 = families[0] === "ipv6";
      if (ipv6 && v.vrrpVersion === 2) issue(["vrrpVersion"], "must be 3 for IPv6 VIPs (VRRPv2 carries IPv4 only, and keepalived uses VRRPv3 for IPv6); remove vrrpVersion");
      const version = v.vrrpVersion ?? (ipv6 ? 3 : 2);
      if (v.auth !== undefined && version === 3)
        issue(["auth"], ipv6 ? "does not exist for IPv6 VIPs (VRRPv3 has no authentication); remove auth" : "does not exist in VRRPv3 (it has no authentication); remove auth, or use vrrpVersion: 2");
      if (typeof v.advertInt === "number") {
        const centiseconds = v.advertInt * 100;
        if (version === 2 && !(Number.isInteger(v.advertInt) && v.advertInt >= 1 && v.advertInt <= 255))
          issue(["advertInt"], `is ${v.advertInt}: VRRPv2 carries whole seconds, 1..255; for a sub-second or fractional interval set vrrpVersion: 3 (0.01..40.95 s)`);
        if (version === 3 && !(Math.abs(centiseconds - Math.round(centiseconds)) < 1e-6 && centiseconds >= 1 - 1e-6 && centiseconds <= 4095 + 1e-6))
          issue(["advertInt"], `is ${v.advertInt}: VRRPv3 carries 0.01..40.95 seconds in steps of 0.01${ipv6 ? " (IPv6 VIPs always use VRRPv3)" : ""}`);
      }
      if (v.unicast === true && families[0] !== undefined)
        nodes?.forEach((n, i) => {
          if (typeof n?.unicastSrcIp === "string" && (isIPv4(n.unicastSrcIp) ? "ipv4" : "ipv6") !== families[0])
            issue(["nodes", i, "unicastSrcIp"], `must be ${families[0]} like the VIPs (adverts for ${families[0]} VIPs travel over ${families[0]})`);
        });
      (Array.isArray(v.trackInterfaces) ? v.trackInterfaces : []).forEach((t, i) => {
        const name = typeof t === "string" ? t : t?.name;
        if (name !== undefined && name === v.interface)
          issue(["trackInterfaces", i], `is the instance's own interface (${String(name)}), which keepalived always tracks; remove it`);
      });
    },
    { when: () => true },
  )
  .transform((v): KeepalivedPairInputs => {
    const vrid = v.virtualRouterId;
    const instanceName = v.instanceName ?? `VI_${vrid}`;
    const higher = (v.nodes[0]!.priority >= v.nodes[1]!.priority ? 0 : 1) as 0 | 1;
    const nodes = v.nodes.map((n, i): PairNodeInputs => ({
      connection: n.connection,
      routerId: n.routerId ?? `${instanceName}-node${i + 1}`,
      // keepalived honours nopreempt and preempt_delay only when both nodes start as BACKUP.
      state: v.nopreempt || v.preemptDelay !== undefined ? "BACKUP" : (n.state ?? (i === higher ? "MASTER" : "BACKUP")),
      priority: n.priority,
      ...(n.unicastSrcIp !== undefined ? { unicastSrcIp: canonicalAddress(n.unicastSrcIp)! } : {}),
    })) as [PairNodeInputs, PairNodeInputs];
    const notify: NotifyScripts = Object.fromEntries(Object.entries(v.notify).filter(([, a]) => a !== undefined));
    return {
      instanceName,
      interface: v.interface,
      virtualRouterId: vrid,
      // In hundredths, as VRRPv3 carries it: 0.1 + 0.2 is written 0.3.
      advertInt: Math.round(v.advertInt * 100) / 100,
      vrrpVersion: v.vrrpVersion ?? (isIPv4(canonicalAddress(typeof v.vips[0] === "string" ? v.vips[0] : v.vips[0]!.address)!) ? 2 : 3),
      vips: v.vips.map((vip) => {
        const o = typeof vip === "string" ? { address: vip } : vip;
        const address = canonicalAddress(o.address)!;
        return {
          address,
          prefixLength: o.prefixLength ?? (isIPv4(address) ? 32 : 128),
          ...("dev" in o && o.dev !== undefined ? { dev: o.dev } : {}),
          ...("label" in o && o.label !== undefined ? { label: o.label } : {}),
        };
      }),
      ...(v.auth ? { auth: v.auth } : {}),
      nopreempt: v.nopreempt,
      ...(v.preemptDelay !== undefined ? { preemptDelay: v.preemptDelay } : {}),
      unicast: v.unicast,
      trackInterfaces: v.trackInterfaces.map((t) => (typeof t === "string" ? { name: t } : t)),
      trackScripts: v.trackScripts,
      notify,
      garp: Object.fromEntries(Object.entries(v.garp).filter(([, x]) => x !== undefined)),
      ...(v.lvsSyncDaemon ? { lvsSyncDaemon: v.lvsSyncDaemon } : {}),
      extraGlobalDefs: v.extraGlobalDefs.map(normaliseLine),
      extraInstanceConfig: v.extraInstanceConfig.map(normaliseLine),
      nodes,
      adopt: v.adopt,
    };
  });

export interface PairNodeInputs extends PairNode {
  connection: unknown;
}

/** Validated KeepalivedPair inputs: the pair's config, with each node's connection. */
export interface KeepalivedPairInputs extends Omit<KeepalivedPairConfig, "nodes"> {
  nodes: [PairNodeInputs, PairNodeInputs];
  adopt: boolean;
}

/** The config half of the inputs (what the files say). */
export function pairConfigOf(inputs: KeepalivedPairInputs): KeepalivedPairConfig {
  const { adopt: _adopt, nodes, ...shared } = inputs;
  const strip = ({ connection: _c, ...node }: PairNodeInputs): PairNode => node;
  return { ...shared, nodes: [strip(nodes[0]), strip(nodes[1])] };
}
