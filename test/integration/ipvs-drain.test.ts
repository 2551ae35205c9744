// Graceful drain on a real DR path: client → dir1 (IPVS) → rs1, with a real TCP
// connection held open from the lab client. Deleting the RealServer with drain must set
// its weight to 0, keep it while the connection lives, and remove it once the connection
// has closed and IPVS has forgotten it.
//
// The DR plumbing on rs1 (VIP on lo, arp_ignore/arp_announce) is set up by hand here; the
// RealServerArpConfig resource does it in its own tests.

import { closeSshPool, run } from "../../provider/ssh";
import { realServerProvider } from "../../provider/service/realServerRouter";
import { virtualServiceProvider } from "../../provider/service/virtualServiceRouter";
import { labConnection } from "../support/lab";
import { clearIpvsTable } from "../support/labChecks";
import { refresh, up } from "../support/providerSteps";

const VIP = "10.77.0.130";
const PORT = 9000;
const dir1 = () => labConnection("dir1");
const rs1 = () => labConnection("rs1");
const client = () => labConnection("client");
const ARP_SYSCTLS = ["net.ipv4.conf.all.arp_ignore", "net.ipv4.conf.all.arp_announce", "net.ipv4.conf.eth1.arp_ignore", "net.ipv4.conf.eth1.arp_announce"];
let savedSysctls: string[] = [];

beforeAll(async () => {
  await clearIpvsTable("dir1");
  // FIN_WAIT entries (InActConn) then expire 3 s after the close instead of 2 minutes.
  await run(dir1(), ["ipvsadm", "--set", "900", "3", "300"]);
  await run(dir1(), ["ip", "addr", "replace", `${VIP}/32`, "dev", "eth1"]);
  savedSysctls = (await run(rs1(), ["sysctl", ...ARP_SYSCTLS])).stdout.trim().split("\n").map((l) => l.replace(/ = /, "="));
  await run(rs1(), ["sysctl", "-w", ...ARP_SYSCTLS.map((k) => `${k}=${k.endsWith("arp_ignore") ? 1 : 2}`)]);
  await run(rs1(), ["ip", "addr", "replace", `${VIP}/32`, "dev", "lo"]);
  await run(rs1(), ["systemd-run", "--unit=lvs-drain-listener", "--collect", "nc", "-lk", String(PORT)]);
  await run(client(), ["ip", "neigh", "flush", "all"]);
});

afterAll(async () => {
  await run(client(), ["systemctl", "stop", "lvs-drain-client"]).catch(() => undefined);
  await run(rs1(), ["systemctl", "stop", "lvs-drain-listener"]).catch(() => undefined);
  await run(rs1(), ["ip", "addr", "del", `${VIP}/32`, "dev", "lo"]).catch(() => undefined);
  if (savedSysctls.length > 0) await run(rs1(), ["sysctl", "-w", ...savedSysctls]);
  await run(dir1(), ["ip", "addr", "del", `${VIP}/32`, "dev", "eth1"]).catch(() => undefined);
  await run(dir1(), ["ipvsadm", "--set", "900", "120", "300"]);
  await clearIpvsTable("dir1");
  await closeSshPool();
});

async function destinationLine(): Promise<string | undefined> {
  const listing = (await run(dir1(), ["ipvsadm", "-L", "-n", "--exact", "-t", `${VIP}:${PORT}`])).stdout;
  return listing.split("\n").find((l) => l.includes("10.77.0.21:9000"));
}

it("keeps a draining real server until its open connection closes, then removes it", async () => {
  const reference = { protocol: "tcp", address: VIP, port: PORT };
  await up(virtualServiceProvider, { connection: dir1(), ...reference, scheduler: "rr" });
  const rs = await up(realServerProvider, {
    connection: dir1(), service: reference, address: "10.77.0.21", port: PORT, forwarding: "dr", weight: 1,
    drain: { timeoutSeconds: 120, pollSeconds: 1 },
  });

  // A real connection through the VIP that the client closes 25 s from now.
  const HOLD_SECONDS = 25;
  await run(client(), ["systemd-run", "--unit=lvs-drain-client", "--collect", "sh", "-c", `sleep ${HOLD_SECONDS} | nc -q 0 ${VIP} ${PORT}`]);
  let line: string | undefined;
  for (let i = 0; i < 30 && !/Route\s+1\s+1\s+0/.test(line ?? ""); i++) {
    await new Promise((r) => setTimeout(r, 500));
    line = await destinationLine();
  }
  expect(line).toMatch(/Route\s+1\s+1\s+0/); // weight 1, ActiveConn 1, InActConn 0
  const connectedAt = Date.now();

  let deleted = false;
  const started = Date.now();
  const deletion = realServerProvider.delete(rs.id, rs.state).then(() => {
    deleted = true;
  });

  // While the connection lives: still there, weight 0, the connection still counted.
  await new Promise((r) => setTimeout(r, 8000));
  expect(deleted).toBe(false);
  expect(await destinationLine()).toMatch(/Route\s+0\s+1\s+0/);

  await deletion;
  const closedAfter = (Date.now() - connectedAt) / 1000;
  const took = (Date.now() - started) / 1000;
  console.log(`drain: delete took ${took.toFixed(1)} s; the connection was held ${HOLD_SECONDS} s`);
  expect(closedAfter).toBeGreaterThanOrEqual(HOLD_SECONDS - 2);
  expect(took).toBeLessThan(100); // finished because the connection closed, not by the 120 s timeout
  expect(await destinationLine()).toBeUndefined();
  expect(await refresh(realServerProvider, rs)).toBeUndefined();
});
