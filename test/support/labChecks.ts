// What the end-to-end tests look at on the lab: client traffic through a VIP, and a
// snapshot of everything a deploy may change on the hosts (which a destroy must put back).

import { saveIpvsTable } from "../../provider/ipvs/executor";
import { run } from "../../provider/ssh";
import { labConnection, labHost } from "./lab";

export const REAL_SERVERS = ["rs1", "rs2", "rs3"] as const;

/** A lab host as the example programs (and other user programs) take it in config: SSH endpoint, pinned key, front address. */
export function programHost(name: string): { ssh: string; port: number; hostKey: string; address: string } {
  const h = labHost(name);
  return { ssh: h.ssh.host, port: h.ssh.port, hostKey: h.hostKey, address: h.interfaces.front.ipv4 };
}

/** The ARP sysctls a RealServerArpConfig sets: arp_ignore and arp_announce on all, lo and each interface given. */
export const ARP_SYSCTLS = (ifaces: readonly string[]) => ["all", "lo", ...ifaces].flatMap((i) => [`net.ipv4.conf.${i}.arp_ignore`, `net.ipv4.conf.${i}.arp_announce`]);

/** The live values of `keys` on a host (`sysctl -e`: a key the host lacks is left out). */
export async function sysctlValues(connection: Parameters<typeof run>[0], keys: readonly string[]): Promise<Record<string, string>> {
  const out = (await run(connection, ["sysctl", "-e", ...keys])).stdout;
  return Object.fromEntries(out.trim().split("\n").map((l) => l.split(" = ") as [string, string]));
}

/**
 * Empties a director's IPVS table by hand (`ipvsadm -C`), then has the rules file rewritten
 * from it, as any change of ours would: a test that clears the table and leaves the file
 * behind hands the next test a director whose first change "loses" the stale lines.
 */
export async function clearIpvsTable(host: string): Promise<void> {
  await run(labConnection(host), ["ipvsadm", "-C"]);
  await saveIpvsTable(labConnection(host));
}

/** Lines about other tests' VIPs (.100 keepalived, .199, .2xx), which may come and go meanwhile. */
const OTHER_TESTS = /10\.77\.0\.(100|199|2\d\d)\b/;

/** `requests` HTTP requests from the lab client to the VIP: who answered, how often ("FAILED" for a failure). */
export async function answers(vip: string, requests: number): Promise<Map<string, number>> {
  await run(labConnection("client"), ["ip", "neigh", "flush", "all"]);
  const script = 'for i in $(seq "$1"); do curl -sS --max-time 5 "http://$2/" || echo FAILED; done';
  const out = (await run(labConnection("client"), ["sh", "-c", script, "requests", String(requests), vip])).stdout;
  const counts = new Map<string, number>();
  for (const line of out.split("\n").filter((l) => l.length > 0)) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

/** A constant shell script on a lab host, as root; its stdout. */
export const sh = async (host: string, script: string) => (await run(labConnection(host), ["sh", "-c", script])).stdout;

/** Our lines only, without address lifetimes (they count down). */
const ours = (text: string) =>
  text
    .split("\n")
    .filter((l) => !OTHER_TESTS.test(l))
    .map((l) => l.replace(/\s*valid_lft \S+ preferred_lft \S+/, ""))
    .join("\n");

/** What a deploy may change on dir1 and the real servers, and a destroy must put back. */
export async function hostSnapshot(): Promise<Record<string, string>> {
  // /etc/keepalived is left out: the keepalived test owns it on dir1.
  const files = "ls -la --time-style=+ /etc/sysctl.d /etc/modules-load.d /etc/systemd/system 2>&1";
  const snap: Record<string, string> = {
    "dir1 ipvsadm": ours(await sh("dir1", "modprobe ip_vs; ipvsadm -S -n")),
    "dir1 sysctl": await sh("dir1", "sysctl net.ipv4.ip_forward; sysctl -a 2>/dev/null | grep -E '^net\\.ipv4\\.(conf\\.[^.]+\\.send_redirects|vs\\.)' | sort"),
    "dir1 files": await sh("dir1", files),
    "dir1 addr": ours(await sh("dir1", "ip -o addr")),
  };
  for (const rs of REAL_SERVERS) {
    snap[`${rs} sysctl`] = await sh(rs, "sysctl -a 2>/dev/null | grep -E '\\.(arp_ignore|arp_announce|rp_filter) ' | sort");
    // Not `ip addr show dev tunl0`: naming a missing device makes the kernel load the module
    // that provides it (netdev-tunl0 → ipip), and the snapshot would change what it looks at.
    snap[`${rs} lo`] = ours(await sh(rs, "ip -o addr show | awk '$2 == \"lo\" || $2 == \"tunl0\"'"));
    snap[`${rs} files`] = await sh(rs, files);
    snap[`${rs} rules`] = await sh(rs, "ip -4 rule show");
  }
  return snap;
}
