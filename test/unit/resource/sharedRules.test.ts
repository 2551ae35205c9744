// The helpers every resource folder shares: one contract each, whichever resource calls it.

import { ArpChangeError, ArpParseError } from "../../../provider/arp/errors";
import { DirectorChangeError, DirectorParseError } from "../../../provider/director/errors";
import { canonicalAddress, isClientReachableUnicast } from "../../../provider/resource/address";
import { HostProbeParseError, HostStepError } from "../../../provider/resource/hostStepErrors";
import { isInterfaceName } from "../../../provider/resource/interfaceName";
import { parseIpAddrShow } from "../../../provider/resource/ipAddrShow";
import { parseIpAddrLines } from "../../../provider/keepalived/status";

it.each<[string, boolean]>([
  ["eth1", true],
  ["eth0.100", true],
  ["x".repeat(15), true],
  ["x".repeat(16), false],
  ["eth 1", false],
  [".", false],
  ["..", false],
  ["", false],
])("isInterfaceName(%j) = %s", (name, expected) => {
  expect(isInterfaceName(name)).toBe(expected);
});

it.each<[string, boolean]>([
  ["10.0.0.100", true],
  ["fd00::100", true],
  ["0.0.0.0", false],
  ["127.0.0.5", false],
  ["224.0.0.18", false],
  ["::", false],
  ["::1", false],
  ["ff02::12", false],
])("isClientReachableUnicast(%j) = %s", (address, expected) => {
  expect(isClientReachableUnicast(canonicalAddress(address)!)).toBe(expected);
});

describe("one `ip -o addr show` parser", () => {
  const text = "3: eth1    inet6 FD77:0::0012/64 scope global \\       valid_lft forever\n2: eth0    inet 10.0.2.15/24 brd 10.0.2.255 scope global eth0\\ valid_lft forever\n";

  it("gives addresses in the one canonical spelling, so they compare equal to checked VIPs", () => {
    expect(parseIpAddrShow(text)).toEqual([
      { interface: "eth1", address: "fd77::12", prefixLength: 64 },
      { interface: "eth0", address: "10.0.2.15", prefixLength: 24 },
    ]);
  });

  it("is the one keepalived's status read uses", () => {
    expect(parseIpAddrLines(text)).toEqual(["fd77::12", "10.0.2.15"]);
  });
});

it("Director and RealServerArpConfig step failures are one error, each still caught by its own name", () => {
  const f = { host: "h", attempted: "prepare", step: "sysctl -w x=1", exitCode: 255, stderr: "denied\n", afterwards: "Nothing was changed." };
  const [director, arp] = [new DirectorChangeError(f), new ArpChangeError(f)];
  expect(director).toBeInstanceOf(HostStepError);
  expect(arp).toBeInstanceOf(HostStepError);
  expect(arp).not.toBeInstanceOf(DirectorChangeError);
  expect([director.name, arp.name]).toEqual(["DirectorChangeError", "ArpChangeError"]);
  expect(arp.message).toBe(director.message);
  expect(new ArpParseError("x", "")).toBeInstanceOf(HostProbeParseError);
  expect(new DirectorParseError("x", "")).toBeInstanceOf(HostProbeParseError);
});
