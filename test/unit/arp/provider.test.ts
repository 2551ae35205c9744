// The provider's decisions that the lab cannot show (or not safely): refusals for a host
// without ipip, with IPv6 disabled, without a default route; and what create sends. The
// executor is replaced by a recorder that answers with probe output captured on rs1.

import { readFileSync } from "fs";
import { join } from "path";
import { parseArpProbeOutput } from "../../../provider/arp/probe";
import type { LiveArp } from "../../../provider/arp/model";

jest.mock("../../../provider/arp/executor", () => ({
  probeArp: jest.fn(),
  applyArpOps: jest.fn(async () => ({ ok: true })),
}));
jest.mock("../../../provider/resource/connection", () => ({
  resolveConnection: (raw: any) => ({ host: raw.host, port: raw.port ?? 22, user: raw.user ?? "root" }),
  observedHostKeyFingerprint: async () => "SHA256:" + "f".repeat(43),
}));

import * as executor from "../../../provider/arp/executor";
import { ArpInterfaceError, ArpVipConflictError, IpipModuleError, Ipv6DisabledError, realServerArpConfigProvider as provider, type ArpInputs } from "../../../provider/arp";

const probe = executor.probeArp as jest.Mock;
const apply = executor.applyArpOps as jest.Mock;
const rs1 = (): LiveArp => parseArpProbeOutput(readFileSync(join(__dirname, "fixtures", "probe-rs1-before-create.txt"), "utf8"));
const connection = { host: "10.77.0.21", password: "pw" };
const inputs = (over: Partial<ArpInputs> = {}): ArpInputs => ({ connection, vips: ["10.77.0.210"], mode: "dr", persist: true, ...over }) as ArpInputs;

beforeEach(() => jest.clearAllMocks());

describe("create", () => {
  it("takes the default route's interface, records first, binds last, and names the resource by host and key", async () => {
    probe.mockResolvedValue(rs1());
    const { id, outs } = await provider.create(inputs());
    expect(outs.appliedInterfaces).toEqual(["eth0"]);
    expect(outs.recordKey).toMatch(/^[0-9a-f]{12}$/);
    expect(id).toBe(`10.77.0.21:22/arp:${outs.recordKey}`);
    const ops = apply.mock.calls[0][1] as { kind: string }[];
    expect(ops[0]!.kind).toBe("register");
    expect(ops[ops.length - 1]!.kind).toBe("bindVip");
    expect(outs.originalSysctls["net.ipv4.conf.all.arp_ignore"]).toBe(rs1().sysctls["net.ipv4.conf.all.arp_ignore"]);
  });

  it.each<[string, (l: LiveArp) => LiveArp, Partial<ArpInputs>, jest.Constructable, RegExp]>([
    ["tun without ipip", (l) => ({ ...l, ipipLoaded: false, ipipLoadError: "modprobe: FATAL: Module ipip not found in directory /lib/modules/6.1.0-x" }), { mode: "tun" }, IpipModuleError, /ipip kernel module could not be loaded.*Module ipip not found/],
    ["an IPv6 VIP with IPv6 disabled", (l) => ({ ...l, ipv6Disabled: true }), { vips: ["10.77.0.210", "fd77::210"] }, Ipv6DisabledError, /IPv6 VIP fd77::210 .*IPv6 is disabled/],
    ["no default route", (l) => ({ ...l, defaultRouteInterfaces: [] }), {}, ArpInterfaceError, /no default route.*`interfaces`/],
    ["a missing interface", (l) => l, { interfaces: ["eth9"] }, ArpInterfaceError, /eth9 does not exist there/],
    ["the host's own address as VIP", (l) => l, { vips: ["10.77.0.21"] }, ArpVipConflictError, /10\.77\.0\.21 on eth1/],
  ])("refuses %s before changing anything", async (_name, alter, over, type, message) => {
    probe.mockResolvedValue(alter(rs1()));
    const err = await provider.create(inputs(over)).catch((e: Error) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
    expect(apply).not.toHaveBeenCalled();
  });
});

describe("a create cut half-way, then run again (issue 12)", () => {
  const owned = (over: Partial<ArpInputs> = {}) => ({ ...inputs(over), recordOwner: "proj/dev/rs1-arp" }) as ArpInputs;

  it("derives the record key from the owner and the record's identity: the same resource finds the same record again", async () => {
    probe.mockResolvedValue(rs1());
    const first = (await provider.create(owned())).outs.recordKey;
    const again = (await provider.create(owned())).outs.recordKey;
    expect(again).toBe(first);
    expect((await provider.create({ ...owned(), recordOwner: "proj/prod/rs1-arp" } as ArpInputs)).outs.recordKey).not.toBe(first);
    // A replacement (other VIPs) never shares the key of the record it replaces.
    expect((await provider.create(owned({ vips: ["10.77.0.211"] }))).outs.recordKey).not.toBe(first);
  });

  it("carries on over its own record and its own bound VIP instead of refusing the VIP as someone else's", async () => {
    probe.mockResolvedValue(rs1());
    const key = (await provider.create(owned())).outs.recordKey as string;
    // What the cut run left: the record written and the VIP bound on lo.
    const cut: LiveArp = { ...rs1(), files: { record: "sysctl net.ipv4.conf.all.arp_ignore\nvip 10.77.0.210/32 lo\n" }, records: { [key]: "vip 10.77.0.210/32 lo\n" }, addresses: [...rs1().addresses, { interface: "lo", address: "10.77.0.210", prefixLength: 32 }] };
    probe.mockResolvedValue(cut);
    await expect(provider.create(owned())).resolves.toMatchObject({ outs: { recordKey: key } });
  });

  it("check keeps the owner the resource class set, and refuses one that is not text", async () => {
    const ok = await provider.check({}, { ...inputs(), recordOwner: "proj/dev/x" });
    expect(ok.inputs?.["recordOwner"]).toBe("proj/dev/x");
    const bad = await provider.check({}, { ...inputs(), recordOwner: "a\u0000b" });
    expect(bad.failures?.[0]?.property).toBe("recordOwner");
  });
});

describe("a record removed from the host with its VIP still bound (issue 12: the orphaned VIP)", () => {
  const bound = (): LiveArp => ({ ...rs1(), addresses: [...rs1().addresses, { interface: "lo", address: "10.77.0.210", prefixLength: 32 }] });
  const state = { ...inputs(), recordKey: "0123456789ab", appliedInterfaces: ["eth0"], boundVips: ["10.77.0.210"] };

  it("read reports the resource (drifted), not gone, so refresh keeps it and destroy still removes the VIP", async () => {
    probe.mockResolvedValue(bound());
    const read = await provider.read("10.77.0.21:22/arp:0123456789ab", state);
    expect(read.props?.["boundVips"]).toEqual(["10.77.0.210"]);
    expect(read.props?.["persisted"]).toMatchObject({ sysctlFile: false });
    probe.mockResolvedValue(rs1());
    expect(await provider.read("10.77.0.21:22/arp:0123456789ab", state)).toEqual({});
  });

  it("delete removes the VIPs its state says it bound (the script spares any another record needs)", async () => {
    probe.mockResolvedValue(bound());
    await provider.delete("10.77.0.21:22/arp:0123456789ab", state);
    expect(apply.mock.calls[0][1]).toEqual([{ kind: "forgetVips", vips: [{ address: "10.77.0.210", prefixLength: 32, device: "lo" }] }]);
  });

  it("update takes its own VIP back instead of refusing it as a stranger's", async () => {
    probe.mockResolvedValue(bound());
    await expect(provider.update("10.77.0.21:22/arp:0123456789ab", state, inputs())).resolves.toBeDefined();
    probe.mockResolvedValue(bound());
    await expect(provider.create(inputs())).rejects.toThrow(/no RealServerArpConfig record on the host .* names it/);
  });
});
