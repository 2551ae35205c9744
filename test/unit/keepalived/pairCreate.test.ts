// A KeepalivedPair create cut by a lost connection (or a killed run) leaves the BACKUP
// with the pair's files. What exists and matches exactly what this pair would write is
// its own: the next create carries on. Different pulumi-lvs content is still refused.

jest.mock("../../../provider/keepalived/executor", () => ({ applyToPair: jest.fn(async () => undefined), readNodeFiles: jest.fn(), removePairFromNode: jest.fn() }));
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
import { MINIMAL_PAIR } from "./userInputs";

const read = executor.readNodeFiles as jest.Mock;
const apply = executor.applyToPair as jest.Mock;
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
