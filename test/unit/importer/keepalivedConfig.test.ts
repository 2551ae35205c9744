// The importer reads keepalived.conf as the guides write it. The fixtures are checked by
// the real `keepalived -t` first, so they are configs keepalived itself accepts.
import { readFileSync } from "fs";
import { join } from "path";
import { importKeepalived, MAIN_CONFIG } from "../../../importer/keepalivedConfig";
import { expandIncludes } from "../../../provider/keepalived/includes";
import { complaints, removeKeepalivedNamespace, validateWithKeepalived } from "../../support/keepalivedCheck";

const fixture = (name: string) => readFileSync(join(__dirname, "fixtures", name), "utf8");
const guide = fixture("guide-keepalived.conf");
const https = fixture("guide-https.conf");
const files = { [MAIN_CONFIG]: guide, "/etc/keepalived/conf.d/https.conf": https };

afterAll(() => removeKeepalivedNamespace());

it("the fixtures are what the real keepalived 2.2 reads: only nb_get_retry is unknown to it", () => {
  // The include is absolute, as in the guides: checked apart, the main file without it (the
  // line numbers stay: the include is its last line).
  const main = validateWithKeepalived({ "keepalived.conf": guide.replace(/^include .*$/m, "") });
  expect(complaints(main)).toEqual(["(<tree>/keepalived.conf: Line 40) Unknown keyword 'nb_get_retry'"]);
  const included = validateWithKeepalived({ "keepalived.conf": https });
  expect({ exitCode: included.exitCode, complaints: complaints(included) }).toEqual({ exitCode: 0, complaints: [] });
});

it("expands includes in place, relative ones against the including file's directory", () => {
  const text = expandIncludes({ ...files, "/etc/keepalived/conf.d/a.conf": "include ../b.conf\n", "/etc/keepalived/b.conf": "virtual_server 10.0.0.1 80 {\n}\n" });
  expect(text).toContain("virtual_server 10.77.0.160 443");
  expect(text).toContain("virtual_server 10.0.0.1 80");
  expect(text).not.toMatch(/^include/m);
});

it("an include that matches nothing the read brought is a warning, not a silent gap", () => {
  const warnings: string[] = [];
  expandIncludes({ [MAIN_CONFIG]: "include /opt/lb/*.conf\n" }, MAIN_CONFIG, warnings);
  expect(warnings).toEqual([expect.stringContaining("`include /opt/lb/*.conf` names no file the import could read")]);
});

describe("the guide's pair config", () => {
  const imported = importKeepalived(files);

  it("reads the VRRP instance with the provider's parser", () => {
    expect(imported.instance).toMatchObject({
      instanceName: "VI_1",
      interface: "eth1",
      virtualRouterId: 51,
      advertInt: 1,
      vips: [{ address: "10.77.0.160", prefixLength: 32 }],
      auth: { type: "PASS", password: "s3cr3t" },
      node: { routerId: "LVS_DEVEL", state: "MASTER", priority: 150 },
    });
  });

  it("reads every virtual server with its real servers: lb_kind on the service applies to each", () => {
    expect(imported.virtualServers.map((v) => v.service)).toEqual([
      { key: { kind: "address", protocol: "tcp", address: "10.77.0.160", port: 80 }, scheduler: "wlc", schedulerFlags: [], persistence: { timeoutSeconds: 50 }, onePacket: false },
      { key: { kind: "address", protocol: "tcp", address: "10.77.0.160", port: 443 }, scheduler: "rr", schedulerFlags: [], onePacket: false },
    ]);
    const [http, tls] = imported.virtualServers;
    expect(http!.options).toEqual({ delayLoop: 6 });
    expect(http!.realServers.map((r) => [r.destination.address, r.destination.forwarding, r.destination.weight])).toEqual([
      ["10.77.0.21", "dr", 1],
      ["10.77.0.22", "dr", 2],
    ]);
    expect(http!.realServers[0]!.options.healthCheck).toEqual({ type: "TCP_CHECK", connectTimeout: 3, delayBeforeRetry: 3, connectPort: 80 });
    expect(tls!.realServers[0]!.options.healthCheck).toEqual({ type: "SSL_GET", urls: [{ path: "/health", statusCode: 200 }], connectTimeout: 3 });
  });

  it("warns about each line it cannot express, where it was written, and about nothing else", () => {
    expect(imported.warnings).toEqual([
      "/etc/keepalived/keepalived.conf:5: `notification_email` in global_defs is not expressed in the program",
      "/etc/keepalived/keepalived.conf:8: `notification_email_from lvs@example.com` in global_defs is not expressed in the program",
      "/etc/keepalived/keepalived.conf:9: `smtp_server 127.0.0.1` in global_defs is not expressed in the program",
      "/etc/keepalived/keepalived.conf:10: `smtp_connect_timeout 30` in global_defs is not expressed in the program",
      // keepalived itself ignores it (the fixture's check above): carrying it over as retry 3 would change the running check.
      expect.stringMatching(/^\/etc\/keepalived\/keepalived.conf:40: `nb_get_retry 3` in TCP_CHECK of real_server 10.77.0.21 80 of virtual_server 10.77.0.160 80 is ignored by keepalived 2.x/),
    ]);
  });
});

it("a second VRRP instance and a vrrp_sync_group are warnings", () => {
  const text = `${guide.replace(/^include .*$/m, "")}\nvrrp_instance VI_2 {\n state BACKUP\n interface eth2\n virtual_router_id 52\n priority 100\n virtual_ipaddress {\n 10.77.1.160\n }\n}\nvrrp_sync_group G1 {\n group {\n VI_1\n VI_2\n }\n}\n`;
  const { instance, warnings } = importKeepalived({ [MAIN_CONFIG]: text });
  expect(instance?.instanceName).toBe("VI_1");
  expect(warnings).toEqual(expect.arrayContaining([expect.stringContaining("a second VRRP instance (`vrrp_instance VI_2`)"), expect.stringContaining("`vrrp_sync_group G1` (a vrrp_sync_group block)")]));
});

it("a host without keepalived.conf has nothing to import and nothing to warn about", () => {
  expect(importKeepalived({})).toEqual({ virtualServers: [], warnings: [] });
});
