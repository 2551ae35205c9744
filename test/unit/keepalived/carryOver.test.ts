// A pair adopting a hand-written keepalived.conf carries its virtual servers into the
// pair's own tree, at the paths the VirtualService and RealServer resources write, so the
// adopting reload keeps every service (carryOver.ts). The guide's config is the importer's
// fixture; the carried tree is checked by the real `keepalived -t`.
import { readFileSync } from "fs";
import { join } from "path";
import { ADOPTED_FILE, carriedConfig } from "../../../provider/keepalived/carryOver";
import { KEEPALIVED_CONF, PLACEHOLDER_FILE, SERVICES_DIR } from "../../../provider/keepalived/layout";
import { complaints, removeKeepalivedNamespace, validateWithKeepalived } from "../../support/keepalivedCheck";

const fixture = (name: string) => readFileSync(join(__dirname, "..", "importer", "fixtures", name), "utf8");
const guide = { [KEEPALIVED_CONF]: fixture("guide-keepalived.conf"), "/etc/keepalived/conf.d/https.conf": fixture("guide-https.conf") };
const PAIR = { instanceName: "VI_1", trackScriptNames: [] };

afterAll(() => removeKeepalivedNamespace());

/** The pair's generation around the carried files, with the includes the apply script adds. */
function tree(ops: ReturnType<typeof carriedConfig>["ops"], pairPart: string): Record<string, string> {
  const files: Record<string, string> = Object.fromEntries(ops.map((o) => [o.path, o.content]));
  files["keepalived.conf"] = `global_defs {\n  router_id LVS_DEVEL\n}\n${pairPart}include services/*.conf\n`;
  files[`${SERVICES_DIR}/${PLACEHOLDER_FILE}`] = "# placeholder\n";
  for (const vs of ops.filter((o) => o.path.endsWith(".vs"))) {
    const stem = vs.path.slice(`${SERVICES_DIR}/`.length, -".vs".length);
    if (ops.some((o) => o.path.startsWith(`${SERVICES_DIR}/${stem}.d/`))) files[`${SERVICES_DIR}/${stem}.conf`] = `include ${stem}.vs\n`;
  }
  return files;
}
const VI_1 = "vrrp_instance VI_1 {\n  state MASTER\n  interface eth1\n  virtual_router_id 51\n  priority 150\n  advert_int 1\n  virtual_ipaddress {\n    10.77.0.160\n  }\n}\n";

describe("the guide's pair config", () => {
  const carried = carriedConfig(guide, PAIR);

  it("goes where the resources write: a .vs per virtual server, a file per real server, the included file's too", () => {
    expect(carried.ops.map((o) => o.path)).toEqual([
      "services/tcp_10.77.0.160_80.vs",
      "services/tcp_10.77.0.160_80.d/10.77.0.21_80.conf",
      "services/tcp_10.77.0.160_80.d/10.77.0.22_80.conf",
      "services/tcp_10.77.0.160_443.vs",
      "services/tcp_10.77.0.160_443.d/10.77.0.21_443.conf",
    ]);
    expect(carried.services).toEqual(["tcp:10.77.0.160:80", "tcp:10.77.0.160:443"]);
  });

  it("keeps every statement as written, deprecated spellings included, and includes the real servers as a VirtualService does", () => {
    const vs = carried.ops[0]!.content;
    expect(vs).toMatch(/^# Carried over by pulumi-lvs/);
    for (const line of ["delay_loop 6", "lb_algo wlc", "lb_kind DR", "persistence_timeout 50", "protocol TCP", "include tcp_10.77.0.160_80.d/*.conf"]) expect(vs).toContain(line);
    expect(vs).not.toContain("real_server");
    const rs = carried.ops[1]!.content;
    for (const line of ["real_server 10.77.0.21 80 {", "lvs_method DR", "weight 1", "TCP_CHECK {", "connect_timeout 3", "delay_before_retry 3", "connect_port 80"]) expect(rs).toContain(line);
    // keepalived 2.x runs the check without it ("Unknown keyword"), and its -t would refuse the tree.
    expect(rs).not.toContain("nb_get_retry");
  });

  it("gives each real server the virtual_server's lb_kind, as a RealServer writes it (keepalived's default for them)", () => {
    const rsFiles = carried.ops.filter((o) => o.path.includes(".d/"));
    expect(rsFiles.map((o) => (o.content.match(/lvs_method DR/g) ?? []).length)).toEqual([1, 1, 1]);
  });

  it("leaves out what the pair renders itself: global_defs and its VRRP instance, with its password", () => {
    const all = carried.ops.map((o) => o.content).join("");
    expect(all).not.toMatch(/global_defs|notification_email|vrrp_instance|auth_pass|s3cr3t/);
    expect(carried.ops.some((o) => o.path === ADOPTED_FILE)).toBe(false);
  });

  it("is a tree the real keepalived reads without a complaint (the guide itself draws one: nb_get_retry)", () => {
    const check = validateWithKeepalived(tree(carried.ops, VI_1));
    expect({ exitCode: check.exitCode, complaints: complaints(check) }).toEqual({ exitCode: 0, complaints: [] });
  });
});

describe("what is not a virtual server of an address or fwmark goes to services/0-adopted.conf, as written", () => {
  const main = [
    "global_defs { router_id A }",
    "vrrp_script chk_own { script /bin/true }",
    "vrrp_script chk_other { script /bin/true }",
    "vrrp_instance VI_1 { state MASTER\n interface eth1\n virtual_router_id 51\n priority 150\n virtual_ipaddress { 10.0.0.1 } }",
    "vrrp_instance VI_2 { state BACKUP\n interface eth1\n virtual_router_id 52\n priority 100\n virtual_ipaddress { 10.0.0.2 } }",
    "virtual_server_group web { 10.0.0.1 80 }",
    "virtual_server group web { lb_algo rr\n real_server 10.0.1.1 80 { weight 1 } }",
    "virtual_server fwmark 7 { lb_algo rr\n real_server 10.0.1.1 0 { weight 1 } }",
    "virtual_server fd00::1 443 { protocol TCP\n real_server fd00::10 443 { weight 1 } }",
    "include conf.d/*.conf",
    "include /opt/lb/*.conf",
  ].join("\n");
  const carried = carriedConfig({ [KEEPALIVED_CONF]: main, "/etc/keepalived/conf.d/udp.conf": "virtual_server 10.0.0.1 53 { protocol UDP\n real_server 10.0.1.1 53 { weight 1 } }\n" }, { instanceName: "VI_1", trackScriptNames: ["chk_own"] });
  const adopted = carried.ops.find((o) => o.path === ADOPTED_FILE)?.content ?? "";

  it("a second VRRP instance, a group and its virtual_server, another vrrp_script, an include of files elsewhere", () => {
    expect(adopted).toContain("vrrp_instance VI_2 {");
    expect(adopted).toContain("virtual_server_group web {");
    expect(adopted).toContain("virtual_server group web {");
    expect(adopted).toContain("vrrp_script chk_other {");
    expect(adopted).toContain("include /opt/lb/*.conf");
    expect(adopted).not.toMatch(/chk_own|VI_1 |router_id A/);
  });

  it("fwmark, IPv6 and included UDP services get their own files, at the resources' paths", () => {
    expect(carried.services).toEqual(["fwmark:7:ipv4", "tcp:[fd00::1]:443", "udp:10.0.0.1:53"]);
    expect(carried.ops.map((o) => o.path)).toEqual(
      expect.arrayContaining(["services/fwmark_7_ipv4.vs", "services/fwmark_7_ipv4.d/10.0.1.1_0.conf", "services/tcp_fd00--1_443.vs", "services/tcp_fd00--1_443.d/fd00--10_443.conf", "services/udp_10.0.0.1_53.d/10.0.1.1_53.conf"]),
    );
  });
});

it("a host with no keepalived.conf carries nothing", () => {
  expect(carriedConfig({}, PAIR)).toEqual({ ops: [], services: [] });
});

it("a value keepalived's files cannot hold as one token is refused, not changed", () => {
  expect(() => carriedConfig({ [KEEPALIVED_CONF]: 'virtual_server 10.0.0.1 80 {\n real_server 10.0.1.1 80 { MISC_CHECK { misc_path "/bin/check $_x" } }\n}\n' }, PAIR)).toThrow(/\$_/);
});
