// What keepalived is doing right now on a node: its VRRP instances (SIGJSON dump), the
// addresses the host holds, and the IPVS table. The live VRRP role flaps by design, so it
// is never resource state: getVrrpStatus (vrrpStatus.ts) reports it on demand.

import { parseIpAddrShow } from "../resource/ipAddrShow";

export type VrrpRole = "INIT" | "BACKUP" | "MASTER" | "FAULT" | "STOPPED";

export interface VrrpInstanceStatus {
  name: string;
  state: VrrpRole;
  virtualRouterId: number;
  basePriority: number;
  effectivePriority: number;
  /** Seconds, with hundredths under VRRPv3 (keepalived prints 0.3 as 0.3). */
  advertInt: number;
  vrrpVersion: number;
  /** VIP addresses as keepalived lists them (address only). */
  vips: string[];
}

/**
 * Whether the instances come from a dump keepalived wrote after our signal: fresh; missing
 * (none came); untrusted (not a root-owned, root-only regular file: ignored); partial (never
 * settled, or not complete JSON); none (keepalived is not running, so nothing was asked).
 */
export type DumpState = "fresh" | "missing" | "untrusted" | "partial" | "none";

export interface NodeStatus {
  running: boolean;
  /** Empty unless `dump` is fresh. */
  instances: VrrpInstanceStatus[];
  dump: DumpState;
  /** Every address on the host (without prefix length). */
  addresses: string[];
  /** `ipvsadm -S -n` as keepalived left it. */
  ipvsSave: string;
}

// vrrp_json.c: VRRP_STATE_INIT 0, BACKUP 1, MASTER 2, FAULT 3.
const ROLES: Record<number, VrrpRole> = { 0: "INIT", 1: "BACKUP", 2: "MASTER", 3: "FAULT" };

function fromBase64(s: string | undefined): string {
  return s ? Buffer.from(s, "base64").toString("utf8") : "";
}

export function parseKeepalivedJson(text: string): VrrpInstanceStatus[] {
  if (text.trim() === "") return [];
  const parsed = JSON.parse(text) as Array<{ data: Record<string, any> }>;
  return parsed.map(({ data }) => ({
    name: String(data["iname"]),
    state: ROLES[Number(data["state"])] ?? "INIT",
    virtualRouterId: Number(data["vrid"]),
    basePriority: Number(data["base_priority"]),
    effectivePriority: Number(data["effective_priority"]),
    advertInt: Number(data["adver_int"]),
    vrrpVersion: Number(data["version"]),
    vips: (data["vips"] as string[] | undefined ?? []).map((v) => v.split(" ")[0]!.split("/")[0]!),
  }));
}

/** Addresses from `ip -o addr show` lines. */
export function parseIpAddrLines(text: string): string[] {
  return parseIpAddrShow(text).map((a) => a.address);
}

const DUMP_STATES: readonly DumpState[] = ["fresh", "missing", "untrusted", "partial"];

export function parseNodeStatus(stdout: string): NodeStatus {
  const fields = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const i = line.indexOf(" ");
    if (i > 0) fields.set(line.slice(0, i), line.slice(i + 1));
  }
  const running = fields.get("active") === "active" && (fields.get("pid") ?? "0") !== "0";
  const reported = fields.get("dump") as DumpState | undefined;
  let dump: DumpState = !running ? "none" : reported !== undefined && DUMP_STATES.includes(reported) ? reported : "missing";
  let instances: VrrpInstanceStatus[] = [];
  if (dump === "fresh") {
    try {
      instances = parseKeepalivedJson(fromBase64(fields.get("json")));
    } catch {
      dump = "partial"; // keepalived was still writing it; the caller asks again
    }
  }
  return { running, instances, dump, addresses: parseIpAddrLines(fromBase64(fields.get("addrs"))), ipvsSave: fromBase64(fields.get("ipvs")) };
}

/** Why a running keepalived's instances are unknown, for messages (undefined when they are known). */
export function describeDumpState(dump: DumpState): string | undefined {
  switch (dump) {
    case "missing":
      return "keepalived wrote no status dump (/tmp/keepalived.json) after our signal";
    case "untrusted":
      return "the status dump (/tmp/keepalived.json) is not a root-owned regular file that only root can write, so it was ignored";
    case "partial":
      return "keepalived's status dump (/tmp/keepalived.json) was still being written";
    default:
      return undefined;
  }
}
