// A VirtualService or RealServer create on a plain director whose earlier run was cut after
// the kernel change (issue 12): the entry it finds is exactly its own, so it carries on and
// saves the rules file it may not have saved; an entry that differs is still refused. The
// executor is replaced; the live tables are ipvsadm -S output as the lab's dir1 prints it.

jest.mock("../../../provider/ipvs/executor", () => ({
  readIpvsTable: jest.fn(),
  changeIpvsTable: jest.fn(async () => "/etc/ipvsadm.rules"),
  saveIpvsTable: jest.fn(async () => "/etc/ipvsadm.rules"),
  readConnectionCounts: jest.fn(),
  availableSchedulers: jest.fn(),
  isMissingSchedulerError: () => false,
}));
jest.mock("../../../provider/resource/connection", () => ({
  resolveConnection: (raw: any) => ({ host: raw.host, port: raw.port ?? 22, user: "root" }),
  observedHostKeyFingerprint: async () => "SHA256:" + "f".repeat(43),
}));

import * as executor from "../../../provider/ipvs/executor";
import { parseIpvsadmSave } from "../../../provider/ipvs/parse";
import { ipvsadmRealServerProvider } from "../../../provider/ipvs/realServerProvider";
import { ipvsadmVirtualServiceProvider } from "../../../provider/ipvs/virtualServiceProvider";
import { realServerProvider } from "../../../provider/service/realServerRouter";

const read = executor.readIpvsTable as jest.Mock;
const change = executor.changeIpvsTable as jest.Mock;
const save = executor.saveIpvsTable as jest.Mock;
const connection = { host: "10.77.0.11", password: "pw" };
const service = { connection, protocol: "tcp", address: "10.77.0.170", port: 80, scheduler: "rr", schedulerFlags: [], onePacket: false, adopt: false } as any;
const realServerRaw = { connection, service: { protocol: "tcp", address: "10.77.0.170", port: 80 }, address: "10.77.0.21", port: 80, forwarding: "dr", weight: 1 };
let realServer: any;
beforeAll(async () => {
  // The inputs as check hands them to create (defaults filled in).
  const checked = await realServerProvider.check!({}, realServerRaw);
  if (!checked.inputs) throw new Error(`the fixture's inputs fail check: ${JSON.stringify(checked.failures)}`);
  realServer = checked.inputs;
});

beforeEach(() => jest.clearAllMocks());

describe("VirtualService create", () => {
  it("carries on over exactly its own service, and saves the rules file", async () => {
    read.mockResolvedValue(parseIpvsadmSave("-A -t 10.77.0.170:80 -s rr\n"));
    await expect(ipvsadmVirtualServiceProvider.create(service)).resolves.toMatchObject({ outs: { rulesFile: "/etc/ipvsadm.rules" } });
    expect(change).not.toHaveBeenCalled();
    expect(save).toHaveBeenCalledTimes(1);
  });

  it("refuses a service of the same key with another configuration", async () => {
    read.mockResolvedValue(parseIpvsadmSave("-A -t 10.77.0.170:80 -s wlc\n"));
    await expect(ipvsadmVirtualServiceProvider.create(service)).rejects.toThrow(/already exists/);
    expect(change).not.toHaveBeenCalled();
  });
});

describe("RealServer create", () => {
  it("carries on over exactly its own destination, and saves the rules file", async () => {
    read.mockResolvedValue(parseIpvsadmSave("-A -t 10.77.0.170:80 -s rr\n-a -t 10.77.0.170:80 -r 10.77.0.21:80 -g -w 1\n"));
    await expect(ipvsadmRealServerProvider.create(realServer)).resolves.toMatchObject({ outs: { rulesFile: "/etc/ipvsadm.rules" } });
    expect(change).not.toHaveBeenCalled();
    expect(save).toHaveBeenCalledTimes(1);
  });

  it("refuses a destination of the same key with another weight", async () => {
    read.mockResolvedValue(parseIpvsadmSave("-A -t 10.77.0.170:80 -s rr\n-a -t 10.77.0.170:80 -r 10.77.0.21:80 -g -w 5\n"));
    await expect(ipvsadmRealServerProvider.create(realServer)).rejects.toThrow(/already exists/);
  });
});

describe("update and delete whose change was made by a run cut before the save (fault matrix, issue 12)", () => {
  const id = "10.77.0.11:22/tcp:10.77.0.170:80";

  it("VirtualService update with nothing left to change saves the rules file", async () => {
    read.mockResolvedValue(parseIpvsadmSave("-A -t 10.77.0.170:80 -s rr\n"));
    await ipvsadmVirtualServiceProvider.update(id, { ...service, serviceKey: "tcp:10.77.0.170:80" }, service);
    expect(change).not.toHaveBeenCalled();
    expect(save).toHaveBeenCalledTimes(1);
  });

  it("VirtualService delete of a service already gone from the kernel saves the rules file", async () => {
    read.mockResolvedValue(parseIpvsadmSave(""));
    await ipvsadmVirtualServiceProvider.delete(id, service);
    expect(save).toHaveBeenCalledTimes(1);
  });

  it("RealServer update with nothing left to change, and delete of one already gone, save the rules file", async () => {
    read.mockResolvedValue(parseIpvsadmSave("-A -t 10.77.0.170:80 -s rr\n-a -t 10.77.0.170:80 -r 10.77.0.21:80 -g -w 1\n"));
    await ipvsadmRealServerProvider.update("10.77.0.11:22/tcp:10.77.0.170:80->10.77.0.21:80", realServer, realServer);
    read.mockResolvedValue(parseIpvsadmSave("-A -t 10.77.0.170:80 -s rr\n"));
    await ipvsadmRealServerProvider.delete("10.77.0.11:22/tcp:10.77.0.170:80->10.77.0.21:80", realServer);
    expect(change).not.toHaveBeenCalled();
    expect(save).toHaveBeenCalledTimes(2);
  });
});
