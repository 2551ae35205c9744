// A NAT cluster's return path on real hosts: dir2 as a NAT director (ip_forward, VIP on
// eth1), rs3 reached on the back segment. rs3 also sits on the front segment, so without
// RealServerReturnRoute its replies go straight to the client from the wrong address and
// the client gets nothing; with it, they go back through the director and are answered.

import { directorProvider } from "../../provider/director/directorProvider";
import { realServerProvider } from "../../provider/service/realServerRouter";
import { virtualServiceProvider } from "../../provider/service/virtualServiceRouter";
import { realServerReturnRouteProvider } from "../../provider/nat/returnRouteProvider";
import { closeSshPool, run } from "../../provider/ssh";
import { labConnection, labHost } from "../support/lab";
import { refresh, up, type Deployed, type ProviderUnderTest } from "../support/providerSteps";

const VIP = "10.77.0.246";
const stack: Array<[ProviderUnderTest, Deployed]> = [];
const rs3 = () => labConnection("rs3");

async function curlFromClient(): Promise<string> {
  const r = await run(labConnection("client"), ["sh", "-c", 'curl -sS --max-time 3 "http://$1/" 2>&1 || echo FAILED', "curl", VIP]);
  return r.stdout.trim();
}

async function rs3Routing(): Promise<string> {
  return (await run(rs3(), ["sh", "-c", "ip -4 rule show; ip -4 route show table 177; ls /etc/systemd/system | grep return-route || true"])).stdout;
}

afterAll(async () => {
  try {
    for (const [provider, deployed] of stack.reverse()) await provider.delete(deployed.id, deployed.state);
  } finally {
    await closeSshPool();
  }
});

describe("RealServerReturnRoute for a NAT real server", () => {
  let route: Deployed;
  let routingBefore: string;

  it("without it, the NAT service does not answer; with it, replies return through the director", async () => {
    routingBefore = await rs3Routing();
    stack.push([directorProvider, await up(directorProvider, { connection: labConnection("dir2"), mode: "nat", vip: { address: VIP, interface: "eth1" } })]);
    const service = { protocol: "tcp", address: VIP, port: 80 };
    stack.push([virtualServiceProvider, await up(virtualServiceProvider, { connection: labConnection("dir2"), ...service, scheduler: "rr" })]);
    stack.push([realServerProvider, await up(realServerProvider, { connection: labConnection("dir2"), service, address: labHost("rs3").interfaces.back!.ipv4, port: 80, forwarding: "nat" })]);
    await run(labConnection("client"), ["ip", "neigh", "flush", "all"]);
    expect(await curlFromClient()).toContain("FAILED");

    route = await up(realServerReturnRouteProvider, { connection: rs3(), sourceAddress: labHost("rs3").interfaces.back!.ipv4, gateway: labHost("dir2").interfaces.back!.ipv4 });
    stack.push([realServerReturnRouteProvider, route]);
    expect(await curlFromClient()).toBe("rs3");
    expect(await rs3Routing()).toMatch(/from 10\.77\.1\.23 lookup 177/);
  });

  it("reads the live rule: stable, and a rule deleted by hand is drift that update repairs", async () => {
    const first = await refresh(realServerReturnRouteProvider, route);
    expect(await refresh(realServerReturnRouteProvider, route)).toEqual(first);
    expect((await realServerReturnRouteProvider.diff(route.id, first!.props!, route.state)).changes).toBe(false);
    await run(rs3(), ["ip", "-4", "rule", "del", "from", "10.77.1.23/32", "lookup", "177", "pref", "1000"]);
    const drifted = await refresh(realServerReturnRouteProvider, route);
    expect(drifted!.props!["ruleInstalled"]).toBe(false);
    expect((await realServerReturnRouteProvider.diff(route.id, drifted!.props!, route.state)).changes).toBe(true);
    await realServerReturnRouteProvider.update(route.id, drifted!.props!, route.state as never);
    expect(await curlFromClient()).toBe("rs3");
  });

  it("delete removes the rule, the route and the boot unit", async () => {
    const [provider, deployed] = stack.pop()!;
    await provider.delete(deployed.id, deployed.state);
    expect(await rs3Routing()).toBe(routingBefore);
  });
});
