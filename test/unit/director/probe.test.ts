// Parsing the director probe, on output captured from dir2 of the lab (Debian 12,
// procps-ng 4.0.2, iproute2 6.1): before any Director, and with a dr Director and its VIP.

import { readFileSync } from "fs";
import { join } from "path";
import { DIRECTOR_FILES, parseProbeOutput, renderSysctlFile, renderVipUnit } from "../../../provider/director";
import { parseIpAddrShow } from "../../../provider/resource/ipAddrShow";
import { parseSysctlOutput } from "../../../provider/resource/sysctl";
import { DirectorParseError } from "../../../provider/director/errors";

const fixture = (name: string) => readFileSync(join(__dirname, "fixtures", name), "utf8");

describe("parseProbeOutput", () => {
  it("reads a host with no Director (missing sysctl keys are absent, not empty)", () => {
    const live = parseProbeOutput(fixture("probe-dir2-before-create.txt"));
    expect(live).toMatchObject({ ipvsadmPresent: true, packageManager: "apt", moduleLoaded: true, files: {}, vipUnitEnabled: false, vipUnitActive: false });
    expect(live.sysctls).toEqual({
      "net.ipv4.conf.all.send_redirects": "1",
      "net.ipv4.conf.default.send_redirects": "1",
      "net.ipv4.conf.eth1.send_redirects": "1",
      "net.ipv4.ip_forward": "0",
      "net.ipv4.vs.expire_nodest_conn": "0",
      "net.ipv4.vs.expire_quiescent_template": "0",
      "net.ipv6.conf.all.forwarding": "0",
    }); // net.ipv4.conf.nosuch0.send_redirects was asked for too
    expect(live.interfaces).toEqual(["eth0", "eth1", "eth2", "lo"]);
    expect(live.addresses).toContainEqual({ interface: "eth1", address: "10.77.0.12", prefixLength: 24 });
    expect(live.addresses).toContainEqual({ interface: "eth1", address: "fd77::12", prefixLength: 64 });
  });

  it("reads our files back byte for byte, and the unit's state", () => {
    const live = parseProbeOutput(fixture("probe-dir2-dr-vip.txt"));
    const vip = { address: "10.77.0.240", interface: "eth1", prefixLength: 32 };
    // The unit a Director of one VIP wrote before VIPs became a list: still the same bytes.
    expect(live.files.vipUnit).toBe(renderVipUnit([vip]));
    expect(live.files.sysctl).toBe(
      renderSysctlFile({
        "net.ipv4.conf.all.send_redirects": "0",
        "net.ipv4.conf.default.send_redirects": "0",
        "net.ipv4.conf.eth1.send_redirects": "0",
        "net.ipv4.vs.expire_nodest_conn": "1",
        "net.ipv4.vs.expire_quiescent_template": "1",
      }),
    );
    expect(Object.keys(live.files).sort()).toEqual(Object.keys(DIRECTOR_FILES).sort());
    expect(live.vipUnitEnabled).toBe(true);
    expect(live.vipUnitActive).toBe(true);
    expect(live.addresses).toContainEqual(vip);
  });

  it("reports ipvsadm missing on exit 127 only, and modprobe's complaint", () => {
    const complaint = Buffer.from("modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.1.0-9-amd64\n").toString("base64");
    const live = parseProbeOutput(`@@ipvsadm 127\n@@packages dnf\n@@modprobe-failed ${complaint}\n@@module absent\n@@sysctls\n@@interfaces\n@@addresses\n@@unit-enabled \n@@unit-active inactive\n@@end\n`);
    expect(live).toMatchObject({ ipvsadmPresent: false, packageManager: "dnf", moduleLoaded: false, moduleLoadError: expect.stringContaining("Module ip_vs not found") });
    expect(parseProbeOutput("@@ipvsadm 2\n@@end\n").ipvsadmPresent).toBe(true); // present, just unhappy
  });

  it("refuses output that stops early", () => {
    expect(() => parseProbeOutput("@@ipvsadm 0\n@@sysctls\n")).toThrow(DirectorParseError);
  });
});

describe("parseSysctlOutput", () => {
  it.each<[string, string, Record<string, string>]>([
    ["one value", "net.ipv4.ip_forward = 1\n", { "net.ipv4.ip_forward": "1" }],
    ["an empty value", "kernel.domainname = \n", { "kernel.domainname": "" }],
    ["a vector: its tab-separated fields joined by one space, as inputs and sysctl.d write it", "net.ipv4.vs.sync_threshold = 3\t50\n", { "net.ipv4.vs.sync_threshold": "3 50" }],
    ["a VLAN interface", "net.ipv4.conf.v/1.send_redirects = 0\n", { "net.ipv4.conf.v/1.send_redirects": "0" }],
    ["noise lines", "sysctl: cannot stat /proc/sys/net/x: No such file or directory\n\n", {}],
  ])("%s", (_name, text, expected) => {
    expect(parseSysctlOutput(text)).toEqual(expected);
  });
});

describe("parseIpAddrShow", () => {
  it.each([
    ["IPv4 with brd", "3: eth1    inet 10.77.0.12/24 brd 10.77.0.255 scope global eth1\\       valid_lft forever preferred_lft forever", { interface: "eth1", address: "10.77.0.12", prefixLength: 24 }],
    ["a VLAN", "5: eth0.100@eth0    inet 10.9.0.1/32 scope global eth0.100\\       valid_lft forever", { interface: "eth0.100", address: "10.9.0.1", prefixLength: 32 }],
    ["a peer address", "6: tun0    inet 10.8.0.1 peer 10.8.0.2/32 scope global tun0\\       valid_lft forever", { interface: "tun0", address: "10.8.0.1", prefixLength: 32 }],
    ["IPv6", "3: eth1    inet6 fd77::12/64 scope global nodad \\       valid_lft forever preferred_lft forever", { interface: "eth1", address: "fd77::12", prefixLength: 64 }],
  ])("%s", (_name, line, expected) => {
    expect(parseIpAddrShow(`${line}\n`)).toEqual([expected]);
  });
});
