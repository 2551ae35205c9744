// Two directors share the VIP with keepalived (VRRP): the MASTER holds it, the BACKUP
// takes it over within about 3 × advertInt. keepalived also health-checks each real server
// (HTTP_GET here) and removes a failing one from the table until it answers again.

import * as pulumi from "@pulumi/pulumi";
import * as lvs from "pulumi-lvs";

interface Host {
  ssh: string;
  port?: number;
  hostKey: string;
  address: string;
}

const config = new pulumi.Config();
const privateKey = config.requireSecret("privateKey");
const connect = (h: Host): lvs.SshConnectionArgs => ({ host: h.ssh, port: h.port ?? 22, user: "root", privateKey, hostKey: h.hostKey });

const [primary, secondary] = config.requireObject<[Host, Host]>("directors");

const cluster = new lvs.LvsCluster("web", {
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
      port: 80,
      scheduler: "wrr",
      delayLoop: 5,
      healthCheck: { type: "HTTP_GET", urls: [{ path: config.get("healthPath") ?? "/healthz", statusCode: 200 }], connectTimeout: 3, retry: 2 },
    },
  ],
  realServers: config.requireObject<Host[]>("realServers").map((h, i) => ({ name: `web${i + 1}`, connection: connect(h), address: h.address })),
});

export const vip = cluster.vip;
