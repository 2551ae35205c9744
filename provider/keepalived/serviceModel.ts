// keepalived's view of a VirtualService and its RealServers: the same IPVS model the
// plain director uses (provider/ipvs/model.ts), plus what only keepalived does (health
// checks, sorry server, quorum). Rendered into include files of their own, one per
// service and one per real server, so each resource owns exactly one file.

import type { IpvsDestination, IpvsService } from "../ipvs/model";

export const HEALTH_CHECK_TYPES = ["TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK", "DNS_CHECK"] as const;
export type HealthCheckType = (typeof HEALTH_CHECK_TYPES)[number];

export const DNS_QUERY_TYPES = ["A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"] as const;
export type DnsQueryType = (typeof DNS_QUERY_TYPES)[number];

/** Options every connecting checker shares. */
export interface ConnectOptions {
  connectPort?: number;
  connectTimeout?: number;
  bindTo?: string;
  retry?: number;
  delayBeforeRetry?: number;
}

export interface HttpUrl {
  path: string;
  statusCode?: number;
  digest?: string;
}

export type HealthCheck =
  | ({ type: "TCP_CHECK" } & ConnectOptions)
  | ({ type: "HTTP_GET" | "SSL_GET"; urls: HttpUrl[]; virtualhost?: string } & ConnectOptions)
  | { type: "MISC_CHECK"; command: string[]; timeout?: number; dynamic?: boolean; retry?: number; delayBeforeRetry?: number }
  | ({ type: "DNS_CHECK"; name: string; queryType?: DnsQueryType } & ConnectOptions);

/** What only keepalived does for a virtual service. */
export interface KeepalivedServiceOptions {
  /** Seconds between health checks (keepalived's delay_loop). */
  delayLoop?: number;
  sorryServer?: { address: string; port: number; forwarding: "dr" | "nat" | "tun" };
  /** Host header for HTTP_GET/SSL_GET checks of every real server. */
  virtualhost?: string;
  /** Start real servers as failed until their first check passes. */
  alpha?: boolean;
  /** Run quorum_down and clear the service when keepalived stops. */
  omega?: boolean;
  quorum?: number;
  hysteresis?: number;
  quorumUp?: string[];
  quorumDown?: string[];
}

/** What only keepalived does for a real server. */
export interface KeepalivedRealServerOptions {
  healthCheck?: HealthCheck;
  /** On a failed check keep the server with weight 0 instead of removing it. */
  inhibitOnFailure?: boolean;
  notifyUp?: string[];
  notifyDown?: string[];
}

export interface KeepalivedVirtualServer {
  service: IpvsService;
  options: KeepalivedServiceOptions;
}

export interface KeepalivedRealServer {
  destination: IpvsDestination;
  options: KeepalivedRealServerOptions;
}
