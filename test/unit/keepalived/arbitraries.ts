// fast-check generators of valid, user-shaped KeepalivedPair / VirtualService / RealServer
// inputs: values anywhere in the ranges the schemas accept, combined the ways the
// cross-field rules allow. Interfaces are the ones the keepalived -t namespace has.

import fc from "fast-check";
import { canonicalAddress, isIpv6LinkLocal } from "../../../provider/resource/address";

type Raw = Record<string, unknown>;
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
/** Drops undefined properties: inputs as a user writes them. */
const defined = (o: Raw): Raw => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const FLAG = opt(fc.boolean());
const IFACE = fc.constantFrom("eth1", "eth2", "eth3");
const NAME = fc.stringMatching(/^[A-Za-z0-9_.:-][A-Za-z0-9_.:@-]{0,19}$/).filter((n) => !n.startsWith("include"));
const ARG = fc.stringMatching(/^[A-Za-z0-9_@%+=:,./-]{1,12}$/);
// root only: keepalived 2.2.7's -t kills itself checking a script of any other user (fixed in 2.2.8);
// roundtrip.test.ts reads other users back.
const SCRIPT_ACCOUNT = { user: opt(fc.constant("root")), group: opt(fc.constant("root")) };
const command = fc.array(ARG, { maxLength: 3 }).map((args) => ["/usr/bin/true", ...args]);
const ipv4 = fc.ipV4().filter((a) => !a.split(".").some((o) => o.length > 1 && o.startsWith("0")));
const ipv6 = fc.ipV6();
const address = (family: "ipv4" | "ipv6") => (family === "ipv4" ? ipv4 : ipv6);
const FREE_GLOBAL = ["vrrp_garp_interval 0.001", "vrrp_gna_interval 0.001", "vrrp_skip_check_adv_addr", "vrrp_no_swap"];
const FREE_INSTANCE = ["dont_track_primary", "accept", "skip_check_adv_addr", "no_accept"];
const spaced = (line: string) => fc.constantFrom(line, `  ${line} `, line.replace(/ /g, "   "));

// Only values the schemas accept, combined the ways their cross-field rules allow (the
// schemas now refuse what keepalived -t refuses; keepalivedRules.test.ts has the evidence):
// one VIP family per instance, VRRPv3 for IPv6 (and, when asked, IPv4): no auth and an
// advertInt in hundredths up to 40.95, whole seconds up to 255 with VRRPv2, PASS auth only,
// preemptDelay without a MASTER node, never the instance's own interface in
// trackInterfaces, garp delays 0..4294 and repeats >= 1, hysteresis < quorum, bindTo and
// sorry server of the service's / real server's family.
// Service flags are true, false or absent: false is absent in the schema output.

export function pairInputs(): fc.Arbitrary<Raw> {
  return fc
    .record({
      family: fc.constantFrom("ipv4" as const, "ipv6" as const),
      priorities: fc.uniqueArray(fc.integer({ min: 1, max: 254 }), { minLength: 2, maxLength: 2 }),
      states: fc.constantFrom("derived", "explicit", "both-backup", "nopreempt"),
      routerIds: fc.option(fc.uniqueArray(NAME, { minLength: 2, maxLength: 2 }), { nil: undefined }),
      unicast: fc.boolean(),
      instanceName: opt(NAME),
      iface: IFACE,
      virtualRouterId: fc.integer({ min: 1, max: 255 }),
      advertInt: opt(fc.integer({ min: 1, max: 255 })),
      vrrp3: fc.constantFrom("no", "yes", "explicit-v2" as const),
      advertCentiseconds: opt(fc.integer({ min: 1, max: 4095 })),
      vipCount: fc.integer({ min: 1, max: 3 }),
      auth: opt(fc.record({ type: opt(fc.constant("PASS")), password: fc.stringMatching(/^[$%&'()*+,./0-9:;<=>?@A-Z[\]^_`a-z|~-]{1,8}$/).filter((p) => !p.includes("$_")) })),
      preemptDelay: opt(fc.integer({ min: 0, max: 1000 })),
      trackInterfaces: fc.subarray(["eth1", "eth2", "eth3"]),
      trackWeights: fc.array(opt(fc.integer({ min: -253, max: 253 })), { minLength: 3, maxLength: 3 }),
      trackScripts: fc.uniqueArray(
        fc.record({ name: NAME, command, interval: opt(fc.integer({ min: 1, max: 3600 })), timeout: opt(fc.integer({ min: 1, max: 3600 })), weight: opt(fc.integer({ min: -253, max: 253 })), rise: opt(fc.integer({ min: 1, max: 100 })), fall: opt(fc.integer({ min: 1, max: 100 })), ...SCRIPT_ACCOUNT }).map((s) => ({ ...s, group: s.user === undefined ? undefined : s.group })),
        { maxLength: 2, selector: (s) => s.name },
      ),
      notify: fc.record({ master: opt(command), backup: opt(command), fault: opt(command), stop: opt(command), deleted: opt(command), notify: opt(command) }),
      garp: fc.record({
        masterDelay: opt(fc.integer({ min: 0, max: 4294 })),
        masterRepeat: opt(fc.integer({ min: 1, max: 65535 })),
        masterRefresh: opt(fc.integer({ min: 0, max: 65535 })),
        masterRefreshRepeat: opt(fc.integer({ min: 1, max: 65535 })),
        lowerPrioDelay: opt(fc.integer({ min: 0, max: 4294 })),
        lowerPrioRepeat: opt(fc.integer({ min: 0, max: 65535 })),
      }),
      lvsSyncDaemon: opt(fc.record({ interface: IFACE, syncId: opt(fc.integer({ min: 0, max: 255 })) })),
      extraGlobalDefs: fc.subarray(FREE_GLOBAL).chain((ls) => fc.tuple(...ls.map(spaced))),
      extraInstanceConfig: fc.subarray(FREE_INSTANCE).chain((ls) => fc.tuple(...ls.map(spaced))),
    })
    .chain((g) =>
      fc
        .record({
          vips: fc.uniqueArray(address(g.family), { minLength: g.vipCount, maxLength: g.vipCount }),
          prefixes: fc.array(opt(fc.integer({ min: 1, max: g.family === "ipv4" ? 32 : 128 })), { minLength: 3, maxLength: 3 }),
          devs: fc.array(opt(IFACE), { minLength: 3, maxLength: 3 }),
          labels: fc.array(opt(fc.stringMatching(/^[A-Za-z0-9_]{1,10}$/)), { minLength: 3, maxLength: 3 }),
          srcIps: fc.uniqueArray(address(g.family), { minLength: 2, maxLength: 2 }),
        })
        .map((a): Raw => {
          const higherFirst = g.priorities[0] === Math.max(...g.priorities);
          const states = g.states === "explicit" ? (higherFirst ? ["MASTER", "BACKUP"] : ["BACKUP", "MASTER"]) : g.states === "both-backup" ? ["BACKUP", "BACKUP"] : [undefined, undefined];
          // VRRPv3: IPv6 always, IPv4 when asked; it has no auth and takes hundredths of a second.
          const v3 = g.family === "ipv6" || g.vrrp3 === "yes";
          const vrrpVersion = g.family === "ipv4" ? (g.vrrp3 === "yes" ? 3 : g.vrrp3 === "explicit-v2" ? 2 : undefined) : g.vrrp3 === "yes" ? 3 : undefined;
          const advertInt = v3 ? (g.advertCentiseconds === undefined ? undefined : g.advertCentiseconds / 100) : g.advertInt;
          const auth = g.auth && !v3 ? defined(g.auth) : undefined;
          // With preemptDelay both nodes start BACKUP; an explicit MASTER, or nopreempt too, is refused.
          const preemptDelay = g.states === "explicit" || g.states === "nopreempt" ? undefined : g.preemptDelay;
          const tracked = g.trackInterfaces.filter((t) => t !== g.iface);
          return defined({
            nodes: g.priorities.map((priority, i) =>
              defined({ connection: { host: `h${i + 1}` }, priority, state: states[i], routerId: g.routerIds?.[i], unicastSrcIp: g.unicast ? a.srcIps[i] : undefined }),
            ),
            instanceName: g.instanceName,
            interface: g.iface,
            virtualRouterId: g.virtualRouterId,
            advertInt,
            vrrpVersion,
            vips: a.vips.map((address, i) =>
              i === 0 && a.prefixes[0] === undefined ? address : defined({ address, prefixLength: a.prefixes[i], dev: a.devs[i], label: g.family === "ipv4" ? a.labels[i] : undefined }),
            ),
            auth,
            nopreempt: g.states === "nopreempt" ? true : undefined,
            preemptDelay,
            unicast: g.unicast || undefined,
            trackInterfaces: tracked.map((name, i) => (g.trackWeights[i] === undefined ? name : { name, weight: g.trackWeights[i] })),
            trackScripts: g.trackScripts.map(defined),
            notify: defined(g.notify),
            garp: defined(g.garp),
            lvsSyncDaemon: g.lvsSyncDaemon && defined(g.lvsSyncDaemon),
            extraGlobalDefs: g.extraGlobalDefs,
            extraInstanceConfig: g.extraInstanceConfig,
          });
        }),
    );
}

const PORT = fc.integer({ min: 1, max: 65535 });
const HOST = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,30}$/);
/**
 * DNS_CHECK names keepalived 2.2.7 (and the schema) take: labels of letters, digits and
 * inner dashes, no empty label, and not a one-character first label followed by more
 * ("x.example" is refused as "has empty label": a keepalived quirk).
 */
const DNS_NAME = fc
  .array(fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,9}[a-z0-9])?$/), { minLength: 1, maxLength: 4 })
  .map((labels) => (labels.length > 1 && labels[0]!.length === 1 ? [`${labels[0]}x`, ...labels.slice(1)] : labels).join("."));
const URL_PATH = fc.stringMatching(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,30}$/).filter((p) => !p.includes("$_"));
const RETRY = { retry: opt(fc.integer({ min: 0, max: 100 })), delayBeforeRetry: opt(fc.integer({ min: 1, max: 3600 })) };
/** bindto of the real server's family (the schema refuses the other, as keepalived does). */
const connect = (family: "ipv4" | "ipv6") => ({ connectPort: opt(PORT), connectTimeout: opt(fc.integer({ min: 1, max: 3600 })), bindTo: opt(address(family)), ...RETRY });
const healthCheck = (family: "ipv4" | "ipv6"): fc.Arbitrary<Raw> => {
  const CONNECT = connect(family);
  return fc
    .oneof(
      fc.record({ type: fc.constant("TCP_CHECK"), ...CONNECT }),
      fc.record({
        type: fc.constantFrom("HTTP_GET", "SSL_GET"),
        urls: fc.array(fc.record({ path: URL_PATH, statusCode: opt(fc.integer({ min: 100, max: 599 })), digest: opt(fc.stringMatching(/^[0-9a-f]{32}$/)) }).map(defined), { minLength: 1, maxLength: 3 }),
        virtualhost: opt(HOST),
        ...CONNECT,
      }),
      fc.record({ type: fc.constant("MISC_CHECK"), command, timeout: opt(fc.integer({ min: 1, max: 3600 })), dynamic: FLAG, ...RETRY }),
      fc.record({ type: fc.constant("DNS_CHECK"), name: DNS_NAME, queryType: opt(fc.constantFrom("A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA")), ...CONNECT }),
    )
    .map(defined);
};

const SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"] as const;
const V4_MASKS = Array.from({ length: 32 }, (_, i) => {
  const bits = "1".repeat(i + 1).padEnd(32, "0");
  return [0, 8, 16, 24].map((o) => parseInt(bits.slice(o, o + 8), 2)).join(".");
});

export interface ServiceOptions {
  /**
   * Only what `keepalived -t` accepts once the services are put together: real servers whose
   * weights add up to at least the quorum (1 by default), which no single resource's schema
   * can check, and a DR/TUN sorry server on the service's port (or 0), which the schema does
   * not check yet (keepalivedRules.test.ts: "ports don't match").
   */
  acceptedByKeepalived: boolean;
}

/** A VirtualService and 1..3 of its RealServers, as a user writes them. */
export function serviceInputs({ acceptedByKeepalived }: ServiceOptions): fc.Arbitrary<{ service: Raw; realServers: Raw[] }> {
  return fc
    .record({
      family: fc.constantFrom("ipv4" as const, "ipv6" as const),
      byMark: fc.boolean(),
      protocol: fc.constantFrom("tcp", "udp", "sctp"),
      port: PORT,
      fwmark: fc.integer({ min: 1, max: 2_147_483_647 }),
      scheduler: fc.constantFrom(...SCHEDULERS),
      flags: fc.subarray(["fallback", "port"]),
      persistence: opt(fc.record({ timeoutSeconds: fc.integer({ min: 1, max: 2_678_400 }), withMask: fc.boolean(), v4: fc.constantFrom(...V4_MASKS), v6: fc.integer({ min: 1, max: 128 }) })),
      onePacket: fc.boolean(),
      delayLoop: opt(fc.integer({ min: 1, max: 86400 })),
      sorryServer: opt(fc.record({ port: fc.integer({ min: 0, max: 65535 }), forwarding: opt(fc.constantFrom("dr", "nat", "tun")), zeroPort: fc.boolean() })),
      virtualhost: opt(HOST),
      alpha: FLAG,
      omega: FLAG,
      quorum: opt(fc.integer({ min: 1, max: 65535 })),
      hysteresis: opt(fc.integer({ min: 0, max: 65535 })),
      quorumUp: opt(command),
      quorumDown: opt(command),
      realServers: fc.array(
        fc.record({
          forwarding: fc.constantFrom("dr", "nat", "tun"),
          natPort: PORT,
          weight: fc.integer({ min: 0, max: 65535 }),
          thresholds: opt(fc.tuple(fc.integer({ min: 0, max: 2_147_483_647 }), fc.integer({ min: 0, max: 2_147_483_647 }))),
          tunnel: opt(fc.oneof(fc.constant({ type: "ipip" }), fc.record({ type: fc.constant("gue"), port: PORT, checksum: opt(fc.constantFrom("nocsum", "csum", "remcsum")) }), fc.record({ type: fc.constant("gre"), checksum: opt(fc.constantFrom("nocsum", "csum")) }))),
          inhibitOnFailure: FLAG,
          notifyUp: opt(command),
          notifyDown: opt(command),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    })
    .chain((g) =>
      fc
        .record({
          vip: address(g.family),
          // As written (fc.ipV6 spells loosely): the schema canonicalises it.
          sorry: address(g.family),
          rsAddresses: fc.uniqueArray(address(g.family), { minLength: g.realServers.length, maxLength: g.realServers.length }),
          checks: fc.array(opt(healthCheck(g.family)), { minLength: g.realServers.length, maxLength: g.realServers.length }),
        })
        .map((a) => {
          const key = g.byMark ? { fwmark: g.fwmark, family: g.family } : { protocol: g.protocol, address: a.vip, port: g.port };
          const sorryPort = (s: { port: number; forwarding?: string; zeroPort: boolean }) =>
            s.forwarding !== undefined && s.forwarding !== "nat" && s.port !== 0 ? (g.byMark || s.zeroPort ? 0 : g.port) : s.port;
          const sched = g.scheduler === "sh" || g.scheduler === "mh" ? g.flags.map((f) => `${g.scheduler}-${f}`) : undefined;
          const persistence = g.persistence && defined({ timeoutSeconds: g.persistence.timeoutSeconds, netmask: g.persistence.withMask ? (g.family === "ipv4" ? g.persistence.v4 : String(g.persistence.v6)) : undefined });
          const service = defined({
            ...key,
            scheduler: g.scheduler,
            schedulerFlags: sched,
            persistence,
            onePacket: g.onePacket && (g.byMark || g.protocol === "udp") ? true : undefined,
            delayLoop: g.delayLoop,
            sorryServer: g.sorryServer && defined({ address: a.sorry, port: sorryPort(g.sorryServer), forwarding: g.sorryServer.forwarding }),
            virtualhost: g.virtualhost,
            alpha: g.alpha,
            omega: g.omega,
            quorum: g.quorum,
            hysteresis: g.hysteresis === undefined ? undefined : g.hysteresis % (g.quorum ?? 1),
            quorumUp: g.quorumUp,
            quorumDown: g.quorumDown,
          });
          const realServers = g.realServers.map((r, i) => {
            const port = g.byMark ? (r.forwarding === "nat" ? r.natPort : undefined) : r.forwarding === "nat" ? r.natPort : g.port;
            const [lower, upper] = r.thresholds ? [Math.min(...r.thresholds), Math.max(...r.thresholds)] : [undefined, undefined];
            return defined({
              service: key,
              address: a.rsAddresses[i],
              port,
              forwarding: r.forwarding,
              // The first one carries the quorum, so the weights add up to it.
              weight: acceptedByKeepalived && i === 0 ? Math.max(r.weight, g.quorum ?? 1) : r.weight,
              upperThreshold: upper,
              lowerThreshold: lower,
              tunnel: r.forwarding === "tun" && r.tunnel ? defined(r.tunnel) : undefined,
              inhibitOnFailure: r.inhibitOnFailure,
              notifyUp: r.notifyUp,
              notifyDown: r.notifyDown,
              // A connecting checker cannot reach a link-local address (the schema refuses it).
              healthCheck: a.checks[i]?.["type"] !== "MISC_CHECK" && isIpv6LinkLocal(canonicalAddress(a.rsAddresses[i]!) ?? "") ? undefined : a.checks[i],
            });
          });
          return { service, realServers };
        }),
    );
}
