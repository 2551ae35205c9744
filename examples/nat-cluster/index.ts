// NAT: clients reach the VIP on the director's front side; the director rewrites the
// destination to a real server on its back network, and the reply must come back through
// it to be rewritten again. LvsCluster sets that return path up on each real server
// (`configureRealServerRoutes: true`): a RealServerReturnRoute sends replies from the real
// server's back address to the director's back address, leaving its other routes alone.

import * as pulumi from "@pulumi/pulumi";
import * as lvs from "pulumi-lvs";

interface Host {
  /** SSH address (and port, default 22). */
  ssh: string;
  port?: number;
  /** Pinned host key: `ssh-ed25519 AAAA…` or `SHA256:…`. */
  hostKey: string;
  /** The host's address on the back (real servers') network. */
  address: string;
}

const config = new pulumi.Config();
const privateKey = config.requireSecret("privateKey");
const connect = (h: Host): lvs.SshConnectionArgs => ({ host: h.ssh, port: h.port ?? 22, user: "root", privateKey, hostKey: h.hostKey });

const director = config.requireObject<Host>("director");
const realServers = config.requireObject<Host[]>("realServers");

const cluster = new lvs.LvsCluster("app", {
  mode: "nat",
  director: {
    connection: connect(director),
    // The VIP goes on the client-facing side.
    interface: config.get("frontInterface") ?? "eth1",
  },
  vip: config.require("vip"),
  services: [{ port: 80, scheduler: "wlc" }],
  // NAT can map ports: set `port` per real server when it differs from the service's.
  realServers: realServers.map((h, i) => ({ name: `app${i + 1}`, connection: connect(h), address: h.address })),
  nat: { configureRealServerRoutes: true, gateway: director.address },
});

export const vip = cluster.vip;
