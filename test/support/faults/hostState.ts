// Everything a pulumi-lvs resource may leave on a lab host, as text: the files we write
// (with their hashes, so a half-written one shows), units, addresses, the IPVS table,
// sysctls, policy routes, keepalived's service state and any VRRP JSON dump. Two hosts
// that read alike hold the same configuration: no orphan record, file, unit, VIP or IPVS
// entry can hide between them.

import { run } from "../../../provider/ssh";
import { labConnection } from "../lab";

export const MATRIX_HOSTS = ["dir1", "dir2", "rs1", "rs2"] as const;

// Constant. Address lifetimes count down and keepalived moves the pair's VIP (10.77.0.171)
// between the nodes by election, so neither is configuration. Nor are the lock files in
// /run/pulumi-lvs (tmpfs): they stay by design, since unlinking a flock file that another
// process is waiting on would let two holders in.
const HOST_STATE = `cd /
units=$(ls -d /etc/systemd/system/*pulumi-lvs* /etc/systemd/system/*/*pulumi-lvs* 2>/dev/null)
for d in /etc/sysctl.d/*pulumi-lvs* /etc/modules-load.d/*pulumi-lvs* $units /etc/keepalived /var/lib/pulumi-lvs /etc/ipvsadm.rules /etc/default/ipvsadm /tmp/keepalived.json /tmp/keepalived.data /tmp/keepalived.stats; do
  [ -e "$d" ] || [ -L "$d" ] || continue
  find "$d" -xdev -printf '%p %y %m %U:%G %l\\n'
  find "$d" -xdev -type f -exec sha256sum {} +
done | sort
echo "--- addr"; ip -o addr show | sed -E 's/ +valid_lft .*//' | grep -v ' 10\\.77\\.0\\.171/'
echo "--- ipvs"; ipvsadm -S -n 2>&1
echo "--- sysctl"; grep -H . /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/*/send_redirects /proc/sys/net/ipv4/conf/*/arp_ignore /proc/sys/net/ipv4/conf/*/arp_announce /proc/sys/net/ipv4/conf/*/rp_filter /proc/sys/net/ipv6/conf/all/forwarding 2>/dev/null; [ -d /proc/sys/net/ipv4/vs ] && grep -H . /proc/sys/net/ipv4/vs/expire_* /proc/sys/net/ipv4/vs/conntrack 2>/dev/null
echo "--- rules"; ip -4 rule show; ip -4 route show table all | grep -v -E '^(local|broadcast|multicast) ' | sort
echo "--- units"; systemctl is-active keepalived.service $(for u in $units; do basename "$u"; done | grep -E '\\.service$' | sort -u) 2>&1
true`;

/** keepalived generations are numbered by apply (gen.<n>): the number is history, not configuration. */
const normalise = (text: string) => text.replace(/\bgen\.\d+\b/g, "gen.N");

export async function hostState(hosts: readonly string[] = MATRIX_HOSTS): Promise<Record<string, string>> {
  const entries = await Promise.all(hosts.map(async (h) => [h, normalise((await run(labConnection(h), ["sh", "-c", HOST_STATE])).stdout)] as const));
  return Object.fromEntries(entries);
}

/** The lines of `a` left after taking out one occurrence per line of `b`. */
function without(a: readonly string[], b: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const l of b) counts.set(l, (counts.get(l) ?? 0) + 1);
  return a.filter((l) => {
    const n = counts.get(l) ?? 0;
    if (n > 0) counts.set(l, n - 1);
    return n === 0;
  });
}

/** The hosts whose state differs, each with the lines only one side has. */
export function stateDifferences(expected: Record<string, string>, actual: Record<string, string>): Record<string, { missing: string[]; extra: string[] }> {
  const out: Record<string, { missing: string[]; extra: string[] }> = {};
  for (const host of Object.keys(expected)) {
    // As multisets: a second generation directory of the same shape is an extra, not a match.
    const want = expected[host]!.split("\n");
    const got = (actual[host] ?? "").split("\n");
    const missing = without(want, got);
    const extra = without(got, want);
    if (missing.length + extra.length > 0) out[host] = { missing, extra };
  }
  return out;
}
