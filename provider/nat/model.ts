// A NAT real server's return path: replies from its real-server address (RIP) must go
// back through the director, which un-NATs them. A default route in the main table would
// do, but a real server usually also has a connected route to the clients (the lab's do,
// on the front segment), and that would carry replies straight past the director, where
// the client drops them (wrong source address). So the return path is source-based:
//
//   ip rule add from <RIP>/32 lookup <table> pref <priority>
//   ip route replace default via <director> table <table>
//
// Plain data here; the host side is in hostScript.ts.

export interface ReturnRoute {
  /** The real server's address as the director sends to it (RIP). */
  sourceAddress: string;
  /** The director's address on the real servers' segment (DIP). */
  gateway: string;
  /** Routing table number (1..252, 253-255 are the kernel's default/main/local). */
  table: number;
  /** `ip rule` preference; lower runs first (main is 32766). */
  priority: number;
}

/** What the host has for this route: the rule and the table's default route. */
export interface LiveReturnRoute {
  ruleInstalled: boolean;
  /** The gateway of `default` in the table, if any. */
  gateway?: string;
  /** Other routes in the table (not ours; they make create refuse). */
  otherRoutes: string[];
  unitInstalled: boolean;
}

/** `ip -4 rule show` line: `1000:	from 10.77.1.21 lookup 177` */
export function parseRuleShow(text: string, route: Pick<ReturnRoute, "sourceAddress" | "table" | "priority">): boolean {
  return text.split("\n").some((line) => {
    const m = line.match(/^(\d+):\s+from (\S+) lookup (\S+)/);
    return m !== null && Number(m[1]) === route.priority && m[2] === route.sourceAddress && m[3] === String(route.table);
  });
}

/** `ip -4 route show table N` lines: our default route, and anything else. */
export function parseTableRoutes(text: string): { gateway?: string; otherRoutes: string[] } {
  let gateway: string | undefined;
  const otherRoutes: string[] = [];
  for (const line of text.split("\n").map((l) => l.trim()).filter((l) => l !== "")) {
    const m = line.match(/^default via (\S+)/);
    if (m && gateway === undefined) gateway = m[1];
    else otherRoutes.push(line);
  }
  return { ...(gateway !== undefined ? { gateway } : {}), otherRoutes };
}

/** The boot unit's name: one per route, keyed by source address and table. */
export function unitName(route: Pick<ReturnRoute, "sourceAddress" | "table">): string {
  return `pulumi-lvs-return-route-${route.sourceAddress.replace(/[.:]/g, "-")}-t${route.table}.service`;
}

/** The oneshot unit that brings the route back at boot (values are validated IPs/numbers). */
export function renderUnit(route: ReturnRoute): string {
  const r = route;
  return [
    "# Managed by pulumi-lvs (RealServerReturnRoute): replies from the real-server address go back through the NAT director.",
    "[Unit]",
    `Description=pulumi-lvs NAT return route for ${r.sourceAddress} via ${r.gateway}`,
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=-/sbin/ip -4 rule del from ${r.sourceAddress}/32 lookup ${r.table} pref ${r.priority}`,
    `ExecStart=/sbin/ip -4 rule add from ${r.sourceAddress}/32 lookup ${r.table} pref ${r.priority}`,
    `ExecStart=/sbin/ip -4 route replace default via ${r.gateway} table ${r.table}`,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
