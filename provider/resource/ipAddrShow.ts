// `ip -o addr show`, as every probe of a host reads it: one line per address.

import { canonicalAddress } from "./address";

/** One address of one interface. */
export interface InterfaceAddress {
  interface: string;
  /** Canonical spelling (see canonicalAddress). */
  address: string;
  prefixLength: number;
}

/**
 * `3: eth1    inet 10.0.0.1/24 brd … scope global eth1\ …` lines → addresses. A line that
 * is not an address line (a wrapped continuation, an empty line) is skipped; `eth0.10@eth0`
 * is named `eth0.10`, as sysctl and `ip addr del … dev` want it.
 */
export function parseIpAddrShow(text: string): InterfaceAddress[] {
  const addresses: InterfaceAddress[] = [];
  for (const line of text.split("\n")) {
    const m = /^\d+:\s+([^\s@]+)(?:@\S+)?\s+(inet6?)\s+([0-9A-Fa-f.:]+)(?:\/(\d+))?\s/.exec(line);
    if (!m) continue;
    const prefixLength = m[4] !== undefined ? Number(m[4]) : m[2] === "inet" ? 32 : 128;
    addresses.push({ interface: m[1]!, address: canonicalAddress(m[3]!) ?? m[3]!.toLowerCase(), prefixLength });
  }
  return addresses;
}
