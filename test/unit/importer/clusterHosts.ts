// Snapshots of clusters built by hand whose plain resources are exactly what one LvsCluster
// creates: a plain DR director with two real servers, and a NAT keepalived pair (the same
// pair in DR is a near miss). The tests vary one thing at a time to show where the fit ends.

import { MAIN_CONFIG } from "../../../importer/keepalivedConfig";
import type { RealServerHost } from "../../../importer/clusterFit";
import type { ReadHost } from "../../../importer/program";
import type { HostSnapshot } from "../../../importer/snapshot";
import { parseIpvsadmSave } from "../../../provider/ipvs/parse";

export const VIP = "10.77.0.180";

const target = (port: number) => ({ host: "127.0.0.1", port, user: "root" });
const host = (port: number, snapshot: Omit<HostSnapshot, "keepalived" | "rules" | "routes"> & Partial<HostSnapshot>): ReadHost => ({
  target: target(port),
  snapshot: { keepalived: { active: false, files: {} }, rules: "", routes: "", ...snapshot },
});

/** What a DR director needs, and both drain settings at 1: a Director changes none of it. */
export const DR_DIRECTOR_SYSCTLS = {
  "net.ipv4.ip_forward": "0",
  "net.ipv4.conf.all.send_redirects": "0",
  "net.ipv4.conf.default.send_redirects": "0",
  "net.ipv4.vs.expire_nodest_conn": "1",
  "net.ipv4.vs.expire_quiescent_template": "1",
};

/** `ipvsadm -A -t VIP:80 -s rr` with rs1 and rs2 `-g -w 1`. */
export const DR_TABLE = `-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r 10.77.0.21:80 -g -w 1\n-a -t ${VIP}:80 -r 10.77.0.22:80 -g -w 1\n`;

/** A plain DR director: the VIP /32 on eth1, the table as saved (`ipvsadm -S` form). */
export function drDirector(options: { table?: string; sysctls?: Record<string, string>; vipPrefix?: number } = {}): ReadHost {
  return host(2202, {
    hostname: "dir2",
    hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIdir2",
    ipvs: parseIpvsadmSave(options.table ?? DR_TABLE),
    sysctls: options.sysctls ?? DR_DIRECTOR_SYSCTLS,
    addresses: [
      { interface: "eth1", address: "10.77.0.12", prefixLength: 24 },
      { interface: "eth1", address: VIP, prefixLength: options.vipPrefix ?? 32 },
    ],
  });
}

/** arp_ignore=1 / arp_announce=2 on each interface named. */
export const arpOn = (...ifaces: string[]) => Object.fromEntries(ifaces.flatMap((i) => [[`net.ipv4.conf.${i}.arp_ignore`, "1"], [`net.ipv4.conf.${i}.arp_announce`, "2"]]));

/** A DR real server: its RIP on eth1, the VIP on lo, the ARP settings on all and lo only. */
export function drRealServer(hostname: string, port: number, rip: string, sysctls: Record<string, string> = { ...arpOn("all", "lo"), "net.ipv4.conf.eth1.arp_ignore": "0" }, vip = VIP): ReadHost {
  return host(port, {
    hostname,
    sysctls,
    addresses: [
      { interface: "eth1", address: rip, prefixLength: 24 },
      { interface: "lo", address: vip, prefixLength: 32 },
    ],
  });
}

export const drRealServers = () => [drRealServer("rs1", 2211, "10.77.0.21"), drRealServer("rs2", 2212, "10.77.0.22")];

/** What the fit reads from the real server hosts: which has which address. */
export const realServerHostsOf = (hosts: readonly ReadHost[]): RealServerHost[] => hosts.map((h) => ({ host: h.snapshot.hostname, addresses: h.snapshot.addresses.map((a) => a.address) }));

export const PAIR_VIP = "10.77.0.190";

type PairKind = "NAT" | "DR";
const pairPort = (kind: PairKind) => (kind === "NAT" ? 8080 : 80);

/** A pair's keepalived.conf with nothing LvsCluster would write otherwise: `VI_<vrid>`, one check for every real server. */
export function pairConfig(routerId: string, priority: number, state: "MASTER" | "BACKUP", kind: PairKind): string {
  return `global_defs {
  router_id ${routerId}
}

vrrp_instance VI_7 {
  state ${state}
  interface eth1
  virtual_router_id 7
  priority ${priority}
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass s3cr3t
  }
  virtual_ipaddress {
    ${PAIR_VIP}
  }
}

virtual_server ${PAIR_VIP} 80 {
  delay_loop 5
  lb_algo rr
  lb_kind ${kind}
  protocol TCP
  real_server 10.77.1.21 ${pairPort(kind)} {
    weight 1
    TCP_CHECK {
      connect_timeout 3
    }
  }
  real_server 10.77.1.22 ${pairPort(kind)} {
    weight 2
    TCP_CHECK {
      connect_timeout 3
    }
  }
}
`;
}

/** Forwarding on (NAT) or no redirects (DR), both drain settings at 1: a pair node's Director changes none of it. */
const PAIR_NODE_SYSCTLS: Record<PairKind, Record<string, string>> = {
  NAT: { "net.ipv4.ip_forward": "1", "net.ipv4.vs.expire_nodest_conn": "1", "net.ipv4.vs.expire_quiescent_template": "1" },
  DR: DR_DIRECTOR_SYSCTLS,
};

/** A node of the pair, with the table keepalived made from its file. */
export function pairNode(hostname: string, port: number, routerId: string, priority: number, state: "MASTER" | "BACKUP", kind: PairKind = "NAT"): ReadHost {
  const flag = kind === "NAT" ? "-m" : "-g";
  return host(port, {
    hostname,
    ipvs: parseIpvsadmSave(`-A -t ${PAIR_VIP}:80 -s rr\n-a -t ${PAIR_VIP}:80 -r 10.77.1.21:${pairPort(kind)} ${flag} -w 1\n-a -t ${PAIR_VIP}:80 -r 10.77.1.22:${pairPort(kind)} ${flag} -w 2\n`),
    keepalived: { active: true, files: { [MAIN_CONFIG]: pairConfig(routerId, priority, state, kind) } },
    sysctls: PAIR_NODE_SYSCTLS[kind],
    addresses: state === "MASTER" ? [{ interface: "eth1", address: PAIR_VIP, prefixLength: 32 }] : [],
  });
}

/** A NAT real server: its RIP on eth2, the director its default gateway (nothing to adopt). */
export const natRealServer = (hostname: string, port: number, rip: string): ReadHost => host(port, { hostname, sysctls: {}, addresses: [{ interface: "eth2", address: rip, prefixLength: 24 }] });

export const pair = (kind: PairKind = "NAT") => [pairNode("lb1", 2201, "LB_A", 150, "MASTER", kind), pairNode("lb2", 2202, "LB_B", 100, "BACKUP", kind)];
export const natPairRealServers = () => [natRealServer("web1", 2211, "10.77.1.21"), natRealServer("web2", 2212, "10.77.1.22")];

/** A plain NAT director with the kernel's drain settings (its Director: expireConnections false). */
export const natDirector = () =>
  drDirector({
    table: `-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r 10.77.1.21:8080 -m -w 1\n-a -t ${VIP}:80 -r 10.77.1.22:8080 -m -w 1\n`,
    sysctls: { "net.ipv4.ip_forward": "1", "net.ipv4.vs.expire_nodest_conn": "0", "net.ipv4.vs.expire_quiescent_template": "0" },
  });

/** A NAT real server whose replies go back by a return route made by hand (LvsCluster's table and priority unless said). */
export function natRoutedRealServer(hostname: string, port: number, rip: string, table = 177, priority = 1000): ReadHost {
  const rs = natRealServer(hostname, port, rip);
  return { ...rs, snapshot: { ...rs.snapshot, rules: `${priority}:\tfrom ${rip} lookup ${table}\n32766:\tfrom all lookup main`, routes: `default via 10.77.1.12 dev eth2 table ${table} \n` } };
}
