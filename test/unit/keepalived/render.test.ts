// Every tree the renderer produces from valid user inputs passes the real `keepalived -t`
// (2.2.7) with exit 0 and without a word printed: the pair's main file as each node sees
// it, the services placeholder, and the service and real server include files.

import { serviceFileStem } from "../../../provider/keepalived/layout";
import { renderVirtualServerBlock } from "../../../provider/keepalived/render";
import { complaints, removeKeepalivedNamespace, validateWithKeepalived } from "../../support/keepalivedCheck";
import { PAIR_CASES, SERVICE_CASES, realServerInputs } from "./cases";
import { MINIMAL_PAIR, nodeTree, pairOf, realServerOf, serviceOf } from "./userInputs";

afterAll(removeKeepalivedNamespace);

const NODES = [0, 1] as const;
const webService = () => serviceOf({ address: "10.0.0.100", port: 80 });
const webRealServer = () => realServerOf({ service: { address: "10.0.0.100", port: 80 }, address: "10.0.1.1", port: 80, healthCheck: { type: "TCP_CHECK" } });

function expectAccepted(files: Record<string, string>): void {
  const check = validateWithKeepalived(files);
  expect({ exitCode: check.exitCode, complaints: complaints(check) }).toEqual({ exitCode: 0, complaints: [] });
}

describe("KeepalivedPair variants, each node's tree with a service and a real server", () => {
  it.each(PAIR_CASES)("%s", (_name, raw) => {
    const pair = pairOf(raw);
    for (const index of NODES) expectAccepted(nodeTree(pair, index, [webService()], [webRealServer()]));
  });
});

describe("VirtualService / RealServer variants under the minimal pair (no scripts of its own)", () => {
  it.each(SERVICE_CASES)("%s", (_name, c) => {
    const service = serviceOf(c.service);
    const realServers = realServerInputs(c).map(realServerOf);
    const pair = pairOf(MINIMAL_PAIR);
    for (const index of NODES) expectAccepted(nodeTree(pair, index, [service], realServers));
  });

  it("the minimal pair still enables script security, for the services' scripts", () => {
    const main = nodeTree(pairOf(MINIMAL_PAIR), 0)["keepalived.conf"]!;
    expect(main).toMatch(/^global_defs \{\n(?:  .*\n)*  script_user root\n  enable_script_security\n/m);
  });

  it("why: without it, keepalived refuses a service's script (forced: the lines removed)", () => {
    const c = SERVICE_CASES.find(([name]) => name === "notify_up only")![1];
    const files = nodeTree(pairOf(MINIMAL_PAIR), 0, [serviceOf(c.service)], realServerInputs(c).map(realServerOf));
    const main = files["keepalived.conf"]!.replace("  script_user root\n", "").replace("  enable_script_security\n", "");
    const check = validateWithKeepalived({ ...files, "keepalived.conf": main });
    expect(check.exitCode).not.toBe(0);
    expect(complaints(check).join("\n")).toContain("script_security not enabled");
  });

  it("a sorry server is rendered with its forwarding method right after it", () => {
    const { service, options } = serviceOf({ address: "10.0.0.100", port: 80, sorryServer: { address: "10.0.9.9", port: 80, forwarding: "dr" } });
    expect(renderVirtualServerBlock(service, options)).toContain("  sorry_server 10.0.9.9 80\n  sorry_server_lvs_method DR\n");
  });
});

describe("trees keepalived must also accept", () => {
  it("a pair with no services yet (only the placeholder matches the include)", () => {
    for (const index of NODES) expectAccepted(nodeTree(pairOf(MINIMAL_PAIR), index));
  });

  it("a service with no real servers yet: its block is not included, so keepalived never sees it", () => {
    const files = nodeTree(pairOf(MINIMAL_PAIR), 0, [webService()]);
    expect(Object.keys(files).some((p) => p.endsWith(".vs"))).toBe(true);
    expectAccepted(files);
  });

  it("why: keepalived refuses a virtual_server without real servers, had the block been included", () => {
    const files = nodeTree(pairOf(MINIMAL_PAIR), 0, [webService()]);
    const stem = serviceFileStem(webService().service.key);
    const check = validateWithKeepalived({ ...files, [`services/${stem}.conf`]: `include ${stem}.vs\n` });
    expect(check.exitCode).toBe(5);
    expect(complaints(check)).toContain("Virtual server [10.0.0.100]:tcp:80 has no real servers - ignoring");
  });

  it("every service case at once, in one generation", () => {
    const seen = new Set<string>();
    const services = SERVICE_CASES.map(([, c], i) => {
      // Give each case its own port so the keys do not clash.
      const raw: Record<string, unknown> = { ...c.service, ...("fwmark" in c.service ? { fwmark: 100 + i } : { port: 1000 + i }) };
      // A DR/TUN sorry server listens on the service's port (keepalived: "ports don't match").
      const sorry = raw["sorryServer"] as { port: number; forwarding?: string } | undefined;
      if (sorry && sorry.port !== 0 && sorry.forwarding !== undefined && sorry.forwarding !== "nat") raw["sorryServer"] = { ...sorry, port: raw["port"] };
      return { raw, realServers: c.realServers.map((r) => ({ ...r, ...("port" in r && !("fwmark" in c.service) && r["forwarding"] !== "nat" ? { port: 1000 + i } : {}) })) };
    });
    const built = services.map(({ raw, realServers }) => ({ service: serviceOf(raw), realServers: realServerInputs({ service: raw, realServers }).map(realServerOf) }));
    for (const b of built) seen.add(JSON.stringify(b.service.service.key));
    expect(seen.size).toBe(SERVICE_CASES.length);
    // Under the minimal pair too: the script-running cases need no scripts of the pair.
    const pair = pairOf(MINIMAL_PAIR);
    for (const index of NODES)
      expectAccepted(nodeTree(pair, index, built.map((b) => b.service), built.flatMap((b) => b.realServers)));
  });
});
