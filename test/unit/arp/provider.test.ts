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
