// The inputs VirtualService and RealServer take only when their director is a
// KeepalivedPair (health checks, sorry server, quorum), and the pair reference itself.
// They are part of the VirtualService/RealServer schemas (provider/ipvs/schema.ts), which
// reject them with a clear message for a plain director.

import { z } from "zod";
import { integerBetween, ipAddress, oneOf, strictObject, type Issue } from "../resource/inputFields";
import { addressFamilyOf, canonicalAddress, FORWARDINGS } from "../ipvs/model";
import { isIpv6LinkLocal } from "../resource/address";
import { PREDEFINED_PARAMETER, PREDEFINED_PARAMETER_REASON, boundedValue, commandArgv, configName } from "./configValues";
import { VRRP_STATES } from "./model";
import { DNS_QUERY_TYPES } from "./serviceModel";

/** What a VirtualService / RealServer receives from its KeepalivedPair (an output of the pair). */
export const KeepalivedTargetSchema = strictObject({
  instanceName: configName("vrrp_instance name"),
  nodes: z
    .array(
      strictObject({
        connection: z.unknown(),
        state: oneOf(VRRP_STATES, "VRRP state"),
        // What the pair's nodes take (schema.ts); 255 belongs to an address owner, which a pair's node is not.
        priority: integerBetween(1, 254, "pass the KeepalivedPair resource as keepalivedPair (its nodes' priorities are 1..254)"),
      }),
    )
    .length(2, { error: "must be the pair's two nodes: pass the KeepalivedPair resource as keepalivedPair" }),
});
export type KeepalivedTarget = z.infer<typeof KeepalivedTargetSchema>;

const port = integerBetween(1, 65535, "set a port between 1 and 65535");
const secondsUpTo = (max: number, what: string) => integerBetween(1, max, `set ${what} in seconds, 1..${max}`);
const hostName = z
  .string({ error: "must be a host name" })
  .regex(/^[A-Za-z0-9.-]+$/, { error: "must be a plain host name (letters, digits, dots and dashes)" })
  .max(253, { error: "is longer than 253 characters, the longest DNS name; use the host name the server answers to" });

/** A DNS name keepalived 2.2.7's DNS_CHECK accepts: labels of 1..63, no empty label, optional trailing dot. */
const dnsName = z
  .string({ error: "must be a DNS name" })
  .max(254, { error: "is longer than a DNS name can be (253 characters, plus a trailing dot)" })
  .regex(/^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$/, { error: "must be a DNS name like www.example.com (labels of letters, digits and dashes, no empty label)" })
  // keepalived 2.2.7 misreads a name whose first label is one character followed by more labels.
  .refine((n) => !/^[A-Za-z0-9]\./.test(n), { error: "cannot start with a one-character label followed by more labels (keepalived 2.2.7 refuses it); query a name with a longer first label" });

/** true as set, false as absent: keepalived has no "off" spelling, so read-back never shows false. */
const flag = z
  .boolean({ error: "must be true or false" })
  .optional()
  .transform((v) => (v === true ? true : undefined));

const connectShape = {
  connectPort: port.optional(),
  connectTimeout: secondsUpTo(3600, "connectTimeout").optional(),
  bindTo: ipAddress.optional(),
  retry: integerBetween(0, 100, "set retry between 0 and 100").optional(),
  delayBeforeRetry: secondsUpTo(3600, "delayBeforeRetry").optional(),
};

const urlSchema = strictObject({
  path: boundedValue(z.string({ error: "must be a URL path" }).regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/, { error: "must be a URL path starting with / (no spaces, quotes or #)" }).refine((p) => !p.includes(PREDEFINED_PARAMETER), { error: PREDEFINED_PARAMETER_REASON })),
  statusCode: integerBetween(100, 599, "set statusCode to an HTTP status, e.g. 200").optional(),
  digest: z.string().regex(/^[0-9a-f]{32}$/, { error: "must be the MD5 hex digest of the page (genhash prints it)" }).optional(),
});

const urlList = z
  .array(urlSchema, { error: 'is required: the pages to fetch, e.g. [{ path: "/", statusCode: 200 }]' })
  .min(1, { error: 'needs at least one { path }, e.g. [{ path: "/", statusCode: 200 }]' });

export const HealthCheckSchema = z.discriminatedUnion(
  "type",
  [
    strictObject({ type: z.literal("TCP_CHECK"), ...connectShape }),
    strictObject({ type: z.literal("HTTP_GET"), urls: urlList, virtualhost: hostName.optional(), ...connectShape }),
    strictObject({ type: z.literal("SSL_GET"), urls: urlList, virtualhost: hostName.optional(), ...connectShape }),
    strictObject({
      type: z.literal("MISC_CHECK"),
      command: commandArgv,
      timeout: secondsUpTo(3600, "timeout").optional(),
      dynamic: flag,
      retry: integerBetween(0, 100, "set retry between 0 and 100").optional(),
      delayBeforeRetry: secondsUpTo(3600, "delayBeforeRetry").optional(),
    }),
    strictObject({ type: z.literal("DNS_CHECK"), name: dnsName, queryType: oneOf(DNS_QUERY_TYPES, "DNS query type").optional(), ...connectShape }),
  ],
  { error: "must be { type: TCP_CHECK | HTTP_GET | SSL_GET | MISC_CHECK | DNS_CHECK, … }" },
);

/** VirtualService inputs only a KeepalivedPair realises. */
export const keepalivedServiceShape = {
  delayLoop: secondsUpTo(86400, "delayLoop").optional(),
  sorryServer: strictObject({
    address: ipAddress.transform((a) => canonicalAddress(a)!),
    port: integerBetween(0, 65535, "set the sorry server's port"),
    forwarding: oneOf(FORWARDINGS, "forwarding").default("nat"),
  }).optional(),
  virtualhost: hostName.optional(),
  alpha: flag,
  omega: flag,
  quorum: integerBetween(1, 65535, "set quorum (the total weight needed) between 1 and 65535").optional(),
  hysteresis: integerBetween(0, 65535, "set hysteresis between 0 and 65535").optional(),
  quorumUp: commandArgv.optional(),
  quorumDown: commandArgv.optional(),
};

/** RealServer inputs only a KeepalivedPair realises. */
export const keepalivedRealServerShape = {
  healthCheck: HealthCheckSchema.optional(),
  inhibitOnFailure: flag,
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

/** Cross-field rules of the keepalived-only VirtualService inputs, given the service's family. */
export function checkKeepalivedServiceOptions(v: Record<string, unknown>, family: "ipv4" | "ipv6" | undefined, issue: Issue): void {
  const sorry = v["sorryServer"] as { address?: unknown; port?: unknown; forwarding?: unknown } | undefined;
  const servicePort = typeof v["port"] === "number" ? v["port"] : 0;
  if (typeof sorry?.port === "number" && sorry.port !== 0 && sorry.port !== servicePort && (sorry.forwarding === "dr" || sorry.forwarding === "tun"))
    issue(["sorryServer", "port"], `must be 0 or the service's port (${servicePort}) with forwarding "${String(sorry.forwarding)}": DR/TUN cannot rewrite ports (keepalived refuses it); set port ${servicePort}, or forwarding "nat"`);
  if (family && typeof sorry?.address === "string" && addressFamilyOf(sorry.address) && addressFamilyOf(sorry.address) !== family)
    issue(["sorryServer", "address"], `is ${addressFamilyOf(sorry.address)} but the service is ${family}; keepalived refuses a sorry server of the other family`);
  const quorum = typeof v["quorum"] === "number" ? v["quorum"] : 1;
  if (typeof v["hysteresis"] === "number" && v["hysteresis"] >= quorum)
    issue(["hysteresis"], `(${v["hysteresis"]}) must be below quorum (${quorum}${v["quorum"] === undefined ? ", keepalived's default" : ""}); lower hysteresis or raise quorum`);
}

/** Cross-field rules of the keepalived-only RealServer inputs. */
export function checkKeepalivedRealServerOptions(v: Record<string, unknown>, issue: Issue): void {
  const check = v["healthCheck"] as { type?: unknown; bindTo?: unknown } | undefined;
  const address = v["address"];
  // Every checker but MISC_CHECK connects to the real server's address (we render no
  // connect_ip), and keepalived refuses a link-local one without bind_if, which we do not render.
  const canonical = typeof address === "string" ? canonicalAddress(address) : undefined;
  if (check !== undefined && check.type !== "MISC_CHECK" && canonical !== undefined && isIpv6LinkLocal(canonical))
    issue(["address"], `is link-local (fe80::/10): keepalived's ${String(check.type)} cannot reach it without an interface (bind_if), which pulumi-lvs does not set; give the real server a global or unique-local (fd00::/8) address, or use a MISC_CHECK`);
  if (typeof check?.bindTo === "string" && typeof address === "string" && addressFamilyOf(check.bindTo) && addressFamilyOf(address) && addressFamilyOf(check.bindTo) !== addressFamilyOf(address))
    issue(["healthCheck", "bindTo"], `is ${addressFamilyOf(check.bindTo)} but the real server is ${addressFamilyOf(address)}; bind the check to an address of the same family`);
}
