// The Director's inputs: one zod schema is the only validation. `check` reports every
// failure at once, each under its property path with what to do, before any host is
// touched; the provider then works only on the normalised result (defaults filled in,
// addresses in canonical form), so state always has one shape.

import { isIP } from "net";
import { z } from "zod";
import { propertyPath, type CheckFailure } from "../resource/check";
import type { Equals } from "../typeEquality";
import { DIRECTOR_MODES, type DirectorInputs } from "./model";

// Declared in the zod-free model; re-exported so that imports from here keep working.
export { DIRECTOR_MODES, type DirectorInputs, type DirectorMode, type DirectorVip } from "./model";

/** What the kernel accepts as an interface name (IFNAMSIZ is 16 with the NUL). */
const INTERFACE_NAME = /^[A-Za-z0-9_.:-]{1,15}$/;
/** Names that exist under net.ipv4.conf but are groups, not interfaces. */
const SYSCTL_GROUPS = new Set(["all", "default"]);

/** A type error that says "is required" when the value is missing, "must be" otherwise. */
const needs = (what: string) => ({ error: (iss: { input?: unknown }) => (iss.input === undefined ? `is required: ${what}` : `must be ${what}`) });

const interfaceName = z
  .string(needs("a network interface name such as eth1 (as `ip link` shows it)"))
  .regex(INTERFACE_NAME, { error: "must be a network interface name: 1 to 15 characters of A-Z a-z 0-9 _ . : - (as `ip link` shows it)" })
  .refine((name) => name !== "." && name !== "..", { error: "must be a network interface name, not a path component" });

/**
 * The address as `ip addr` prints it, so the VIP in state compares equal to what a read
 * finds: IPv6 in RFC 5952 form (lower case, longest zero run compressed), which is how the
 * WHATWG URL parser serialises a bracketed host.
 */
export function canonicalAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address; // a zone (fe80::1%eth0): refused by the schema, with its own message
  }
}

const VipSchema = z
  .strictObject({
    address: z
      .string(needs("an IPv4 or IPv6 address, such as 10.0.0.100 or fd00::100"))
      .refine((a) => !a.includes("%"), { error: "must not carry a zone (%eth0): name the interface in vip.interface" })
      .refine((a) => a.includes("%") || isIP(a) !== 0, { error: "must be an IPv4 or IPv6 address, such as 10.0.0.100 or fd00::100 (no prefix length here: use vip.prefixLength)" }),
    interface: interfaceName,
    prefixLength: z.int(needs("a whole number (32 for an IPv4 VIP, 128 for IPv6, unless the VIP's subnet is wider)")).optional(),
  }, needs('an object: { address: "10.0.0.100", interface: "eth1" }'))
  .superRefine((vip, ctx) => {
    const family = isIP(vip.address);
    if (family === 0 || vip.address.includes("%")) return; // reported on the address itself
    const max = family === 4 ? 32 : 128;
    if (vip.prefixLength !== undefined && (vip.prefixLength < 1 || vip.prefixLength > max)) {
      ctx.addIssue({ code: "custom", path: ["prefixLength"], message: `must be 1..${max} for an IPv${family} VIP (default ${max})` });
    }
    const canonical = canonicalAddress(vip.address);
    if (/^(0\.0\.0\.0|127\.|22[4-9]\.|2[3-5]\d\.)/.test(canonical) || ["::", "::1"].includes(canonical) || /^ff/.test(canonical)) {
      ctx.addIssue({ code: "custom", path: ["address"], message: "must be a unicast address clients can reach (not unspecified, loopback or multicast)" });
    }
  })
  .transform((vip) => {
    const family = isIP(vip.address) === 6 ? 6 : 4;
    return { address: canonicalAddress(vip.address), interface: vip.interface, prefixLength: vip.prefixLength ?? (family === 4 ? 32 : 128) };
  });

export const DirectorInputsSchema = z
  .strictObject({
    /** Validated by the SSH connection schema (checkWithSchema reports its issues). */
    connection: z.unknown(),
    mode: z.enum(DIRECTOR_MODES, {
      error: (iss) =>
        iss.input === undefined ? 'is required: "dr", "nat" or "tun" (the forwarding method of the real servers)' : 'must be "dr", "nat" or "tun"',
    }),
    interfaces: z.array(interfaceName, needs('a list of interface names, such as ["eth1"]')).default([]),
    vip: VipSchema.optional(),
    ipv6Forwarding: z.boolean({ error: "must be true or false" }).default(false),
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
    if (inputs.mode === "nat" && inputs.vip !== undefined && isIP(inputs.vip.address) === 6 && !inputs.ipv6Forwarding) {
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

const KNOWN = "connection, mode, interfaces, vip { address, interface, prefixLength }, ipv6Forwarding, installIpvsadm, adopt";

/** zod issues as check failures: one per problem, under its property path. */
export function formatCheckFailures(issues: readonly z.core.$ZodIssue[]): CheckFailure[] {
  return issues.flatMap((issue): CheckFailure[] => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        property: propertyPath([...issue.path, key]),
        reason: `is not a Director setting (it takes ${KNOWN}); remove it or fix its spelling`,
      }));
    }
    return [{ property: propertyPath(issue.path), reason: issue.message }];
  });
}
