// The variants the keepalived tests render, as users write them: KeepalivedPair inputs,
// and VirtualServices with their RealServers. Every value here is valid, so every tree
// rendered from them must pass the real `keepalived -t` and parse back to its model.
// Scripts are real executables (/usr/bin/true): keepalived -t checks they exist.

import { MINIMAL_PAIR } from "./userInputs";

type Raw = Record<string, unknown>;

const TRUE = "/usr/bin/true";
const nodes = (a: Raw, b: Raw) => [
  { connection: { host: "h1" }, priority: 150, ...a },
  { connection: { host: "h2" }, priority: 100, ...b },
];

export const PAIR_CASES: Array<[string, Raw]> = [
  ["multicast, the minimal pair", MINIMAL_PAIR],
  ["named instance and router ids, advert_int 3", { ...MINIMAL_PAIR, instanceName: "web_vip", advertInt: 3, nodes: nodes({ routerId: "lb-a" }, { routerId: "lb-b" }) }],
  ["explicit states, BACKUP with the higher priority listed second", { ...MINIMAL_PAIR, nodes: nodes({ state: "BACKUP", priority: 90 }, { state: "MASTER", priority: 200 }) }],
  ["unicast with each node's source address", { ...MINIMAL_PAIR, unicast: true, nodes: nodes({ unicastSrcIp: "192.168.50.1" }, { unicastSrcIp: "192.168.50.2" }) }],
  ["auth PASS (type defaulted), 8 characters", { ...MINIMAL_PAIR, auth: { password: "s3cr$t-8" } }],
  ["auth PASS spelled out, every allowed special character", { ...MINIMAL_PAIR, auth: { type: "PASS", password: "$%&'()*+" } }],
  ["nopreempt: both start BACKUP", { ...MINIMAL_PAIR, nopreempt: true }],
  ["preemptDelay with both nodes BACKUP", { ...MINIMAL_PAIR, preemptDelay: 60, nodes: nodes({ state: "BACKUP" }, { state: "BACKUP" }) }],
  ["preemptDelay without states: both start BACKUP", { ...MINIMAL_PAIR, preemptDelay: 0 }],
  [
    "VIPs: bare, prefix, dev, label",
    { ...MINIMAL_PAIR, vips: ["10.0.0.100", { address: "10.0.0.101", prefixLength: 24 }, { address: "10.0.2.100", dev: "eth2" }, { address: "10.0.3.100", prefixLength: 24, dev: "eth3", label: "eth3:web" }] },
  ],
  ["IPv6 VIPs only (spelled loosely, canonicalised)", { ...MINIMAL_PAIR, vips: ["FD00:0::100", { address: "fd00::101", prefixLength: 64, dev: "eth2" }] }],
  ["IPv6 unicast", { ...MINIMAL_PAIR, vips: ["fd00::100"], unicast: true, nodes: nodes({ unicastSrcIp: "fd00::1" }, { unicastSrcIp: "fd00::2" }) }],
  ["trackInterfaces with and without weight", { ...MINIMAL_PAIR, trackInterfaces: ["eth2", { name: "eth3", weight: -30 }] }],
  [
    "trackScripts: every option",
    {
      ...MINIMAL_PAIR,
      trackScripts: [
        { name: "chk_nginx", command: [TRUE, "--port=80", "a,b"], interval: 2, timeout: 1, weight: -20, rise: 2, fall: 3 },
        { name: "chk_plain", command: [TRUE] },
      ],
    },
  ],
  ["notify: master/backup/fault/stop", { ...MINIMAL_PAIR, notify: { master: [TRUE, "master"], backup: [TRUE, "backup"], fault: [TRUE], stop: [TRUE, "stop"] } }],
  ["notify: deleted and the generic notify", { ...MINIMAL_PAIR, notify: { deleted: [TRUE], notify: [TRUE, "--all"] } }],
  ["every garp option", { ...MINIMAL_PAIR, garp: { masterDelay: 5, masterRepeat: 3, masterRefresh: 60, masterRefreshRepeat: 2, lowerPrioDelay: 4, lowerPrioRepeat: 1 } }],
  ["garp options at 0", { ...MINIMAL_PAIR, garp: { masterDelay: 0, masterRefresh: 0 } }],
  ["lvsSyncDaemon with syncId", { ...MINIMAL_PAIR, lvsSyncDaemon: { interface: "eth2", syncId: 7 } }],
  ["lvsSyncDaemon without syncId", { ...MINIMAL_PAIR, lvsSyncDaemon: { interface: "eth1" } }],
  [
    "extraGlobalDefs / extraInstanceConfig lines (spacing normalised)",
    { ...MINIMAL_PAIR, extraGlobalDefs: ["vrrp_garp_interval 0.001", "  vrrp_gna_interval   0.002 "], extraInstanceConfig: ["dont_track_primary", "accept"] },
  ],
  [
    "everything at once, unicast",
    {
      ...MINIMAL_PAIR,
      instanceName: "all",
      unicast: true,
      nodes: nodes({ unicastSrcIp: "192.168.50.1", routerId: "a" }, { unicastSrcIp: "192.168.50.2", routerId: "b" }),
      auth: { password: "pw" },
      vips: ["10.0.0.100", { address: "10.0.3.100", prefixLength: 24, dev: "eth3", label: "eth3:1" }],
      trackInterfaces: ["eth2"],
      trackScripts: [{ name: "chk", command: [TRUE], interval: 1, weight: 10 }],
      notify: { master: [TRUE], backup: [TRUE], fault: [TRUE], stop: [TRUE] },
      garp: { masterDelay: 1, masterRepeat: 2, lowerPrioRepeat: 5 },
      lvsSyncDaemon: { interface: "eth2", syncId: 1 },
      extraGlobalDefs: ["vrrp_garp_interval 0.001"],
      extraInstanceConfig: ["dont_track_primary"],
    },
  ],
];

/** A VirtualService (key fields + options) and its RealServers (`service` filled in from the VirtualService). */
export interface ServiceCase {
  service: Raw;
  realServers: Raw[];
  /**
   * The case runs scripts (quorum_up/down, notify_up/down, MISC_CHECK) although the pair it
   * renders under has none of its own: keepalived refuses such scripts unless global_defs has
   * script_user / enable_script_security (keepalived -t exits 6: "SECURITY VIOLATION - check
   * scripts are being executed but script_security not enabled."), which render.ts now
   * always writes. Informational: every case renders under the minimal pair.
   */
  scripts?: true;
}

const web = { address: "10.0.0.100", port: 80 };
const rs = (address: string, extra: Raw = {}): Raw => ({ address, port: 80, ...extra });

const SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"];

export const SERVICE_CASES: Array<[string, ServiceCase]> = [
  ["tcp, one dr real server", { service: web, realServers: [rs("10.0.1.1")] }],
  ["udp with one-packet scheduling", { service: { ...web, protocol: "udp", port: 53, onePacket: true }, realServers: [rs("10.0.1.1", { port: 53 })] }],
  ["sctp", { service: { ...web, protocol: "sctp", port: 3868 }, realServers: [rs("10.0.1.1", { port: 3868 })] }],
  ["IPv6 (spelled loosely)", { service: { address: "FD00::0:100", port: 443 }, realServers: [rs("fd00::1:1", { port: 443 }), rs("fd00::1:2", { port: 8443, forwarding: "nat" })] }],
  ["fwmark IPv4", { service: { fwmark: 42 }, realServers: [{ address: "10.0.1.1" }, { address: "10.0.1.2", forwarding: "nat", port: 8080 }] }],
  ["fwmark IPv6 with onePacket", { service: { fwmark: 43, family: "ipv6", onePacket: true }, realServers: [{ address: "fd00::1:1" }] }],
  ...SCHEDULERS.map((scheduler): [string, ServiceCase] => [`scheduler ${scheduler}`, { service: { ...web, scheduler }, realServers: [rs("10.0.1.1")] }]),
  ["sh with both flags", { service: { ...web, scheduler: "sh", schedulerFlags: ["sh-port", "sh-fallback"] }, realServers: [rs("10.0.1.1")] }],
  ["mh with both flags", { service: { ...web, scheduler: "mh", schedulerFlags: ["mh-fallback", "mh-port"] }, realServers: [rs("10.0.1.1")] }],
  ["persistence without granularity", { service: { ...web, persistence: { timeoutSeconds: 300 } }, realServers: [rs("10.0.1.1")] }],
  ["persistence with IPv4 granularity", { service: { ...web, persistence: { timeoutSeconds: 600, netmask: "255.255.255.0" } }, realServers: [rs("10.0.1.1")] }],
  ["persistence with IPv6 granularity", { service: { address: "fd00::100", port: 443, persistence: { timeoutSeconds: 600, netmask: "64" } }, realServers: [rs("fd00::1:1", { port: 443 })] }],
  ["all ports (port 0, persistent)", { service: { address: "10.0.0.100", port: 0, persistence: { timeoutSeconds: 60 } }, realServers: [{ address: "10.0.1.1", port: 0 }] }],
  ["virtualhost, delay_loop", { service: { ...web, delayLoop: 10, virtualhost: "www.example.com" }, realServers: [rs("10.0.1.1", { healthCheck: { type: "HTTP_GET", urls: [{ path: "/" }] } })] }],
  [
    "alpha, omega, quorum, hysteresis, quorum_up/down",
    { service: { ...web, alpha: true, omega: true, quorum: 2, hysteresis: 1, quorumUp: [TRUE, "up"], quorumDown: [TRUE, "down"] }, realServers: [rs("10.0.1.1", { weight: 2 })], scripts: true },
  ],
  [
    "real servers: dr / nat / tun, weights and thresholds",
    {
      service: { ...web, scheduler: "wrr" },
      realServers: [
        rs("10.0.1.1", { forwarding: "dr", weight: 0 }),
        rs("10.0.1.2", { forwarding: "nat", port: 8080, weight: 65535, upperThreshold: 1000, lowerThreshold: 100 }),
        rs("10.0.1.3", { forwarding: "tun", upperThreshold: 50 }),
      ],
    },
  ],
  [
    "tun: ipip, gue with port and checksums, gre with checksums",
    {
      service: web,
      realServers: [
        rs("10.0.1.1", { forwarding: "tun", tunnel: { type: "ipip" } }),
        rs("10.0.1.2", { forwarding: "tun", tunnel: { type: "gue", port: 6080 } }),
        rs("10.0.1.3", { forwarding: "tun", tunnel: { type: "gue", port: 6080, checksum: "csum" } }),
        rs("10.0.1.4", { forwarding: "tun", tunnel: { type: "gue", port: 6081, checksum: "remcsum" } }),
        rs("10.0.1.5", { forwarding: "tun", tunnel: { type: "gre" } }),
        rs("10.0.1.6", { forwarding: "tun", tunnel: { type: "gre", checksum: "csum" } }),
      ],
    },
  ],
  ["tun across families (IPv6 real server of an IPv4 service)", { service: web, realServers: [rs("fd00::1:1", { forwarding: "tun" })] }],
  ...(["dr", "nat", "tun"] as const).map((forwarding): [string, ServiceCase] => [
    `sorry server, ${forwarding}`,
    { service: { ...web, sorryServer: { address: "10.0.9.9", port: forwarding === "nat" ? 8080 : 80, forwarding } }, realServers: [rs("10.0.1.1")] },
  ]),
  ["sorry server, forwarding defaulted (nat)", { service: { ...web, sorryServer: { address: "10.0.9.9", port: 8080 } }, realServers: [rs("10.0.1.1")] }],
  ["sorry server, IPv6 (spelled loosely, canonicalised)", { service: { address: "fd00::100", port: 443, sorryServer: { address: "FD00:0::9", port: 443, forwarding: "dr" } }, realServers: [rs("fd00::1:1", { port: 443 })] }],
  ["sorry server on an fwmark service", { service: { fwmark: 44, sorryServer: { address: "10.0.9.9", port: 0, forwarding: "dr" } }, realServers: [{ address: "10.0.1.1" }] }],
  ["quorum_up/down only", { service: { ...web, quorumUp: [TRUE], quorumDown: [TRUE, "down"] }, realServers: [rs("10.0.1.1")], scripts: true }],
  ["notify_up only", { service: web, realServers: [rs("10.0.1.1", { notifyUp: [TRUE] })], scripts: true }],
  ["MISC_CHECK only, dynamic", { service: web, realServers: [rs("10.0.1.1", { healthCheck: { type: "MISC_CHECK", command: [TRUE, "10.0.1.1"], dynamic: true } })], scripts: true }],
  ["inhibit_on_failure", { service: web, realServers: [rs("10.0.1.1", { inhibitOnFailure: true, weight: 3 })] }],
  ["notify_up/down", { service: web, realServers: [rs("10.0.1.1", { notifyUp: [TRUE, "up"], notifyDown: [TRUE, "down", "10.0.1.1"] })], scripts: true }],
  [
    "health checks: TCP_CHECK, HTTP_GET, SSL_GET, DNS_CHECK with their options",
    {
      service: web,
      realServers: [
        rs("10.0.1.1", { healthCheck: { type: "TCP_CHECK" } }),
        rs("10.0.1.2", { healthCheck: { type: "TCP_CHECK", connectPort: 8080, connectTimeout: 3, bindTo: "10.0.0.1", retry: 2, delayBeforeRetry: 1 } }),
        rs("10.0.1.3", {
          healthCheck: {
            type: "HTTP_GET",
            urls: [{ path: "/healthz", statusCode: 200 }, { path: "/index.html?x=1", digest: "9b3a0c85a887a256d6939da88aabd8cd" }, { path: "/both", statusCode: 204, digest: "0123456789abcdef0123456789abcdef" }],
            virtualhost: "www.example.com",
            connectPort: 8080,
            connectTimeout: 5,
          },
        }),
        rs("10.0.1.4", { healthCheck: { type: "SSL_GET", urls: [{ path: "/", statusCode: 200 }], virtualhost: "secure.example.com", connectPort: 443, retry: 3, delayBeforeRetry: 2 } }),
        rs("10.0.1.5", { healthCheck: { type: "DNS_CHECK", name: "example.com", queryType: "AAAA", connectPort: 53, connectTimeout: 2 } }),
        rs("10.0.1.6", { healthCheck: { type: "DNS_CHECK", name: "example.org" } }),
      ],
    },
  ],
  [
    "health checks: MISC_CHECK with and without options",
    {
      service: web,
      realServers: [
        rs("10.0.1.1", { healthCheck: { type: "MISC_CHECK", command: [TRUE, "--check", "10.0.1.1"], timeout: 5, dynamic: true, retry: 1, delayBeforeRetry: 3 } }),
        rs("10.0.1.2", { healthCheck: { type: "MISC_CHECK", command: [TRUE] } }),
      ],
      scripts: true,
    },
  ],
];

/** The RealServer inputs of a case, each pointed at the case's VirtualService. */
export function realServerInputs(c: ServiceCase): Raw[] {
  const { address, port, protocol, fwmark, family } = c.service as Raw;
  const service = Object.fromEntries(Object.entries({ address, port, protocol, fwmark, family }).filter(([, v]) => v !== undefined));
  return c.realServers.map((r) => ({ service, ...r }));
}
