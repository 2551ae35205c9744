// Adoption of a keepalived + LVS-DR pair built by hand, as the classic guides build one,
// through `pulumi-lvs import` and the real Pulumi engine (issue 15):
//   dir1, dir2: the guide's keepalived.conf copied onto both (router_id LVS_01/LVS_02,
//               notification mail, VRRP instance VI_1 with PASS auth, the VIP 10.77.0.176,
//               virtual_server with lb_kind DR, persistence_timeout and TCP_CHECKs with the
//               old nb_get_retry), keepalived restarted;
//   rs1, rs2:   the VIP on lo (`lo:0`), arp_ignore/arp_announce in /etc/sysctl.conf.
// Then the importer reads the four hosts and writes the project; `pulumi up` of it runs
// while the client asks the VIP every 0.1 s. The pair's take-over reloads keepalived into
// its own tree, carrying the hand-made virtual servers across (carryOver.ts), so no IPVS
// entry, VIP holder, address or sysctl changes and no request fails, also on dir2, left as
// an adoption cut half-way leaves it (its keepalived.conf already moved aside). `pulumi preview
// --refresh --expect-no-changes` exits 0; a weight changed in the program applies;
// `pulumi destroy` puts the hand-written keepalived.conf back and keepalived serves the
// guide's cluster again, with the real servers' VIPs and sysctls as they were.

import { mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { MAIN_FILE_MARKER, ORIGINAL_SUFFIX } from "../../provider/keepalived/hostScripts";
import { CONFIG_ROOT, KEEPALIVED_CONF, LIVE_LINK } from "../../provider/keepalived/layout";
import { run } from "../../provider/ssh";
import type { TestProject } from "../support/engine/pulumiCli";
import { adoptedProject, cleanUpAdoption, importLabHosts } from "../support/importAdopt";
import { clientLoop, clientLoopDuring, liveRealServers, vipHolder, waitFor } from "../support/keepalivedLab";
import { labConnection, labHost } from "../support/lab";

const VIP = "10.77.0.176";
const VRID = 76;
const PASSWORD = "gu1de76";
const DIRECTORS = ["dir1", "dir2"] as const;
const REAL_SERVERS = ["rs1", "rs2"] as const;
const work = mkdtempSync(join(tmpdir(), "lvs-import-pair-"));
const sh = async (host: string, script: string, ...args: string[]) => (await run(labConnection(host), ["sh", "-c", script, host, ...args])).stdout;
const front = (host: string) => labHost(host).interfaces.front.ipv4;

/** keepalived.conf as the LVS-DR guides write it, for one of the two directors. */
function guideConfig(director: (typeof DIRECTORS)[number]): string {
  const master = director === "dir1";
  const realServer = (rs: string) => `    real_server ${front(rs)} 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 3
            nb_get_retry 3
            delay_before_retry 3
            connect_port 80
        }
    }
`;
  return `! Configuration File for keepalived

global_defs {
   notification_email {
     sysadmin@example.com
   }
   notification_email_from lvs@example.com
   smtp_server 127.0.0.1
   smtp_connect_timeout 30
   router_id LVS_0${master ? 1 : 2}
}

vrrp_instance VI_1 {
\tstate ${master ? "MASTER" : "BACKUP"}
\tinterface eth1
\tvirtual_router_id ${VRID}
\tpriority ${master ? 150 : 100}
\tadvert_int 1
\tauthentication {
\t\tauth_type PASS
\t\tauth_pass ${PASSWORD}
\t}
\tvirtual_ipaddress {
\t\t${VIP}
\t}
}

virtual_server ${VIP} 80 {
    delay_loop 6
    lb_algo rr
    lb_kind DR
    persistence_timeout 50
    protocol TCP

${REAL_SERVERS.map(realServer).join("")}}
`;
}

const RS_SYSCTLS = "net.ipv4.conf.all.arp_ignore = 1\nnet.ipv4.conf.all.arp_announce = 2\nnet.ipv4.conf.lo.arp_ignore = 1\nnet.ipv4.conf.lo.arp_announce = 2\n";
const noLifetimes = (text: string) => text.replace(/\s*valid_lft \S+ preferred_lft \S+/g, "");

/** What adoption must not change, on every host. */
async function hostState(): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  for (const d of DIRECTORS) {
    state[`${d} ipvs`] = await sh(d, "ipvsadm -S -n");
    state[`${d} eth1`] = noLifetimes(await sh(d, "ip -o addr show dev eth1"));
    state[`${d} sysctls`] = await sh(d, "sysctl net.ipv4.ip_forward net.ipv4.vs.expire_nodest_conn net.ipv4.vs.expire_quiescent_template net.ipv4.conf.all.send_redirects");
  }
  for (const rs of REAL_SERVERS) {
    state[`${rs} lo`] = noLifetimes(await sh(rs, "ip -o addr show dev lo"));
    state[`${rs} arp`] = await sh(rs, "sysctl net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce net.ipv4.conf.lo.arp_ignore net.ipv4.conf.lo.arp_announce net.ipv4.conf.eth1.arp_ignore net.ipv4.conf.eth1.arp_announce");
  }
  return state;
}

/** Undo the hand-made cluster (also what a failed earlier run left). */
async function teardownByHand(): Promise<void> {
  for (const d of DIRECTORS)
    await sh(d, 'systemctl stop keepalived 2>/dev/null; rm -f /etc/keepalived/keepalived.conf; [ -f /root/keepalived.conf.import-test ] && mv -f /root/keepalived.conf.import-test /etc/keepalived/keepalived.conf; ipvsadm -D -t "$1:80" 2>/dev/null; ip addr del "$1/32" dev eth1 2>/dev/null; true', VIP);
  for (const rs of REAL_SERVERS)
    await sh(rs, 'ip addr del "$1/32" dev lo 2>/dev/null; [ -f /root/sysctl.conf.import-test ] && mv -f /root/sysctl.conf.import-test /etc/sysctl.conf; for k in all lo; do sysctl -q -w net.ipv4.conf.$k.arp_ignore=0 net.ipv4.conf.$k.arp_announce=0; done; true', VIP);
}

let project: TestProject | undefined;

beforeAll(async () => {
  await teardownByHand();
  // The guide, step by step: the real servers first, then keepalived on both directors.
  for (const rs of REAL_SERVERS)
    await sh(rs, 'cp -p /etc/sysctl.conf /root/sysctl.conf.import-test && printf %s "$2" >>/etc/sysctl.conf && sysctl -q -p && ip addr add "$1/32" dev lo label lo:0', VIP, RS_SYSCTLS);
  for (const d of DIRECTORS)
    await sh(d, '[ -e /etc/keepalived/keepalived.conf ] && cp -p /etc/keepalived/keepalived.conf /root/keepalived.conf.import-test; mkdir -p /etc/keepalived && printf %s "$1" >/etc/keepalived/keepalived.conf && systemctl restart keepalived', guideConfig(d));
  await waitFor(async () => (await vipHolder(VIP)) === "dir1", 30_000, `dir1 to hold ${VIP}`);
  for (const d of DIRECTORS) await waitFor(async () => (await liveRealServers(d, VIP, 80)).length === 2, 60_000, `both real servers healthy in ${d}'s table`);
}, 180_000);

afterAll(() => cleanUpAdoption(project, work, teardownByHand), 300_000);

describe("a keepalived LVS-DR pair built by hand, adopted with `pulumi-lvs import` and the real engine", () => {
  it("before: the hand-made pair answers through the VIP held by dir1", async () => {
    const { failed, answers } = await clientLoop(`http://${VIP}/`, 3);
    expect(failed).toBe(0);
    expect([...answers.keys()].length).toBeGreaterThan(0);
    expect(await vipHolder(VIP)).toBe("dir1");
  });

  it("imports, then `pulumi up` takes the pair over with no host change and no failed request; the drift check exits 0", async () => {
    const imported = await importLabHosts(work, { directors: DIRECTORS, realServers: REAL_SERVERS });
    console.log(`$ ${imported.command}\n${imported.stdout}${imported.stderr}`);
    expect(imported.code).toBe(0);
    console.log(`index.ts:\n${imported.index}`);
    expect(imported.index).not.toContain(PASSWORD);
    // What the guide wrote that the program does not express: the mail settings (keepalived
    // only mails with them) and nb_get_retry, which keepalived 2.x ignores; and the
    // directors' sysctls, which a Director would change (send_redirects), so none is declared.
    for (const w of imported.warnings) expect(w).toMatch(/notification_email|smtp_|nb_get_retry|no Director is declared for this pair node/);
    expect((imported.index.match(/new lvs\.\w+\(/g) ?? []).sort()).toEqual(
      ["new lvs.KeepalivedPair(", "new lvs.RealServer(", "new lvs.RealServer(", "new lvs.RealServerArpConfig(", "new lvs.RealServerArpConfig(", "new lvs.VirtualService("].sort(),
    );
    project = await adoptedProject(work, { vrrpPassword: PASSWORD });

    const before = await hostState();
    // dir2 as an earlier `pulumi up` cut in the middle of its adoption leaves it: the apply
    // script recorded keepalived's state, moved the guide's keepalived.conf aside and wrote
    // our include, and was killed before its first generation went live (keepalived still
    // runs the guide's configuration). This up must carry the virtual servers from the
    // moved copy, or its reload would drop them.
    await sh(
      "dir2",
      'mkdir -p -m 0700 "$1" && { echo conf=kept; echo active=yes; systemctl is-enabled --quiet keepalived && echo enabled=yes || echo enabled=no; } >"$1/original" && mv -f "$2" "$2$3" && printf "%s\\ninclude %s/keepalived.conf\\n" "$4" "$5" >"$2"',
      CONFIG_ROOT, KEEPALIVED_CONF, ORIGINAL_SUFFIX, MAIN_FILE_MARKER, LIVE_LINK,
    );
    // The client asks from before the up starts until 5 s after it ends.
    const { ok, failed, result: up, workSeconds } = await clientLoopDuring(`http://${VIP}/`, () => project!.ok(["up", "--yes", "--skip-preview"]));
    console.log(`pulumi up of the adopted pair: ${workSeconds.toFixed(1)} s; client during it and 5 s after: ${ok} answered, ${failed} failed\n${up.stdout.slice(-2000)}`);
    const after = await hostState();
    expect(after).toEqual(before);
    expect(failed).toBe(0);
    for (const d of DIRECTORS) expect(await sh(d, "cat /etc/keepalived/keepalived.conf.pulumi-lvs-orig")).toBe(guideConfig(d));

    const check = await project.run(["preview", "--refresh", "--expect-no-changes"]);
    expect({ code: check.code, output: check.code === 0 ? "" : check.stdout + check.stderr }).toEqual({ code: 0, output: "" });
  }, 900_000);

  it("a weight changed in the program applies; destroy puts the guide's keepalived.conf back and the hand-made pair serves again", async () => {
    const index = readFileSync(join(project!.dir, "index.ts"), "utf8");
    const rs1Weight = new RegExp(`(address: "${front("rs1").replace(/\./g, "\\.")}",\\n\\s+port: 80,\\n\\s+forwarding: "dr",\\n\\s+weight: )1,`);
    expect(index).toMatch(rs1Weight);
    project!.writeFile("index.ts", index.replace(rs1Weight, "$13,"));
    await project!.ok(["up", "--yes", "--skip-preview"]);
    for (const d of DIRECTORS) expect(await sh(d, "ipvsadm -S -n")).toContain(`-a -t ${VIP}:80 -r ${front("rs1")}:80 -g -w 3`);

    await project!.ok(["destroy", "--yes", "--skip-preview"]);
    project!.remove();
    project = undefined;
    for (const d of DIRECTORS) {
      expect(await sh(d, "cat /etc/keepalived/keepalived.conf")).toBe(guideConfig(d));
      expect(await sh(d, "ls /etc/keepalived")).not.toMatch(/pulumi-lvs/);
    }
    await waitFor(async () => (await vipHolder(VIP)) === "dir1", 30_000, `dir1 to hold ${VIP} again`);
    await waitFor(async () => (await liveRealServers("dir1", VIP, 80)).length === 2, 60_000, "both real servers back in dir1's table");
    const { failed } = await clientLoop(`http://${VIP}/`, 3);
    expect(failed).toBe(0);
    for (const rs of REAL_SERVERS) {
      expect(await sh(rs, "ip -o addr show dev lo")).toContain(`${VIP}/32`);
      expect(await sh(rs, "sysctl -n net.ipv4.conf.lo.arp_ignore net.ipv4.conf.all.arp_announce")).toBe("1\n2\n");
    }
  }, 900_000);
});
