// The provider's decisions that the lab cannot show: diff tables, and the ipvsadm
// install path (the lab's hosts all have ipvsadm, and none can reach a package mirror).
// The executor is replaced by a recorder that answers with probe output captured on dir2.

import { readFileSync } from "fs";
import { join } from "path";
import { parseProbeOutput } from "../../../provider/director/probe";
import type { LiveDirector } from "../../../provider/director/model";

/** The operations each probe-and-apply would run, as planned from the probe; they all succeed. */
const mockApply = jest.fn(async (_ops: unknown, _policy: unknown) => ({ ok: true }));
jest.mock("../../../provider/director/executor", () => {
  const probeDirector = jest.fn();
  return {
    probeDirector,
    installIpvsadm: jest.fn(),
    // The probe answered by probeDirector's recorder, the planned operations recorded (the
    // lab tests run the real script): a plan that throws changes nothing.
    probeAndApply: async (connection: unknown, action: unknown, names: unknown, plan: (live: unknown) => unknown, policy: unknown) => {
      const live = await probeDirector(connection, action, names);
      return { live, outcome: await mockApply(plan(live), policy) };
    },
  };
});
jest.mock("../../../provider/resource/connection", () => ({
  resolveConnection: (raw: any) => ({ host: raw.host, port: raw.port ?? 22, user: raw.user ?? "root" }),
  observedHostKeyFingerprint: async () => "SHA256:" + "f".repeat(43),
}));

import * as executor from "../../../provider/director/executor";
import { IpvsadmInstallError, IpvsadmMissingError, diffDirector, directorProvider, type DirectorInputs } from "../../../provider/director";

const probe = executor.probeDirector as jest.Mock;
const install = executor.installIpvsadm as jest.Mock;
const apply = mockApply;

const connection = { host: "10.0.0.12", password: "pw" };
const base = { connection, mode: "nat", interfaces: [], ipv6Forwarding: false, installIpvsadm: false, adopt: false };
const dir2 = (): LiveDirector => parseProbeOutput(readFileSync(join(__dirname, "fixtures", "probe-dir2-before-create.txt"), "utf8"));
const withoutIpvsadm = (): LiveDirector => ({ ...dir2(), ipvsadmPresent: false });

describe("diffDirector", () => {
  const state = {
    ...base,
    appliedSysctls: { "net.ipv4.ip_forward": "1", "net.ipv4.vs.expire_nodest_conn": "1", "net.ipv4.vs.expire_quiescent_template": "1" },
    vipBound: false,
    persisted: { modulesLoad: true, sysctlFile: true, vipUnit: true },
  };
  it.each<[string, Record<string, any>, Record<string, any>, { replaces: string[]; updates: string[] }]>([
    ["nothing changed", state, base, { replaces: [], updates: [] }],
    ["mode: replace", state, { ...base, mode: "dr" }, { replaces: ["mode"], updates: ["appliedSysctls"] }],
    ["another host: replace", state, { ...base, connection: { ...connection, host: "10.0.0.13" } }, { replaces: ["connection"], updates: [] }],
    ["same host, new credentials: in place", state, { ...base, connection: { ...connection, password: "new" } }, { replaces: [], updates: ["connection"] }],
    ["ipv6Forwarding: in place", state, { ...base, ipv6Forwarding: true }, { replaces: [], updates: ["ipv6Forwarding", "appliedSysctls"] }],
    ["vip added: in place", state, { ...base, vip: { address: "10.0.0.100", interface: "eth1", prefixLength: 32 } }, { replaces: [], updates: ["vip", "vipBound"] }],
    ["ip_forward reset by hand (after refresh)", { ...state, appliedSysctls: { ...state.appliedSysctls, "net.ipv4.ip_forward": "0" } }, base, { replaces: [], updates: ["appliedSysctls"] }],
    ["a sysctl that no longer exists (after refresh)", { ...state, appliedSysctls: { "net.ipv4.ip_forward": "1" } }, base, { replaces: [], updates: ["appliedSysctls"] }],
    ["VIP unbound by hand", { ...state, vip: { address: "10.0.0.100", interface: "eth1", prefixLength: 32 } }, { ...base, vip: { address: "10.0.0.100", interface: "eth1", prefixLength: 32 } }, { replaces: [], updates: ["vipBound"] }],
    ["sysctl.d file edited", { ...state, persisted: { ...state.persisted, sysctlFile: false } }, base, { replaces: [], updates: ["persisted"] }],
  ])("%s", (_name, olds, news, expected) => {
    expect(diffDirector(olds, news)).toEqual(expected);
  });

  it("asks for delete-before-replace, so two Directors never share the host's files", async () => {
    expect(await directorProvider.diff("h", state, { ...base, mode: "tun" })).toEqual({ changes: true, replaces: ["mode"], deleteBeforeReplace: true });
  });
});

describe("ipvsadm missing", () => {
  beforeEach(() => jest.clearAllMocks());

  it("without installIpvsadm: a clear error, and nothing is installed or changed", async () => {
    probe.mockResolvedValueOnce(withoutIpvsadm());
    const attempt = directorProvider.create(base as DirectorInputs);
    await expect(attempt).rejects.toThrow(IpvsadmMissingError);
    await expect(attempt).rejects.toThrow(
      "cannot prepare the director root@10.0.0.12:22: ipvsadm is not installed there (`ipvsadm --version` answered \"command not found\", exit 127, " +
        "on the PATH of the remote command). Install it with `apt-get install ipvsadm`, or set `installIpvsadm: true` on the Director to let it install the package.",
    );
    expect(install).not.toHaveBeenCalled();
    expect(apply).not.toHaveBeenCalled();
  });

  it("with installIpvsadm: installs, probes again, then prepares the host", async () => {
    probe.mockResolvedValueOnce(withoutIpvsadm()).mockResolvedValueOnce(dir2());
    install.mockResolvedValueOnce({ exitCode: 0, stderr: "" });
    const created = await directorProvider.create({ ...base, installIpvsadm: true } as DirectorInputs);
    expect(install).toHaveBeenCalledTimes(1);
    expect(probe).toHaveBeenCalledTimes(2);
    expect(apply).toHaveBeenCalledTimes(1);
    expect(created.outs.appliedSysctls["net.ipv4.ip_forward"]).toBe("1");
  });

  it("with installIpvsadm, when the package manager fails: its own words, and what to check", async () => {
    probe.mockResolvedValueOnce(withoutIpvsadm());
    install.mockResolvedValueOnce({ exitCode: 100, stderr: "E: Unable to locate package ipvsadm\n" });
    const attempt = directorProvider.create({ ...base, installIpvsadm: true } as DirectorInputs);
    await expect(attempt).rejects.toThrow(IpvsadmInstallError);
    await expect(attempt).rejects.toThrow(/exited with 100: E: Unable to locate package ipvsadm\. Check that the host can reach its package repositories/);
    expect(apply).not.toHaveBeenCalled();
  });
});

describe("a create cut half-way, then run again (issue 12)", () => {
  const inputs = { ...base, mode: "dr", interfaces: ["eth1"] } as unknown as DirectorInputs;

  /** The host as the first create left it when its connection dropped after `steps` of its plan. */
  async function cutAfter(steps: number): Promise<LiveDirector> {
    probe.mockResolvedValue(dir2());
    apply.mockClear();
    await directorProvider.create(inputs);
    const { planDirector } = await import("../../../provider/director/plan");
    const { desiredDirector } = await import("../../../provider/director/model");
    const ops = planDirector(dir2(), desiredDirector(inputs)).slice(0, steps);
    const live = dir2();
    for (const op of ops) if (op.kind === "writeFile") live.files[op.file] = op.content;
    return live;
  }

  it.each([1, 2, 3])("carries on when the files it finds are the ones it writes (cut after %i steps)", async (steps) => {
    const live = await cutAfter(steps);
    probe.mockResolvedValue(live);
    await expect(directorProvider.create(inputs)).resolves.toMatchObject({ id: "10.0.0.12:22" });
  });

  it("still refuses another Director's files", async () => {
    const live = await cutAfter(3);
    live.files.sysctl = "# another Director's settings\nnet.ipv4.ip_forward = 1\n";
    probe.mockResolvedValue(live);
    await expect(directorProvider.create(inputs)).rejects.toThrow(/already exists there/);
  });
});
