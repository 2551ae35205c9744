// The inputs VirtualService and RealServer take only when their director is a
// KeepalivedPair (health checks, sorry server, quorum), and the pair reference itself.
// They are part of the VirtualService/RealServer schemas (provider/ipvs/schema.ts), which
// reject them with a clear message for a plain director.

import { z } from "zod";
import { integerBetween, ipAddress, oneOf, strictObject, type Issue } from "../ipvs/inputFields";
import { commandArgv, configName } from "./schema";
import { VRRP_STATES } from "./model";
import { DNS_QUERY_TYPES } from "./serviceModel";

/** What a VirtualService / RealServer receives from its KeepalivedPair (an output of the pair). */
export const KeepalivedTargetSchema = strictObject({
  instanceName: configName("vrrp_instance name"),
  nodes: z
    .array(strictObject({ connection: z.unknown(), state: oneOf(VRRP_STATES, "VRRP state"), priority: z.int() }))
    .length(2, { error: "must be the pair's two nodes: pass the KeepalivedPair resource as keepalivedPair" }),
});
export type KeepalivedTarget = z.infer<typeof KeepalivedTargetSchema>;

const port = integerBetween(1, 65535, "set a port between 1 and 65535");
const secondsUpTo = (max: number, what: string) => integerBetween(1, max, `set ${what} in seconds, 1..${max}`);
const hostName = z
  .string({ error: "must be a host name" })
  .regex(/^[A-Za-z0-9.-]+$/, { error: "must be a plain host name (letters, digits, dots and dashes)" });

const connectShape = {
  connectPort: port.optional(),
  connectTimeout: secondsUpTo(3600, "connectTimeout").optional(),
  bindTo: ipAddress.optional(),
  retry: integerBetween(0, 100, "set retry between 0 and 100").optional(),
  delayBeforeRetry: secondsUpTo(3600, "delayBeforeRetry").optional(),
};

const urlSchema = strictObject({
  path: z.string({ error: "must be a URL path" }).regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/, { error: "must be a URL path starting with / (no spaces, quotes or #)" }),
  statusCode: integerBetween(100, 599, "set statusCode to an HTTP status, e.g. 200").optional(),
  digest: z.string().regex(/^[0-9a-f]{32}$/, { error: "must be the MD5 hex digest of the page (genhash prints it)" }).optional(),
});

export const HealthCheckSchema = z.discriminatedUnion(
  "type",
  [
    strictObject({ type: z.literal("TCP_CHECK"), ...connectShape }),
    strictObject({ type: z.literal("HTTP_GET"), urls: z.array(urlSchema).min(1, { error: "needs at least one { path }" }), virtualhost: hostName.optional(), ...connectShape }),
    strictObject({ type: z.literal("SSL_GET"), urls: z.array(urlSchema).min(1, { error: "needs at least one { path }" }), virtualhost: hostName.optional(), ...connectShape }),
    strictObject({
      type: z.literal("MISC_CHECK"),
      command: commandArgv,
      timeout: secondsUpTo(3600, "timeout").optional(),
      dynamic: z.boolean({ error: "must be true or false" }).optional(),
      retry: integerBetween(0, 100, "set retry between 0 and 100").optional(),
      delayBeforeRetry: secondsUpTo(3600, "delayBeforeRetry").optional(),
    }),
    strictObject({ type: z.literal("DNS_CHECK"), name: hostName, queryType: oneOf(DNS_QUERY_TYPES, "DNS query type").optional(), ...connectShape }),
  ],
  { error: "must be { type: TCP_CHECK | HTTP_GET | SSL_GET | MISC_CHECK | DNS_CHECK, … }" },
);

/** VirtualService inputs only a KeepalivedPair realises. */
export const keepalivedServiceShape = {
  delayLoop: secondsUpTo(86400, "delayLoop").optional(),
  sorryServer: strictObject({ address: ipAddress, port: integerBetween(0, 65535, "set the sorry server's port") }).optional(),
  virtualhost: hostName.optional(),
  alpha: z.boolean({ error: "must be true or false" }).optional(),
  omega: z.boolean({ error: "must be true or false" }).optional(),
  quorum: integerBetween(1, 65535, "set quorum (the total weight needed) between 1 and 65535").optional(),
  hysteresis: integerBetween(0, 65535, "set hysteresis between 0 and 65535").optional(),
  quorumUp: commandArgv.optional(),
  quorumDown: commandArgv.optional(),
};

/** RealServer inputs only a KeepalivedPair realises. */
export const keepalivedRealServerShape = {
  healthCheck: HealthCheckSchema.optional(),
  inhibitOnFailure: z.boolean({ error: "must be true or false" }).optional(),
  notifyUp: commandArgv.optional(),
  notifyDown: commandArgv.optional(),
};

export const KEEPALIVED_SERVICE_ONLY = Object.keys(keepalivedServiceShape);
export const KEEPALIVED_REAL_SERVER_ONLY = Object.keys(keepalivedRealServerShape);

/**
 * A plain director has no health checker: keepalived-only inputs are refused there, and a
 * director must be exactly one of connection / keepalivedPair.
 */
export function checkDirectorChoice(v: Record<string, unknown>, keepalivedOnly: readonly string[], issue: Issue, resource: string): void {
  const onPair = v["keepalived"] !== undefined;
  if (onPair && v["connection"] !== undefined)
    issue(["connection"], `cannot be combined with keepalivedPair: a ${resource} lives either on a plain director (connection) or on a KeepalivedPair; remove one`);
  if (!onPair) {
    for (const key of keepalivedOnly) {
      if (v[key] !== undefined)
        issue([key], `is only realised by keepalived: a plain director (connection) has no health checker; remove ${key}, or put the ${resource} on a KeepalivedPair (keepalivedPair: pair)`);
    }
  }
}
