// A KeepalivedPair that adopts a keepalived.conf written by hand replaces it with its own
// tree (layout.ts). Rendered from the pair's inputs alone, that tree would hold no
// virtual_server: the reload would take every hand-made service out of IPVS until the
// program's VirtualServices and RealServers were created a few steps later, dropping
// traffic in between; services the program does not declare would go for good.
//
// So the adopting pair carries the hand-made configuration into its first generation,
// statement for statement, at the paths the resources would write:
//   virtual_server A P { … }      → services/<stem>.vs (without its real servers, which
//                                   it includes from <stem>.d/, as a VirtualService does)
//   real_server R Q { … } in it   → services/<stem>.d/<R>_<Q>.conf (a RealServer's path)
//   anything else keepalived ran  → services/0-adopted.conf (a second vrrp_instance,
//                                   virtual_server_group, static routes, an include of
//                                   files outside /etc/keepalived, …)
// keepalived therefore reloads into the same services, real servers and checks, and
// touches no IPVS entry. A VirtualService or RealServer with `adopt` later overwrites its
// file with its own rendering of the same thing (keepalived keeps the entry on that reload
// too); what no resource takes over stays as it was until the pair is deleted, which puts
// the original keepalived.conf back. Not carried: the hand-made global_defs and the VRRP
// instance the pair declares (the pair renders both), the vrrp_scripts it renders, and
// the old keywords keepalived no longer reads (nb_get_retry: it runs without them, and its
// `keepalived -t` of the pair's tree would fail on them).
//
// Pure: the files read from /etc/keepalived in, the ops for the pair's first generation out.

import { canonicalAddress, serviceKeyString, type ServiceKey } from "../ipvs/model";
import { parseStatements, statement, writeStatements, type Statement } from "./configSyntax";
import type { FileOp } from "./fileOps";
import { expandWithOrigins } from "./includes";
import { IGNORED_BY_KEEPALIVED } from "./keywords";
import { KEEPALIVED_CONF, realServerDirName, realServerFile, serviceFile, SERVICES_DIR } from "./layout";
import { parseVirtualServerFile, splitVirtualServer } from "./parse";

/** Where the statements that are not a virtual_server go: included by the pair's `services/*.conf`. */
export const ADOPTED_FILE = `${SERVICES_DIR}/0-adopted.conf`;

const CARRIED_HEADER =
  "# Carried over by pulumi-lvs from the keepalived.conf a KeepalivedPair adopted (kept as keepalived.conf.pulumi-lvs-orig).\n" +
  "# A VirtualService or RealServer with `adopt: true` takes its part over; the rest stays as it was until the pair is deleted.\n";

export interface CarriedConfig {
  ops: Array<FileOp & { op: "write" }>;
  /** The virtual servers carried, as `tcp/10.0.0.1:80`, for messages. */
  services: string[];
}

/** What the pair itself renders, and so does not carry: its instance and its track scripts. */
export interface PairOwnBlocks {
  instanceName: string;
  trackScriptNames: readonly string[];
}

/** The service key of a `virtual_server` statement, or undefined when it names a group. */
function keyOf(vs: Statement): ServiceKey | undefined {
  if (vs.args[0] === "group" || vs.args.length === 0) return undefined;
  const header = (vs.block ?? []).filter((s) => s.keyword === "protocol" || s.keyword === "ip_family");
  try {
    const key = parseVirtualServerFile(writeStatements([{ keyword: "virtual_server", args: vs.args, block: header }]), "virtual_server").service.key;
    if (key.kind === "fwmark" ? !Number.isInteger(key.fwmark) : !Number.isInteger(key.port)) return undefined;
    return key;
  } catch {
    return undefined;
  }
}

/** The statements as keepalived runs them: without the keywords it no longer reads, at any depth. */
function asRun(statements: readonly Statement[]): Statement[] {
  return statements
    .filter((s) => !(IGNORED_BY_KEEPALIVED as readonly string[]).includes(s.keyword))
    .map((s) => (s.block ? { ...s, block: asRun(s.block) } : s));
}

const withHeader = (statements: Statement[]) => CARRIED_HEADER + writeStatements(asRun(statements));

/**
 * The files that carry a hand-written configuration into the pair's tree. `files` are the
 * node's files under /etc/keepalived by absolute path, keepalived.conf among them.
 */
export function carriedConfig(files: Readonly<Record<string, string>>, own: PairOwnBlocks): CarriedConfig {
  if (files[KEEPALIVED_CONF] === undefined) return { ops: [], services: [] };
  const text = expandWithOrigins(files, KEEPALIVED_CONF, { keepUnresolved: true }).lines.join("\n");
  const top = parseStatements(text, KEEPALIVED_CONF);
  const ops: CarriedConfig["ops"] = [];
  const services: string[] = [];
  const others: Statement[] = [];
  const written = new Set<string>();
  for (const s of top) {
    if (s.keyword === "global_defs") continue;
    if (s.keyword === "vrrp_instance" && s.args[0] === own.instanceName) continue;
    if (s.keyword === "vrrp_script" && own.trackScriptNames.includes(s.args[0] ?? "")) continue;
    const key = s.keyword === "virtual_server" ? keyOf(s) : undefined;
    // A key seen twice: keepalived runs one of them; the second stays where the rest goes.
    if (!key || written.has(serviceFile(key))) {
      others.push(s);
      continue;
    }
    written.add(serviceFile(key));
    services.push(serviceKeyString(key));
    const { own: serviceLines, realServers } = splitVirtualServer(s);
    ops.push({ op: "write", path: serviceFile(key), content: withHeader([{ ...s, block: [...serviceLines, statement("include", [`${realServerDirName(key)}/*.conf`])] }]) });
    // Each real server says the virtual_server's lb_kind itself (splitVirtualServer): once a
    // VirtualService has taken the .vs over, keepalived would otherwise take them for NAT.
    for (const rs of realServers) {
      const address = canonicalAddress(rs.args[0] ?? "") ?? rs.args[0] ?? "";
      const port = Number(rs.args[1] ?? 0);
      const path = realServerFile(key, address, Number.isInteger(port) ? port : 0);
      // The same real server twice in one virtual_server: keepalived runs it once.
      if (!written.has(path)) ops.push({ op: "write", path, content: withHeader([rs]) });
      written.add(path);
    }
  }
  if (others.length > 0) ops.push({ op: "write", path: ADOPTED_FILE, content: withHeader(others) });
  return { ops, services };
}
