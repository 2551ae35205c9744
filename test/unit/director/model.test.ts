// The sysctls each mode needs, and the on-host record of previous values.

import { desiredSysctls, interfaceSysctl, type SysctlMap } from "../../../provider/director";
import { parsePreviousRecord, renderPreviousRecord } from "../../../provider/director/model";

const EXPIRE = { "net.ipv4.vs.expire_nodest_conn": "1", "net.ipv4.vs.expire_quiescent_template": "1" };

describe("desiredSysctls", () => {
  it.each<[string, Parameters<typeof desiredSysctls>[0], SysctlMap]>([
    ["tun: only the drain settings", { mode: "tun", interfaces: [], ipv6Forwarding: false }, EXPIRE],
    ["nat: IPv4 forwarding", { mode: "nat", interfaces: [], ipv6Forwarding: false }, { ...EXPIRE, "net.ipv4.ip_forward": "1" }],
    [
      "nat with ipv6Forwarding",
      { mode: "nat", interfaces: [], ipv6Forwarding: true },
      { ...EXPIRE, "net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1" },
    ],
    [
      "dr: send_redirects off on all and default",
      { mode: "dr", interfaces: [], ipv6Forwarding: false },
      { ...EXPIRE, "net.ipv4.conf.all.send_redirects": "0", "net.ipv4.conf.default.send_redirects": "0" },
    ],
    [
      "connectionSync: no packet-count rule (period 0), re-sent once per refresh period",
      { mode: "tun", interfaces: [], ipv6Forwarding: false, connectionSync: { refreshSeconds: 7 } },
      { ...EXPIRE, "net.ipv4.vs.sync_refresh_period": "7", "net.ipv4.vs.sync_threshold": "3 0" },
    ],
    ["expireConnections: false leaves the drain settings to the host", { mode: "nat", interfaces: [], ipv6Forwarding: false, expireConnections: false }, { "net.ipv4.ip_forward": "1" }],
    [
      "dr with interfaces, a VLAN among them",
      { mode: "dr", interfaces: ["eth1", "eth0.100"], ipv6Forwarding: false },
      {
        ...EXPIRE,
        "net.ipv4.conf.all.send_redirects": "0",
        "net.ipv4.conf.default.send_redirects": "0",
        "net.ipv4.conf.eth1.send_redirects": "0",
        "net.ipv4.conf.eth0/100.send_redirects": "0",
      },
    ],
  ])("%s", (_name, inputs, expected) => {
    const wanted = desiredSysctls(inputs);
    expect(wanted).toEqual(expected);
    expect(Object.keys(wanted)).toEqual(Object.keys(wanted).sort()); // stable order in state and files
  });

  it.each([
    ["eth1", "net.ipv4.conf.eth1.send_redirects"],
    // procps and systemd-sysctl both read a "/" in a dotted name as the dot of the interface name.
    ["eth0.100", "net.ipv4.conf.eth0/100.send_redirects"],
    ["bond0:1", "net.ipv4.conf.bond0:1.send_redirects"],
  ])("interfaceSysctl(%s)", (iface, expected) => {
    expect(interfaceSysctl(iface, "send_redirects")).toBe(expected);
  });
});

describe("the record of previous values", () => {
  it("round-trips, sorted", () => {
    const text = renderPreviousRecord({ "net.ipv4.ip_forward": "0", "net.ipv4.conf.all.send_redirects": "1" });
    expect(text).toBe('{\n  "version": 1,\n  "sysctls": {\n    "net.ipv4.conf.all.send_redirects": "1",\n    "net.ipv4.ip_forward": "0"\n  }\n}\n');
    expect(parsePreviousRecord(text)).toEqual({ "net.ipv4.conf.all.send_redirects": "1", "net.ipv4.ip_forward": "0" });
  });

  it.each([["not json", "{"], ["another version", '{"version":2,"sysctls":{}}'], ["no sysctls", '{"version":1}'], ["absent", undefined]])(
    "reads as unknown when %s (state's copy is used instead)",
    (_name, text) => {
      expect(parsePreviousRecord(text)).toBeUndefined();
    },
  );
});
