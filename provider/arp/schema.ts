// The RealServerArpConfig's inputs: one zod schema is the only validation. `check`
// reports every failure at once, each under its property path with what to do; the
// provider then works on the normalised result (VIPs canonical and sorted, defaults in).

import { isIP } from "net";
import { z } from "zod";
import { canonicalAddress, isClientReachableUnicast } from "../resource/address";
import { expects, strictObject } from "../resource/inputFields";
import { interfaceNameField } from "../resource/interfaceName";
import type { Equals } from "../typeEquality";
import { ARP_MODES, type ArpInputs } from "./model";

// Declared in the zod-free model; re-exported so that imports from here keep working.
export { ARP_MODES, type ArpInputs, type ArpMode } from "./model";

/** Always set: listing them is a mistake worth pointing out. */
const ALWAYS_SET = new Set(["all", "lo"]);

const interfaceName = interfaceNameField.refine((name) => name !== "default", { error: 'must be a network interface name, not the sysctl group "default"' });

const vipAddress = z
  .string(expects("an IPv4 or IPv6 address, such as 10.0.0.100 or fd00::100"))
  .refine((a) => !a.includes("%") && !a.includes("/") && isIP(a) !== 0, {
    error: "must be a bare IPv4 or IPv6 address, such as 10.0.0.100 or fd00::100 (no prefix length: VIPs are bound as /32 or /128; no zone)",
  })
  .refine((a) => isIP(a) === 0 || isClientReachableUnicast(canonicalAddress(a) ?? a), { error: "must be a unicast address clients can reach (not unspecified, loopback or multicast)" })
  .transform((a) => canonicalAddress(a) ?? a);

export const ArpInputsSchema = strictObject({
  /** Validated by the SSH connection schema (checkWithSchema reports its issues). */
  connection: z.unknown(),
  vips: z.array(vipAddress, expects('a list of VIPs, such as ["10.0.0.100", "fd00::100"]')).min(1, { error: "must list at least one VIP" }),
  mode: z.enum(ARP_MODES, {
    error: (iss) => (iss.input === undefined ? 'is required: "dr" or "tun" (how the director forwards to this real server)' : 'must be "dr" or "tun"'),
  }),
  /** Besides all and lo; default: the interface of the default route, found on the host. */
  interfaces: z.array(interfaceName, expects('a list of interface names, such as ["eth1"]')).optional(),
  persist: z.boolean({ error: "must be true or false" }).default(true),
  adopt: z.boolean({ error: "must be true or false" }).optional(),
})
  .superRefine((inputs, ctx) => {
    const seen = new Set<string>();
    inputs.vips.forEach((vip, i) => {
      if (seen.has(vip)) ctx.addIssue({ code: "custom", path: ["vips", i], message: `lists ${vip} twice; list each VIP once` });
      seen.add(vip);
      if (inputs.mode === "tun" && isIP(vip) === 6) {
        ctx.addIssue({
          code: "custom",
          path: ["vips", i],
          message: `is IPv6, which tun mode does not support here (IPVS tunnels IPv6 in ip6tnl, not ipip/tunl0); use mode "dr" for IPv6 VIPs, or a separate RealServerArpConfig`,
        });
      }
    });
    const names = new Set<string>();
    (inputs.interfaces ?? []).forEach((name, i) => {
      if (ALWAYS_SET.has(name)) ctx.addIssue({ code: "custom", path: ["interfaces", i], message: `"${name}" is always set; list only real interfaces here` });
      else if (names.has(name)) ctx.addIssue({ code: "custom", path: ["interfaces", i], message: `lists ${name} twice; list each interface once` });
      names.add(name);
    });
  })
  .transform((inputs) => ({ ...inputs, vips: [...inputs.vips].sort(compareAddresses) }));

/** IPv4 before IPv6, then by text: one order, so state never changes by reordering. */
export function compareAddresses(a: string, b: string): number {
  const fa = isIP(a);
  const fb = isIP(b);
  if (fa !== fb) return fa - fb;
  return a < b ? -1 : a > b ? 1 : 0;
}

// The schema produces exactly the model's ArpInputs (written out there so that the
// published declarations never name zod). `connection` is left to the SSH schema.
const _sameInputs: Equals<Omit<ArpInputs, "connection">, Omit<z.output<typeof ArpInputsSchema>, "connection">> = true;
