// The Director's inputs: one zod schema is the only validation. `check` reports every
// failure at once, each under its property path with what to do, before any host is
// touched; the provider then works only on the normalised result (defaults filled in,
// addresses in canonical form), so state always has one shape.

import { isIP } from "net";
import { z } from "zod";
import { canonicalAddress, isClientReachableUnicast } from "../resource/address";
import { expects, strictObject } from "../resource/inputFields";
import { interfaceNameField } from "../resource/interfaceName";
import type { Equals } from "../typeEquality";
import { DEFAULT_SYNC_REFRESH_SECONDS, DIRECTOR_MODES, type DirectorInputs } from "./model";

// Declared in the zod-free model; re-exported so that imports from here keep working.
export { DIRECTOR_MODES, type DirectorInputs, type DirectorMode, type DirectorVip } from "./model";

/** Names that exist under net.ipv4.conf but are groups, not interfaces. */
const SYSCTL_GROUPS = new Set(["all", "default"]);


const VipSchema = strictObject(
  {
    address: z
      .string(expects("an IPv4 or IPv6 address, such as 10.0.0.100 or fd00::100"))
      .refine((a) => !a.includes("%"), { error: "must not carry a zone (%eth0): name the interface in vip.interface" })
      .refine((a) => a.includes("%") || isIP(a) !== 0, { error: "must be an IPv4 or IPv6 address, such as 10.0.0.100 or fd00::100 (no prefix length here: use vip.prefixLength)" }),
    interface: interfaceNameField,
    prefixLength: z.int(expects("a whole number (32 for an IPv4 VIP, 128 for IPv6, unless the VIP's subnet is wider)")).optional(),
  },
  'an object: { address: "10.0.0.100", interface: "eth1" }',
)
  .superRefine((vip, ctx) => {
    const family = isIP(vip.address);
    if (family === 0 || vip.address.includes("%")) return; // reported on the address itself
    const max = family === 4 ? 32 : 128;
    if (vip.prefixLength !== undefined && (vip.prefixLength < 1 || vip.prefixLength > max)) {
      ctx.addIssue({ code: "custom", path: ["prefixLength"], message: `must be 1..${max} for an IPv${family} VIP (default ${max})` });
    }
    if (!isClientReachableUnicast(canonicalAddress(vip.address) ?? vip.address)) {
      ctx.addIssue({ code: "custom", path: ["address"], message: "must be a unicast address clients can reach (not unspecified, loopback or multicast)" });
    }
  })
  .transform((vip) => {
    const family = isIP(vip.address) === 6 ? 6 : 4;
    return { address: canonicalAddress(vip.address) ?? vip.address, interface: vip.interface, prefixLength: vip.prefixLength ?? (family === 4 ? 32 : 128) };
  });

export const DirectorInputsSchema = strictObject({
  /** Validated by the SSH connection schema (checkWithSchema reports its issues). */
  connection: z.unknown(),
  mode: z.enum(DIRECTOR_MODES, {
    error: (iss) =>
      iss.input === undefined ? 'is required: "dr", "nat" or "tun" (the forwarding method of the real servers)' : 'must be "dr", "nat" or "tun"',
  }),
  interfaces: z.array(interfaceNameField, expects('a list of interface names, such as ["eth1"]')).default([]),
  vip: VipSchema.optional(),
  vips: z.array(VipSchema, expects('a list of { address, interface, prefixLength? }, such as [{ address: "fd00::100", interface: "eth1" }]')).optional(),
  ipv6Forwarding: z.boolean({ error: "must be true or false" }).default(false),
  connectionSync: strictObject(
    {
      refreshSeconds: z
        .int(expects(`a whole number of seconds, 1..3600 (default ${DEFAULT_SYNC_REFRESH_SECONDS})`))
        .min(1, "must be at least 1 second")
        .max(3600, "must be at most 3600 seconds (the kernel caps it at half a connection's timeout anyway)")
        .default(DEFAULT_SYNC_REFRESH_SECONDS),
    },
    `an object: { refreshSeconds: ${DEFAULT_SYNC_REFRESH_SECONDS} } (or {} for the default)`,
  ).optional(),
  expireConnections: z.boolean({ error: "must be true or false" }).optional(),
  installIpvsadm: z.boolean({ error: "must be true or false" }).default(false),
  adopt: z.boolean({ error: "must be true or false" }).default(false),
})
  .superRefine((inputs, ctx) => {
    const seen = new Set<string>();
    inputs.interfaces.forEach((name, i) => {
      if (SYSCTL_GROUPS.has(name)) {
        ctx.addIssue({ code: "custom", path: ["interfaces", i], message: `"${name}" is always set in dr mode; list only real interfaces here` });
      } else if (seen.has(name)) {
        ctx.addIssue({ code: "custom", path: ["interfaces", i], message: `lists ${name} twice; list each interface once` });
      }
      seen.add(name);
    });
    if (inputs.mode !== "dr" && inputs.interfaces.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["interfaces"],
        message: `only applies to mode "dr" (send_redirects=0 per interface); remove it, or set mode: "dr"`,
      });
    }
    if (inputs.mode !== "nat" && inputs.ipv6Forwarding) {
      ctx.addIssue({ code: "custom", path: ["ipv6Forwarding"], message: `only applies to mode "nat" (the director routes the real servers' replies); remove it, or set mode: "nat"` });
    }
    const all = [...(inputs.vip ? [{ vip: inputs.vip, path: ["vip", "address"] }] : []), ...(inputs.vips ?? []).map((vip, i) => ({ vip, path: ["vips", i, "address"] }))];
    const bound = new Map<string, string>();
    for (const { vip, path } of all) {
      const first = bound.get(vip.address);
      if (first !== undefined) ctx.addIssue({ code: "custom", path, message: `is ${vip.address} again (already ${first}); bind each VIP once` });
      else bound.set(vip.address, path.slice(0, -1).join("."));
    }
    if (inputs.mode === "nat" && all.some(({ vip }) => isIP(vip.address) === 6) && !inputs.ipv6Forwarding) {
      ctx.addIssue({
        code: "custom",
        path: ["ipv6Forwarding"],
        message: "must be true for an IPv6 VIP in nat mode: the director routes the real servers' IPv6 replies, which needs net.ipv6.conf.all.forwarding=1",
      });
    }
  });

// The schema produces exactly the model's DirectorInputs (written out there so that the
// published declarations never name zod). `connection` is left to the SSH schema.
const _sameInputs: Equals<Omit<DirectorInputs, "connection">, Omit<z.output<typeof DirectorInputsSchema>, "connection">> = true;
