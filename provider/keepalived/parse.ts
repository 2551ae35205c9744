// keepalived.conf text → model: the inverse of render.ts, so that `read` reports what the
// files on the hosts say (a priority edited by hand, a VIP removed) as drift. Statements
// we do not model land in the free-form lists, exactly as render.ts writes those.

import { canonicalAddress, type IpvsDestination, type IpvsService, type SchedulerFlag, type ServiceKey } from "../ipvs/model";
import { find, findAll, parseStatements, statement, type Statement } from "./configSyntax";
import { ParseError } from "./errors";
import { MODELLED_INSTANCE_KEYWORDS, NOTIFY_KEYWORDS, RENDERED_GLOBAL_KEYWORDS } from "./keywords";
import { GARP_KEYWORDS, type AuthType, type GarpOptions, type NodeConfig, type NotifyScripts, type TrackScript, type VrrpState } from "./model";
import type { DnsQueryType, HealthCheck, HttpUrl, KeepalivedRealServerOptions, KeepalivedServiceOptions } from "./serviceModel";

const num = (s: Statement | undefined, file: string, at = 0): number | undefined => {
  if (!s) return undefined;
  const v = Number(s.args[at]);
  if (!Number.isFinite(v)) throw new ParseError(file, s.line ?? 0, `${s.keyword} needs a number, found ${JSON.stringify(s.args[at])}`);
  return v;
};
const text = (s: Statement | undefined): string | undefined => s?.args[0];
const argv = (s: Statement | undefined): string[] | undefined => (s ? s.args.join(" ").split(/\s+/).filter((a) => a !== "") : undefined);
const line = (s: Statement): string => [s.keyword, ...s.args].join(" ");

const GARP_BY_KEYWORD = Object.fromEntries(Object.entries(GARP_KEYWORDS).map(([k, v]) => [v, k as keyof GarpOptions]));
const NOTIFY_BY_KEYWORD: Record<string, keyof NotifyScripts> = Object.fromEntries(Object.entries(NOTIFY_KEYWORDS).map(([e, k]) => [k, e as keyof NotifyScripts]));

function parseVrrpScript(s: Statement, file: string): TrackScript {
  const b = s.block ?? [];
  const optional = (k: string) => num(find(b, k), file);
  const script: TrackScript = { name: s.args[0] ?? "", command: argv(find(b, "script")) ?? [] };
  for (const k of ["interval", "timeout", "weight", "rise", "fall"] as const) {
    const v = optional(k);
    if (v !== undefined) script[k] = v;
  }
  const [user, group] = find(b, "user")?.args ?? [];
  if (user !== undefined) script.user = user;
  if (group !== undefined) script.group = group;
  return script;
}

/** One node's main file (the pair as that node sees it). */
export function parseNodeConfig(content: string, file = "keepalived.conf"): NodeConfig {
  const top = parseStatements(content, file);
  const instance = find(top, "vrrp_instance");
  if (!instance?.block) throw new ParseError(file, 0, "no vrrp_instance block");
  const globals = find(top, "global_defs")?.block ?? [];
  const b = instance.block;
  const sync = find(globals, "lvs_sync_daemon");
  const auth = find(b, "authentication")?.block;
  const notify: NotifyScripts = {};
  const garp: GarpOptions = {};
  const extraInstanceConfig: string[] = [];
  for (const s of b) {
    if (s.keyword in GARP_BY_KEYWORD) garp[GARP_BY_KEYWORD[s.keyword]!] = num(s, file)!;
    else if (s.keyword in NOTIFY_BY_KEYWORD) notify[NOTIFY_BY_KEYWORD[s.keyword]!] = argv(s)!;
    else if (!MODELLED_INSTANCE_KEYWORDS.has(s.keyword)) extraInstanceConfig.push(line(s));
  }
  const unicastSrc = text(find(b, "unicast_src_ip"));
  const syncIdAt = sync ? sync.args.indexOf("id") : -1;
  const preemptDelay = num(find(b, "preempt_delay"), file);
  const vips = (find(b, "virtual_ipaddress")?.block ?? []).map((v) => {
    const [address, prefix] = v.keyword.split("/");
    const canonical = canonicalAddress(address ?? "") ?? address ?? "";
    const dev = v.args[v.args.indexOf("dev") + 1];
    const label = v.args[v.args.indexOf("label") + 1];
    return {
      address: canonical,
      prefixLength: prefix !== undefined ? Number(prefix) : canonical.includes(":") ? 128 : 32,
      ...(v.args.includes("dev") && dev !== undefined ? { dev } : {}),
      ...(v.args.includes("label") && label !== undefined ? { label } : {}),
    };
  });
  const version = num(find(b, "version"), file) ?? (vips[0]?.address.includes(":") ? 3 : 2);
  if (version !== 2 && version !== 3) throw new ParseError(file, find(b, "version")?.line ?? 0, `version must be 2 or 3, found ${version}`);
  return {
    instanceName: instance.args[0] ?? "",
    interface: text(find(b, "interface")) ?? "",
    virtualRouterId: num(find(b, "virtual_router_id"), file) ?? 0,
    advertInt: num(find(b, "advert_int"), file) ?? 1,
    vrrpVersion: version,
    vips,
    ...(auth ? { auth: { type: (text(find(auth, "auth_type")) ?? "PASS") as AuthType, password: text(find(auth, "auth_pass")) ?? "" } } : {}),
    nopreempt: find(b, "nopreempt") !== undefined,
    ...(preemptDelay !== undefined ? { preemptDelay } : {}),
    unicast: find(b, "unicast_peer") !== undefined,
    trackInterfaces: (find(b, "track_interface")?.block ?? []).map((t) => {
      const w = t.args.indexOf("weight");
      return w >= 0 ? { name: t.keyword, weight: Number(t.args[w + 1]) } : { name: t.keyword };
    }),
    trackScripts: (() => {
      const defined = new Map(findAll(top, "vrrp_script").map((s) => [s.args[0], parseVrrpScript(s, file)]));
      return (find(b, "track_script")?.block ?? []).map((t) => defined.get(t.keyword) ?? { name: t.keyword, command: [] });
    })(),
    notify,
    garp,
    ...(sync ? { lvsSyncDaemon: { interface: sync.args[0] ?? "", ...(syncIdAt >= 0 ? { syncId: Number(sync.args[syncIdAt + 1]) } : {}) } } : {}),
    extraGlobalDefs: globals.filter((s) => !RENDERED_GLOBAL_KEYWORDS.has(s.keyword)).map(line),
    extraInstanceConfig,
    node: {
      routerId: text(find(globals, "router_id")) ?? "",
      state: (text(find(b, "state")) ?? "BACKUP") as VrrpState,
      priority: num(find(b, "priority"), file) ?? 100,
      ...(unicastSrc !== undefined ? { unicastSrcIp: canonicalAddress(unicastSrc) ?? unicastSrc } : {}),
    },
    unicastPeers: (find(b, "unicast_peer")?.block ?? []).map((p) => canonicalAddress(p.keyword) ?? p.keyword),
  };
}

const SCHEDULER_FLAG_KEYWORDS = new Set(["sh-fallback", "sh-port", "mh-fallback", "mh-port"]);
const FORWARDING_OF = { DR: "dr", NAT: "nat", TUN: "tun" } as const;

/** How a virtual_server names its forwarding method: `lvs_method`, or the guides' old `lb_kind`. */
const isMethod = (s: Statement) => s.keyword === "lvs_method" || s.keyword === "lb_kind";

/**
 * A virtual_server block written by hand, split as the resources write it: its own
 * statements, and its real_server blocks on their own. The guides set the forwarding method
 * on the virtual_server; keepalived applies it to each real server that sets none, so each
 * such real_server gets it as its own `lvs_method` and reads the same on its own.
 */
export function splitVirtualServer(vs: Statement): { own: Statement[]; realServers: Statement[] } {
  const block = vs.block ?? [];
  const method = block.find(isMethod);
  const realServers = block
    .filter((s) => s.keyword === "real_server")
    .map((rs) => (method && !(rs.block ?? []).some(isMethod) ? { ...rs, block: [statement("lvs_method", method.args), ...(rs.block ?? [])] } : rs));
  return { own: block.filter((s) => s.keyword !== "real_server"), realServers };
}

/** A service file: its virtual_server block as the IPVS model plus keepalived's options. */
export function parseVirtualServerFile(content: string, file: string): { service: IpvsService; options: KeepalivedServiceOptions } {
  const vs = find(parseStatements(content, file), "virtual_server");
  if (!vs?.block) throw new ParseError(file, 0, "no virtual_server block");
  const b = vs.block;
  const protocol = (text(find(b, "protocol")) ?? "TCP").toLowerCase() as "tcp" | "udp" | "sctp";
  const key: ServiceKey =
    vs.args[0] === "fwmark"
      ? { kind: "fwmark", fwmark: Number(vs.args[1]), family: text(find(b, "ip_family")) === "inet6" ? "ipv6" : "ipv4" }
      : { kind: "address", protocol, address: canonicalAddress(vs.args[0] ?? "") ?? vs.args[0] ?? "", port: Number(vs.args[1]) };
  const timeout = num(find(b, "persistence_timeout"), file);
  const granularity = text(find(b, "persistence_granularity"));
  const sorry = find(b, "sorry_server");
  const options: KeepalivedServiceOptions = {};
  const delayLoop = num(find(b, "delay_loop"), file);
  if (delayLoop !== undefined) options.delayLoop = delayLoop;
  if (sorry) {
    const method = (text(find(b, "sorry_server_lvs_method")) ?? "NAT") as keyof typeof FORWARDING_OF;
    options.sorryServer = { address: canonicalAddress(sorry.args[0] ?? "") ?? sorry.args[0] ?? "", port: Number(sorry.args[1]), forwarding: FORWARDING_OF[method] ?? "nat" };
  }
  const virtualhost = text(find(b, "virtualhost"));
  if (virtualhost !== undefined) options.virtualhost = virtualhost;
  if (find(b, "alpha")) options.alpha = true;
  if (find(b, "omega")) options.omega = true;
  const quorum = num(find(b, "quorum"), file);
  if (quorum !== undefined) options.quorum = quorum;
  const hysteresis = num(find(b, "hysteresis"), file);
  if (hysteresis !== undefined) options.hysteresis = hysteresis;
  const up = argv(find(b, "quorum_up"));
  if (up) options.quorumUp = up;
  const down = argv(find(b, "quorum_down"));
  if (down) options.quorumDown = down;
  return {
    service: {
      key,
      scheduler: (text(find(b, "lb_algo")) ?? "wlc") as IpvsService["scheduler"],
      schedulerFlags: b.filter((s) => SCHEDULER_FLAG_KEYWORDS.has(s.keyword)).map((s) => s.keyword as SchedulerFlag).sort(),
      ...(timeout !== undefined ? { persistence: { timeoutSeconds: timeout, ...(granularity !== undefined ? { netmask: granularity } : {}) } } : {}),
      onePacket: find(b, "ops") !== undefined,
    },
    options,
  };
}

function connectOptionsOf(b: Statement[], file: string) {
  const o: { connectPort?: number; connectTimeout?: number; bindTo?: string; retry?: number; delayBeforeRetry?: number } = {};
  const set = (k: keyof typeof o, keyword: string) => {
    const s = find(b, keyword);
    if (s) (o as Record<string, unknown>)[k] = k === "bindTo" ? s.args[0] : num(s, file);
  };
  set("connectPort", "connect_port");
  set("connectTimeout", "connect_timeout");
  set("bindTo", "bindto");
  set("retry", "retry");
  set("delayBeforeRetry", "delay_before_retry");
  return o;
}

export function parseHealthCheck(s: Statement, file: string): HealthCheck | undefined {
  const b = s.block ?? [];
  switch (s.keyword) {
    case "TCP_CHECK":
      return { type: "TCP_CHECK", ...connectOptionsOf(b, file) };
    case "HTTP_GET":
    case "SSL_GET": {
      const urls: HttpUrl[] = findAll(b, "url").map((u) => {
        const ub = u.block ?? [];
        const status = num(find(ub, "status_code"), file);
        const digest = text(find(ub, "digest"));
        return { path: text(find(ub, "path")) ?? "/", ...(digest !== undefined ? { digest } : {}), ...(status !== undefined ? { statusCode: status } : {}) };
      });
      const virtualhost = text(find(b, "virtualhost"));
      return { type: s.keyword, urls, ...(virtualhost !== undefined ? { virtualhost } : {}), ...connectOptionsOf(b, file) };
    }
    case "MISC_CHECK": {
      const timeout = num(find(b, "misc_timeout"), file);
      const { retry, delayBeforeRetry } = connectOptionsOf(b, file);
      return {
        type: "MISC_CHECK",
        command: argv(find(b, "misc_path")) ?? [],
        ...(timeout !== undefined ? { timeout } : {}),
        ...(find(b, "misc_dynamic") ? { dynamic: true } : {}),
        ...(retry !== undefined ? { retry } : {}),
        ...(delayBeforeRetry !== undefined ? { delayBeforeRetry } : {}),
      };
    }
    case "DNS_CHECK": {
      const queryType = text(find(b, "type")) as DnsQueryType | undefined;
      return { type: "DNS_CHECK", name: text(find(b, "name")) ?? "", ...(queryType !== undefined ? { queryType } : {}), ...connectOptionsOf(b, file) };
    }
  }
  return undefined;
}

/** A real server file, for the service `key` it lives under. */
export function parseRealServerFile(content: string, file: string, key: ServiceKey): { destination: IpvsDestination; options: KeepalivedRealServerOptions } {
  const rs = find(parseStatements(content, file), "real_server");
  if (!rs?.block) throw new ParseError(file, 0, "no real_server block");
  const b = rs.block;
  const method = find(b, "lvs_method")?.args ?? ["NAT"];
  const forwarding = FORWARDING_OF[(method[0] ?? "NAT") as keyof typeof FORWARDING_OF] ?? "nat";
  const typeAt = method.indexOf("type");
  const portAt = method.indexOf("port");
  const checksum = method.find((m) => m === "nocsum" || m === "csum" || m === "remcsum") as "nocsum" | "csum" | "remcsum" | undefined;
  const destination: IpvsDestination = {
    service: key,
    address: canonicalAddress(rs.args[0] ?? "") ?? rs.args[0] ?? "",
    port: Number(rs.args[1] ?? 0),
    forwarding,
    weight: num(find(b, "weight"), file) ?? 1,
    upperThreshold: num(find(b, "uthreshold"), file) ?? 0,
    lowerThreshold: num(find(b, "lthreshold"), file) ?? 0,
    ...(forwarding === "tun" && typeAt >= 0
      ? { tunnel: { type: method[typeAt + 1] as "ipip" | "gue" | "gre", ...(portAt >= 0 ? { port: Number(method[portAt + 1]) } : {}), ...(checksum ? { checksum } : {}) } }
      : {}),
  };
  const options: KeepalivedRealServerOptions = {};
  const check = b.map((s) => parseHealthCheck(s, file)).find((c) => c !== undefined);
  if (check) options.healthCheck = check;
  if (find(b, "inhibit_on_failure")) options.inhibitOnFailure = true;
  const up = argv(find(b, "notify_up"));
  if (up) options.notifyUp = up;
  const down = argv(find(b, "notify_down"));
  if (down) options.notifyDown = down;
  return { destination, options };
}
