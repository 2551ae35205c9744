// Direct routing: the director rewrites only the destination MAC, so real servers answer
// clients directly. Each real server carries the VIP on lo with ARP replies for it
// suppressed (LvsCluster adds a RealServerArpConfig per real server for that).

import * as pulumi from "@pulumi/pulumi";
import * as lvs from "pulumi-lvs";

interface Host {
  /** SSH address (and port, default 22). */
  ssh: string;
  port?: number;
  /** Pinned host key: `ssh-ed25519 AAAA…` or `SHA256:…`. */
  hostKey: string;
  /** The address the director forwards to, on the VIP's segment. */
  address: string;
}

const config = new pulumi.Config();
const privateKey = config.requireSecret("privateKey");
const connect = (h: Host): lvs.SshConnectionArgs => ({ host: h.ssh, port: h.port ?? 22, user: "root", privateKey, hostKey: h.hostKey });

const director = config.requireObject<Host>("director");
const realServers = config.requireObject<Host[]>("realServers");

const cluster = new lvs.LvsCluster("web", {
  mode: "dr",
  director: { connection: connect(director), interface: config.get("interface") ?? "eth1" },
  vip: config.require("vip"),
  services: [
    { port: 80, scheduler: "wrr" },
    { port: 443, scheduler: "wrr", persistence: { timeoutSeconds: 300 } },
  ],
  realServers: realServers.map((h, i) => ({ name: `rs${i + 1}`, connection: connect(h), address: h.address, weight: 1 })),
});

export const vip = cluster.vip;
