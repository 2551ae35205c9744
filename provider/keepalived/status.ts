// What keepalived is doing right now on a node: its VRRP instances (SIGJSON dump), the
// addresses the host holds, and the IPVS table. The live VRRP role flaps by design, so it
// is never resource state: getVrrpStatus (vrrpStatus.ts) reports it on demand.


export type VrrpRole = "INIT" | "BACKUP" | "MASTER" | "FAULT" | "STOPPED";

export interface VrrpInstanceStatus {
  name: string;
  state: VrrpRole;
  virtualRouterId: number;
  basePriority: number;
  effectivePriority: number;
  advertInt: number;
  /** VIP addresses as keepalived lists them (address only). */
  vips: string[];
}

export interface NodeStatus {
  running: boolean;
  instances: VrrpInstanceStatus[];
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
    vips: (data["vips"] as string[] | undefined ?? []).map((v) => v.split(" ")[0]!.split("/")[0]!),
  }));
}

/** Addresses from `ip -o addr show` lines. */
export function parseIpAddrLines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.match(/\binet6? ([0-9a-fA-F.:]+)\//)?.[1])
    .filter((a): a is string => a !== undefined);
}

export function parseNodeStatus(stdout: string): NodeStatus {
  const fields = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const i = line.indexOf(" ");
    if (i > 0) fields.set(line.slice(0, i), line.slice(i + 1));
  }
  const running = fields.get("active") === "active" && (fields.get("pid") ?? "0") !== "0";
  let instances: VrrpInstanceStatus[] = [];
  if (running) {
    try {
      instances = parseKeepalivedJson(fromBase64(fields.get("json")));
    } catch {
      instances = []; // a dump caught half-written; the caller polls again
    }
  }
  return { running, instances, addresses: parseIpAddrLines(fromBase64(fields.get("addrs"))), ipvsSave: fromBase64(fields.get("ipvs")) };
}
