// The one spelling of an IP address, shared by every resource: state, the host's own
// listings (`ip addr`, `ipvsadm -S`, keepalived.conf) and keys compare equal only when
// each of them goes through the same function.

import { isIPv4, isIPv6 } from "net";

/**
 * The one spelling of an IP address: IPv4 as is, IPv6 compressed and lower-case (RFC 5952,
 * via the WHATWG URL serialiser), which is also how `ip addr` and ipvsadm print them.
 * undefined for anything else, including zone ids, which no VIP or IPVS entry can carry,
 * and IPv4 with leading zeros, which tools read as octal.
 */
export function canonicalAddress(text: string): string | undefined {
  if (isIPv4(text)) return text;
  if (!isIPv6(text) || text.includes("%")) return undefined;
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/**
 * Whether clients can reach a (canonical) address as a VIP: not unspecified, loopback or
 * multicast. A VIP bound on lo or an interface must be one of these.
 */
export function isClientReachableUnicast(canonical: string): boolean {
  return !(/^(0\.0\.0\.0|127\.|22[4-9]\.|2[3-5]\d\.)/.test(canonical) || canonical === "::" || canonical === "::1" || canonical.startsWith("ff"));
}

/**
 * Whether a (canonical) address is IPv6 link-local (fe80::/10): reachable only through a
 * named interface, which a connecting keepalived checker needs as `bind_if`.
 */
export function isIpv6LinkLocal(canonical: string): boolean {
  return /^fe[89ab][0-9a-f]:/.test(canonical);
}
