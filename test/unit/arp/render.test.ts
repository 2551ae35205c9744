// Operations → argv and the files: constant scripts with values as positional
// parameters, and boot files that say what they bring back.

import { ARP_STATE_DIRECTORY, arpFiles, arpProbeArgv, boundVips, describeArpOp, lockedArgv, renderArpOp, renderArpSysctlFile, renderArpUnit, unitName } from "../../../provider/arp";

const KEY = "0123456789ab";

describe("files of one resource", () => {
  it("are named after the resource's key, and refuse anything but 12 hex digits", () => {
    expect(arpFiles(KEY)).toEqual({
      sysctl: "/etc/sysctl.d/60-pulumi-lvs-arp-0123456789ab.conf",
      unit: "/etc/systemd/system/pulumi-lvs-arp-0123456789ab.service",
      modulesLoad: "/etc/modules-load.d/pulumi-lvs-arp-0123456789ab.conf",
      record: "/var/lib/pulumi-lvs/arp/0123456789ab.record",
    });
    expect(() => arpFiles("../../etc/x")).toThrow(/12 hex digits/);
    expect(() => unitName("ABC")).toThrow(/12 hex digits/);
  });

  it("the sysctl file lists the values in order, under a header naming the owner", () => {
    expect(renderArpSysctlFile({ "net.ipv4.conf.lo.arp_ignore": "1", "net.ipv4.conf.all.arp_ignore": "1" })).toBe(
      "# Written by pulumi-lvs (lvs:index:RealServerArpConfig). Edits show up as drift and are overwritten;\n" +
        "# the file is removed when the resource is deleted.\n" +
        "net.ipv4.conf.all.arp_ignore = 1\nnet.ipv4.conf.lo.arp_ignore = 1\n",
    );
  });

  it("the dr unit binds each VIP on lo (IPv6 without DAD) and has no ExecStop (VIPs may be shared)", () => {
    const unit = renderArpUnit({ mode: "dr", vips: boundVips(["10.77.0.210", "fd77::210"], "dr") });
    expect(unit).toMatch(/^ExecStart=\/sbin\/ip addr replace 10\.77\.0\.210\/32 dev lo$/m);
    expect(unit).toMatch(/^ExecStart=\/sbin\/ip addr replace fd77::210\/128 dev lo nodad$/m);
    expect(unit).not.toMatch(/ExecStop/);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
  });

  it("the tun unit loads ipip and brings tunl0 up before binding", () => {
    const unit = renderArpUnit({ mode: "tun", vips: boundVips(["10.77.0.220"], "tun") });
    expect(unit.split("\n").filter((l) => l.startsWith("ExecStart="))).toEqual([
      "ExecStart=/sbin/modprobe ipip",
      "ExecStart=/sbin/ip link set tunl0 up",
      "ExecStart=/sbin/ip addr replace 10.77.0.220/32 dev tunl0",
    ]);
  });
});

describe("argv", () => {
  it("register passes the key, the record and NAME=VALUE pairs as parameters to a constant script", () => {
    const argv = renderArpOp({ kind: "register", key: KEY, record: "sysctl net.ipv4.conf.all.arp_ignore\n", sysctls: { "net.ipv4.conf.all.arp_ignore": "1" } });
    expect(argv.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(argv.slice(3)).toEqual(["pulumi-lvs-arp-register", ARP_STATE_DIRECTORY, KEY, "sysctl net.ipv4.conf.all.arp_ignore\n", "net.ipv4.conf.all.arp_ignore=1"]);
    const other = renderArpOp({ kind: "register", key: "ffffffffffff", record: "x", sysctls: { a: "2" } });
    expect(other[2]).toBe(argv[2]); // the script never changes with the values
  });

  it.each([
    [{ kind: "bindVip", vip: boundVips(["fd77::210"], "dr")[0]! }, ["ip", "addr", "replace", "fd77::210/128", "dev", "lo", "nodad"]],
    [{ kind: "setSysctls", values: { b: "2", a: "1" } }, ["sysctl", "-q", "-w", "a=1", "b=2"]],
    [{ kind: "enableUnit", key: KEY }, ["systemctl", "enable", "--quiet", "pulumi-lvs-arp-0123456789ab.service"]],
    [{ kind: "loadIpip" }, ["modprobe", "ipip"]],
    [{ kind: "tunnelUp" }, ["ip", "link", "set", "tunl0", "up"]],
    [{ kind: "removeFiles", key: KEY, files: ["sysctl", "unit"] }, ["rm", "-f", "--", arpFiles(KEY).sysctl, arpFiles(KEY).unit]],
  ] as const)("%j", (op, argv) => {
    expect(renderArpOp(op as any)).toEqual(argv);
    expect(describeArpOp(op as any).length).toBeGreaterThan(0);
  });

  it("the whole batch runs under the registry's flock", () => {
    const argv = lockedArgv(["true"]);
    expect(argv.slice(3)).toEqual(["pulumi-lvs-arp-lock", ARP_STATE_DIRECTORY, "/run/pulumi-lvs/arp.lock", "90.000", "true"]);
    expect(argv[2]).toMatch(/host_lock "\$2" "\$3"\nshift 3\nexec "\$@"$/);
  });

  it("the probe takes the key's files and the sysctl names as parameters", () => {
    const argv = arpProbeArgv("read", KEY, ["net.ipv4.conf.all.arp_ignore"]);
    expect(argv.slice(3)).toEqual([
      "pulumi-lvs-arp-probe",
      "read",
      ARP_STATE_DIRECTORY,
      unitName(KEY),
      arpFiles(KEY).sysctl,
      arpFiles(KEY).unit,
      arpFiles(KEY).modulesLoad,
      arpFiles(KEY).record,
      "net.ipv4.conf.all.arp_ignore",
    ]);
  });
});
