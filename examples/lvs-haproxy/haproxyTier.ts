// The HAProxy tier's haproxy.cfg, as text: what the program hands to each HaproxyConfig
// (haproxyConfig.ts), which delivers it. Pure, and only ever run by the program.

import { isIP } from "net";

export interface HaproxyWebServer {
  /** HAProxy's name for it (letters, digits, `_ . -`). */
  name: string;
  address: string;
  port: number;
}

export interface HaproxyTier {
  /** HAProxy listens on every address on this port: the VIP on `lo` (DR) included. */
  port: number;
  /** Answered by HAProxy itself: 200 while at least one web server passes its checks, else 503. */
  healthPath: string;
  /** What HAProxy balances to, round robin. */
  webServers: readonly HaproxyWebServer[];
  /** Asked of every web server by HAProxy's own checks; 200 expected. */
  webCheckPath: string;
}

// Values go into HAProxy's line-based config language unquoted, so anything outside these
// plain shapes is refused rather than escaped.
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const PATH = /^\/[A-Za-z0-9._~\/-]{0,255}$/;
const isPort = (p: number) => Number.isInteger(p) && p >= 1 && p <= 65535;

/** haproxy.cfg for one HAProxy of the tier. The same text serves every host: `%[hostname]` names the one that answered. */
export function renderHaproxyConfig(tier: HaproxyTier): string {
  const problems: string[] = [];
  if (!isPort(tier.port)) problems.push(`port ${tier.port} must be an integer 1..65535`);
  for (const [what, path] of [["healthPath", tier.healthPath], ["webCheckPath", tier.webCheckPath]] as const) {
    if (!PATH.test(path)) problems.push(`${what} "${path}" must be a path of at most 256 letters, digits and . _ ~ / -`);
  }
  if (tier.webServers.length === 0) problems.push("webServers must list at least one web server");
  const names = new Set<string>();
  for (const s of tier.webServers) {
    if (!NAME.test(s.name)) problems.push(`web server name "${s.name}" must be 1..64 letters, digits, _ . -`);
    if (names.has(s.name)) problems.push(`web server name "${s.name}" is used twice`);
    names.add(s.name);
    // A zone (`fe80::1%eth0`) is refused too: `%` starts a sample expression in HAProxy's language.
    if (isIP(s.address) === 0 || s.address.includes("%")) problems.push(`web server ${s.name}: address "${s.address}" must be an IP address (without a zone)`);
    if (!isPort(s.port)) problems.push(`web server ${s.name}: port ${s.port} must be an integer 1..65535`);
  }
  if (problems.length > 0) throw new Error(`HAProxy tier: ${problems.join("; ")}`);

  const endpoint = (s: HaproxyWebServer) => (isIP(s.address) === 6 ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`);
  return [
    "# Written by pulumi-lvs examples/lvs-haproxy (HaproxyConfig); a change made here is drift.",
    "global",
    "    log /dev/log local0",
    "    chroot /var/lib/haproxy",
    "    user haproxy",
    "    group haproxy",
    "",
    "defaults",
    "    mode http",
    "    log global",
    "    option httplog",
    "    option dontlognull",
    "    timeout connect 5s",
    "    timeout client 30s",
    "    timeout server 30s",
    "",
    "frontend vip",
    `    bind :${tier.port}`,
    // keepalived's HTTP_GET asks here: it checks this HAProxy, and through `monitor fail`
    // whether it still has a web server to send to.
    `    monitor-uri ${tier.healthPath}`,
    "    monitor fail if { nbsrv(web) lt 1 }",
    "    http-response set-header X-Haproxy %[hostname]",
    "    default_backend web",
    "",
    "backend web",
    "    balance roundrobin",
    `    option httpchk GET ${tier.webCheckPath}`,
    "    http-check expect status 200",
    ...tier.webServers.map((s) => `    server ${s.name} ${endpoint(s)} check inter 2s fall 2 rise 2`),
    "",
  ].join("\n");
}
