// Operations → argv, and the files the Director owns.

import { describeOp, parseVipUnit, renderOp, renderSysctlFile, renderVipUnit, type DirectorOp } from "../../../provider/director";
import { installIpvsadmArgv } from "../../../provider/director/executor";
import { APPLY_REQUEST, probeArgv, probePartOf, probeThenApplyArgv } from "../../../provider/director/probe";

const VIP4 = { address: "10.77.0.240", interface: "eth1", prefixLength: 32 };
const VIP6 = { address: "fd77::240", interface: "eth1", prefixLength: 128 };

describe("probePartOf", () => {
  it("is the probe's output up to the request for changes, whatever comes after", () => {
    expect(probePartOf(`@@ipvsadm 0\n@@end\n${APPLY_REQUEST}\n`)).toBe("@@ipvsadm 0\n@@end\n");
    expect(probePartOf(`@@end\n${APPLY_REQUEST}\nsomething a change printed\n`)).toBe("@@end\n");
  });
});

describe("renderOp", () => {
  it.each<[DirectorOp, string[]]>([
    [{ kind: "setSysctls", values: { "net.ipv4.vs.expire_nodest_conn": "1", "net.ipv4.ip_forward": "1" } }, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv4.vs.expire_nodest_conn=1"]],
    [{ kind: "restoreSysctls", values: { "net.ipv4.conf.eth0/100.send_redirects": "1" } }, ["sysctl", "-q", "-e", "-w", "net.ipv4.conf.eth0/100.send_redirects=1"]],
    [{ kind: "removeFiles", files: ["vipUnit", "previous"] }, ["rm", "-f", "--", "/etc/systemd/system/pulumi-lvs-director-vip.service", "/var/lib/pulumi-lvs/director-previous.json"]],
    [{ kind: "reloadSystemd" }, ["systemctl", "daemon-reload"]],
    [{ kind: "startVipUnit" }, ["systemctl", "enable", "--now", "pulumi-lvs-director-vip.service"]],
    [{ kind: "stopVipUnit" }, ["systemctl", "stop", "pulumi-lvs-director-vip.service"]],
    [{ kind: "disableVipUnit" }, ["systemctl", "disable", "--now", "pulumi-lvs-director-vip.service"]],
    [{ kind: "bindVip", vip: VIP4 }, ["ip", "addr", "replace", "10.77.0.240/32", "dev", "eth1"]],
    [{ kind: "bindVip", vip: VIP6 }, ["ip", "addr", "replace", "fd77::240/128", "dev", "eth1", "nodad"]],
    [{ kind: "unbindVip", vip: VIP6 }, ["ip", "addr", "del", "fd77::240/128", "dev", "eth1"]],
    [{ kind: "removeStateDirectory" }, ["rmdir", "--ignore-fail-on-non-empty", "--", "/var/lib/pulumi-lvs"]],
  ])("%j", (op, argv) => {
    expect(renderOp(op)).toEqual(argv);
    expect(describeOp(op).length).toBeGreaterThan(0);
  });

  it("writes a file with a constant script; path, mode and content are arguments", () => {
    const argv = renderOp({ kind: "writeFile", file: "sysctl", content: "x = 1\n" });
    expect(argv.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(argv.slice(3)).toEqual(["pulumi-lvs-write-file", "/etc/sysctl.d/60-pulumi-lvs-director.conf", "0644", "x = 1\n"]);
    expect(argv[2]).not.toContain("x = 1");
  });

  it("probes and installs with constant scripts too", () => {
    expect(probeArgv("read", ["net.ipv4.ip_forward"]).slice(3)).toEqual(["pulumi-lvs-probe", "read", "net.ipv4.ip_forward"]);
    const probeThenApply = probeThenApplyArgv(30, "stop", "load", ["net.ipv4.ip_forward"]);
    expect(probeThenApply.slice(0, 2)).toEqual(["bash", "-c"]);
    expect(probeThenApply.slice(3)).toEqual(["pulumi-lvs-director", "30", "stop", "load", "net.ipv4.ip_forward"]);
    expect(probeThenApplyArgv(30, "continue", "read", []).slice(2)).toEqual([probeThenApply[2], "pulumi-lvs-director", "30", "continue", "read"]);
    expect(() => probeThenApplyArgv(0.5, "stop", "read", [])).toThrow(/whole number of seconds/);
    const install = installIpvsadmArgv();
    expect(install.slice(3)).toEqual(["pulumi-lvs-install-ipvsadm"]);
    expect(install[2]).toContain("DEBIAN_FRONTEND=noninteractive");
    expect(install[2]).toContain("apt-get install -y ipvsadm");
    expect(install[2]).toContain("dnf install -y ipvsadm");
  });
});

describe("files", () => {
  it("the sysctl.d file lists the values sorted, one per line", () => {
    expect(renderSysctlFile({ "net.ipv4.vs.expire_nodest_conn": "1", "net.ipv4.ip_forward": "1" })).toMatch(
      /^# Written by pulumi-lvs[^\n]*\n#[^\n]*\nnet\.ipv4\.ip_forward = 1\nnet\.ipv4\.vs\.expire_nodest_conn = 1\n$/,
    );
  });

  it("the VIP unit binds at start, unbinds at stop, and is started at boot", () => {
    const unit = renderVipUnit([VIP4]);
    expect(unit).toContain("\nType=oneshot\nRemainAfterExit=yes\n");
    expect(unit).toContain("\nExecStart=/sbin/ip addr replace 10.77.0.240/32 dev eth1\n");
    expect(unit).toContain("\nExecStop=-/sbin/ip addr del 10.77.0.240/32 dev eth1\n");
    expect(unit).toContain("\nAfter=network-online.target\n");
    expect(unit).toContain("\n[Install]\nWantedBy=multi-user.target\n");
    expect(renderVipUnit([VIP6])).toContain("ExecStart=/sbin/ip addr replace fd77::240/128 dev eth1 nodad\n");
  });

  it.each([VIP4, VIP6, { address: "10.0.0.1", interface: "eth0.100", prefixLength: 24 }])("parseVipUnit(renderVipUnit(%j)) round-trips", (vip) => {
    expect(parseVipUnit(renderVipUnit([vip]))).toEqual([vip]);
  });

  it("several VIPs of both families: one unit binds them in order at start and removes each at stop", () => {
    const other = { address: "10.0.0.1", interface: "eth0.100", prefixLength: 24 };
    const unit = renderVipUnit([VIP4, VIP6, other]);
    expect(unit).toContain("\nDescription=pulumi-lvs director VIPs 10.77.0.240/32 on eth1, fd77::240/128 on eth1, 10.0.0.1/24 on eth0.100\n");
    expect(unit).toContain(
      "\nExecStart=/sbin/ip addr replace 10.77.0.240/32 dev eth1\nExecStart=/sbin/ip addr replace fd77::240/128 dev eth1 nodad\nExecStart=/sbin/ip addr replace 10.0.0.1/24 dev eth0.100\n" +
        "ExecStop=-/sbin/ip addr del 10.77.0.240/32 dev eth1\nExecStop=-/sbin/ip addr del fd77::240/128 dev eth1\nExecStop=-/sbin/ip addr del 10.0.0.1/24 dev eth0.100\n",
    );
    expect(parseVipUnit(unit)).toEqual([VIP4, VIP6, other]);
  });

  it("parseVipUnit knows no VIP in a unit that is not ours", () => {
    expect(parseVipUnit("[Service]\nExecStart=/bin/true\n")).toEqual([]);
    expect(parseVipUnit(undefined)).toEqual([]);
  });
});
