// getVrrpStatus: which node of a pair holds the VIPs right now, and each node's VRRP state.
// The role flaps by design, so it is reported on demand and never kept as resource state.

import { describeConnection, parseSshConnection, type SshConnectionInput } from "../ssh";
import { readNodeStatus } from "./executor";
import { describeDumpState, type VrrpRole } from "./status";

export interface VrrpNodeReport {
  host: string;
  running: boolean;
  /** The instance's live role on this node (STOPPED when keepalived is not running). */
  state: VrrpRole;
  /** Which of the VIPs this node holds right now. */
  vipsHeld: string[];
  effectivePriority?: number;
  /** Set when keepalived runs but its state could not be read (then `state` is INIT). */
  unknownBecause?: string;
}

export interface VrrpStatus {
  nodes: VrrpNodeReport[];
  /** The host holding the VIPs, if exactly one does. */
  master?: string;
  /** True when more than one node holds a VIP (split brain). */
  splitBrain: boolean;
}

/**
 * Which node of a pair holds the VIPs, and each node's VRRP state. Reads only.
 * `vips` are the pair's VIP addresses; `instanceName` picks the instance (default: the first).
 */
export async function getVrrpStatus(
  connections: readonly SshConnectionInput[],
  opts: { vips: readonly string[]; instanceName?: string },
): Promise<VrrpStatus> {
  const nodes = await Promise.all(
    connections.map(async (raw): Promise<VrrpNodeReport> => {
      const connection = parseSshConnection(raw);
      const status = await readNodeStatus(connection);
      const instance = opts.instanceName ? status.instances.find((i) => i.name === opts.instanceName) : status.instances[0];
      return {
        host: describeConnection(connection),
        running: status.running,
        state: status.running ? (instance?.state ?? "INIT") : "STOPPED",
        vipsHeld: opts.vips.filter((v) => status.addresses.includes(v)),
        ...(instance ? { effectivePriority: instance.effectivePriority } : {}),
        ...(status.running && status.dump !== "fresh" ? { unknownBecause: describeDumpState(status.dump)! } : {}),
      };
    }),
  );
  const holders = nodes.filter((n) => n.vipsHeld.length > 0);
  return { nodes, ...(holders.length === 1 ? { master: holders[0]!.host } : {}), splitBrain: holders.length > 1 };
}
