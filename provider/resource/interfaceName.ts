// What a network interface name may be, for every resource that names one: the kernel's
// rule (IFNAMSIZ is 16 with the NUL), and never a path component, because the name ends up
// in sysctl paths (net.ipv4.conf.<name>.…) and systemd unit text.

import { z } from "zod";

/** Letters, digits and _ . : -, 1 to 15 of them (iproute2 and the kernel accept no more). */
export const INTERFACE_NAME = /^[A-Za-z0-9_.:-]{1,15}$/;

/** Whether `name` can be a network interface (not whether the host has it). */
export function isInterfaceName(name: string): boolean {
  return INTERFACE_NAME.test(name) && name !== "." && name !== "..";
}

/** A zod field for an interface name, with messages that say what one looks like. */
export const interfaceNameField = z
  .string({
    error: (iss) =>
      iss.input === undefined
        ? "is required: a network interface name such as eth1 (as `ip link` shows it)"
        : "must be a network interface name such as eth1 (as `ip link` shows it)",
  })
  .regex(INTERFACE_NAME, { error: "must be a network interface name: 1 to 15 characters of A-Z a-z 0-9 _ . : - (as `ip link` shows it)" })
  .refine((name) => name !== "." && name !== "..", { error: "must be a network interface name, not a path component" });
