// RealServerReturnRoute inputs, validated by zod (every problem at once, with the fix).

import { isIPv4 } from "net";
import { z } from "zod";
import { integerBetween, strictObject } from "../resource/inputFields";

export const RealServerReturnRouteInputsSchema = strictObject({
  connection: z.unknown().optional(), // validated by the SSH connection schema
  sourceAddress: z.string({ error: "is required: the real server's address the director sends to (RIP)" }).refine(isIPv4, {
    error: "must be an IPv4 address (the real server's RIP); IPv6 NAT return routes are not supported yet",
  }),
  gateway: z.string({ error: "is required: the director's address on the real servers' segment (DIP)" }).refine(isIPv4, {
    error: "must be the director's IPv4 address on the real servers' segment",
  }),
  table: integerBetween(1, 252, "set table to a free routing table number 1..252 (253-255 are the kernel's)").default(177),
  priority: integerBetween(1, 32765, "set priority (ip rule pref) between 1 and 32765, below main's 32766").default(1000),
  adopt: z.boolean({ error: "must be true or false" }).optional(),
});

export type RealServerReturnRouteInputs = z.infer<typeof RealServerReturnRouteInputsSchema> & { connection: unknown };
