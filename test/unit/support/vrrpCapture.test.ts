// The takeover read from tcpdump's lines (`-n -tt`, `ip proto 112 or arp`) as the BACKUP
// prints them: its peer's adverts, then its own and its gratuitous ARPs for the VIP.

import { readFileSync } from "fs";
import { join } from "path";
import { captureSummary, takeoverIn } from "../../support/vrrpCapture";

const DIR1 = "10.77.0.11";
const DIR2 = "10.77.0.12";
const VIP = "10.77.0.100";

const advert = (at: string, src: string, prio: number) => `${at} IP ${src} > 224.0.0.18: VRRPv3, Advertisement, vrid 51, prio ${prio}, intvl 20cs, length 12`;
const garp = (at: string) => `${at} ARP, Request who-has ${VIP} (ff:ff:ff:ff:ff:ff) tell ${VIP}, length 28`;

describe("takeoverIn", () => {
  // Captured with Debian 12's tcpdump 4.99.3 and keepalived 2.2.7 on this project's dev
  // machine: two keepalived processes in two network namespaces joined by a veth pair
  // (VRRPv3, advert_int 0.2, priorities 150 and 100, VIP 192.0.2.100), tcpdump in the
  // BACKUP's namespace, the MASTER's keepalived SIGKILLed (no priority-0 goodbye).
  it("reads a real capture: the BACKUP took over 725.6 ms after the MASTER's last advert (Master_Down_Interval 721.9 ms)", () => {
    const capture = readFileSync(join(__dirname, "..", "..", "fixtures", "tcpdump", "vrrp-takeover.txt"), "utf8");
    expect(takeoverIn(capture, "192.0.2.1", "192.0.2.2", "192.0.2.100")).toEqual({ lastAdvertFrom: 1796623358.542647, firstAdvertTo: 1796623359.268272, gapMs: 725.625, garpMs: 733.951 });
  });

  it("measures from the old MASTER's last advert to the new one's first, and to its first gratuitous ARP", () => {
    const capture = [
      advert("1796616000.100000", DIR1, 150),
      `1796616000.150000 ARP, Request who-has 10.77.0.21 tell 10.77.0.11, length 28`,
      advert("1796616000.300000", DIR1, 150),
      advert("1796616001.052250", DIR2, 100),
      garp("1796616001.052900"),
      advert("1796616001.252000", DIR2, 100),
      "",
    ].join("\n");
    expect(takeoverIn(capture, DIR1, DIR2, VIP)).toEqual({ lastAdvertFrom: 1796616000.3, firstAdvertTo: 1796616001.05225, gapMs: 752.25, garpMs: 752.9 });
  });

  it("takes a Reply for the VIP as the announcement too, and ignores ARP for other addresses", () => {
    const capture = [advert("10.000000", DIR1, 150), `10.500000 ARP, Reply 10.77.0.21 is-at 52:54:00:00:00:21, length 28`, advert("11.000000", DIR2, 100), `11.001000 ARP, Reply ${VIP} is-at 52:54:00:00:00:12, length 28`].join("\n");
    expect(takeoverIn(capture, DIR1, DIR2, VIP)).toEqual({ lastAdvertFrom: 10, firstAdvertTo: 11, gapMs: 1000, garpMs: 1001 });
  });

  it("a dual-MASTER moment (both advertising) measures from the old MASTER's last advert only", () => {
    const capture = [advert("1.0", DIR1, 150), advert("1.2", DIR2, 100), advert("1.3", DIR1, 150), advert("2.1", DIR2, 100)].join("\n");
    expect(takeoverIn(capture, DIR1, DIR2, VIP)?.gapMs).toBe(800);
  });

  it("is undefined without a takeover: only one side advertising, or nothing captured", () => {
    expect(takeoverIn([advert("1.0", DIR1, 150), advert("1.2", DIR1, 150)].join("\n"), DIR1, DIR2, VIP)).toBeUndefined();
    expect(takeoverIn(advert("1.0", DIR2, 100), DIR1, DIR2, VIP)).toBeUndefined();
    expect(takeoverIn("", DIR1, DIR2, VIP)).toBeUndefined();
  });

  it("reads tcpdump's own lines apart from the packets, for the message of a capture without a takeover", () => {
    const capture = ["listening on eth1, link-type EN10MB (Ethernet), snapshot length 262144 bytes", advert("1.0", DIR1, 150), "", "1 packet captured", "1 packet received by filter"].join("\n");
    expect(takeoverIn(capture, DIR1, DIR2, VIP)).toBeUndefined();
    expect(captureSummary(capture)).toBe("1 packets; tcpdump: listening on eth1, link-type EN10MB (Ethernet), snapshot length 262144 bytes / 1 packet captured / 1 packet received by filter");
    expect(captureSummary("tcpdump: eth9: No such device exists")).toBe("0 packets; tcpdump: tcpdump: eth9: No such device exists");
  });
});
