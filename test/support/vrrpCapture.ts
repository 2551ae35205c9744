// A VRRP takeover as the new MASTER's own wire shows it: tcpdump on the BACKUP's interface
// records every advert (its peer's, then its own once it is MASTER) and the gratuitous ARPs
// it sends for the VIP, each stamped by that one host's clock. The gap between the old
// MASTER's last advert and the new one's first is the takeover, measured to the microsecond
// and free of this machine's SSH round trips and polling (a watch loop over SSH on the
// emulated VMs added a few hundred milliseconds). The old MASTER died after its last advert,
// so the gap is an upper bound of the failover; it cannot be shorter than keepalived's
// Master_Down_Interval.

import { run } from "../../provider/ssh";
import { labConnection } from "./lab";

/** What tcpdump printed: `-n -tt -l` on one interface, `ip proto 112 or arp`. */
export interface VrrpTakeover {
  /** The old MASTER's last advert before the new one's first (seconds, the capturing host's clock). */
  lastAdvertFrom: number;
  /** The new MASTER's first advert. */
  firstAdvertTo: number;
  /** firstAdvertTo − lastAdvertFrom, in milliseconds. */
  gapMs: number;
  /** The first gratuitous ARP for the VIP after lastAdvertFrom, in ms after it (the moment the LAN learns the new holder). */
  garpMs?: number;
}

const ADVERT = /^(\d+\.\d+) IP (\S+) > \S+: VRRPv\d, Advertisement\b/;
// keepalived announces a VIP with requests for itself (and tcpdump shows the target MAC when set).
const GRATUITOUS_ARP = /^(\d+\.\d+) ARP, (?:Request who-has (\S+)(?: \([^)]*\))? tell ([^\s,]+)|Reply (\S+) is-at )/;

/** The takeover from `from` to `to` in a capture, or undefined when it holds none. Pure. */
export function takeoverIn(capture: string, from: string, to: string, vip: string): VrrpTakeover | undefined {
  const adverts: Array<{ at: number; src: string }> = [];
  const garps: number[] = [];
  for (const line of capture.split("\n")) {
    const advert = ADVERT.exec(line);
    if (advert) {
      adverts.push({ at: Number(advert[1]), src: advert[2]! });
      continue;
    }
    const arp = GRATUITOUS_ARP.exec(line);
    if (arp && ((arp[2] === vip && arp[3] === vip) || arp[4] === vip)) garps.push(Number(arp[1]));
  }
  const lastFromIndex = adverts.map((a) => a.src).lastIndexOf(from);
  if (lastFromIndex < 0) return undefined;
  const firstTo = adverts.slice(lastFromIndex + 1).find((a) => a.src === to);
  if (!firstTo) return undefined;
  const lastFrom = adverts[lastFromIndex]!.at;
  const garp = garps.find((at) => at > lastFrom);
  const ms = (seconds: number) => Math.round(seconds * 1_000_000) / 1000;
  return { lastAdvertFrom: lastFrom, firstAdvertTo: firstTo.at, gapMs: ms(firstTo.at - lastFrom), ...(garp !== undefined ? { garpMs: ms(garp - lastFrom) } : {}) };
}

// Constant: the host, the interface and how long come as arguments. tcpdump's exit when
// `timeout` stops it is the capture's end, not a failure. Its own lines ("listening on",
// "N packets captured", or why it could not start) come along: a capture without a
// takeover in it then says why.
const CAPTURE = 'timeout "$1" tcpdump -i "$2" -n -tt -l "ip proto 112 or arp" 2>&1; true';

/** Starts a capture on `host` for `seconds`; resolves with what tcpdump printed once it ends. */
export function captureVrrp(host: string, iface: string, seconds: number): Promise<string> {
  return run(labConnection(host), ["sh", "-c", CAPTURE, "vrrp-capture", String(seconds), iface], { timeoutMs: (seconds + 30) * 1000 }).then((r) => r.stdout);
}

/** A capture's lines that are not packets (tcpdump's own), for a message when it holds no takeover. */
export function captureSummary(capture: string): string {
  const lines = capture.split("\n").filter((l) => l.length > 0);
  const own = lines.filter((l) => !/^\d+\.\d+ /.test(l));
  return `${lines.length - own.length} packets; tcpdump: ${own.join(" / ") || "(nothing)"}`;
}
