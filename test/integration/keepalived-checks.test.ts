// Every keepalived health check, live on the lab: a KeepalivedPair on dir1 + dir2 with DR
// services whose real servers are checked by TCP_CHECK, HTTP_GET (status and digest),
// SSL_GET (openssl's TLS server on the real servers), MISC_CHECK (an argv run on the
// directors) and DNS_CHECK (dnsmasq on the real servers). Each real server is made to fail
// its check for real, leaves the live IPVS table in time, the client's traffic avoids it,
// and it comes back once healthy. Then the sorry server, quorum with its scripts, and
// reloads under a client loop.

import { createHash } from "crypto";
import { realServerArpConfigProvider } from "../../provider/arp/arpProvider";
import { keepalivedPairProvider } from "../../provider/keepalived/pairProvider";
import { realServerProvider } from "../../provider/service/realServerRouter";
import { virtualServiceProvider } from "../../provider/service/virtualServiceRouter";
import { closeSshPool, run } from "../../provider/ssh";
import { DIRECTORS, RECORDER, answersTo, clientLoop, destroyInLayers, installRecorder, liveRealServers, recorded, removeRecorder, sleep, vipHolder, waitFor } from "../support/keepalivedLab";
import { labConnection, labHost } from "../support/lab";
import { up, upChanged, type Deployed, type ProviderUnderTest } from "../support/providerSteps";

const VIP = "10.77.0.250";
const REAL_SERVERS = ["rs1", "rs2", "rs3"] as const;
const address = (rs: string) => labHost(rs).interfaces.front.ipv4;
/** Seconds between checks, and each check's own timing: what "in time" is measured against. */
const DELAY_LOOP = 2;
const CONNECT_TIMEOUT = 1;
const RETRY = 1;
const DELAY_BEFORE_RETRY = 1;
/**
 * keepalived's worst case from the failure to the removal: up to one delay_loop until the
 * next check, then the failed try and each retry (delay_before_retry + the try's timeout).
 * The lab adds its own: emulated VMs and a poll over SSH every 250 ms, so 3 s of slack.
 */
const REMOVAL_BOUND_MS = (DELAY_LOOP + CONNECT_TIMEOUT + RETRY * (DELAY_BEFORE_RETRY + CONNECT_TIMEOUT) + 3) * 1000;
const timing = { connectTimeout: CONNECT_TIMEOUT, retry: RETRY, delayBeforeRetry: DELAY_BEFORE_RETRY };

const stack: Array<[ProviderUnderTest, Deployed]> = [];
let target: unknown;
const measured: string[] = [];

/** A test service (TLS, DNS, a second web port) on a real server, as a transient systemd unit. */
async function startUnit(rs: string, unit: string, argv: string[], workingDirectory = "/"): Promise<void> {
  await run(labConnection(rs), ["systemd-run", `--unit=${unit}`, "--collect", "-p", `WorkingDirectory=${workingDirectory}`, "--", ...argv]);
}
const stopUnit = (rs: string, unit: string) => run(labConnection(rs), ["sh", "-c", 'systemctl stop "$1" 2>/dev/null || true', "stop", unit]);
const TEST_UNITS = ["lvs-test-tls", "lvs-test-dns", "lvs-test-web8080"];
const tls = (rs: string) => startUnit(rs, "lvs-test-tls", ["openssl", "s_server", "-quiet", "-accept", "443", "-WWW", "-cert", "/run/lvs-test-tls/cert.pem", "-key", "/run/lvs-test-tls/key.pem"], "/var/www/lab");
const dns = (rs: string) => startUnit(rs, "lvs-test-dns", ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--user=root", `--host-record=who.lab.test,${address(rs)}`, "--host-record=check.lab.test,10.77.0.1"]);
const web8080 = (rs: string) => startUnit(rs, "lvs-test-web8080", ["busybox", "httpd", "-f", "-p", "8080", "-h", "/var/www/lab"]);

/** The services under test, each on the VIP; 8080 is the sorry server's and quorum's, so failing its real servers leaves the others be. */
const WEB = { protocol: "tcp", port: 80 };
const TLS = { protocol: "tcp", port: 443 };
const DNS = { protocol: "udp", port: 53 };
const SORRY = { protocol: "tcp", port: 8080 };
const serviceInputs = (service: { protocol: string; port: number }, extra: Record<string, unknown> = {}) => ({ keepalived: target, ...service, address: VIP, scheduler: "rr", delayLoop: DELAY_LOOP, ...extra });
const sorryServer = () => ({ address: address("rs3"), port: 8080, forwarding: "dr" });
const miscCheck = () => ({ type: "MISC_CHECK", command: ["/usr/bin/curl", "-sf", "--max-time", String(CONNECT_TIMEOUT), "-o", "/dev/null", `http://${address("rs3")}/health.html`], timeout: CONNECT_TIMEOUT + 1, retry: RETRY, delayBeforeRetry: DELAY_BEFORE_RETRY });
const virtualServices = new Map<number, Deployed>();

function pairInputs(extra: Record<string, unknown> = {}) {
  return {
    nodes: [
      { connection: labConnection("dir1"), priority: 150, routerId: "dir1" },
      { connection: labConnection("dir2"), priority: 100, routerId: "dir2" },
    ],
    interface: "eth1",
    virtualRouterId: 57,
    vips: [{ address: VIP, dev: "eth1" }],
    ...extra,
  };
}

async function deploy<T extends Deployed>(provider: ProviderUnderTest, inputs: Record<string, unknown>): Promise<T> {
  const deployed = (await up(provider, inputs)) as T;
  stack.push([provider, deployed]);
  return deployed;
}

/** The RealServers deployed, by "rs/protocol/port", with the inputs they were deployed with. */
const realServers = new Map<string, { deployed: Deployed; inputs: Record<string, unknown> }>();

async function realServer(service: { protocol: string; port: number }, rs: string, options: Record<string, unknown>): Promise<Deployed> {
  const inputs = { keepalived: target, service: { ...service, address: VIP }, address: address(rs), port: service.port, forwarding: "dr", ...options };
  const deployed = await deploy(realServerProvider, inputs);
  realServers.set(`${rs}/${service.protocol}/${service.port}`, { deployed, inputs });
  return deployed;
}

/** `pulumi up` of one deployed RealServer with some inputs changed. */
async function changeRealServer(key: string, changes: Record<string, unknown>): Promise<void> {
  const entry = realServers.get(key)!;
  const inputs = { ...entry.inputs, ...changes };
  const deployed = (await upChanged(realServerProvider, entry.deployed, inputs)).deployed;
  stack[stack.findIndex(([, d]) => d === entry.deployed)] = [realServerProvider, deployed];
  realServers.set(key, { deployed, inputs });
}

/** Until both directors' tables list exactly `expected` under the service (addresses, or address:weight). */
async function tablesShow(port: number, expected: string[], what: string, options: { protocol?: "tcp" | "udp"; weights?: boolean } = {}): Promise<number> {
  const want = JSON.stringify([...expected].sort());
  return waitFor(async () => {
    for (const d of DIRECTORS) if (JSON.stringify(await liveRealServers(d, VIP, port, options)) !== want) return false;
    return true;
  }, 60_000, what);
}

/** Who answers `url` over `requests` requests from the client (a name per answer, "FAILED" for none). */
const whoAnswers = async (url: string, requests: number): Promise<Record<string, number>> => Object.fromEntries(await answersTo(url, requests, 3));

/** Who answers DNS queries for who.lab.test at the VIP (dnsmasq on each real server answers with its own address). */
async function whoAnswersDns(requests: number): Promise<Record<string, number>> {
  // busybox's nslookup: the answer's addresses follow its "Name:" line (the server's precede it).
  const script = 'for i in $(seq "$1"); do busybox nslookup -type=a -timeout=2 who.lab.test "$2" 2>/dev/null | sed -n "/^Name:/,\$ s/^Address:[[:space:]]*//p" | head -1 | grep . || echo FAILED; done';
  const out = (await run(labConnection("client"), ["sh", "-c", script, "who", String(requests), VIP])).stdout;
  const byAddress = Object.fromEntries(REAL_SERVERS.map((rs) => [address(rs), rs]));
  const counts: Record<string, number> = {};
  for (const line of out.split("\n").filter((l) => l.length > 0)) {
    const who = byAddress[line.trim()] ?? line.trim();
    counts[who] = (counts[who] ?? 0) + 1;
  }
  return counts;
}

/**
 * Makes `rs` fail its check with `breakIt`, measures until keepalived removed it from both
 * directors' tables, checks the client avoids it, heals it with `healIt` and measures until
 * it is back. `check` names the case in the figures printed at the end.
 */
async function failAndHeal(check: string, rs: string, port: number, others: string[], breakIt: () => Promise<unknown>, healIt: () => Promise<unknown>, avoided: () => Promise<Record<string, number>>, protocol: "tcp" | "udp" = "tcp"): Promise<void> {
  const all = [rs, ...others].map(address);
  await tablesShow(port, all, `every real server of ${check} in the tables`, { protocol });
  await breakIt();
  let removedMs: number;
  try {
    removedMs = await tablesShow(port, others.map(address), `${check}: ${rs} to leave both tables`, { protocol });
    const seen = await avoided();
    expect(seen[rs]).toBeUndefined();
    expect(seen["FAILED"]).toBeUndefined();
    expect(Object.keys(seen).sort()).toEqual([...others].sort());
  } finally {
    await healIt();
  }
  const backMs = await tablesShow(port, all, `${check}: ${rs} to return to both tables`, { protocol });
  measured.push(`${check}: ${rs} left both tables ${removedMs} ms after it failed (bound ${REMOVAL_BOUND_MS} ms), back ${backMs} ms after it healed`);
  expect(removedMs).toBeLessThanOrEqual(REMOVAL_BOUND_MS);
}

beforeAll(async () => {
  for (const d of DIRECTORS) await run(labConnection(d), ["sh", "-c", "systemctl stop keepalived; rm -rf /etc/keepalived/keepalived.conf /etc/keepalived/pulumi-lvs"]);
  await installRecorder(DIRECTORS);
  for (const rs of REAL_SERVERS) {
    await run(labConnection(rs), ["systemctl", "start", "lab-web"]);
    for (const unit of TEST_UNITS) await stopUnit(rs, unit);
    // The page MISC_CHECK fetches; TLS material for SSL_GET (a throwaway self-signed EC key).
    await run(labConnection(rs), [
      "sh",
      "-c",
      'echo ok >/var/www/lab/health.html && mkdir -p /run/lvs-test-tls && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=$1" -keyout /run/lvs-test-tls/key.pem -out /run/lvs-test-tls/cert.pem 2>/dev/null',
      "prepare",
      rs,
    ]);
  }
});

afterAll(async () => {
  try {
    await destroyInLayers(stack, [[realServerProvider], [virtualServiceProvider], [realServerArpConfigProvider], [keepalivedPairProvider]]);
  } finally {
    for (const rs of REAL_SERVERS) {
      for (const unit of TEST_UNITS) await stopUnit(rs, unit);
      await run(labConnection(rs), ["sh", "-c", `rm -rf /var/www/lab/health.html /run/lvs-test-tls; echo "$1" >/var/www/lab/index.html; systemctl start lab-web`, "restore", rs]);
    }
    await removeRecorder(DIRECTORS);
    console.log(`keepalived checks, measured:\n  ${measured.join("\n  ")}`);
    await closeSshPool();
  }
});

describe("keepalived's health checks on a live pair", () => {
  it("deploys the pair, the real servers' DR set-up, four services and their checked real servers (concurrently, as the engine would)", async () => {
    const pair = await deploy(keepalivedPairProvider, pairInputs());
    target = pair.state["target"];
    await Promise.all(REAL_SERVERS.map((rs) => deploy(realServerArpConfigProvider, { connection: labConnection(rs), vips: [VIP], mode: "dr", interfaces: ["eth1"] })));
    for (const rs of ["rs1", "rs2"]) {
      await tls(rs);
      await dns(rs);
    }
    for (const rs of REAL_SERVERS) await web8080(rs);
    const services: Array<[number, Record<string, unknown>]> = [
      [80, serviceInputs(WEB)],
      [443, serviceInputs(TLS)],
      [53, serviceInputs(DNS)],
      [8080, serviceInputs(SORRY, { sorryServer: sorryServer() })],
    ];
    await Promise.all(services.map(async ([port, inputs]) => virtualServices.set(port, await deploy(virtualServiceProvider, inputs))));
    // The digest is of the page as the director fetches it, as genhash would print it.
    const page = (await run(labConnection("dir1"), ["curl", "-s", `http://${address("rs2")}/`])).stdout;
    const digest = createHash("md5").update(page).digest("hex");
    await Promise.all([
      realServer(WEB, "rs1", { healthCheck: { type: "TCP_CHECK", ...timing } }),
      realServer(WEB, "rs2", { healthCheck: { type: "HTTP_GET", urls: [{ path: "/", statusCode: 200, digest }], ...timing } }),
      realServer(WEB, "rs3", { healthCheck: miscCheck() }),
      ...["rs1", "rs2"].map((rs) => realServer(TLS, rs, { healthCheck: { type: "SSL_GET", urls: [{ path: "/index.html", statusCode: 200 }], ...timing } })),
      ...["rs1", "rs2"].map((rs) => realServer(DNS, rs, { healthCheck: { type: "DNS_CHECK", name: "check.lab.test", queryType: "A", ...timing } })),
      ...["rs1", "rs2"].map((rs) => realServer(SORRY, rs, { healthCheck: { type: "TCP_CHECK", ...timing } })),
    ]);
    await waitFor(async () => (await vipHolder(VIP)) === "dir1", 20_000, "dir1 to hold the VIP");
    await run(labConnection("client"), ["ip", "neigh", "flush", "all"]);
  });

  it("TCP_CHECK, HTTP_GET with status and digest, MISC_CHECK: each failing real server leaves the tables in time, traffic avoids it, it returns", async () => {
    const web = () => whoAnswers(`http://${VIP}/`, 12);

    await failAndHeal("TCP_CHECK (web server stopped)", "rs1", 80, ["rs2", "rs3"], () => run(labConnection("rs1"), ["systemctl", "stop", "lab-web"]), () => run(labConnection("rs1"), ["systemctl", "start", "lab-web"]), web);
    // Still 200, but not the page the digest is of: only the digest can tell.
    await failAndHeal(
      "HTTP_GET digest (page changed, still 200)",
      "rs2",
      80,
      ["rs1", "rs3"],
      () => run(labConnection("rs2"), ["sh", "-c", "echo rs2-changed >/var/www/lab/index.html"]),
      () => run(labConnection("rs2"), ["sh", "-c", "echo rs2 >/var/www/lab/index.html"]),
      web,
    );
    await failAndHeal("MISC_CHECK (its page gone)", "rs3", 80, ["rs1", "rs2"], () => run(labConnection("rs3"), ["rm", "-f", "/var/www/lab/health.html"]), () => run(labConnection("rs3"), ["sh", "-c", "echo ok >/var/www/lab/health.html"]), web);
  });

  it("SSL_GET against openssl's TLS server on the real servers", async () => {
    await tablesShow(443, [address("rs1"), address("rs2")], "rs1 and rs2 under the TLS service");
    const seen = await whoAnswers(`https://${VIP}/index.html`, 6);
    expect(Object.keys(seen).sort()).toEqual(["rs1", "rs2"]);
    await failAndHeal("SSL_GET (TLS server stopped)", "rs1", 443, ["rs2"], () => stopUnit("rs1", "lvs-test-tls"), () => tls("rs1"), () => whoAnswers(`https://${VIP}/index.html`, 6));
  });

  it("DNS_CHECK against dnsmasq on the real servers, for a UDP service", async () => {
    await tablesShow(53, [address("rs1"), address("rs2")], "rs1 and rs2 under the DNS service", { protocol: "udp" });
    const seen = await whoAnswersDns(6);
    expect(Object.keys(seen).sort()).toEqual(["rs1", "rs2"]);
    await failAndHeal("DNS_CHECK (dnsmasq stopped)", "rs2", 53, ["rs1"], () => stopUnit("rs2", "lvs-test-dns"), () => dns("rs2"), () => whoAnswersDns(6), "udp");
  });

  it("inhibitOnFailure keeps a failing real server at weight 0 instead of removing it", async () => {
    await changeRealServer("rs1/tcp/80", { inhibitOnFailure: true });
    const weighted = (w: string) => ["rs1", "rs2", "rs3"].map((rs) => `${address(rs)}:${rs === "rs1" ? w : "1"}`);
    await tablesShow(80, weighted("1"), "rs1 at weight 1", { weights: true });
    await run(labConnection("rs1"), ["systemctl", "stop", "lab-web"]);
    try {
      const inhibitedMs = await tablesShow(80, weighted("0"), "rs1 at weight 0, still listed", { weights: true });
      measured.push(`inhibitOnFailure: rs1 at weight 0 (still listed) ${inhibitedMs} ms after its web server stopped`);
      const seen = await whoAnswers(`http://${VIP}/`, 8);
      expect(seen["rs1"]).toBeUndefined();
      expect(seen["FAILED"]).toBeUndefined();
    } finally {
      await run(labConnection("rs1"), ["systemctl", "start", "lab-web"]);
    }
    await tablesShow(80, weighted("1"), "rs1 back at weight 1", { weights: true });
  });
});

describe("the sorry server and quorum", () => {
  const url = `http://${VIP}:8080/`;

  it("all real servers fail: the sorry server answers; one comes back: traffic returns to it", async () => {
    await tablesShow(8080, [address("rs1"), address("rs2")], "rs1 and rs2 under the 8080 service");
    expect(Object.keys(await whoAnswers(url, 6)).sort()).toEqual(["rs1", "rs2"]);

    for (const rs of ["rs1", "rs2"]) await stopUnit(rs, "lvs-test-web8080");
    const sorryMs = await tablesShow(8080, [address("rs3")], "the sorry server alone in the tables");
    expect(await whoAnswers(url, 6)).toEqual({ rs3: 6 });

    await web8080("rs1");
    const backMs = await tablesShow(8080, [address("rs1")], "rs1 back, the sorry server gone");
    expect(await whoAnswers(url, 6)).toEqual({ rs1: 6 });
    measured.push(`sorry server: alone in the tables ${sorryMs} ms after both real servers failed; replaced by rs1 ${backMs} ms after it healed`);
  });

  it("quorum 2 with hysteresis: the service follows the quorum both ways, quorumUp/quorumDown run on both directors", async () => {
    await web8080("rs2");
    await tablesShow(8080, [address("rs1"), address("rs2")], "rs1 and rs2 under the 8080 service");
    // rs1 weighs 2 and rs2 1: quorum 2 with hysteresis 1 is lost below 1 (rs2 alone is not
    // lost: 1 is not below 2 − 1) and gained again at 3 (both).
    await changeRealServer("rs1/tcp/8080", { weight: 2 });
    const virtualService = virtualServices.get(8080)!;
    const quorumInputs = { ...serviceInputs(SORRY, { sorryServer: sorryServer() }), quorum: 2, hysteresis: 1, quorumUp: [RECORDER, "quorum-up", "8080"], quorumDown: [RECORDER, "quorum-down", "8080"] };
    const updated = (await upChanged(virtualServiceProvider, virtualService, quorumInputs)).deployed;
    stack[stack.findIndex(([, d]) => d === virtualService)] = [virtualServiceProvider, updated];
    await tablesShow(8080, [address("rs1"), address("rs2")], "both real servers after the quorum change");
    const before = await Promise.all(DIRECTORS.map(recorded));

    // rs1 fails: 1 left, not below quorum − hysteresis: the service stays on rs2.
    await stopUnit("rs1", "lvs-test-web8080");
    await tablesShow(8080, [address("rs2")], "rs2 alone (quorum kept within hysteresis)");
    expect(await whoAnswers(url, 4)).toEqual({ rs2: 4 });
    // rs2 fails too: quorum lost, quorum_down runs, the sorry server answers.
    await stopUnit("rs2", "lvs-test-web8080");
    await tablesShow(8080, [address("rs3")], "the sorry server after quorum was lost");
    expect(await whoAnswers(url, 4)).toEqual({ rs3: 4 });
    // rs2 back: 1, below quorum + hysteresis: still the sorry server.
    await web8080("rs2");
    await sleep((DELAY_LOOP + 2) * 1000);
    expect(await liveRealServers("dir1", VIP, 8080)).toEqual([address("rs3")]);
    // rs1 back: 3, quorum gained, quorum_up runs, both real servers serve.
    await web8080("rs1");
    await tablesShow(8080, [address("rs1"), address("rs2")], "both real servers after quorum was gained");
    expect(Object.keys(await whoAnswers(url, 6)).sort()).toEqual(["rs1", "rs2"]);

    for (const [i, d] of DIRECTORS.entries()) {
      const lines = (await recorded(d)).slice(before[i]!.length);
      expect(lines).toEqual(["quorum-down 8080", "quorum-up 8080"]);
    }
    measured.push(`quorum 2, hysteresis 1: kept with 1 of 3, lost with 0 (quorum-down on dir1 and dir2), not regained with 1, regained with 3 (quorum-up on both)`);
  });
});

describe("reloads on a pair under a client loop", () => {
  it("a weight change and a new real server apply with a reload and 0 failed requests", async () => {
    const loop = clientLoop(`http://${VIP}/`, 25, 1);
    await sleep(3000);
    await changeRealServer("rs3/tcp/80", { weight: 3 });
    await tablesShow(80, [`${address("rs1")}:1`, `${address("rs2")}:1`, `${address("rs3")}:3`], "rs3 at weight 3", { weights: true });
    // A new real server on the 443 service (rs3's TLS server) while the loop runs on port 80.
    await tls("rs3");
    await realServer(TLS, "rs3", { healthCheck: { type: "SSL_GET", urls: [{ path: "/index.html", statusCode: 200 }], ...timing } });
    await tablesShow(443, [address("rs1"), address("rs2"), address("rs3")], "rs3 added to the 443 service");
    const { ok, failed, answers } = await loop;
    measured.push(`reloads under a client loop (25 s, 1 request per 100 ms): ${ok} answered, ${failed} failed; answers ${JSON.stringify(Object.fromEntries(answers))}`);
    expect(failed).toBe(0);
    expect(ok).toBeGreaterThanOrEqual(20); // at least one a second: the loop kept going through both reloads
    expect(answers.get("rs3")).toBeGreaterThan(0);
  });
});
