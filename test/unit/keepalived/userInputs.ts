// Configs built the way users build them: raw, user-shaped inputs through the same zod
// schemas `check` runs (KeepalivedPairInputsSchema; the VirtualService/RealServer schemas
// with a KeepalivedPair as director), then into the model the providers render.

import { toIpvsDestination, toIpvsService } from "../../../provider/ipvs/schema";
import { RealServerInputsSchema, VirtualServiceInputsSchema, formatCheckFailures } from "../../../provider/service/schema";
import { SERVICES_DIR, SERVICES_PLACEHOLDER, realServerFile, serviceFile, serviceFileStem } from "../../../provider/keepalived/layout";
import type { KeepalivedPairConfig } from "../../../provider/keepalived/model";
import { renderNodeConfig, renderPlaceholder, renderRealServerBlock, renderVirtualServerBlock } from "../../../provider/keepalived/render";
import { KeepalivedPairInputsSchema, pairConfigOf } from "../../../provider/keepalived/schema";
import type { KeepalivedRealServer, KeepalivedVirtualServer } from "../../../provider/keepalived/serviceModel";
import { KEEPALIVED_REAL_SERVER_ONLY, KEEPALIVED_SERVICE_ONLY } from "../../../provider/keepalived/serviceSchema";

type Raw = Record<string, unknown>;

/** What a VirtualService / RealServer receives from its KeepalivedPair. */
export const PAIR_TARGET = {
  instanceName: "VI_51",
  nodes: [
    { connection: { host: "h1" }, state: "MASTER", priority: 150 },
    { connection: { host: "h2" }, state: "BACKUP", priority: 100 },
  ],
};

/** The smallest pair a user writes: two nodes, an interface, a VRID and a VIP. */
export const MINIMAL_PAIR: Raw = {
  nodes: [
    { connection: { host: "h1" }, priority: 150 },
    { connection: { host: "h2" }, priority: 100 },
  ],
  interface: "eth1",
  virtualRouterId: 51,
  vips: ["10.0.0.100"],
};

function parsed<T>(result: { success: true; data: T } | { success: false; error: { issues: any[] } }, what: string): T {
  if (!result.success) throw new Error(`${what} was refused: ${JSON.stringify(formatCheckFailures(result.error.issues))}`);
  return result.data;
}

export function pairOf(raw: Raw): KeepalivedPairConfig {
  return pairConfigOf(parsed(KeepalivedPairInputsSchema.safeParse(raw), "KeepalivedPair inputs"));
}

const pick = (v: object, keys: readonly string[]) => Object.fromEntries(Object.entries(v).filter(([k, x]) => keys.includes(k) && x !== undefined));

export function serviceOf(raw: Raw): KeepalivedVirtualServer {
  const inputs = parsed(VirtualServiceInputsSchema.safeParse({ keepalived: PAIR_TARGET, ...raw }), "VirtualService inputs");
  return { service: toIpvsService(inputs), options: pick(inputs, KEEPALIVED_SERVICE_ONLY) };
}

export function realServerOf(raw: Raw): KeepalivedRealServer {
  const inputs = parsed(RealServerInputsSchema.safeParse({ keepalived: PAIR_TARGET, ...raw }), "RealServer inputs");
  return { destination: toIpvsDestination(inputs), options: pick(inputs, KEEPALIVED_REAL_SERVER_ONLY) };
}

/**
 * A node's whole generation directory, as the providers write it and the apply script
 * completes it: the main file, the services placeholder, per service its block
 * (`<stem>.vs`) and one file per real server (`<stem>.d/`), and — only for a service that
 * has a real server, as the apply script does before `keepalived -t` — the `<stem>.conf`
 * that includes the block (keepalived refuses a virtual_server without real servers).
 */
export function nodeTree(pair: KeepalivedPairConfig, index: 0 | 1, services: readonly KeepalivedVirtualServer[] = [], realServers: readonly KeepalivedRealServer[] = []): Record<string, string> {
  const files: Record<string, string> = {
    "keepalived.conf": renderNodeConfig(pair, index),
    [SERVICES_PLACEHOLDER]: renderPlaceholder("one file per VirtualService on this pair"),
  };
  for (const { service, options } of services) files[serviceFile(service.key)] = renderVirtualServerBlock(service, options);
  for (const { destination, options } of realServers) {
    files[realServerFile(destination.service, destination.address, destination.port)] = renderRealServerBlock(destination, options);
    const stem = serviceFileStem(destination.service);
    files[`${SERVICES_DIR}/${stem}.conf`] = `include ${stem}.vs\n`;
  }
  return files;
}
