// render → parse is the identity: `read` parses the files on the hosts back into the
// model, so a file we wrote must read back as exactly what we rendered it from (else every
// refresh would report drift). Checked on every table case, then on generated models.

import { serviceFile, realServerFile } from "../../../provider/keepalived/layout";
import { nodeView } from "../../../provider/keepalived/model";
import { parseNodeConfig, parseRealServerFile, parseVirtualServerFile } from "../../../provider/keepalived/parse";
import { renderNodeConfig, renderRealServerBlock, renderVirtualServerBlock } from "../../../provider/keepalived/render";
import { PAIR_CASES, SERVICE_CASES, realServerInputs } from "./cases";
import { pairOf, realServerOf, serviceOf } from "./userInputs";

describe("every pair case reads back as the node's view", () => {
  it.each(PAIR_CASES)("%s", (_name, raw) => {
    const pair = pairOf(raw);
    for (const index of [0, 1] as const) {
      expect(parseNodeConfig(renderNodeConfig(pair, index))).toEqual(nodeView(pair, index));
    }
  });
});

describe("every service case reads back as its service, real servers and options", () => {
  it.each(SERVICE_CASES)("%s", (_name, c) => {
    const { service, options } = serviceOf(c.service);
    expect(parseVirtualServerFile(renderVirtualServerBlock(service, options), serviceFile(service.key))).toEqual({ service, options });
    for (const raw of realServerInputs(c)) {
      const { destination, options: rsOptions } = realServerOf(raw);
      const file = realServerFile(destination.service, destination.address, destination.port);
      expect(parseRealServerFile(renderRealServerBlock(destination, rsOptions), file, destination.service)).toEqual({ destination, options: rsOptions });
    }
  });
});

describe("what users write is what they read back", () => {
  it("two nodes' files together give back both nodes", () => {
    const pair = pairOf(PAIR_CASES.find(([name]) => name.startsWith("everything"))![1]);
    const views = ([0, 1] as const).map((i) => parseNodeConfig(renderNodeConfig(pair, i)));
    expect(views.map((v) => v.node)).toEqual(pair.nodes);
    expect(views[0]!.unicastPeers).toEqual([pair.nodes[1].unicastSrcIp]);
    expect(views[1]!.unicastPeers).toEqual([pair.nodes[0].unicastSrcIp]);
  });

  it("a loosely spelled IPv6 VIP and service address read back canonical", () => {
    const pair = pairOf(PAIR_CASES.find(([name]) => name.startsWith("IPv6 VIPs"))![1]);
    expect(parseNodeConfig(renderNodeConfig(pair, 0)).vips.map((v) => v.address)).toEqual(["fd00::100", "fd00::101"]);
    const { service, options } = serviceOf({ address: "FD00::0:100", port: 443 });
    expect(parseVirtualServerFile(renderVirtualServerBlock(service, options), "f").service.key).toEqual({ kind: "address", protocol: "tcp", address: "fd00::100", port: 443 });
  });

  it("free-form lines read back with single spaces, as the schema normalises them", () => {
    const pair = pairOf(PAIR_CASES.find(([name]) => name.startsWith("extraGlobalDefs"))![1]);
    expect(parseNodeConfig(renderNodeConfig(pair, 0)).extraGlobalDefs).toEqual(["vrrp_garp_interval 0.001", "vrrp_gna_interval 0.002"]);
  });
});
