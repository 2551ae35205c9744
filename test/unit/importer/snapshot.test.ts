// The importer's read: a constant script whose sections parse back into a snapshot.
import { READ_TABLE_COMMANDS } from "../../../provider/ipvs/parse";
import { parseSnapshot, readArgv } from "../../../importer/snapshot";
import { ImportReadError } from "../../../importer/errors";

const b64 = (s: string) => Buffer.from(s).toString("base64");

it("runs the provider's own table read, and nothing that changes the host", () => {
  const [, , script] = readArgv();
  for (const argv of READ_TABLE_COMMANDS) expect(script).toContain(`; ${argv.join(" ")}\n`);
  // ipvsadm loads ip_vs when it is not loaded: the read calls it only when /proc/net/ip_vs exists.
  expect(script).toMatch(/if \[ -e \/proc\/net\/ip_vs \][^\n]*\n\s+echo "@@ipvs-save"/);
  expect(script).not.toMatch(/\b(modprobe|sysctl -w|ip addr (add|del)|systemctl (start|stop|restart|reload)|rm|mv|tee)\b/);
});

it("parses every section, files by their base64 path and content", () => {
  const conf = "vrrp_instance VI_1 {\n  @@not-a-section\n}\n";
  const stdout = [
    "@@hostname dir1",
    "@@hostkey ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIabc",
    "@@ipvs-save",
    "-A -t 10.77.0.160:80 -s wlc",
    "-a -t 10.77.0.160:80 -r 10.77.0.21:80 -g -w 1",
    "@@ipvs-list",
    "IP Virtual Server version 1.2.1 (size=4096)",
    "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn",
    "  -> RemoteAddress:Port",
    "TCP  10.77.0.160:80 wlc",
    "  -> 10.77.0.21:80                 0          0          0          0",
    "@@keepalived-active active",
    `@@file ${b64("/etc/keepalived/keepalived.conf")} ${b64(conf)}`,
    "@@sysctls",
    "net.ipv4.ip_forward = 0",
    "net.ipv4.conf.eth1.send_redirects = 1",
    "@@addresses",
    "3: eth1    inet 10.77.0.160/32 scope global eth1\\       valid_lft forever preferred_lft forever",
    "@@rules",
    "0:\tfrom all lookup local",
    "@@routes",
    "default via 10.0.2.2 dev eth0",
    "@@end",
    "",
  ].join("\n");
  const snapshot = parseSnapshot(stdout, "dir1");
  expect(snapshot).toMatchObject({
    hostname: "dir1",
    hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIabc",
    keepalived: { active: true, files: { "/etc/keepalived/keepalived.conf": conf } },
    sysctls: { "net.ipv4.ip_forward": "0", "net.ipv4.conf.eth1.send_redirects": "1" },
    addresses: [{ interface: "eth1", address: "10.77.0.160", prefixLength: 32 }],
  });
  expect(snapshot.ipvs?.destinations).toMatchObject([{ address: "10.77.0.21", port: 80, forwarding: "dr", weight: 1 }]);
});

it("a host without ip_vs loaded has no table; a read cut short is an error naming the host", () => {
  expect(parseSnapshot("@@hostname rs1\n@@keepalived-active inactive\n@@end\n", "rs1").ipvs).toBeUndefined();
  expect(() => parseSnapshot("@@hostname rs1\n@@sysctls\n", "root@rs1:22")).toThrow(ImportReadError);
  expect(() => parseSnapshot("", "root@rs1:22")).toThrow(/cannot read root@rs1:22 for the import: the read stopped before its end/);
});
