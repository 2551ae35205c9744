// A KeepalivedPair create cut by a lost connection (or a killed run) leaves the BACKUP
// with the pair's files. What exists and matches exactly what this pair would write is
// its own: the next create carries on. Different pulumi-lvs content is still refused.

jest.mock("../../../provider/keepalived/executor", () => ({ applyToPair: jest.fn(async () => undefined), readNodeFiles: jest.fn(), readAdoptedConfig: jest.fn(), removePairFromNode: jest.fn() }));
jest.mock("../../../provider/resource/connection", () => ({
  resolveConnection: (raw: any) => ({ host: raw.host, port: 22, user: "root" }),
  observedHostKeyFingerprint: async () => "SHA256:" + "f".repeat(43),
}));

import * as executor from "../../../provider/keepalived/executor";
import { MAIN_FILE } from "../../../provider/keepalived/layout";
import { keepalivedPairProvider } from "../../../provider/keepalived/pairProvider";
import { renderNodeConfig } from "../../../provider/keepalived/render";
import { KeepalivedPairInputsSchema, pairConfigOf, type KeepalivedPairInputs } from "../../../provider/keepalived/schema";
import { AlreadyExistsError } from "../../../provider/resource/errors";
import { AdoptedConfigUnreadableError } from "../../../provider/keepalived/errors";
import { KEEPALIVED_CONF } from "../../../provider/keepalived/layout";
import { MINIMAL_PAIR } from "./userInputs";

const read = executor.readNodeFiles as jest.Mock;
const apply = executor.applyToPair as jest.Mock;
const readAdopted = executor.readAdoptedConfig as jest.Mock;
const inputs = KeepalivedPairInputsSchema.parse(MINIMAL_PAIR) as KeepalivedPairInputs;
const own = (i: 0 | 1) => renderNodeConfig(pairConfigOf(inputs), i);
const node = (main: "ours" | "foreign" | "absent", text?: string) => ({ main, files: new Map([[MAIN_FILE, text]]) });

beforeEach(() => jest.clearAllMocks());

describe("KeepalivedPair create on nodes a cut run left behind", () => {
  it.each<[string, ReturnType<typeof node>, ReturnType<typeof node>]>([
    ["the BACKUP took the change, the MASTER did not", node("ours", own(1)), node("absent")],
    ["both nodes took it (cut before the run recorded the resource)", node("ours", own(1)), node("ours", own(0))],
    ["our include was written but the configuration behind it was not", node("ours", undefined), node("absent")],
  ])("%s: carries on", async (_what, h2, h1) => {
    read.mockImplementation(async (c: { host: string }) => (c.host === "h1" ? h1 : h2));
    await expect(keepalivedPairProvider.create(inputs)).resolves.toMatchObject({ id: expect.stringContaining("VI_51") });
    expect(apply).toHaveBeenCalledTimes(1);
  });

  it("another pair's configuration (different content) is still refused", async () => {
    read.mockImplementation(async (c: { host: string }) => (c.host === "h1" ? node("absent") : node("ours", own(1).replace("virtual_router_id 51", "virtual_router_id 52"))));
    await expect(keepalivedPairProvider.create(inputs)).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(apply).not.toHaveBeenCalled();
  });

  it("the other node's file is not ours on this node (each node has its own priority)", async () => {
    read.mockImplementation(async (c: { host: string }) => (c.host === "h1" ? node("absent") : node("ours", own(0))));
    await expect(keepalivedPairProvider.create(inputs)).rejects.toBeInstanceOf(AlreadyExistsError);
  });
});

describe("KeepalivedPair create with adopt on nodes with a keepalived.conf written by hand", () => {
  const adopting = { ...inputs, adopt: true };
  const handMade = `vrrp_instance VI_51 {\n state MASTER\n interface eth1\n virtual_router_id 51\n priority 150\n virtual_ipaddress { 10.0.0.100 }\n}\nvirtual_server 10.0.0.100 80 {\n lb_algo rr\n lb_kind DR\n real_server 10.0.1.1 80 { weight 1 }\n}\n`;

  it("carries each node's hand-made virtual servers into the pair's first generation, before the pair's own files", async () => {
    read.mockImplementation(async (c: { host: string }) => (c.host === "h1" ? node("foreign") : node("absent")));
    readAdopted.mockImplementation(async (c: { host: string }) => (c.host === "h1" ? { [KEEPALIVED_CONF]: handMade } : {}));
    await keepalivedPairProvider.create(adopting);
    const [, opsPerNode] = apply.mock.calls[0]!;
    expect(opsPerNode[0].map((o: { path: string }) => o.path)).toEqual(["services/tcp_10.0.0.100_80.vs", "services/tcp_10.0.0.100_80.d/10.0.1.1_80.conf", MAIN_FILE, expect.stringMatching(/^services\/0-/)]);
    expect(opsPerNode[1].map((o: { path: string }) => o.path)).toEqual([MAIN_FILE, expect.stringMatching(/^services\/0-/)]);
  });

  it("reads again a node whose adoption was cut before its first generation went live (its keepalived.conf moved aside)", async () => {
    read.mockImplementation(async () => node("ours", undefined));
    readAdopted.mockImplementation(async () => ({ [KEEPALIVED_CONF]: handMade }));
    await keepalivedPairProvider.create(adopting);
    expect(readAdopted).toHaveBeenCalledTimes(2);
    expect(apply.mock.calls[0]![1][0]).toHaveLength(4);
  });

  it("a node already running the pair's generation is not read again: its tree holds what was carried", async () => {
    read.mockImplementation(async (c: { host: string }) => (c.host === "h1" ? node("ours", own(0)) : node("ours", own(1))));
    await keepalivedPairProvider.create(adopting);
    expect(readAdopted).not.toHaveBeenCalled();
  });

  it("without adopt nothing is read or carried", async () => {
    read.mockImplementation(async () => node("absent"));
    await keepalivedPairProvider.create(inputs);
    expect(readAdopted).not.toHaveBeenCalled();
  });

  it("a line that cannot be carried as it is stops the create before any node changes, naming the host", async () => {
    read.mockImplementation(async () => node("foreign"));
    readAdopted.mockImplementation(async () => ({ [KEEPALIVED_CONF]: 'virtual_server 10.0.0.1 80 {\n real_server 10.0.1.1 80 { MISC_CHECK { misc_path "/bin/c $_x" } }\n}\n' }));
    const error = await keepalivedPairProvider.create(adopting).catch((e) => e);
    expect(error).toBeInstanceOf(AdoptedConfigUnreadableError);
    expect(error.message).toMatch(/on root@h1:22: .*\$_.*Nothing was changed/);
    expect(apply).not.toHaveBeenCalled();
  });
});
