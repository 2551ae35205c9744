// A VirtualService or RealServer create on a plain director adds its entry at once, in one
// round trip, and reads the table only when the kernel refuses the add (issue 13). Whose
// earlier run was cut after the kernel change (issue 12): the entry it finds is exactly its
// own, so it carries on and saves the rules file it may not have saved; an entry that
// differs is still refused. The executor's host side is replaced (its error predicates are
// the real ones); the live tables are ipvsadm -S output as the lab's dir1 prints it, the
// refusals ipvsadm 1.31's own messages.

jest.mock("../../../provider/ipvs/executor", () => {
  const actual = jest.requireActual("../../../provider/ipvs/executor");
  return {
    readIpvsTable: jest.fn(),
    changeIpvsTable: jest.fn(async () => "/etc/ipvsadm.rules"),
    saveIpvsTable: jest.fn(async () => "/etc/ipvsadm.rules"),
    readConnectionCounts: jest.fn(),
    availableSchedulers: jest.fn(),
    isMissingSchedulerError: () => false,
    isAlreadyInKernelError: actual.isAlreadyInKernelError,
    isServiceMissingError: actual.isServiceMissingError,
  };
});
jest.mock("../../../provider/resource/connection", () => ({
  resolveConnection: (raw: any) => ({ host: raw.host, port: raw.port ?? 22, user: "root" }),
  observedHostKeyFingerprint: async () => "SHA256:" + "f".repeat(43),
}));

import * as executor from "../../../provider/ipvs/executor";
import { IpvsChangeError } from "../../../provider/ipvs/errors";
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

/** The kernel's refusal of the next add, as the batch reports it. */
function refuseNextAdd(message: string): void {
  change.mockRejectedValueOnce(new IpvsChangeError({ host: "root@10.77.0.11:22", command: "ipvsadm -a ...", exitCode: 255, stderr: `${message}\n` }));
}

describe("a create adds at once", () => {
  it("VirtualService: one change, no read", async () => {
    await expect(ipvsadmVirtualServiceProvider.create(service)).resolves.toMatchObject({ outs: { rulesFile: "/etc/ipvsadm.rules" } });
    expect(change.mock.calls.map((c) => c[1])).toEqual([["ipvsadm", "-A", "-t", "10.77.0.170:80", "-s", "rr"]]);
    expect(read).not.toHaveBeenCalled();
  });

  it("RealServer: one change, no read", async () => {
    await ipvsadmRealServerProvider.create(realServer);
    expect(change.mock.calls.map((c) => c[1])).toEqual([["ipvsadm", "-a", "-t", "10.77.0.170:80", "-r", "10.77.0.21:80", "-g", "-w", "1", "-x", "0", "-y", "0"]]);
    expect(read).not.toHaveBeenCalled();
  });

  it("RealServer whose service is not there: says to create the VirtualService first", async () => {
    refuseNextAdd("Service not defined");
    await expect(ipvsadmRealServerProvider.create(realServer)).rejects.toThrow(/that service does not exist there\. Create its VirtualService first/);
    expect(read).not.toHaveBeenCalled();
  });

  it("another refusal is the kernel's own error, and nothing is read", async () => {
    refuseNextAdd("Different address family is allowed only for tunneling servers");
    await expect(ipvsadmRealServerProvider.create(realServer)).rejects.toBeInstanceOf(IpvsChangeError);
    expect(read).not.toHaveBeenCalled();
  });
});

describe("VirtualService create over a service already in the kernel", () => {
  beforeEach(() => refuseNextAdd("Service already exists"));

  it("carries on over exactly its own service, and saves the rules file", async () => {
    read.mockResolvedValue(parseIpvsadmSave("-A -t 10.77.0.170:80 -s rr\n"));
    await expect(ipvsadmVirtualServiceProvider.create(service)).resolves.toMatchObject({ outs: { rulesFile: "/etc/ipvsadm.rules" } });
    expect(change).toHaveBeenCalledTimes(1); // the refused add
    expect(save).toHaveBeenCalledTimes(1);
  });

  it("refuses a service of the same key with another configuration", async () => {
    read.mockResolvedValue(parseIpvsadmSave("-A -t 10.77.0.170:80 -s wlc\n"));
    await expect(ipvsadmVirtualServiceProvider.create(service)).rejects.toThrow(/already exists/);
    expect(change).toHaveBeenCalledTimes(1);
  });

  it("with adopt, takes a differing service over as declared", async () => {
    read.mockResolvedValue(parseIpvsadmSave("-A -t 10.77.0.170:80 -s wlc\n"));
    await ipvsadmVirtualServiceProvider.create({ ...service, adopt: true });
    expect(change.mock.calls.map((c) => c[1])).toEqual([
      ["ipvsadm", "-A", "-t", "10.77.0.170:80", "-s", "rr"],
      ["ipvsadm", "-E", "-t", "10.77.0.170:80", "-s", "rr"],
    ]);
  });
});

describe("RealServer create over a destination already in the kernel", () => {
  beforeEach(() => refuseNextAdd("Destination already exists"));

  it("carries on over exactly its own destination, and saves the rules file", async () => {
    read.mockResolvedValue(parseIpvsadmSave("-A -t 10.77.0.170:80 -s rr\n-a -t 10.77.0.170:80 -r 10.77.0.21:80 -g -w 1\n"));
    await expect(ipvsadmRealServerProvider.create(realServer)).resolves.toMatchObject({ outs: { rulesFile: "/etc/ipvsadm.rules" } });
    expect(change).toHaveBeenCalledTimes(1); // the refused add
    expect(save).toHaveBeenCalledTimes(1);
  });

  it("refuses a destination of the same key with another weight", async () => {
    read.mockResolvedValue(parseIpvsadmSave("-A -t 10.77.0.170:80 -s rr\n-a -t 10.77.0.170:80 -r 10.77.0.21:80 -g -w 5\n"));
    await expect(ipvsadmRealServerProvider.create(realServer)).rejects.toThrow(/already exists/);
    expect(change).toHaveBeenCalledTimes(1);
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
