// A VirtualService or RealServer on a KeepalivedPair (issue 12): a create cut after one
// node took the file carries on when the file is exactly its own (different content is
// still refused), and a refresh that finds the file on one node only reports that node
// as drift instead of reading the other node's copy.

jest.mock("../../../provider/keepalived/executor", () => ({ applyToPair: jest.fn(async () => undefined), readNodeFiles: jest.fn() }));
jest.mock("../../../provider/ipvs/executor", () => ({ readIpvsTable: jest.fn(async () => ({ services: [] })) }));
jest.mock("../../../provider/resource/connection", () => ({
  resolveConnection: (raw: any) => ({ host: raw.host, port: 22, user: "root" }),
  observedHostKeyFingerprint: async () => "SHA256:" + "f".repeat(43),
}));

import * as executor from "../../../provider/keepalived/executor";
import { serviceFile } from "../../../provider/keepalived/layout";
import { renderVirtualServerBlock } from "../../../provider/keepalived/render";
import { toIpvsService } from "../../../provider/ipvs/schema";
import { diffVirtualService, virtualServiceProvider } from "../../../provider/service/virtualServiceRouter";
import { VirtualServiceInputsSchema } from "../../../provider/service/schema";
import { AlreadyExistsError } from "../../../provider/resource/errors";
import { PAIR_TARGET } from "./userInputs";

const read = executor.readNodeFiles as jest.Mock;
const apply = executor.applyToPair as jest.Mock;
const inputs = VirtualServiceInputsSchema.parse({ keepalived: PAIR_TARGET, protocol: "tcp", address: "10.0.0.100", port: 80, scheduler: "rr" }) as any;
const service = toIpvsService(inputs);
const file = serviceFile(service.key);
const own = renderVirtualServerBlock(service, {});
const node = (text?: string) => ({ main: "ours", files: new Map([[file, text]]) });

beforeEach(() => jest.clearAllMocks());

describe("VirtualService create on a pair, after a cut", () => {
  it("carries on when a node already has exactly its file", async () => {
    read.mockImplementation(async (c: { host: string }) => (c.host === "h1" ? node(undefined) : node(own)));
    await expect(virtualServiceProvider.create(inputs)).resolves.toMatchObject({ outs: { missingOn: [] } });
    expect(apply).toHaveBeenCalledTimes(1);
  });

  it("refuses a file of the same service with other content", async () => {
    read.mockImplementation(async (c: { host: string }) => (c.host === "h1" ? node(undefined) : node(own.replace("lb_algo rr", "lb_algo wlc"))));
    await expect(virtualServiceProvider.create(inputs)).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(apply).not.toHaveBeenCalled();
  });
});

describe("refresh of a VirtualService on a pair", () => {
  const state = { ...inputs, serviceKey: "tcp:10.0.0.100:80", missingOn: [] };

  it("reports the node that lost its file, and diff makes that an update", async () => {
    read.mockImplementation(async (c: { host: string }) => (c.host === "h1" ? node(undefined) : node(own)));
    const refreshed = await virtualServiceProvider.read("h1:22,h2:22/tcp:10.0.0.100:80", state);
    expect(refreshed.props?.["missingOn"]).toEqual(["root@h1:22"]);
    expect(diffVirtualService(refreshed.props!, { ...inputs }).updates).toContain("missingOn");
  });

  it("reads no drift when both nodes have it", async () => {
    read.mockImplementation(async () => node(own));
    const refreshed = await virtualServiceProvider.read("h1:22,h2:22/tcp:10.0.0.100:80", state);
    expect(refreshed.props?.["missingOn"]).toEqual([]);
    expect(diffVirtualService(refreshed.props!, { ...inputs })).toEqual({ replaces: [], updates: [] });
  });
});
