// IP-in-IP tunnelling: the director encapsulates each packet to the real server, which
// may be on another network (another rack, another site); the real server decapsulates
// on tunl0, where the VIP is bound, and answers the client directly.

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

const director = config.requireObject<Host>("director");

const cluster = new lvs.LvsCluster("dns", {
  mode: "tun",
  director: { connection: connect(director), vipInterface: config.get("vipInterface") ?? "eth0" },
  vip: config.require("vip"),
  // DNS by default; `services` in stack config replaces them (the lab test balances HTTP).
  services: config.getObject<lvs.LvsClusterServiceArgs[]>("services") ?? [
    { protocol: "udp", port: 53, scheduler: "sh" },
    { protocol: "tcp", port: 53, scheduler: "sh" },
  ],
  realServers: config.requireObject<Host[]>("realServers").map((h, i) => ({ name: `ns${i + 1}`, connection: connect(h), address: h.address })),
});

export const vip = cluster.vip;
