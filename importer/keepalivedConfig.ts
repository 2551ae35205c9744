// A hand-written keepalived.conf, as the classic guides write it, → what pulumi-lvs can
// declare: the VRRP instance (through the provider's own parser) and the virtual servers
// with their real servers and checks. The guides' habits are read as keepalived reads them:
// `include` globs, blocks on one line, comments, and the deprecated spellings (`lb_kind`,
// `nb_get_retry`, `lvs_sched`, `lvs_method` on the virtual_server for all its real servers).
// Whatever is read but not expressed becomes a warning naming the file and line.

import { writeStatements, parseStatements, type Statement } from "../provider/keepalived/configSyntax";
import { expandWithOrigins } from "../provider/keepalived/includes";
import { GLOBAL_DEFS_PASSTHROUGH, IGNORED_BY_KEEPALIVED, RENDERED_GLOBAL_KEYWORDS } from "../provider/keepalived/keywords";
import { KEEPALIVED_CONF } from "../provider/keepalived/layout";
import type { NodeConfig } from "../provider/keepalived/model";
import { parseNodeConfig, parseRealServerFile, parseVirtualServerFile, splitVirtualServer } from "../provider/keepalived/parse";
import type { KeepalivedRealServerOptions, KeepalivedServiceOptions } from "../provider/keepalived/serviceModel";
import type { IpvsDestination, IpvsService } from "../provider/ipvs/model";

export const MAIN_CONFIG = KEEPALIVED_CONF;

export interface ImportedRealServer {
  destination: IpvsDestination;
  options: KeepalivedRealServerOptions;
}

export interface ImportedVirtualServer {
  service: IpvsService;
  options: KeepalivedServiceOptions;
  realServers: ImportedRealServer[];
}

export interface ImportedKeepalived {
  /** The VRRP instance this node runs (absent: keepalived only balances, no VIP failover). */
  instance?: NodeConfig;
  virtualServers: ImportedVirtualServer[];
  warnings: string[];
}

/** Old spellings keepalived 2.2 still reads as aliases → the keyword our parser reads. */
const RENAMED: Record<string, string> = { lb_kind: "lvs_method", lvs_sched: "lb_algo" };
/** Why the program leaves out each keyword keepalived no longer reads (IGNORED_BY_KEEPALIVED). */
const IGNORED_WHY: Record<(typeof IGNORED_BY_KEEPALIVED)[number], string> = {
  nb_get_retry: "is ignored by keepalived 2.x (\"Unknown keyword\"; the check runs with the default retry), so the program leaves it out: declare `retry` to get what it meant",
};

const SERVICE_KEYWORDS = new Set([
  "delay_loop", "lb_algo", "lvs_method", "protocol", "persistence_timeout", "persistence_granularity", "sorry_server",
  "sorry_server_lvs_method", "virtualhost", "alpha", "omega", "quorum", "hysteresis", "quorum_up", "quorum_down", "real_server",
  "ip_family", "ops", "sh-port", "sh-fallback", "mh-port", "mh-fallback",
]);
const REAL_SERVER_KEYWORDS = new Set(["weight", "uthreshold", "lthreshold", "lvs_method", "inhibit_on_failure", "notify_up", "notify_down"]);
const CHECKS = new Set(["TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK", "DNS_CHECK"]);
const CHECK_KEYWORDS = new Set([
  "connect_port", "connect_timeout", "bindto", "retry", "delay_before_retry", "url", "path", "digest", "status_code",
  "virtualhost", "misc_path", "misc_timeout", "misc_dynamic", "type", "name",
]);
/** global_defs lines a KeepalivedPair writes itself (router_id per node) or may carry (extraGlobalDefs). */
const GLOBAL_KEYWORDS = new Set([...RENDERED_GLOBAL_KEYWORDS, ...GLOBAL_DEFS_PASSTHROUGH]);

/** Renames the deprecated keywords, at every depth. */
function modernised(statements: readonly Statement[]): Statement[] {
  return statements.map((s) => ({ ...s, keyword: RENAMED[s.keyword] ?? s.keyword, ...(s.block ? { block: modernised(s.block) } : {}) }));
}

/** Where a statement was written: `file:line`, includes followed. */
type Where = (s: Statement) => string;
const shown = (s: Statement) => [s.keyword, ...s.args].join(" ");

function unexpressed(block: readonly Statement[], known: ReadonlySet<string>, context: string, warnings: string[], where: Where): void {
  for (const s of block) {
    if (known.has(s.keyword)) continue;
    const why = (IGNORED_WHY as Record<string, string>)[s.keyword];
    warnings.push(`${where(s)}: \`${shown(s)}\` in ${context} ${why ?? "is not expressed in the program"}`);
  }
}

function importVirtualServer(vs: Statement, warnings: string[], where: Where): ImportedVirtualServer {
  const block = vs.block ?? [];
  const label = `virtual_server ${vs.args.join(" ")}`;
  unexpressed(block, SERVICE_KEYWORDS, label, warnings, where);
  // The guides put lvs_method on the virtual_server; keepalived applies it to each real server.
  const { own, realServers: declared } = splitVirtualServer(vs);
  const { service, options } = parseVirtualServerFile(writeStatements([{ ...vs, block: own }]), label);
  const realServers = declared.map((rs) => {
      const rsBlock = rs.block ?? [];
      const rsLabel = `real_server ${rs.args.join(" ")} of ${label}`;
      unexpressed(rsBlock.filter((s) => !CHECKS.has(s.keyword)), REAL_SERVER_KEYWORDS, rsLabel, warnings, where);
      for (const check of rsBlock.filter((s) => CHECKS.has(s.keyword))) {
        unexpressed(check.block ?? [], CHECK_KEYWORDS, `${check.keyword} of ${rsLabel}`, warnings, where);
        for (const url of (check.block ?? []).filter((s) => s.keyword === "url")) unexpressed(url.block ?? [], CHECK_KEYWORDS, `url of ${rsLabel}`, warnings, where);
      }
      return parseRealServerFile(writeStatements([rs]), rsLabel, service.key);
    });
  return { service, options, realServers };
}

/** One node's keepalived files → the instance and the virtual servers, with warnings. */
export function importKeepalived(files: Record<string, string>): ImportedKeepalived {
  const warnings: string[] = [];
  if (files[MAIN_CONFIG] === undefined) return { virtualServers: [], warnings };
  const expanded = expandWithOrigins(files, MAIN_CONFIG, { warnings });
  const where: Where = (s) => expanded.origins[(s.line ?? 0) - 1] ?? MAIN_CONFIG;
  const top = modernised(parseStatements(expanded.lines.join("\n"), MAIN_CONFIG));
  for (const s of top) {
    if (!["global_defs", "vrrp_instance", "virtual_server", "vrrp_script"].includes(s.keyword))
      warnings.push(`${where(s)}: \`${shown(s)}\` (a ${s.keyword} block) is not expressed in the program`);
  }
  unexpressed(top.find((s) => s.keyword === "global_defs")?.block ?? [], GLOBAL_KEYWORDS, "global_defs", warnings, where);
  const instances = top.filter((s) => s.keyword === "vrrp_instance");
  for (const extra of instances.slice(1)) warnings.push(`${where(extra)}: a second VRRP instance (\`${shown(extra)}\`): a KeepalivedPair runs one; it is not in the program`);
  const parsed = instances.length > 0 ? parseNodeConfig(writeStatements(top.filter((s) => !instances.slice(1).includes(s)))) : undefined;
  // Only the global_defs lines a KeepalivedPair may carry: the others (the guides' mail
  // settings) its schema refuses, and they are in the warnings above.
  const instance = parsed && { ...parsed, extraGlobalDefs: parsed.extraGlobalDefs.filter((line) => GLOBAL_DEFS_PASSTHROUGH.includes(line.split(/\s+/)[0]!)) };
  const virtualServers = top.filter((s) => s.keyword === "virtual_server").map((vs) => importVirtualServer(vs, warnings, where));
  return { ...(instance ? { instance } : {}), virtualServers, warnings };
}
