// Operations → ipvsadm argv. All of ipvsadm's command-line syntax that we write lives here.
//
// ipvsadm -E and -e reset every option they are not given to its default (scheduler wlc,
// no persistence, no flags, weight 1, dr, thresholds 0, ipip), so edits always carry the
// entity's whole config, exactly like adds.

import { normalizeDestination, normalizeService, formatHostPort, type IpvsDestination, type IpvsService, type ServiceKey } from "./model";
import type { IpvsOp } from "./plan";

const PROTOCOL_OPTION = { tcp: "-t", udp: "-u", sctp: "--sctp-service" } as const;
const FORWARDING_OPTION = { dr: "-g", nat: "-m", tun: "-i" } as const;

/**
 * `-t 10.0.0.1:80`, `-u [fd00::1]:53`, `-f 42`, `-f 42 -6`. A firewall-mark service is
 * looked up by mark AND family, so -6 goes on every command about an IPv6 one (-a, -e and
 * -d included: without it ipvsadm answers "Service not defined").
 */
export function renderServiceSelector(key: ServiceKey): string[] {
  if (key.kind === "fwmark") return ["-f", String(key.fwmark), ...(key.family === "ipv6" ? ["-6"] : [])];
  return [PROTOCOL_OPTION[key.protocol], formatHostPort(key.address, key.port)];
}

function renderServiceConfig(service: IpvsService): string[] {
  const s = normalizeService(service);
  return [
    "-s",
    s.scheduler,
    ...(s.schedulerFlags.length > 0 ? ["-b", s.schedulerFlags.join(",")] : []),
    ...(s.persistence ? ["-p", String(s.persistence.timeoutSeconds)] : []),
    ...(s.persistence?.netmask !== undefined ? ["-M", s.persistence.netmask] : []),
    ...(s.onePacket ? ["-o"] : []),
  ];
}

function renderDestinationConfig(destination: IpvsDestination): string[] {
  const d = normalizeDestination(destination);
  return [
    FORWARDING_OPTION[d.forwarding],
    "-w",
    String(d.weight),
    "-x",
    String(d.upperThreshold),
    "-y",
    String(d.lowerThreshold),
    ...(d.tunnel ? ["--tun-type", d.tunnel.type] : []),
    ...(d.tunnel?.port !== undefined ? ["--tun-port", String(d.tunnel.port)] : []),
    ...(d.tunnel?.checksum !== undefined ? [`--tun-${d.tunnel.checksum}`] : []),
  ];
}

function renderRealServer(d: IpvsDestination): string[] {
  const n = normalizeDestination(d);
  return ["-r", formatHostPort(n.address, n.port)];
}

/** The ipvsadm argv of one operation, e.g. `["ipvsadm", "-A", "-t", "10.0.0.1:80", "-s", "rr"]`. */
export function renderOp(op: IpvsOp): string[] {
  switch (op.kind) {
    case "add-service":
      return ["ipvsadm", "-A", ...renderServiceSelector(op.service.key), ...renderServiceConfig(op.service)];
    case "edit-service":
      return ["ipvsadm", "-E", ...renderServiceSelector(op.service.key), ...renderServiceConfig(op.service)];
    case "delete-service":
      return ["ipvsadm", "-D", ...renderServiceSelector(op.service.key)];
    case "add-destination":
      return ["ipvsadm", "-a", ...renderServiceSelector(op.destination.service), ...renderRealServer(op.destination), ...renderDestinationConfig(op.destination)];
    case "edit-destination":
      return ["ipvsadm", "-e", ...renderServiceSelector(op.destination.service), ...renderRealServer(op.destination), ...renderDestinationConfig(op.destination)];
    case "delete-destination":
      return ["ipvsadm", "-d", ...renderServiceSelector(op.destination.service), ...renderRealServer(op.destination)];
  }
}
