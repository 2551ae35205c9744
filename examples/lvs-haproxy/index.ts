// L4 in front of L7, as the classic guides combine them: two directors (keepalived, VRRP)
// route the VIP to a tier of HAProxies by direct routing, and each HAProxy balances HTTP
// to the web servers with checks of its own. LVS spreads connections and fails over in
// the kernel; HAProxy does what needs the request (HTTP checks of each web server, headers,
// retries). keepalived checks each HAProxy's own health endpoint, which HAProxy fails while
// it has no web server left, so a proxy with nothing behind it leaves the IPVS table.
//
// Direct routing cannot change ports: the director forwards VIP:8080 to each proxy's
// port 8080, where HAProxy listens on every address (the VIP on `lo` included).

import * as pulumi from "@pulumi/pulumi";
import * as lvs from "pulumi-lvs";
import { HaproxyConfig } from "./haproxyConfig";
import { renderHaproxyConfig } from "./haproxyTier";

interface Host {
  /** SSH address (and port, default 22). */
  ssh: string;
  port?: number;
  /** Pinned host key: `ssh-ed25519 AAAA…` or `SHA256:…`. */
  hostKey: string;
  /** The address the director forwards to, on the VIP's segment. */
  address: string;
}

interface WebServer {
  address: string;
  port?: number;
}

const config = new pulumi.Config();
const privateKey = config.requireSecret("privateKey");
const connect = (h: Host): lvs.SshConnectionArgs => ({ host: h.ssh, port: h.port ?? 22, user: "root", privateKey, hostKey: h.hostKey });

const [primary, secondary] = config.requireObject<[Host, Host]>("directors");
/** The proxies: each runs HAProxy and is a real server of the LVS service. */
const proxies = config.requireObject<Host[]>("realServers");
const port = config.getNumber("port") ?? 8080;
const healthPath = "/healthz";
// Where HAProxy sends requests. By default the web servers on port 80 of the proxies
// themselves (one host, two tiers); any other web servers can be listed instead.
const webServers = config.getObject<WebServer[]>("webServers") ?? proxies.map((h) => ({ address: h.address, port: 80 }));

const haproxyCfg = renderHaproxyConfig({
  port,
  healthPath,
  webServers: webServers.map((w, i) => ({ name: `web${i + 1}`, address: w.address, port: w.port ?? 80 })),
  webCheckPath: config.get("webCheckPath") ?? "/",
});

const haproxies = proxies.map((h, i) => new HaproxyConfig(`proxy${i + 1}-haproxy`, { connection: connect(h), config: haproxyCfg }));

const cluster = new lvs.LvsCluster(
  "front",
  {
    mode: "dr",
    keepalivedPair: {
      nodes: [
        { connection: connect(primary), priority: 150 },
        { connection: connect(secondary), priority: 100 },
      ],
      interface: config.get("interface") ?? "eth1",
      virtualRouterId: config.getNumber("virtualRouterId") ?? 51,
      advertInt: 1,
      auth: { password: config.requireSecret("vrrpPassword") },
    },
    vip: config.require("vip"),
    services: [
      {
        port,
        scheduler: "rr",
        delayLoop: 5,
        healthCheck: { type: "HTTP_GET", urls: [{ path: healthPath, statusCode: 200 }], connectTimeout: 3, retry: 2 },
      },
    ],
    realServers: proxies.map((h, i) => ({ name: `proxy${i + 1}`, connection: connect(h), address: h.address })),
  },
  // Every HAProxy answers before the VIP sends it anything (and, on destroy, the VIP stops
  // sending before HAProxy's own config is put back).
  { dependsOn: haproxies },
);

export const vip = cluster.vip;
export const url = pulumi.interpolate`http://${cluster.vip}:${port}/`;
export const healthUrl = pulumi.interpolate`http://${cluster.vip}:${port}${healthPath}`;
/** Per proxy: is HAProxy running (as last read from the host)? */
export const haproxyActive = pulumi.all(Object.fromEntries(haproxies.map((h, i) => [`proxy${i + 1}`, h.active])));
