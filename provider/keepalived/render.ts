// Model → keepalived.conf text. Pure: the same model always renders to the same bytes,
// so `read` (which parses the files back) compares equal to what was applied.
//
// Layout of a node's generation directory (see layout.ts):
//   keepalived.conf            the pair: global_defs, vrrp_script, vrrp_instance,
//                              then `include services/*.conf`
//   services/<service>.conf    one virtual_server block per VirtualService, which
//                              includes <service>.d/*.conf
//   services/<service>.d/<real server>.conf   one real_server block per RealServer
// Includes are relative: keepalived resolves them against the including file's directory,
// so a candidate generation is checked by `keepalived -t` exactly as it will be loaded.

import { serviceKeyString, type IpvsDestination, type IpvsService } from "../ipvs/model";
import { statement, writeStatements, type Statement } from "./configSyntax";
import { NOTIFY_KEYWORDS } from "./keywords";
import { GARP_KEYWORDS, nodeView, type KeepalivedPairConfig, type NodeConfig, type NotifyEvent, type TrackScript } from "./model";
import { PLACEHOLDER_FILE, realServerDirName } from "./layout";
import type { HealthCheck, KeepalivedRealServerOptions, KeepalivedServiceOptions } from "./serviceModel";

export const MANAGED_HEADER = "# Managed by pulumi-lvs. Edits by hand show up as drift in `pulumi refresh` and are overwritten by `pulumi up`.";

/** keepalived takes a script as one string; it splits it on spaces again (args are refused if they hold spaces). */
export function scriptString(argv: readonly string[]): string {
  return argv.join(" ");
}

function vrrpScriptBlock(s: TrackScript): Statement {
  const block: Statement[] = [statement("script", [scriptString(s.command)])];
  if (s.interval !== undefined) block.push(statement("interval", [s.interval]));
  if (s.timeout !== undefined) block.push(statement("timeout", [s.timeout]));
  if (s.weight !== undefined) block.push(statement("weight", [s.weight]));
  if (s.rise !== undefined) block.push(statement("rise", [s.rise]));
  if (s.fall !== undefined) block.push(statement("fall", [s.fall]));
  if (s.user !== undefined) block.push(statement("user", s.group !== undefined ? [s.user, s.group] : [s.user]));
  return statement("vrrp_script", [s.name], block);
}

/** Free-form lines: parsed with keepalived's own grammar, so they land as statements. */
function extraStatements(lines: readonly string[]): Statement[] {
  return lines.map((line) => {
    const [keyword, ...args] = line.trim().split(/\s+/);
    return statement(keyword!, args);
  });
}

function globalDefs(n: NodeConfig): Statement {
  const block: Statement[] = [statement("router_id", [n.node.routerId])];
  // Scripts (vrrp_script, notify, MISC_CHECK, quorum_up/down, notify_up/down, which may
  // also come from the services' files) run as root, and keepalived refuses to run any
  // script a non-root user could modify. keepalived -t rejects scripts without these lines.
  block.push(statement("script_user", ["root"]), statement("enable_script_security"));
  if (n.lvsSyncDaemon) {
    const args: (string | number)[] = [n.lvsSyncDaemon.interface, n.instanceName];
    if (n.lvsSyncDaemon.syncId !== undefined) args.push("id", n.lvsSyncDaemon.syncId);
    block.push(statement("lvs_sync_daemon", args));
  }
  block.push(...extraStatements(n.extraGlobalDefs));
  return statement("global_defs", [], block);
}

function vrrpInstance(n: NodeConfig): Statement {
  const b: Statement[] = [
    statement("state", [n.node.state]),
    statement("interface", [n.interface]),
    statement("virtual_router_id", [n.virtualRouterId]),
    statement("priority", [n.node.priority]),
    statement("advert_int", [n.advertInt]),
  ];
  // keepalived speaks VRRPv2 for IPv4 unless told otherwise, and always VRRPv3 for IPv6.
  if (n.vrrpVersion === 3 && !n.vips[0]?.address.includes(":")) b.push(statement("version", [3]));
  if (n.nopreempt) b.push(statement("nopreempt"));
  if (n.preemptDelay !== undefined) b.push(statement("preempt_delay", [n.preemptDelay]));
  if (n.auth) b.push(statement("authentication", [], [statement("auth_type", [n.auth.type]), statement("auth_pass", [n.auth.password])]));
  if (n.unicast) {
    if (n.node.unicastSrcIp) b.push(statement("unicast_src_ip", [n.node.unicastSrcIp]));
    b.push(statement("unicast_peer", [], n.unicastPeers.map((p) => statement(p))));
  }
  b.push(
    statement(
      "virtual_ipaddress",
      [],
      n.vips.map((v) => {
        const args: string[] = [];
        if (v.dev !== undefined) args.push("dev", v.dev);
        if (v.label !== undefined) args.push("label", v.label);
        return statement(`${v.address}/${v.prefixLength}`, args);
      }),
    ),
  );
  if (n.trackInterfaces.length > 0)
    b.push(statement("track_interface", [], n.trackInterfaces.map((t) => statement(t.name, t.weight !== undefined ? ["weight", t.weight] : []))));
  if (n.trackScripts.length > 0) b.push(statement("track_script", [], n.trackScripts.map((s) => statement(s.name))));
  for (const [keyword, value] of Object.entries(GARP_KEYWORDS) as [keyof typeof GARP_KEYWORDS, string][]) {
    const v = n.garp[keyword];
    if (v !== undefined) b.push(statement(value, [v]));
  }
  for (const [event, argv] of Object.entries(n.notify)) {
    if (argv) b.push(statement(NOTIFY_KEYWORDS[event as NotifyEvent], [scriptString(argv)]));
  }
  b.push(...extraStatements(n.extraInstanceConfig));
  return statement("vrrp_instance", [n.instanceName], b);
}

/** A node's main file of its generation: the pair as that node sees it, then the services. */
export function renderNodeConfig(pair: KeepalivedPairConfig, index: 0 | 1): string {
  const n = nodeView(pair, index);
  const statements = [globalDefs(n), ...n.trackScripts.map(vrrpScriptBlock), vrrpInstance(n), statement("include", ["services/*.conf"])];
  return `${MANAGED_HEADER}\n${writeStatements(statements)}`;
}

/** The placeholder that keeps an include glob from matching nothing (keepalived warns about that). */
export function renderPlaceholder(what: string): string {
  return `# pulumi-lvs: ${what}. This file keeps the include glob from matching nothing.\n`;
}

export const LVS_METHODS = { dr: "DR", nat: "NAT", tun: "TUN" } as const;

function virtualServerHead(service: IpvsService): Statement {
  const key = service.key;
  return key.kind === "fwmark" ? statement("virtual_server", ["fwmark", key.fwmark]) : statement("virtual_server", [key.address, key.port]);
}

export function renderVirtualServerBlock(service: IpvsService, options: KeepalivedServiceOptions): string {
  const key = service.key;
  const b: Statement[] = [];
  if (options.delayLoop !== undefined) b.push(statement("delay_loop", [options.delayLoop]));
  b.push(statement("lb_algo", [service.scheduler]));
  if (key.kind === "address") b.push(statement("protocol", [key.protocol.toUpperCase()]));
  else b.push(statement("ip_family", [key.family === "ipv6" ? "inet6" : "inet"]));
  for (const flag of service.schedulerFlags) b.push(statement(flag));
  if (service.persistence) {
    b.push(statement("persistence_timeout", [service.persistence.timeoutSeconds]));
    if (service.persistence.netmask !== undefined) b.push(statement("persistence_granularity", [service.persistence.netmask]));
  }
  if (service.onePacket) b.push(statement("ops"));
  if (options.sorryServer) {
    b.push(statement("sorry_server", [options.sorryServer.address, options.sorryServer.port]));
    b.push(statement("sorry_server_lvs_method", [LVS_METHODS[options.sorryServer.forwarding]]));
  }
  if (options.virtualhost !== undefined) b.push(statement("virtualhost", [options.virtualhost]));
  if (options.alpha) b.push(statement("alpha"));
  if (options.omega) b.push(statement("omega"));
  if (options.quorum !== undefined) b.push(statement("quorum", [options.quorum]));
  if (options.hysteresis !== undefined) b.push(statement("hysteresis", [options.hysteresis]));
  if (options.quorumUp) b.push(statement("quorum_up", [scriptString(options.quorumUp)]));
  if (options.quorumDown) b.push(statement("quorum_down", [scriptString(options.quorumDown)]));
  b.push(statement("include", [`${realServerDirName(service.key)}/*.conf`]));
  const head = virtualServerHead(service);
  return `${MANAGED_HEADER}\n# VirtualService ${serviceKeyString(key)}\n${writeStatements([{ ...head, block: b }])}`;
}

function connectOptions(c: { connectPort?: number; connectTimeout?: number; bindTo?: string; retry?: number; delayBeforeRetry?: number }): Statement[] {
  const b: Statement[] = [];
  if (c.connectPort !== undefined) b.push(statement("connect_port", [c.connectPort]));
  if (c.connectTimeout !== undefined) b.push(statement("connect_timeout", [c.connectTimeout]));
  if (c.bindTo !== undefined) b.push(statement("bindto", [c.bindTo]));
  if (c.retry !== undefined) b.push(statement("retry", [c.retry]));
  if (c.delayBeforeRetry !== undefined) b.push(statement("delay_before_retry", [c.delayBeforeRetry]));
  return b;
}

export function healthCheckBlock(check: HealthCheck): Statement {
  switch (check.type) {
    case "TCP_CHECK":
      return statement("TCP_CHECK", [], connectOptions(check));
    case "HTTP_GET":
    case "SSL_GET": {
      const urls = check.urls.map((u) => {
        const ub: Statement[] = [statement("path", [u.path])];
        if (u.digest !== undefined) ub.push(statement("digest", [u.digest]));
        if (u.statusCode !== undefined) ub.push(statement("status_code", [u.statusCode]));
        return statement("url", [], ub);
      });
      const extra = check.virtualhost !== undefined ? [statement("virtualhost", [check.virtualhost])] : [];
      return statement(check.type, [], [...urls, ...extra, ...connectOptions(check)]);
    }
    case "MISC_CHECK": {
      const b: Statement[] = [statement("misc_path", [scriptString(check.command)])];
      if (check.timeout !== undefined) b.push(statement("misc_timeout", [check.timeout]));
      if (check.dynamic) b.push(statement("misc_dynamic"));
      if (check.retry !== undefined) b.push(statement("retry", [check.retry]));
      if (check.delayBeforeRetry !== undefined) b.push(statement("delay_before_retry", [check.delayBeforeRetry]));
      return statement("MISC_CHECK", [], b);
    }
    case "DNS_CHECK": {
      const b: Statement[] = [statement("name", [check.name])];
      if (check.queryType !== undefined) b.push(statement("type", [check.queryType]));
      return statement("DNS_CHECK", [], [...b, ...connectOptions(check)]);
    }
  }
}

export function renderRealServerBlock(destination: IpvsDestination, options: KeepalivedRealServerOptions): string {
  const b: Statement[] = [statement("weight", [destination.weight])];
  const method: (string | number)[] = [LVS_METHODS[destination.forwarding]];
  if (destination.forwarding === "tun" && destination.tunnel) {
    const t = destination.tunnel;
    method.push("type", t.type);
    if (t.port !== undefined) method.push("port", t.port);
    if (t.checksum !== undefined && t.type !== "ipip") method.push(t.checksum);
  }
  b.push(statement("lvs_method", method));
  if (destination.upperThreshold > 0) b.push(statement("uthreshold", [destination.upperThreshold]));
  if (destination.lowerThreshold > 0) b.push(statement("lthreshold", [destination.lowerThreshold]));
  if (options.inhibitOnFailure) b.push(statement("inhibit_on_failure"));
  if (options.notifyUp) b.push(statement("notify_up", [scriptString(options.notifyUp)]));
  if (options.notifyDown) b.push(statement("notify_down", [scriptString(options.notifyDown)]));
  if (options.healthCheck) b.push(healthCheckBlock(options.healthCheck));
  return `${MANAGED_HEADER}\n${writeStatements([statement("real_server", [destination.address, destination.port], b)])}`;
}

export { PLACEHOLDER_FILE };
